"""The teaching app's Solara page (Mesa SolaraViz); served by ``spreadsim ui``.

``solara run spreadsim.viz.app`` serves :func:`Page`; the scenario comes from the environment
variable ``SPREADSIM_UI_SCENARIO`` (set by ``spreadsim ui``), else ``scenarios/default_hub.toml``.
Each browser session gets its own model. The chart views are plain functions of the model,
which SolaraViz redraws after every step; the guide is a component of its own, redrawn on Reset.
"""

from __future__ import annotations

import html
import os
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization import solara_viz as _solara_viz

from spreadsim.config import ScenarioConfig
from spreadsim.loading import load_scenario
from spreadsim.viz import charts, portrayal
from spreadsim.viz.teaching import (
    SEED_RANGE,
    TeachingModel,
    applicable_controls,
    bass_applies,
    bass_curve,
    default_scenario,
    slider_value,
)
from spreadsim.viz.vega import VegaLite

#: Environment variable naming the scenario file to open.
SCENARIO_ENV = "SPREADSIM_UI_SCENARIO"

#: Innovation shown in the network and adoption views (per browser session). A view setting,
#: not a model parameter: changing it redraws at once, without a reset.
shown_innovation = solara.reactive(0)

#: Pause between steps while playing (with drawing, about 2.5 months a second).
PLAY_INTERVAL_MS = 300

#: Where the four views start on SolaraViz's 12-column grid (rows of 30 px plus 10 px gaps):
#: a big network on the left above the guide, the two charts on the right. Teachers can still
#: drag and resize the cards.
DASHBOARD_LAYOUT: tuple[dict[str, int], ...] = (
    {"i": 0, "x": 0, "y": 0, "w": 7, "h": 15},   # network
    {"i": 1, "x": 7, "y": 0, "w": 5, "h": 11},   # adoption
    {"i": 2, "x": 7, "y": 11, "w": 5, "h": 11},  # hub hours
    {"i": 3, "x": 0, "y": 15, "w": 7, "h": 7},   # guide
)

#: Page CSS: SolaraViz shows a tab bar even for a single page of views (hidden here), and its
#: sliders show their value only while dragged (shown always here, above the thumb).
PAGE_CSS = """
.v-tabs { display: none; }
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translateY(-20%) translateY(-12px) translateX(-50%)
    rotate(45deg) scale(0.9) !important; }
.v-navigation-drawer .v-input--is-label-active, .v-navigation-drawer .v-input__slider {
    margin-top: 14px; }
"""


def scenario_file() -> str:
    """The scenario this server shows."""
    return os.environ.get(SCENARIO_ENV) or str(default_scenario())


def model_params(cfg: ScenarioConfig, path: str) -> dict[str, Any]:
    """SolaraViz controls (``model_params``) for a scenario, starting at its values."""
    params: dict[str, Any] = {
        "scenario_file": path,
        "seed": {"type": "SliderInt", "value": 1, "min": SEED_RANGE[0], "max": SEED_RANGE[1],
                 "step": 1, "label": "Seed (run number)"},
    }
    for control in applicable_controls(cfg):
        value = control.read(cfg)
        if control.is_toggle:
            params[control.name] = {"type": "Checkbox", "value": bool(value),
                                    "label": control.label}
            continue
        value = slider_value(control, value) if control.low <= value <= control.high else value
        params[control.name] = {"type": "SliderFloat", "value": value,
                                "min": min(control.low, value), "max": max(control.high, value),
                                "step": control.step, "label": control.label}
    return params


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments that build the model the controls show before any change."""
    return {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}


def dashboard_layout(n_components: int) -> list[dict[str, Any]]:
    """Initial grid layout of SolaraViz's views: ours for our four, Mesa's otherwise."""
    if n_components == len(DASHBOARD_LAYOUT):
        return [{**item, "moved": False} for item in DASHBOARD_LAYOUT]
    return _mesa_layout(n_components)


# SolaraViz gives every view the same half-width, 390 px high card, too small for a projector;
# it has no option for the initial layout, so this app replaces the function that makes it.
_mesa_layout = _solara_viz.make_initial_grid_layout
_solara_viz.make_initial_grid_layout = dashboard_layout


# --------------------------------------------------------------------------- views


def _innovation(model: TeachingModel) -> int:
    return min(shown_innovation.value, model.n_innovations - 1)


def _month_title(model: TeachingModel) -> str:
    return f"month {model.steps} of {model.cfg.time.n_steps}"


def _funding_end(model: TeachingModel) -> int | None:
    return model.cfg.funding_end if model.cfg.hubs else None


def NetworkView(model: TeachingModel) -> None:
    """The provider network coloured by the state of the innovation shown."""
    j = _innovation(model)
    names = list(model.innovations.names)
    nodes = portrayal.nodes_frame(model, j)
    markers, links = portrayal.actors_frame(model, j)
    ties = portrayal.ties_frame(model)
    n_brokered = int((ties["tie"] == "brokered").sum())
    subtitle = ("circle = provider; black ring = works with the hub" if model.hub_agents
                else "circle = provider")
    if model.adjacency is None:
        subtitle += "; fully mixed: everyone hears from everyone"
    elif model.hub_agents:
        subtitle += f"; hub-brokered ties: {n_brokered}"
    with solara.Column(gap="4px", style={"padding": "4px 8px"}):
        if len(names) > 1:
            solara.Select("Innovation shown", values=names, value=names[j],
                          on_value=lambda name: shown_innovation.set(names.index(name)))
        VegaLite(charts.network_spec(
            nodes, ties, markers, links, portrayal.places_frame(model),
            title=f"{names[j]}: {_month_title(model)}", subtitle=subtitle,
            states=portrayal.possible_states(model.cfg), brokering=bool(model.hub_agents),
            height=360))


def AdoptionView(model: TeachingModel) -> None:
    """Adoption over time by state, with the Bass reference curve where it applies."""
    j = _innovation(model)
    data = model.datacollector.get_model_vars_dataframe()
    cfg = model.cfg
    bass = (bass_curve(cfg.adoption.p_external, cfg.adoption.q_peer, cfg.time.n_steps)
            if bass_applies(cfg, j) else None)
    subtitle = ("dashed: Bass curve for these p and q (fully mixed, no hub)" if bass is not None
                else "share of the providers that could adopt it")
    with solara.Column(style={"padding": "4px 8px"}):
        VegaLite(charts.adoption_spec(
            portrayal.adoption_frame(data, j), months=cfg.time.n_steps,
            title=f"Adoption of {model.innovations.names[j]}", subtitle=subtitle, bass=bass,
            states=portrayal.possible_states(cfg), funding_end=_funding_end(model)))


def HubView(model: TeachingModel) -> None:
    """Hub hours by function against hours available (or a note when there is no hub)."""
    with solara.Column(style={"padding": "4px 8px"}):
        if not model.hub_agents:
            solara.HTML(tag="div", unsafe_innerHTML=(
                "<h3>No Innovation Hub in this scenario</h3><p style='font-size:16px'>"
                "Adoption here comes only from outside influence (p) and from imitating "
                "others (q). Open <code>scenarios/default_hub.toml</code> to see a hub at "
                "work.</p>"))
            return
        data = model.datacollector.get_model_vars_dataframe()
        used, available = portrayal.hub_frame(data)
        nominal = sum((h.cfg.core_fte + h.cfg.inkind_fte) * h.cfg.hours_per_fte_month
                      for h in model.hub_agents)
        top = max(nominal * 1.25, float(available["hours"].max()) if len(available) else 0.0)
        spent = sum(h.spent for h in model.hub_agents) / 1000
        budget = sum(h.cfg.budget_gbp for h in model.hub_agents) / 1000
        VegaLite(charts.hub_spec(
            used, available, months=model.cfg.time.n_steps, title="Innovation Hub: staff time",
            subtitle=f"spent GBP {spent:,.0f}k of {budget:,.0f}k", funding_end=_funding_end(model),
            y_max=top or None))


@solara.component
def GuideView(model: TeachingModel) -> None:
    """Plain-language explanation of the screen, for a classroom.

    A component of its own (not redrawn after every step, unlike the charts): it depends only
    on the model's settings, so it changes on Reset.
    """
    cfg = model.cfg
    hub = ""
    if model.hub_agents:
        hub = (" The <b>diamond</b> is the Innovation Hub: it works with the organisations "
               "ringed in black and brokers new partnerships (<b>orange lines</b>). It is "
               f"funded for the first {cfg.funding_end} months.")
    summary = portrayal.settings_summary(model)
    ties = ("Everyone hears from everyone (fully mixed), so no lines are drawn."
            if model.adjacency is None else "Grey lines are working relationships.")
    text = f"""
<div style="font-size:15px; line-height:1.4">
<p style="margin:0 0 6px 0"><b>What you see.</b> Each circle is an NHS or social care
organisation, grouped by place; bigger circles serve more people. {ties}{hub}
Colour shows where each stands with the innovation: <b>grey</b> not heard
of it, <b>blue</b> aware or weighing it up, <b>green</b> putting it in place or using it,
<b>orange, red, purple</b> said no, failed, gave up.</p>
<p style="margin:0 0 6px 0"><b>How it spreads.</b> Organisations hear of it from outside
(<b>p</b>) or from partners who already use it (<b>q</b>, imitation). One step is one month.</p>
<p style="margin:0 0 6px 0"><b>How to drive it.</b> <b>Step</b> moves on a month,
<b>&#9654;</b> plays. Change the settings on the left, then press <b>Reset</b>. The same seed
gives the same run.</p>
<p style="margin:0; color:#555555"><b>This run:</b> {html.escape(summary)}.</p>
</div>"""
    with solara.Column(style={"padding": "8px 12px"}):
        solara.HTML(tag="div", unsafe_innerHTML=text)


@solara.component
def Page() -> None:
    """The app: Mesa SolaraViz with the spreadsim views and controls."""
    path = scenario_file()
    cfg = solara.use_memo(lambda: load_scenario(path), [path])
    params = solara.use_memo(lambda: model_params(cfg, path), [path])
    model = solara.use_memo(lambda: TeachingModel(**initial_values(params)), [path])
    solara.Style(PAGE_CSS)
    SolaraViz(model, components=[NetworkView, AdoptionView, HubView, GuideView],
              model_params=params, name=f"spreadsim: watch an innovation spread ({cfg.name})",
              play_interval=PLAY_INTERVAL_MS)
