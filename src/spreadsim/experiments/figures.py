"""Figures of a sweep: ``DataFrame -> matplotlib Figure`` (no pyplot state), plus
:func:`draw_all`, which saves the ones that apply and says how to read each.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from spreadsim.experiments.analysis import binned, is_continuous, marginal_means, ok_runs

HUB, NO_HUB, EFFECT = "#238b45", "#737373", "#2171b5"
MAX_PANELS = 8
#: At most this many design-point dots per panel (an even subsample beyond).
MAX_DOTS = 5000
#: The fan chart reads the series of at most about this many runs (the first replications).
FAN_RUNS = 4000
DPI = 110

#: How to read each kind of figure, in plain language (used in the report).
NOTES = {
    "parameters": "Each panel shows one varied parameter on the horizontal axis. Faint dots are "
    "design points (the mean over their replications); the line joins the mean at each value "
    "of the parameter, averaged over everything else that varied, with 95% confidence "
    "intervals. A steep line means the outcome depends strongly on that parameter; "
    "overlapping intervals mean the data cannot tell the values apart.{cf}",
    "effect": "The hub effect is the difference between each run with the hub and the same "
    "run without it (same random numbers), so most chance variation cancels out. Points above "
    "the dotted zero line mean the hub helped; an interval that crosses zero means the effect "
    "at that value is not clearly different from none.",
    "heatmap": "Each cell is the mean outcome over all runs with that combination of the two "
    "parameters (continuous parameters are grouped into bins; the labels are bin midpoints). "
    "Look for the direction in which colours change fastest: that parameter matters most. "
    "Empty cells were not in the design.",
    "fan": "Adopted share (averaged over innovations) month by month. The dark line is the "
    "median run, the darker band holds the middle half of runs and the light band 90% of them. "
    "Where the hub and no-hub bands separate, the hub makes a difference that chance alone "
    "does not explain.",
    "sobol": "Sobol indices split the variation of an outcome across the design between the "
    "parameters. S1 is the share due to a parameter alone; ST adds its interactions with the "
    "others. Error bars are 95% bootstrap intervals. A parameter with ST near zero can be "
    "fixed at any value in its range without changing the outcome; a large gap between ST "
    "and S1 means the parameter acts through interactions. The noise share in each title is the "
    "part of the variation between design points that is replication noise; when it is large "
    "(say above 20%) the total indices are inflated by noise and need more replications.",
    "morris": "Morris screening moves one parameter at a time across its range. mu* is the "
    "mean absolute change in the outcome per full swing of the parameter (with its 95% "
    "interval); sigma is how much that change depends on the other parameters (interactions "
    "or non-linearity). Parameters with small mu* can be ignored; large sigma relative to mu* "
    "means the effect depends on the context.",
}


def _label(name: str) -> str:
    return name.replace("diff_", "hub effect on ").replace("_", " ")


def _axes_grid(n: int, width: float = 3.6, height: float = 3.0) -> tuple[Figure, list[Any]]:
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(max(width * cols, 5.5), height * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None, dict[Any, float]]:
    """Numeric x positions for a parameter; tick labels for non-numeric ones."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None, {}
    levels = list(dict.fromkeys(values.tolist()))
    where = {v: float(i) for i, v in enumerate(levels)}
    return np.array([where[v] for v in values]), [str(v) for v in levels], where


def parameter_figure(runs: pd.DataFrame, params: Sequence[str], outcome: str,
                     reference: str | None = None, title: str = "") -> Figure:
    """An outcome against each parameter: design-point means and marginal means with 95% CIs.

    Args:
        runs: The runs table.
        params: Parameter columns, one panel each (at most 8).
        outcome: Outcome column (``diff_*`` columns are drawn as hub effects around zero).
        reference: Optional second column drawn dashed (e.g. the no-hub ``cf_*`` outcome).
        title: Figure title.
    """
    params = list(params)[:MAX_PANELS]
    fig, axes = _axes_grid(max(len(params), 1))
    good = ok_runs(runs)
    effect = outcome.startswith("diff_")
    colour = EFFECT if effect else HUB
    for ax, p in zip(axes, params, strict=False):
        per_point = good.groupby("design_index").agg(x=(p, "first"), y=(outcome, "mean"))
        if len(per_point) > MAX_DOTS:  # a readable, quick cloud for very large designs
            per_point = per_point.iloc[:: -(-len(per_point) // MAX_DOTS)]
        x_all, ticks, where = _positions(per_point["x"])
        ax.scatter(x_all, per_point["y"], s=10, color=colour, alpha=0.25, linewidths=0,
                   label="design points")
        for column, style, name in ((outcome, "-", "hub" if reference else None),
                                    (reference, "--", "no hub")):
            if column is None:
                continue
            m = marginal_means(good, p, column)
            if where:  # categories: in design order, unconnected, hub and no hub side by side
                m = m.assign(x=m["value"].map(where)).sort_values("x")
                x = m["x"].to_numpy(dtype=float) + (0.08 if style == "--" else 0.0)
                fmt = "o"
            else:
                x, fmt = m["value"].to_numpy(dtype=float), "o" + style
            err = np.vstack([m["mean"] - m["ci_low"], m["ci_high"] - m["mean"]])
            ax.errorbar(x, m["mean"], yerr=np.nan_to_num(err), fmt=fmt, capsize=3,
                        color=colour if style == "-" else NO_HUB, lw=1.6, ms=5,
                        label=f"{name} (mean, 95% CI)" if name else "mean, 95% CI")
        if effect:
            ax.axhline(0, color="black", lw=0.8, ls=":")
        if ticks is not None:
            ax.set_xlim(-0.5, len(ticks) - 0.5)
            ax.set_xticks(range(len(ticks)), ticks, rotation=30 if max(map(len, ticks)) > 8
                          else 0, ha="right" if max(map(len, ticks)) > 8 else "center")
        elif np.nanmax(np.abs(x_all)) >= 10_000:  # money: 250,000 rather than 0.25 x 1e6
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.tick_params(axis="x", labelrotation=20)
        ax.set_xlabel(_label(p))
        ax.set_ylabel(_label(outcome))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(title or f"{_label(outcome)} by parameter")
    return fig


def heatmap_figure(runs: pd.DataFrame, x: str, y: str, outcome: str,
                   title: str = "") -> Figure:
    """Mean outcome over two parameters (continuous ones binned), cells annotated."""
    good = ok_runs(runs)
    frame = pd.DataFrame({"x": binned(good[x]).to_numpy(), "y": binned(good[y]).to_numpy(),
                          "v": good[outcome].to_numpy(dtype=float)})
    table = frame.pivot_table(index="y", columns="x", values="v", aggfunc="mean",
                              sort=True, dropna=False)
    for axis, name in ((1, "x"), (0, "y")):  # categories in design order, not alphabetical
        if not pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(
                frame[name]):
            table = table.reindex(pd.unique(frame[name]), axis=axis)
    data = table.to_numpy(dtype=float)
    fig = Figure(figsize=(max(5.5, 0.9 * data.shape[1] + 2.5), max(4.0, 0.6 * data.shape[0]
                                                                    + 1.8)),
                 layout="constrained")
    ax = fig.subplots()
    effect = outcome.startswith("diff_")
    finite = data[np.isfinite(data)]
    norm = None
    cmap = "viridis"
    if effect and finite.size and finite.min() < 0 < finite.max():
        norm, cmap = TwoSlopeNorm(0.0, finite.min(), finite.max()), "RdBu"
    image = ax.imshow(np.ma.masked_invalid(data), origin="lower", aspect="auto", cmap=cmap,
                      norm=norm)
    ax.set_xticks(range(data.shape[1]), [_fmt(v) for v in table.columns], rotation=30,
                  ha="right")
    ax.set_yticks(range(data.shape[0]), [_fmt(v) for v in table.index])
    span = np.ptp(finite) if finite.size else 0.0
    for (i, j), v in np.ndenumerate(data):
        if np.isfinite(v):
            light = image.norm(v) < 0.5 if cmap == "viridis" else abs(image.norm(v) - 0.5) > 0.3
            ax.text(j, i, _fmt(v, span), ha="center", va="center", fontsize=8,
                    color="white" if light else "black")
    ax.set_xlabel(_label(x) + (" (bin midpoint)" if is_continuous(good[x]) else ""))
    ax.set_ylabel(_label(y) + (" (bin midpoint)" if is_continuous(good[y]) else ""))
    fig.colorbar(image, ax=ax, label=f"mean {_label(outcome)}")
    ax.set_title(title or f"mean {_label(outcome)} over {_label(x)} and {_label(y)}")
    return fig


def _fmt(value: Any, span: float | None = None) -> str:
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if span is not None and span < 1:
            return f"{v:.3f}"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3g}" if span is None else f"{v:.1f}"
    return str(value)


def fan_chart_figure(series: pd.DataFrame, runs: pd.DataFrame, by: str | None = None,
                     title: str = "") -> Figure:
    """Adopted share over time: median and 50%/90% bands across runs, hub vs no hub.

    Args:
        series: The series table (design_index, replication, arm, step, innovation,
            adopted_share).
        runs: The runs table (for the parameter values of each run).
        by: Parameter giving one panel per value (at most 4 values), or None for one panel.
        title: Figure title.
    """
    curves = (series.groupby(["design_index", "replication", "arm", "step"], observed=True)
              ["adopted_share"].mean().reset_index())
    values: list[Any] = [None]
    if by is not None:
        lookup = runs.drop_duplicates("design_index").set_index("design_index")[by]
        curves[by] = curves["design_index"].map(lookup)
        values = list(pd.unique(lookup.sort_values()))
    fig, axes = _axes_grid(len(values), width=4.4, height=3.4)
    for ax, value in zip(axes, values, strict=True):
        part = curves if value is None else curves[curves[by] == value]
        for arm, colour, name in (("scenario", HUB, "hub"), ("counterfactual", NO_HUB,
                                                             "no hub")):
            a = part[part["arm"] == arm]
            if a.empty:
                continue
            q = a.groupby("step")["adopted_share"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]
                                                            ).unstack()
            steps = q.index.to_numpy()
            ax.fill_between(steps, q[0.05], q[0.95], color=colour, alpha=0.15, lw=0)
            ax.fill_between(steps, q[0.25], q[0.75], color=colour, alpha=0.3, lw=0)
            ax.plot(steps, q[0.5], color=colour, lw=1.8, label=f"{name} (median, 50%, 90%)")
        ax.set_xlabel("month")
        ax.set_ylabel("adopted share (mean over innovations)")
        ax.set_ylim(0, None)
        ax.grid(alpha=0.3)
        if value is not None:
            ax.set_title(f"{_label(by)} = {_fmt(value)}")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(title or "adoption curves across runs")
    return fig


def sensitivity_figure(table: pd.DataFrame, kind: str, outcomes: Sequence[str],
                       title: str = "") -> Figure:
    """Bar charts of Sobol S1/ST or Morris mu*/sigma per parameter, with 95% error bars."""
    outcomes = [o for o in outcomes if o in set(table["outcome"])][:4]
    fig, axes = _axes_grid(max(len(outcomes), 1), width=4.2, height=3.2)
    bars = (("S1", "S1_conf", "first order S1", "#9ecae1"),
            ("ST", "ST_conf", "total ST", "#08519c")) if kind == "sobol" else (
        ("mu_star", "mu_star_conf", "mu* (mean |effect|)", "#08519c"),
        ("sigma", None, "sigma (spread of effects)", "#fdae6b"))
    for ax, outcome in zip(axes, outcomes, strict=False):
        t = table[table["outcome"] == outcome]
        x = np.arange(len(t))
        width = 0.38
        for k, (col, conf, name, colour) in enumerate(bars):
            err = t[conf].to_numpy(dtype=float) if conf else None
            ax.bar(x + (k - 0.5) * width, t[col], width, yerr=err, capsize=3, color=colour,
                   label=name, error_kw={"lw": 1})
        ax.set_xticks(x, [_label(p) for p in t["parameter"]], rotation=30, ha="right")
        noise = t["noise_share"].iloc[0] if "noise_share" in t else np.nan
        ax.set_title(_label(outcome) + (f" (noise share {noise:.0%})" if np.isfinite(noise)
                                        else ""), fontsize=10)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_ylabel("index (share of variance)" if kind == "sobol"
                      else f"{_label(outcome)} per full range")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title or ("Sobol sensitivity indices (95% bootstrap intervals)" if kind ==
                           "sobol" else "Morris screening (95% bootstrap intervals)"))
    return fig


# --------------------------------------------------------------------------- saving


def _save(fig: Figure, path: Path) -> str:
    fig.savefig(path, dpi=DPI)
    return path.name


def draw_all(out: Path, runs: pd.DataFrame, info: dict[str, Any],
             tables: dict[str, pd.DataFrame], outcomes: Sequence[str],
             folder: Path) -> dict[str, str]:
    """Draw every figure that applies into ``out``; return file name -> how to read it."""
    params = [p["name"] for p in info["parameters"]]
    paired = bool(info["counterfactual"])
    name = info["name"]
    figures: dict[str, str] = {}
    cf_note = (" The dashed grey line is the same runs without the hub." if paired else "")
    kind = info["design_kind"]
    if kind in tables:  # the most telling figures first: indices, heatmap, curves
        analysed = list(dict.fromkeys(tables[kind]["outcome"]))
        shown = [o for o in [*outcomes[:2], *[f"diff_{o}" for o in outcomes[:2]]]
                 if o in analysed] or analysed[:4]
        fig = sensitivity_figure(tables[kind], kind, shown, f"{name}: " + (
            "Sobol indices" if kind == "sobol" else "Morris screening") + " (95% intervals)")
        figures[_save(fig, out / f"{kind}.png")] = NOTES[kind]
    if len(params) >= 2 and outcomes:
        o = f"diff_{outcomes[0]}" if paired else outcomes[0]
        fig = heatmap_figure(runs, params[0], params[1], o, f"{name}: mean {_label(o)}")
        figures[_save(fig, out / f"heatmap_{o}.png")] = NOTES["heatmap"]
    if info.get("series"):
        from spreadsim.experiments.store import read_series_table

        reps = max(1, min(info["replications"], FAN_RUNS // max(info["n_points"], 1)))
        series = read_series_table(folder, replications=reps)
        if len(series):
            by = next((p for p in params if 1 < runs[p].nunique() <= 4), None)
            fig = fan_chart_figure(series, runs, by, f"{name}: adoption curves across runs")
            figures[_save(fig, out / "fan_chart.png")] = NOTES["fan"]
    for o in outcomes if params else []:
        fig = parameter_figure(runs, params, o, f"cf_{o}" if paired else None,
                               f"{name}: {_label(o)} by parameter")
        figures[_save(fig, out / f"parameters_{o}.png")] = NOTES["parameters"].format(cf=cf_note)
        if paired:
            fig = parameter_figure(runs, params, f"diff_{o}", None,
                                   f"{name}: hub effect on {_label(o)} by parameter")
            figures[_save(fig, out / f"effect_{o}.png")] = NOTES["effect"]
    return figures
