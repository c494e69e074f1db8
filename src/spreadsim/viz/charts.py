"""Vega-Lite charts of the teaching app: tables in, chart specs out (no model, no Solara, no I/O).

Each chart is built with Altair once per *shape* (which legends, layers and scales it needs) and
cached as a Vega-Lite spec whose layers read named datasets; every redraw then only puts the
current tables into the spec. Building Altair objects costs a few hundred milliseconds per
chart, which would otherwise be paid on every step.

Fonts are sized for a projector. Scales are fixed (states, months, shares), so nothing on screen
jumps while the model runs: only the data changes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from spreadsim.viz.portrayal import (
    BROKERED_COLOUR,
    FUNCTION_COLOURS,
    HUB_COLOUR,
    INNOVATOR_COLOUR,
    LOST_COLOUR,
    NOT_ELIGIBLE,
    SIZE_RANGE,
    STACK_ORDER,
    STATE_COLOURS,
)

Spec = dict[str, Any]

FONT = "Roboto, Helvetica, Arial, sans-serif"
TITLE_SIZE = 18
LABEL_SIZE = 14

#: States listed by default (the stacking order); "not eligible" is added where it occurs.
STATES_SHOWN: tuple[str, ...] = STACK_ORDER

#: Width / height of the network drawing, and the height it spans in layout units.
NETWORK_ASPECT = 1.3
NETWORK_Y_SPAN = 2.55
NETWORK_Y_TOP = 1.2

ACTOR_SHAPES = {"innovation hub": "diamond", "innovator": "square",
                "innovator (closed)": "square"}
ACTOR_COLOURS = {"innovation hub": HUB_COLOUR, "innovator": INNOVATOR_COLOUR,
                 "innovator (closed)": "#969696"}
TIE_LABELS = {"network": "working tie", "brokered": "brokered by the hub"}
TIE_COLOURS = {"working tie": "#bdbdbd", "brokered by the hub": BROKERED_COLOUR}
CONTACT = ("works with the hub", "not yet")


def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    chart = chart.properties(usermeta={"embedOptions": {"actions": False, "renderer": "svg"}})
    return (chart.configure(font=FONT, background="#ffffff")
            .configure_title(fontSize=TITLE_SIZE, anchor="start", subtitleFontSize=LABEL_SIZE,
                             subtitleColor="#555555")
            .configure_axis(labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE, grid=True,
                            gridColor="#eeeeee")
            .configure_legend(labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE,
                              symbolSize=160, rowPadding=3)
            .configure_view(stroke=None))


def _fill(template: Spec, title: str, subtitle: str, tables: dict[str, pd.DataFrame]) -> Spec:
    """A copy of a cached spec with this redraw's title and tables (the template is shared).

    Tables travel as JSON text (Vega-Lite parses it, see :func:`_data`): one string per table
    instead of thousands of small objects, which Solara would otherwise walk on every redraw.
    """
    spec = dict(template)
    spec["title"] = {"text": title, "subtitle": subtitle}
    spec["datasets"] = {name: frame.to_json(orient="records", double_precision=5)
                        for name, frame in tables.items()}
    return spec


def _data(name: str) -> alt.NamedData:
    return alt.NamedData(name=name, format=alt.DataFormat(type="json"))


def state_scale(states: tuple[str, ...]) -> alt.Scale:
    """Colour scale of adoption states (fixed colours, so a state never changes colour)."""
    return alt.Scale(domain=list(states), range=[STATE_COLOURS[s] for s in states])


# --------------------------------------------------------------------------- network


@dataclass(frozen=True, slots=True)
class NetworkShape:
    """What the network chart's layers, scales and legends depend on (its cache key)."""

    ties: tuple[str, ...]  # tie kinds present
    actors: tuple[str, ...]  # hub / innovator markers present
    link_colour: str  # colour of the innovator's contact lines ("" = none)
    states: tuple[str, ...]  # states in the legend
    sizes: tuple[float, float, float] | None  # (largest served, smallest, largest area)
    marker: float  # largest marker area
    hub: bool  # some provider works with a hub
    places: bool  # place labels
    width: int
    height: int


def marker_areas(n_nodes: int, plot_area: float) -> tuple[float, float]:
    """Smallest and largest provider marker area (px^2): large when few, small when many."""
    top = min(SIZE_RANGE[1], max(12.0, 0.35 * plot_area / max(n_nodes, 1)))
    return max(6.0, min(SIZE_RANGE[0], top / 8)), top


def size_ticks(top: float) -> list[float]:
    """Up to three round values (1, 2, 5 x 10^k) between a tenth of ``top`` and ``top``."""
    if top <= 0:
        return [0.0]
    exponents = range(int(np.floor(np.log10(top))) - 2, int(np.floor(np.log10(top))) + 1)
    nice = sorted(m * 10.0 ** e for e in exponents for m in (1, 2, 5))
    inside = [v for v in nice if top / 12 <= v <= top]
    if len(inside) <= 3:
        return inside
    return [inside[0], inside[len(inside) // 2], inside[-1]]


def network_spec(nodes: pd.DataFrame, ties: pd.DataFrame, markers: pd.DataFrame,
                 links: pd.DataFrame, places: pd.DataFrame, *, title: str, subtitle: str,
                 states: tuple[str, ...] = STATES_SHOWN, brokering: bool = False,
                 height: int = 370) -> Spec:
    """The provider network: ties, providers coloured by state, the hub and the innovator.

    Args:
        nodes, ties, markers, links: Tables from :mod:`spreadsim.viz.portrayal`.
        places: ``x, y, place`` for the place labels.
        title, subtitle: Chart title (innovation and month) and subtitle.
        states: States listed in the legend (those the scenario can produce).
        brokering: List hub-brokered ties in the legend before any exists (a hub can broker
            them), so the chart keeps one shape while the run goes on.
        height: Height of the drawing in pixels; the width follows, so circles stay round.

    Returns:
        A Vega-Lite spec.
    """
    width = round(height * NETWORK_ASPECT)
    ties = ties.assign(tie=ties["tie"].map(TIE_LABELS))
    served = nodes["served"] if len(nodes) else pd.Series([1.0])
    top = float(max(served.max(), 1e-9))
    low, high = marker_areas(len(nodes), width * height)
    # one size, and no size legend, where sizes barely differ or markers are too small to tell
    readable = float(served.min()) * 3 <= top and high >= 60
    sizes = (round(top, 3), low, high) if readable else None
    has_not_eligible = bool((nodes["state"] == NOT_ELIGIBLE).any())
    shape = NetworkShape(
        ties=tuple(t for t in TIE_COLOURS if t in set(ties["tie"])
                   or (brokering and t == TIE_LABELS["brokered"])),
        actors=tuple(a for a in ACTOR_SHAPES if a in set(markers["actor"])),
        link_colour=ACTOR_COLOURS[str(links["actor"].iloc[0])] if len(links) else "",
        states=(*states, NOT_ELIGIBLE) if has_not_eligible else tuple(states),
        sizes=sizes, marker=high, hub=bool(nodes["hub"].any()), places=len(places) > 0,
        width=width, height=height)
    contact = nodes.assign(contact=np.where(nodes["hub"], *CONTACT))
    return _fill(_network_template(shape), title, subtitle,
                 {"ties": ties, "links": links, "nodes": contact, "places": places,
                  "markers": markers})


@functools.lru_cache(maxsize=64)
def _network_template(shape: NetworkShape) -> Spec:
    half_x = NETWORK_Y_SPAN * NETWORK_ASPECT / 2
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-half_x, half_x], nice=False))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[NETWORK_Y_TOP - NETWORK_Y_SPAN,
                                                        NETWORK_Y_TOP], nice=False))
    layers = []
    if shape.ties:
        layers.append(_ties(shape, x, y))
    if shape.link_colour:
        layers.append(alt.Chart(_data("links")).mark_rule(
            strokeWidth=1, opacity=0.45, strokeDash=[4, 3], color=shape.link_colour)
            .encode(x=x, y=y, x2="x2:Q", y2="y2:Q"))
    layers.append(_providers(shape, x, y))
    if shape.places:
        layers.append(alt.Chart(_data("places")).mark_text(
            fontSize=LABEL_SIZE, color="#555555", fontWeight="bold")
            .encode(x=x, y=y, text="place:N"))
    if shape.actors:
        layers.append(_actors(shape, x, y))
    chart = (alt.layer(*layers).properties(width=shape.width, height=shape.height,
                                           title="network")
             .resolve_scale(color="independent", shape="independent", size="independent",
                            stroke="independent", strokeWidth="independent"))
    return _style(chart).to_dict()


def _ties(shape: NetworkShape, x: alt.X, y: alt.Y) -> alt.Chart:
    present = list(shape.ties)
    return (alt.Chart(_data("ties")).mark_rule()
            .encode(x=x, y=y, x2="x2:Q", y2="y2:Q",
                    color=alt.Color("tie:N", legend=alt.Legend(
                        title="Ties", orient="bottom", direction="vertical", symbolType="stroke",
                        symbolStrokeWidth=3),
                        scale=alt.Scale(domain=present, range=[TIE_COLOURS[t] for t in present])),
                    opacity=alt.condition(alt.datum.tie == "working tie", alt.value(0.8),
                                          alt.value(0.35)),
                    strokeWidth=alt.StrokeWidth("weight:Q", legend=None,
                                                scale=alt.Scale(domain=[0, 1],
                                                                range=[0.2, 1.2]))))


def _actors(shape: NetworkShape, x: alt.X, y: alt.Y) -> alt.Chart:
    present = list(shape.actors)
    legend = alt.Legend(title="Who is who", orient="bottom", direction="vertical")
    return (alt.Chart(_data("markers")).mark_point(filled=True, size=420, opacity=1,
                                                   stroke="#222222", strokeWidth=1.5)
            .encode(x=x, y=y,
                    shape=alt.Shape("actor:N", legend=legend, scale=alt.Scale(
                        domain=present, range=[ACTOR_SHAPES[a] for a in present])),
                    color=alt.Color("actor:N", legend=legend, scale=alt.Scale(
                        domain=present, range=[ACTOR_COLOURS[a] for a in present])),
                    tooltip=["actor:N", "name:N", "detail:N"]))


def _providers(shape: NetworkShape, x: alt.X, y: alt.Y) -> alt.Chart:
    if shape.sizes is None:
        size: alt.Size | alt.SizeValue = alt.value(shape.marker)
    else:
        top, low, high = shape.sizes
        size = alt.Size("served:Q", scale=alt.Scale(type="sqrt", domain=[0, top],
                                                    range=[low, high]),
                        legend=alt.Legend(title="People served (000s)", orient="bottom",
                                          direction="vertical",
                                          format=",.0f" if top >= 10 else ",.1f",
                                          values=size_ticks(top)))
    stroke: alt.Stroke | alt.StrokeValue = (
        alt.Stroke("contact:N", legend=alt.Legend(title="Hub contact", orient="bottom",
                                                  direction="vertical", symbolStrokeWidth=2.5,
                                                  symbolFillColor="#ffffff"),
                   scale=alt.Scale(domain=list(CONTACT), range=["#111111", "#9e9e9e"]))
        if shape.hub else alt.value("#9e9e9e"))
    thin = 0.7 if shape.marker > 60 else 0.3
    return (alt.Chart(_data("nodes"), name="providers").mark_circle(opacity=1, strokeOpacity=1)
            .encode(x=x, y=y,
                    color=alt.Color("state:N", scale=state_scale(shape.states),
                                    legend=alt.Legend(title="Adoption state", orient="right",
                                                      symbolStrokeWidth=1,
                                                      symbolStrokeColor="#9e9e9e")),
                    size=size, stroke=stroke,
                    strokeWidth=alt.condition("datum.hub", alt.value(2.0), alt.value(thin)),
                    tooltip=[alt.Tooltip("provider:N"), alt.Tooltip("kind:N"),
                             alt.Tooltip("place:N"), alt.Tooltip("state:N"),
                             alt.Tooltip("served:Q", title="people served (000s)"),
                             alt.Tooltip("contact:N", title="hub contact")]))


# --------------------------------------------------------------------------- time series


def _month_axis(months: int) -> alt.X:
    return alt.X("month:Q", title="Month", scale=alt.Scale(domain=[0, months], nice=False))


def _month_marker(label: str, x: alt.X) -> list[alt.Chart]:
    rule = alt.Chart(_data("marker")).mark_rule(color="#333333", strokeDash=[2, 2],
                                                strokeWidth=1.5)
    text = alt.Chart(_data("marker")).mark_text(align="left", dx=4, dy=8, baseline="top",
                                                fontSize=LABEL_SIZE - 1, color="#333333")
    return [rule.encode(x=x), text.encode(x=x, y=alt.value(0), text=alt.value(label))]


def _marker_table(month: int | None) -> pd.DataFrame:
    return pd.DataFrame({"month": [] if month is None else [month]})


def adoption_spec(shares: pd.DataFrame, *, months: int, title: str, subtitle: str,
                  states: tuple[str, ...] = STATES_SHOWN, bass: np.ndarray | None = None,
                  funding_end: int | None = None, height: int = 280) -> Spec:
    """Share of eligible providers in each state over time, stacked, adopters at the bottom.

    Args:
        shares: ``month, state, share, order`` from
            :func:`~spreadsim.viz.portrayal.adoption_frame`.
        months: Horizon (the x axis is fixed to it).
        title, subtitle: Chart title and subtitle.
        states: States listed in the legend (those the scenario can produce).
        bass: Optional Bass reference curve (adopted share by month) drawn as a dashed line.
        funding_end: Month the hub's funding ends, marked with a vertical line.
        height: Height in pixels; the width follows the card.

    Returns:
        A Vega-Lite spec.
    """
    curve = (pd.DataFrame({"month": np.arange(len(bass)), "share": bass, "curve": "Bass curve"})
             if bass is not None else pd.DataFrame({"month": [], "share": [], "curve": []}))
    template = _adoption_template(tuple(s for s in STACK_ORDER if s in states), months,
                                  bass is not None, funding_end is not None, height)
    return _fill(template, title, subtitle, {"shares": shares, "bass": curve,
                                             "marker": _marker_table(funding_end)})


@functools.lru_cache(maxsize=32)
def _adoption_template(states: tuple[str, ...], months: int, bass: bool, marker: bool,
                       height: int) -> Spec:
    x = _month_axis(months)
    area = (alt.Chart(_data("shares"), name="states")
            .mark_area(opacity=0.95, interpolate="linear")
            .encode(x=x,
                    y=alt.Y("share:Q", stack="zero", title="Share of eligible providers",
                            scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
                    color=alt.Color("state:N", scale=state_scale(states),
                                    legend=alt.Legend(title="Adoption state")),
                    order=alt.Order("order:Q", sort="ascending"),
                    tooltip=["month:Q", "state:N", alt.Tooltip("share:Q", format=".0%")]))
    layers = [area, *(_month_marker("hub funding ends", x) if marker else [])]
    if bass:
        layers.append(alt.Chart(_data("bass")).mark_line(color="#111111", strokeWidth=2.5)
                      .encode(x=x, y="share:Q",
                              strokeDash=alt.StrokeDash("curve:N", legend=alt.Legend(
                                  title="Reference", symbolStrokeWidth=2.5,
                                  symbolType="stroke"),
                                  scale=alt.Scale(domain=["Bass curve"], range=[[6, 4]]))))
    chart = alt.layer(*layers).properties(width="container", height=height, title="adoption")
    return _style(chart).to_dict()


def hub_spec(used: pd.DataFrame, available: pd.DataFrame, *, months: int, title: str,
             subtitle: str, funding_end: int | None = None, y_max: float | None = None,
             height: int = 280) -> Spec:
    """Hub hours per month: stacked by function (plus hours lost), against hours available.

    Args:
        used, available: Tables from :func:`~spreadsim.viz.portrayal.hub_frame`.
        months: Horizon (the x axis is fixed to it).
        title, subtitle: Chart title and subtitle.
        funding_end: Month the hub's funding ends, marked with a vertical line.
        y_max: Top of the hours axis (fixed, so the axis does not jump).
        height: Height in pixels; the width follows the card.

    Returns:
        A Vega-Lite spec.
    """
    top = float(np.ceil(y_max / 100) * 100) if y_max else 0.0
    template = _hub_template(months, funding_end is not None, top, height)
    return _fill(template, title, subtitle,
                 {"used": used, "available": available.assign(series="hours available"),
                  "marker": _marker_table(funding_end)})


@functools.lru_cache(maxsize=32)
def _hub_template(months: int, marker: bool, y_max: float, height: int) -> Spec:
    x = _month_axis(months)
    uses = [*FUNCTION_COLOURS, "lost to unclear roles"]
    colours = [*FUNCTION_COLOURS.values(), LOST_COLOUR]
    y_scale = alt.Scale(domain=[0, y_max]) if y_max else alt.Scale()
    area = (alt.Chart(_data("used"), name="hours").mark_area(opacity=0.9,
                                                             interpolate="step-after")
            .encode(x=x, y=alt.Y("hours:Q", stack="zero", title="Hours per month",
                                 scale=y_scale),
                    color=alt.Color("use:N", scale=alt.Scale(domain=uses, range=colours),
                                    legend=alt.Legend(title="Hub hours spent on")),
                    order=alt.Order("order:Q", sort="ascending"),
                    tooltip=["month:Q", "use:N", alt.Tooltip("hours:Q", format=",.0f")]))
    line = (alt.Chart(_data("available"))
            .mark_line(color="#111111", strokeWidth=2.5, interpolate="step-after")
            .encode(x=x, y="hours:Q",
                    strokeDash=alt.StrokeDash("series:N", legend=alt.Legend(
                        title="Staff time", symbolType="stroke", symbolStrokeWidth=2.5)),
                    tooltip=["month:Q", alt.Tooltip("hours:Q", format=",.0f",
                                                    title="hours available")]))
    layers = [area, line, *(_month_marker("funding ends", x) if marker else [])]
    chart = alt.layer(*layers).properties(width="container", height=height, title="hub")
    return _style(chart).to_dict()
