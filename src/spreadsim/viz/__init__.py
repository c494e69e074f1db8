"""The teaching app: watch an innovation spread, live in the browser (Mesa SolaraViz).

``spreadsim ui [SCENARIO]`` serves :mod:`spreadsim.viz.app` with ``solara run``. The parts:

- :mod:`spreadsim.viz.teaching`: :class:`TeachingModel`, a :class:`~spreadsim.model.SpreadModel`
  whose keyword parameters are the app's controls, mapped onto the scenario with
  :func:`~spreadsim.loading.with_overrides`; the control table; the Bass reference curve.
- :mod:`spreadsim.viz.layout`: the seeded, place-clustered layout of the provider network.
- :mod:`spreadsim.viz.portrayal`: colours and sizes, and the tables the charts draw.
- :mod:`spreadsim.viz.charts`: tables -> Altair charts (no Solara, no model).
- :mod:`spreadsim.viz.app`: the Solara page (imports Solara; only the server needs it).

Only :mod:`spreadsim.viz.app` imports Solara, so the rest is usable and testable without a server.
"""

from spreadsim.viz.teaching import TeachingModel

__all__ = ["TeachingModel"]
