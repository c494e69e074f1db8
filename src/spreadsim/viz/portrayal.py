"""How the teaching app portrays the model: colours, sizes, and the tables the charts draw.

Everything here reads a model (or its data-collector frame) and returns plain pandas tables;
:mod:`spreadsim.viz.charts` turns them into charts. Colours are shared by the network and the
adoption chart, so a state has one colour everywhere on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spreadsim.config import FUNCTIONS, KINDS, STATES, ScenarioConfig
from spreadsim.mechanisms.adoption import INELIGIBLE

if TYPE_CHECKING:
    from spreadsim.viz.teaching import TeachingModel

#: Legend entry for providers whose kind cannot adopt the innovation shown.
NOT_ELIGIBLE = "not eligible"

#: Colour of each adoption state: greys and blues before a decision, greens for adopters,
#: warm colours and purple for the ways out (ColorBrewer-based, distinguishable when printed).
STATE_COLOURS: dict[str, str] = {
    "unaware": "#d9d9d9",
    "aware": "#9ecae1",
    "evaluating": "#3182bd",
    "implementing": "#a1d99b",
    "sustained": "#238b45",
    "rejected": "#fdae6b",
    "failed": "#d62728",
    "abandoned": "#756bb1",
    NOT_ELIGIBLE: "#ffffff",
}

#: Stacking order of states in the adoption chart, bottom first: adopters at the bottom, so the
#: top of the "implementing" band is the adopted share (what the Bass curve describes).
STACK_ORDER: tuple[str, ...] = ("sustained", "implementing", "evaluating", "aware", "rejected",
                                "failed", "abandoned", "unaware")

#: Colours of the hub's functions, of hours lost to unclear roles, and of the actors.
FUNCTION_COLOURS: dict[str, str] = {"coordination": "#1b9e77", "dissemination": "#7570b3",
                                    "partnership": "#e7298a"}
LOST_COLOUR = "#bdbdbd"
HUB_COLOUR = "#f0a500"
INNOVATOR_COLOUR = "#8c2d04"
BROKERED_COLOUR = "#f0a500"

#: Marker area (square pixels) of the smallest and the largest provider, at most.
SIZE_RANGE = (40.0, 700.0)

#: Readable names of provider kinds.
KIND_LABELS: dict[str, str] = {
    "acute": "acute trust", "mental_health": "mental health trust",
    "community": "community trust", "ambulance": "ambulance trust",
    "pcn": "primary care network", "gp_practice": "GP practice",
    "social_care": "social care provider",
}


def possible_states(cfg: ScenarioConfig) -> tuple[str, ...]:
    """The states a scenario can produce, in stacking order (instant adoption skips stages)."""
    if not cfg.adoption.instant:
        return STACK_ORDER
    wanted = {"unaware", "sustained"} | ({"abandoned"} if cfg.adoption.abandonment_monthly
                                         else set())
    return tuple(s for s in STACK_ORDER if s in wanted)


def state_labels(codes: np.ndarray) -> np.ndarray:
    """State names for state codes (``"not eligible"`` for ineligible pairs)."""
    names = np.array([*STATES, NOT_ELIGIBLE], dtype=object)
    return names[np.minimum(codes.astype(np.intp), INELIGIBLE)]


def nodes_frame(model: TeachingModel, innovation: int) -> pd.DataFrame:
    """One row per provider: position, state of the innovation shown, size, who knows it.

    Columns: ``x, y, provider, kind, place, served`` (population served, thousands),
    ``state`` and ``hub`` (``True`` where a hub knows and works with the provider).
    """
    sk, pos = model.population.skeleton, model.positions
    known = np.zeros(model.n_providers, dtype=bool)
    for hub in model.hub_agents:
        known[hub.mapped] = True
    return pd.DataFrame({
        "x": pos[:, 0], "y": pos[:, 1],
        "provider": sk.ids.astype(str),
        "kind": [KIND_LABELS[KINDS[k]] for k in sk.kind],
        "place": [sk.place_labels[p] for p in sk.place],
        "served": np.round(model.population.size, 1),
        "state": state_labels(model.state[:, innovation]),
        "hub": known,
    })


def ties_frame(model: TeachingModel) -> pd.DataFrame:
    """One row per tie with its end points: the network's ties and the hub-brokered ones.

    Columns: ``x, y, x2, y2, tie`` (``"network"`` or ``"brokered"``) and ``weight``. A fully
    mixed (complete) network has no ties to draw.
    """
    pos = model.positions
    parts = []
    if model.adjacency is not None:
        upper = model.adjacency.tocoo()
        keep = upper.row < upper.col
        parts.append((upper.row[keep], upper.col[keep], np.ones(keep.sum()), "network"))
    if len(model.tie_w):
        parts.append((*_unique_pairs(model.tie_a, model.tie_b, model.tie_w), "brokered"))
    frames = [pd.DataFrame({"x": pos[a, 0], "y": pos[a, 1], "x2": pos[b, 0], "y2": pos[b, 1],
                            "tie": kind, "weight": np.round(w, 2)})
              for a, b, w, kind in parts]
    if not frames:
        return pd.DataFrame(columns=["x", "y", "x2", "y2", "tie", "weight"])
    return pd.concat(frames, ignore_index=True)


def _unique_pairs(a: np.ndarray, b: np.ndarray,
                  w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge ties brokered more than once between the same two providers (weights add, to 1)."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs, inverse = np.unique(np.column_stack([lo, hi]), axis=0, return_inverse=True)
    weight = np.minimum(np.bincount(inverse.ravel(), w, len(pairs)), 1.0)
    return pairs[:, 0], pairs[:, 1], weight


def actors_frame(model: TeachingModel, innovation: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hubs and the innovation's innovator as markers; lines from the innovator to its contacts.

    The providers a hub works with are marked on the providers themselves (see
    :func:`nodes_frame`): lines to all of them would hide the network.

    Returns:
        ``(markers, links)``: markers with ``x, y, actor, name, detail``; links with
        ``x, y, x2, y2, actor``. A hub sits in the middle of the providers it covers, an
        innovator below the network.
    """
    pos = model.positions
    markers, links = [], []
    for hub in model.hub_agents:
        hx, hy = _hub_spot(pos, hub.scope)
        detail = (f"funded to month {hub.cfg.funding_months}; knows "
                  f"{len(hub.mapped)} of {len(hub.scope)} providers")
        markers.append((hx, hy, "innovation hub", hub.label, detail))
    owner = int(model.innovations.innovator[innovation])
    if 0 <= owner < len(model.innovator_agents):
        inv = model.innovator_agents[owner]
        ix, iy = 0.0, float(pos[:, 1].min()) - 0.22 if len(pos) else 0.0
        actor = "innovator" if inv.alive else "innovator (closed)"
        detail = "still looking for a first customer" if not inv.established else "has customers"
        if not inv.alive:
            detail = "ran out of money before anyone adopted"
        markers.append((ix, iy, actor, inv.cfg.name, detail))
        links += [(ix, iy, pos[i, 0], pos[i, 1], actor) for i in np.flatnonzero(inv.contacts)]
    return (pd.DataFrame(markers, columns=["x", "y", "actor", "name", "detail"]),
            pd.DataFrame(links, columns=["x", "y", "x2", "y2", "actor"]))


def _hub_spot(pos: np.ndarray, scope: np.ndarray) -> tuple[float, float]:
    """A free spot for a hub marker: the middle of its providers, or above them if taken."""
    if len(scope) == 0:
        return 0.0, 1.15
    pts = pos[scope]
    centre = pts.mean(axis=0)
    if np.min(np.hypot(*(pts - centre).T)) > 0.15:
        return float(centre[0]), float(centre[1])
    return float(centre[0]), float(pts[:, 1].max()) + 0.2


def adoption_frame(data: pd.DataFrame, innovation: int) -> pd.DataFrame:
    """Long table ``month, state, share, order`` of one innovation from the collector's frame."""
    from spreadsim.viz.teaching import share_column

    return _long(data, {share_column(innovation, s): s for s in STATES}, "state", "share",
                 STACK_ORDER)


def hub_frame(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hub hours per month: stacked use (by function, plus hours lost) and hours available.

    Returns:
        ``(used, available)``: ``used`` is long with ``month, use, hours, order``; ``available``
        has ``month, hours``. Month 0 (before the first step) is left out.
    """
    uses = {f"hours_{f}": f for f in FUNCTIONS} | {"hours_lost": "lost to unclear roles"}
    later = data.iloc[1:]
    used = _long(later, uses, "use", "hours", tuple(uses.values()))
    available = pd.DataFrame({"month": later.index.to_numpy(),
                              "hours": later["hours_available"].to_numpy()})
    return used, available


def _long(data: pd.DataFrame, columns: dict[str, str], name: str, value: str,
          order: tuple[str, ...]) -> pd.DataFrame:
    """Wide collector columns -> long ``month, <name>, <value>, order`` (what melt does, faster)."""
    labels = list(columns.values())
    months = data.index.to_numpy()
    rank = {label: k for k, label in enumerate(order)}
    return pd.DataFrame({
        "month": np.repeat(months, len(labels)),
        name: np.tile(np.array(labels, dtype=object), len(months)),
        value: data[list(columns)].to_numpy(dtype=float).ravel(),
        "order": np.tile([rank[label] for label in labels], len(months)),
    })


def places_frame(model: TeachingModel) -> pd.DataFrame:
    """One label per place, just above its disc of providers (none for a single place)."""
    sk, pos = model.population.skeleton, model.positions
    places = np.unique(sk.place)
    if len(places) < 2:
        return pd.DataFrame(columns=["x", "y", "place"])
    rows = [(float(pos[sk.place == p, 0].mean()), float(pos[sk.place == p, 1].max()) + 0.09,
             sk.place_labels[p]) for p in places]
    return pd.DataFrame(rows, columns=["x", "y", "place"])


def settings_summary(model: TeachingModel) -> str:
    """One line with the settings of the run on screen (the sliders only apply after Reset)."""
    cfg = model.cfg
    parts = [f"seed {model.root_seed}"]
    if cfg.hubs:
        hub = cfg.hubs[0]
        shares = hub.effort.shares()
        parts.append(f"hub {hub.core_fte:g} core + {hub.inkind_fte:g} in-kind FTE, "
                     f"GBP {hub.budget_gbp / 1000:,.0f}k")
        parts.append("effort " + " / ".join(f"{100 * w:.0f}% {f}"
                                             for f, w in zip(FUNCTIONS, shares, strict=True)))
    if cfg.network.kind == "place":
        parts.append(f"{100 * cfg.network.within_place_share:.0f}% of ties within a place")
    parts.append(f"p = {cfg.adoption.p_external:g}, q = {cfg.adoption.q_peer:g}")
    kinds = sorted({s.kind.replace("_", " ") for s in cfg.shocks})
    parts.append("shocks: " + ", ".join(kinds) if kinds else "no shocks")
    return "; ".join(parts)
