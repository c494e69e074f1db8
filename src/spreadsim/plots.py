"""Figures from result tables: ``DataFrame -> matplotlib Figure``, no I/O, no ``plt.show()``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from spreadsim.config import STATES  # noqa: E402

ADOPTED = ("implementing", "sustained")
#: One colour per state, from "not yet" (greys) through adoption (greens) to loss (reds).
STATE_COLOURS = {
    "unaware": "#d9d9d9", "aware": "#9ecae1", "evaluating": "#4292c6",
    "implementing": "#a1d99b", "sustained": "#238b45", "rejected": "#fdae6b",
    "failed": "#e6550d", "abandoned": "#a50f15",
}
MAX_LINES = 8


def adopted_share(adoption: pd.DataFrame) -> pd.DataFrame:
    """Adopted share (implementing + sustained) per arm, replication, step and innovation."""
    a = adoption[adoption["state"].isin(ADOPTED)]
    return (a.groupby(["arm", "replication", "innovation", "step"], observed=True)["share"]
            .sum().reset_index())


def adoption_figure(adoption: pd.DataFrame, title: str = "Adoption over time",
                    funding_end: int | None = None) -> Figure:
    """Two panels: adopted share per innovation with a 5-95% band across replications, and
    the mean share of providers in each state (all innovations pooled).

    Args:
        adoption: The ``adoption`` table (see :mod:`spreadsim.tables`).
        title: Figure title; say what was run.
        funding_end: Month to mark with a vertical line (hub funding ends), if any.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    share = adopted_share(adoption)
    innovations = list(dict.fromkeys(share["innovation"]))
    pooled = len(innovations) > MAX_LINES
    colours = plt.get_cmap("tab10")
    for arm, style in (("scenario", "-"), ("counterfactual", "--")):
        s = share[share["arm"] == arm]
        if s.empty:
            continue
        if pooled:
            s = s.groupby(["replication", "step"])["share"].mean().reset_index().assign(
                innovation=f"mean of {len(innovations)} innovations")
        for k, (name, g) in enumerate(s.groupby("innovation", observed=True, sort=False)):
            q = g.groupby("step")["share"].quantile([0.05, 0.5, 0.95]).unstack()
            mean = g.groupby("step")["share"].mean()
            label = f"{name}" + (" (no hub)" if arm == "counterfactual" else "")
            ax.plot(mean.index, mean.to_numpy(), style, color=colours(k % 10), label=label)
            if g["replication"].nunique() > 1:
                ax.fill_between(q.index, q[0.05], q[0.95], color=colours(k % 10), alpha=0.15,
                                linewidth=0)
    if funding_end is not None:
        ax.axvline(funding_end, color="0.4", linestyle=":", linewidth=1)
        ax.annotate(" hub funding ends", (funding_end, 0.02), xycoords=("data", "axes fraction"),
                    ha="right", va="bottom", rotation=90, fontsize=8, color="0.3")
    ax.set(xlabel="month", ylabel="share of eligible providers adopted\n(implementing or "
           "sustained)", ylim=(0, 1), title="Adoption (mean, 5-95% band)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    main = adoption[adoption["arm"] == "scenario"]
    comp = (main.groupby(["step", "state"], observed=True)["count"].sum().unstack("state")
            .reindex(columns=list(STATES), fill_value=0))
    comp = comp.div(comp.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    ax2.stackplot(comp.index, comp.T.to_numpy(), labels=list(STATES),
                  colors=[STATE_COLOURS[s] for s in STATES])
    ax2.set(xlabel="month", ylabel="share of eligible provider-innovation pairs", ylim=(0, 1),
            xlim=(comp.index.min(), comp.index.max()), title="Where providers are (scenario)")
    ax2.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5), title="state")
    fig.suptitle(title)
    return fig
