"""Analysis of a sweep: summaries with confidence intervals, hub effects, sensitivity indices.

Tables (pandas, long format):

- :func:`point_summary`: mean, standard deviation and 95% t-interval of each outcome at each
  design point, over its successful replications.
- :func:`paired_effects`: with a no-hub counterfactual, the mean paired difference (hub minus
  no hub, same seeds) and its 95% t-interval per design point.
- :func:`marginal_means`: an outcome's mean and 95% interval at each value of one parameter
  (over everything else), or in quantile bins for continuous parameters.
- :func:`sobol_indices` (Sobol/Saltelli designs) and :func:`morris_indices` (Morris designs):
  SALib's estimators on the design-point means (replications averaged, as stochastic models
  need), in design order, with bootstrap confidence intervals.

:func:`analyse` runs all that applies to a results folder and writes ``analysis/``: CSV tables,
PNG figures (:mod:`spreadsim.experiments.figures`) and ``analysis.json`` listing them with notes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from spreadsim.errors import SpreadsimError
from spreadsim.experiments.design import UNIT, salib_problem

#: Bootstrap resamples for SALib's confidence intervals.
RESAMPLES = 1000
#: Confidence level of every interval.
LEVEL = 0.95
#: Continuous parameters are cut into this many quantile bins for marginal means and heatmaps.
BINS = 6
#: Outcomes given their own figures (the first ones kept).
FIGURE_OUTCOMES = 3

ANALYSIS_DIR = "analysis"


@dataclass
class Analysis:
    """What :func:`analyse` produced.

    Attributes:
        folder: The ``analysis/`` folder.
        tables: Tables by name (also written as ``<name>.csv``).
        figures: Figure file names, with the note telling how to read each.
        notes: Things skipped or worth knowing (e.g. failed runs, constant outcomes).
    """

    folder: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- summaries


def _interval(mean: pd.Series, sd: pd.Series, n: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Two-sided t-interval at LEVEL; NaN with fewer than two values."""
    n_ = n.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(n_ >= 2, stats.t.ppf(0.5 + LEVEL / 2, np.maximum(n_ - 1, 1)), np.nan)
        half = q * sd.to_numpy(dtype=float) / np.sqrt(n_)
    return mean - half, mean + half


def ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Only the successful runs."""
    return runs[runs["status"] == "ok"] if "status" in runs else runs


def point_summary(runs: pd.DataFrame, params: Sequence[str],
                  outcomes: Sequence[str]) -> pd.DataFrame:
    """Mean, sd and 95% CI of each outcome per design point (successful runs only).

    Returns:
        Columns ``design_index``, the parameters, ``outcome``, ``n``, ``mean``, ``sd``,
        ``ci_low``, ``ci_high``.
    """
    good = ok_runs(runs)
    keys = ["design_index", *params]
    long = good.melt(id_vars=keys, value_vars=list(outcomes), var_name="outcome")
    g = long.groupby([*keys, "outcome"], sort=False, dropna=False)["value"]
    out = g.agg(n="count", mean="mean", sd="std").reset_index()
    out["ci_low"], out["ci_high"] = _interval(out["mean"], out["sd"], out["n"])
    out["outcome"] = pd.Categorical(out["outcome"], categories=list(outcomes))
    return out.sort_values(["outcome", "design_index"]).reset_index(drop=True)


def paired_effects(runs: pd.DataFrame, params: Sequence[str],
                   outcomes: Sequence[str]) -> pd.DataFrame:
    """Hub minus no-hub (same seeds) per design point: means of both arms and the paired
    difference with its 95% t-interval.

    Returns:
        Columns ``design_index``, the parameters, ``outcome``, ``n``, ``hub``, ``no_hub``,
        ``difference``, ``ci_low``, ``ci_high``.
    """
    good = ok_runs(runs)
    keys = ["design_index", *params]
    rows = []
    for name in outcomes:
        g = good.groupby(keys, sort=True, dropna=False)
        frame = g.agg(n=(f"diff_{name}", "count"), hub=(name, "mean"),
                      no_hub=(f"cf_{name}", "mean"), difference=(f"diff_{name}", "mean"),
                      sd=(f"diff_{name}", "std")).reset_index()
        frame.insert(len(keys), "outcome", name)
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    out["ci_low"], out["ci_high"] = _interval(out["difference"], out["sd"], out["n"])
    return out.drop(columns="sd")


def is_continuous(values: pd.Series, max_levels: int = 12) -> bool:
    """Whether a parameter column is best binned (many distinct numeric values)."""
    return pd.api.types.is_float_dtype(values) and values.nunique() > max_levels


def binned(values: pd.Series, bins: int = BINS) -> pd.Series:
    """Values, or their quantile bin's midpoint for continuous parameters."""
    if not is_continuous(values):
        return values
    edges = np.unique(np.quantile(values.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(edges, values.to_numpy(dtype=float), side="right") - 1,
                  0, len(edges) - 2)
    mids = (edges[:-1] + edges[1:]) / 2
    return pd.Series(mids[idx], index=values.index, name=values.name)


def marginal_means(runs: pd.DataFrame, param: str, outcome: str) -> pd.DataFrame:
    """Mean and 95% CI of ``outcome`` at each value (or bin) of ``param``, over all runs.

    Returns:
        Columns ``value``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``.
    """
    good = ok_runs(runs)
    x = binned(good[param])
    frame = pd.DataFrame({"value": x.to_numpy(), "y": good[outcome].to_numpy(dtype=float)})
    out = frame.groupby("value", sort=True)["y"].agg(n="count", mean="mean",
                                                     sd="std").reset_index()
    out["ci_low"], out["ci_high"] = _interval(out["mean"], out["sd"], out["n"])
    return out


def point_means(runs: pd.DataFrame, outcome: str, n_points: int) -> np.ndarray:
    """Mean of ``outcome`` over successful replications at every design point, in design order
    (NaN where a point has none)."""
    good = ok_runs(runs)
    means = good.groupby("design_index")[outcome].mean()
    return means.reindex(np.arange(n_points)).to_numpy(dtype=float)


# --------------------------------------------------------------------------- sensitivity


def _usable(y: np.ndarray, outcome: str) -> str | None:
    """Why ``y`` cannot be analysed (None if it can)."""
    if not np.isfinite(y).all():
        bad = int((~np.isfinite(y)).sum())
        return (f"{outcome}: sensitivity indices skipped, {bad} design point(s) have no "
                "finite mean (failed runs, or an outcome that can be undefined such as t50)")
    if np.ptp(y) == 0:
        return f"{outcome}: sensitivity indices skipped, the outcome is constant"
    return None


def sobol_indices(y: np.ndarray, names: Sequence[str], second_order: bool = False,
                  seed: int = 1) -> pd.DataFrame:
    """First-order and total Sobol indices (SALib, Saltelli/Jansen estimators) with 95% CIs.

    Args:
        y: Model output at the Saltelli design's points, in design order.
        names: Parameter names, in design column order.
        second_order: Whether the design included second-order points.
        seed: Seed of the bootstrap.

    Returns:
        Columns ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (conf = half-width of
        the 95% interval).
    """
    from SALib.analyze import sobol

    res = sobol.analyze(salib_problem(names), np.asarray(y, dtype=float),
                        calc_second_order=second_order, num_resamples=RESAMPLES,
                        conf_level=LEVEL, print_to_console=False, seed=seed)
    return pd.DataFrame({"parameter": list(names), "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"]})


def morris_indices(x_unit: np.ndarray, y: np.ndarray, names: Sequence[str], levels: int,
                   seed: int = 1) -> pd.DataFrame:
    """Morris elementary-effects screening (SALib): mu, mu* (with 95% CI) and sigma.

    Effects are per unit of the parameter's whole range (the design works on the unit cube),
    so mu* compares parameters in outcome units per full swing of each.

    Returns:
        Columns ``parameter``, ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``.
    """
    from SALib.analyze import morris

    res = morris.analyze(salib_problem(names), np.asarray(x_unit, dtype=float),
                         np.asarray(y, dtype=float), num_resamples=RESAMPLES,
                         conf_level=LEVEL, print_to_console=False, num_levels=levels,
                         seed=seed)
    return pd.DataFrame({"parameter": list(names), "mu": res["mu"], "mu_star": res["mu_star"],
                         "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})


def noise_share(runs: pd.DataFrame, outcome: str, crn: bool) -> float:
    """Share of the variance of design-point means that is replication noise.

    The noise variance of a point mean is the within-point variance over replications divided
    by their number; with common random numbers the replication's shared effect is removed
    first (two-way residuals), since it shifts every point alike and cancels in comparisons.
    Near 0: the point means reflect the parameters; near or above 1: mostly noise.
    """
    table = ok_runs(runs).pivot_table(index="design_index", columns="replication",
                                      values=outcome).dropna()
    p, r = table.shape
    if p < 2 or r < 2:
        return float("nan")
    x = table.to_numpy(dtype=float)
    if crn:
        resid = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()
        within = (resid**2).sum() / ((p - 1) * (r - 1))
    else:
        within = float(x.var(axis=1, ddof=1).mean())
    between = float(x.mean(axis=1).var(ddof=1))
    return float(within / r / between) if between > 0 else float("nan")


def sensitivity(design: pd.DataFrame, runs: pd.DataFrame, info: dict[str, Any],
                outcomes: Sequence[str]) -> tuple[pd.DataFrame | None, list[str]]:
    """Sobol or Morris indices for each outcome, if the design allows; with notes.

    Each row also carries the outcome's ``noise_share`` (see :func:`noise_share`). Hub effects
    (``diff_*``) are skipped when the no-hub runs do not depend on the parameters (common
    random numbers and only hub keys varied): their indices equal the outcome's.
    """
    kind = info["design_kind"]
    if kind not in ("sobol", "morris"):
        return None, []
    names = [p["name"] for p in info["parameters"]]
    exp = info["experiment"]["design"]
    seed = int(info["seed"]) % (2**32)
    crn = bool(info["common_random_numbers"])
    tables, notes = [], []
    for outcome in outcomes:
        if outcome.startswith("diff_") and _constant_counterfactual(runs, outcome[5:]):
            notes.append(f"{outcome}: same sensitivity indices as {outcome[5:]} (the no-hub "
                         "runs do not depend on the parameters), not repeated")
            continue
        y = point_means(runs, outcome, len(design))
        why = _usable(y, outcome)
        if why:
            notes.append(why)
            continue
        share = noise_share(runs, outcome, crn)
        if share >= 1:
            notes.append(f"{outcome}: the differences between design points are no larger than "
                         f"replication noise (noise share {share:.2f}), so its indices mostly "
                         "measure noise; add replications, or read an earlier outcome")
        elif share > 0.2:
            notes.append(f"{outcome}: about {share:.0%} of the variation between design points "
                         "is replication noise, which inflates total indices; read its indices "
                         "with care, or add replications")
        if kind == "sobol":
            table = sobol_indices(y, names, exp["second_order"], seed)
        else:
            x = design[[UNIT + n for n in names]].to_numpy()
            table = morris_indices(x, y, names, exp["morris_levels"], seed)
        table.insert(0, "outcome", outcome)
        table["noise_share"] = share
        tables.append(table)
    return (pd.concat(tables, ignore_index=True) if tables else None), notes


def _constant_counterfactual(runs: pd.DataFrame, outcome: str) -> bool:
    """Whether the no-hub value of ``outcome`` is the same at every design point per
    replication."""
    cf = ok_runs(runs).groupby("replication")[f"cf_{outcome}"].nunique(dropna=False)
    return bool((cf <= 1).all())


# --------------------------------------------------------------------------- the whole folder


def analyse(folder: str | os.PathLike[str], outcomes: Sequence[str] | None = None,
            figures: bool = True) -> Analysis:
    """Analyse a results folder and write ``<folder>/analysis/``.

    Args:
        folder: A sweep's results folder.
        outcomes: Outcomes to analyse (default: all kept, in the experiment's order).
        figures: Also draw the figures.

    Returns:
        An :class:`Analysis` with the tables, figure names and notes.

    Raises:
        SpreadsimError: If the folder is not a sweep's results folder, has no runs yet, or an
            outcome was not kept.
    """
    from spreadsim.experiments.results import read_design, read_experiment, read_info

    info = read_info(folder)
    runs = read_experiment(folder)
    design = read_design(folder)
    kept = list(info["outcomes"])
    outcomes = list(outcomes) if outcomes else kept
    unknown = [o for o in outcomes if o not in kept]
    if unknown:
        raise SpreadsimError(f"--outcome: expected outcomes kept by this sweep ({', '.join(kept)}"
                             f"), got {', '.join(unknown)}")
    if runs.empty:
        raise SpreadsimError(f"{folder}: no runs committed yet; run the sweep first")
    out = Path(folder) / ANALYSIS_DIR
    out.mkdir(exist_ok=True)
    result = Analysis(out)
    params = _param_columns(info)
    result.notes += _coverage_notes(runs, info)
    result.tables["summary"] = point_summary(runs, params, outcomes)
    paired = bool(info["counterfactual"])
    if paired:
        result.tables["effects"] = paired_effects(runs, params, outcomes)
    sa_outcomes = outcomes + ([f"diff_{o}" for o in outcomes] if paired else [])
    if ok_runs(runs).empty:
        figures, sa_outcomes = False, []
        result.notes.append("every run failed, so there is nothing to analyse; see "
                            "failures.csv for the errors")
    table, notes = sensitivity(design, runs, info, sa_outcomes)
    result.notes += notes
    if table is not None:
        result.tables[info["design_kind"]] = table
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        result.tables["failures"] = failed[["design_index", "replication", "error"]]
    for name, frame in result.tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    if figures:
        from spreadsim.experiments.figures import draw_all

        drawable = []
        for o in outcomes[:FIGURE_OUTCOMES]:
            if ok_runs(runs)[o].notna().any():
                drawable.append(o)
            else:
                result.notes.append(f"{o}: no successful run has a value (e.g. t50 not reached "
                                    "within the horizon), so it has no figures")
        result.figures = draw_all(out, runs, info, result.tables, drawable, Path(folder))
    (out / "analysis.json").write_text(json.dumps(
        {"tables": {n: f"{n}.csv" for n in result.tables}, "figures": result.figures,
         "notes": result.notes, "outcomes": outcomes}, indent=2), encoding="utf-8")
    return result


def _param_columns(info: dict[str, Any]) -> list[str]:
    cols = []
    for p in info["parameters"]:
        cols.append(p["name"])
        cols += list(p.get("linked", {}))
    return cols


def _coverage_notes(runs: pd.DataFrame, info: dict[str, Any]) -> list[str]:
    notes = []
    expected = info["n_points"] * info["replications"]
    if len(runs) < expected:
        notes.append(f"the sweep is incomplete: {len(runs)} of {expected} runs are stored; "
                     "rerun the sweep command to finish it")
    failed = int((runs["status"] != "ok").sum())
    if failed:
        notes.append(f"{failed} run(s) failed and are left out (see failures.csv)")
    return notes
