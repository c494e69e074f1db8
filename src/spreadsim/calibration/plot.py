"""The calibration figure: report dict -> matplotlib Figure (no I/O)."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

GROUP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                 "#666666")
MAX_GROUPS = len(GROUP_COLOURS)


def calibration_figure(report: dict[str, Any], title: str) -> Figure:
    """Observed cumulative share, the fitted model's mean and band, the Bass fit and more.

    The left panel shows the whole curve: observed points, the calibrated model's mean with its
    band across replications, the Bass fit and (if fitted) the model without peer influence.
    With groups, a right panel compares observed and simulated curves per group.
    """
    groups = report.get("by_group") or {}
    panels = 2 if 1 < len(groups) <= MAX_GROUPS else 1
    fig = Figure(figsize=(6.4 * panels, 4.8), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    _overall(axes[0], report)
    if panels == 2:
        _by_group(axes[1], report, groups)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(title)
    return fig


def _overall(ax: Any, report: dict[str, Any]) -> None:
    obs, sim, bass = report["observed"], report["simulated"], report["bass_curve"]
    period = obs["period"]
    level = report.get("settings", {}).get("level", 0.95)
    ax.fill_between(period, sim["low_share"], sim["high_share"], color="#9ecae1", alpha=0.6,
                    label=f"model, {level:.0%} of replications")
    ax.plot(period, sim["mean_share"], color="#08519c", lw=2,
            label=f"model mean (RMSE {report['rmse_share']:.3f})")
    ax.plot(period, bass["share"], color="#d94801", ls="--", lw=1.5,
            label=f"Bass fit (RMSE {report['bass']['rmse_share']:.3f})")
    no_peer = report.get("network_pattern", {}).get("no_peer_model")
    if no_peer:
        ax.plot(period, no_peer["mean_share"], color="#636363", ls=":", lw=1.5,
                label=f"model without peer influence (RMSE {no_peer['rmse_share']:.3f})")
    ax.plot(period, obs["share"], "o", color="black", ms=5, label="observed", zorder=5)
    ax.axhline(0.5, color="#bdbdbd", lw=0.8, zorder=0)
    ax.set_xlabel(f"period ({report.get('data', {}).get('time_column', 'time')})")
    ax.set_ylabel("cumulative adopted share of all providers")
    ax.set_ylim(0, 1)
    ax.set_title("all providers", fontsize=10)
    ax.text(0.02, 0.98, _parameters_text(report), transform=ax.transAxes, va="top", ha="left",
            fontsize=8, bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85,
                              "edgecolor": "#bdbdbd"})
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)


def _by_group(ax: Any, report: dict[str, Any], groups: dict[str, Any]) -> None:
    period = report["observed"]["period"]
    for colour, (label, g) in zip(GROUP_COLOURS, groups.items(), strict=False):
        ax.plot(period, g["simulated_share"], color=colour, lw=1.5)
        ax.plot(period, g["observed_share"], "o", color=colour, ms=4,
                label=f"{label} (n = {g['n']})")
    ax.plot([], [], color="black", lw=1.5, label="lines: model mean")
    ax.plot([], [], "o", color="black", ms=4, label="points: observed")
    ax.set_xlabel(f"period ({report.get('data', {}).get('time_column', 'time')})")
    ax.set_ylabel("cumulative adopted share of the group")
    ax.set_ylim(0, 1)
    ax.set_title("by group", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)


def _parameters_text(report: dict[str, Any]) -> str:
    level = report.get("settings", {}).get("level", 0.95)
    lines = [f"fitted (with {level:.0%} intervals):"]
    for name, p in report["parameters"].items():
        text = f"{name} = {p['value']:.3g}"
        if p.get("interval"):
            lo, hi = p["interval"]
            text += f"  [{lo:.3g}, {hi:.3g}]"
        lines.append(text)
    b = report["bass"]
    lines.append(f"Bass: p = {b['p']:.3g}, q = {b['q']:.3g}, m = {b['m']:.1f}")
    return "\n".join(lines)
