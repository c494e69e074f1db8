"""The teaching app: watch an innovation spread, live in the browser (Mesa SolaraViz).

``spreadsim ui [SCENARIO]`` serves :mod:`spreadsim.viz.app` with ``solara run``. The parts:

- :mod:`spreadsim.viz.teaching`: :class:`TeachingModel`, a :class:`~spreadsim.model.SpreadModel`
  whose keyword parameters are the app's controls, mapped onto the scenario with
  :func:`~spreadsim.loading.with_overrides`; the control table; the Bass reference curve.
- :mod:`spreadsim.viz.layout`: the seeded, place-clustered layout of the provider network.
- :mod:`spreadsim.viz.portrayal`: colours and sizes, and the tables the charts draw.
- :mod:`spreadsim.viz.charts`: tables -> Vega-Lite specs, built with Altair once per chart shape
  (no Solara, no model).
- :mod:`spreadsim.viz.vega`: the chart widget (a spec as JSON text, drawn by vega-embed).
- :mod:`spreadsim.viz.app`: the Solara page (Mesa's SolaraViz with these views and controls).

Only :mod:`spreadsim.viz.app` and :mod:`spreadsim.viz.vega` import the widget libraries, so the
rest is usable and testable without a server.
"""

from spreadsim.viz.teaching import TeachingModel

__all__ = ["TeachingModel"]
