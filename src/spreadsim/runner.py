"""Run a scenario: replications, the paired no-hub counterfactual, and tidy result tables.

``run(cfg, seed=1, replications=10, counterfactual=True)`` builds one :class:`SpreadModel` per
replication (and arm), runs it to the horizon and gathers the tables of :mod:`spreadsim.tables`
and :mod:`spreadsim.metrics` into a :class:`RunResult`. Replication ``r`` of root seed ``s``
draws from ``SeedSequence(s, spawn_key=(r, stream))`` in both arms, so the hub effect is a paired
difference (common random numbers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spreadsim import metrics, tables
from spreadsim.config import ScenarioConfig
from spreadsim.errors import SpreadsimError
from spreadsim.model import SpreadModel

ARMS = ("scenario", "counterfactual")

#: Run-level metrics compared between the scenario and its counterfactual.
EFFECT_METRICS: tuple[str, ...] = (
    "sustained", "ever_adopted", "reach_at_funding_end", "reach_at_horizon", "t50_median",
    "abandoned", "equity_gap_kind", "equity_gap_place", "innovators_survived",
    "bridging_ties_end", "mean_exposure_end",
)
BOOTSTRAP_RESAMPLES = 2000


@dataclass
class RunResult:
    """Tables of a run (pandas DataFrames, by name) and how they were made."""

    config: ScenarioConfig
    seed: int
    replications: int
    counterfactual: bool
    tables: dict[str, pd.DataFrame]
    timings: dict[str, float] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables_ = self.__dict__.get("tables", {})
        if name in tables_:
            return tables_[name]
        raise AttributeError(name)

    def summary(self) -> str:
        """A few lines a person can read: reach, sustained adoptions and the hub effect."""
        runs = self.tables["runs"]
        main = runs[runs["arm"] == "scenario"]
        lines = [f"{self.config.name}: {self.replications} replication(s) of "
                 f"{self.config.time.n_steps} months, {int(main['n_providers'].iloc[0])} "
                 f"providers, {int(main['n_innovations'].iloc[0])} innovation(s), "
                 f"{len(self.config.hubs)} hub design(s), seed {self.seed}"]
        lines.append(f"  reach at funding end {main['reach_at_funding_end'].mean():.1%}, "
                     f"at horizon {main['reach_at_horizon'].mean():.1%}; sustained adoptions "
                     f"{main['sustained'].mean():.1f} (mean)")
        if "effects" in self.tables:
            e = self.tables["effects"].set_index("metric")
            for name in ("sustained", "reach_at_horizon"):
                r = e.loc[name]
                lines.append(f"  hub effect on {name}: {r['difference']:+.3g} "
                             f"(95% CI {r['ci_low']:+.3g} to {r['ci_high']:+.3g}, "
                             f"{int(r['n'])} paired replications)")
            if "cost_per_additional_sustained" in e.index:
                r = e.loc["cost_per_additional_sustained"]
                lines.append(f"  hub cost per additional sustained adoption: "
                             f"GBP {r['difference']:,.0f} (95% CI {r['ci_low']:,.0f} to "
                             f"{r['ci_high']:,.0f})")
        return "\n".join(lines)

    def write(self, out: str | Path, fmt: str = "parquet", force: bool = False,
              command: list[str] | None = None) -> Path:
        """Write the results folder (tables, manifest.json, adoption.png); see :mod:`results`."""
        from spreadsim.results import write_results

        return write_results(self, out, fmt=fmt, force=force, command=command)


def run_replication(cfg: ScenarioConfig, seed: int, replication: int, arm: str = "scenario",
                    funding_end: int | None = None) -> dict[str, pd.DataFrame]:
    """Run one replication of one arm and return its tables (including ``outcomes``/``runs``).

    The counterfactual arm runs ``cfg.without_hubs()`` with the same seeds. ``funding_end``
    (default: the scenario's) is where ``reach_at_funding_end`` is read in both arms.
    """
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {ARMS}, got {arm!r}")
    fe = cfg.funding_end if funding_end is None else funding_end
    t0 = time.perf_counter()
    model = SpreadModel(cfg.without_hubs() if arm == "counterfactual" else cfg, rng=seed,
                        replication=replication)
    model.run_for(cfg.time.n_steps)
    out = tables.all_tables(model, arm)
    out["outcomes"] = metrics.outcomes(model, fe, arm)
    row = {"arm": arm, "replication": replication, "seed": np.uint64(seed),
           **metrics.run_summary(model, out["outcomes"]),
           "runtime_s": time.perf_counter() - t0}
    out["runs"] = pd.DataFrame([row]).astype({"arm": "string"})
    return out


def paired_effects(runs: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Scenario minus counterfactual per replication: mean difference and 95% CI.

    Differences use a t interval over replications (NaN with fewer than two). The hub cost per
    additional sustained adoption is a ratio of means with a percentile bootstrap interval over
    replications (seeded from ``seed``; NaN when the hub adds no sustained adoptions).
    """
    from scipy import stats  # only here: importing it costs ~0.6 s of CPU per process

    a = runs[runs["arm"] == "scenario"].set_index("replication").sort_index()
    b = runs[runs["arm"] == "counterfactual"].set_index("replication").sort_index()
    rows = []
    for name in EFFECT_METRICS:
        d = (a[name] - b[name]).to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        n = len(d)
        mean = float(d.mean()) if n else np.nan
        half = (float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n))
                if n >= 2 else np.nan)
        rows.append({"metric": name, "scenario": float(a[name].mean()),
                     "counterfactual": float(b[name].mean()), "difference": mean,
                     "ci_low": mean - half, "ci_high": mean + half, "n": n})
    cost = a["hub_cost_gbp"].to_numpy(dtype=float)
    extra = (a["sustained"] - b["sustained"]).to_numpy(dtype=float)
    ratio = cost.mean() / extra.mean() if extra.mean() > 0 else np.nan
    lo = hi = np.nan
    if len(extra) >= 2 and np.isfinite(ratio):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))
        idx = rng.integers(0, len(extra), (BOOTSTRAP_RESAMPLES, len(extra)))
        num, den = cost[idx].mean(axis=1), extra[idx].mean(axis=1)
        boot = np.where(den > 0, num / np.where(den > 0, den, 1), np.inf)
        lo, hi = np.percentile(boot, [2.5, 97.5])
    rows.append({"metric": "cost_per_additional_sustained", "scenario": float(cost.mean()),
                 "counterfactual": 0.0, "difference": ratio, "ci_low": lo, "ci_high": hi,
                 "n": len(extra)})
    return pd.DataFrame(rows).astype({"metric": "string"})


def _concat(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    names = list(dict.fromkeys(k for p in parts for k in p))
    return {k: pd.concat([p[k] for p in parts if k in p], ignore_index=True) for k in names}


def run(cfg: ScenarioConfig, seed: int | None = None, replications: int = 1,
        counterfactual: bool = False, progress: bool | None = None) -> RunResult:
    """Run ``replications`` of a scenario (and of its no-hub counterfactual if asked).

    Args:
        cfg: A validated scenario (see :func:`spreadsim.load_scenario`).
        seed: Root seed; ``None`` uses ``cfg.seed``.
        replications: Number of replications (each its own random streams).
        counterfactual: Also run every replication without hubs on the same seeds and add the
            ``effects`` table of paired differences.
        progress: Show a progress bar (``None``: only on a terminal, after half a second).

    Returns:
        A :class:`RunResult` whose ``tables`` hold ``adoption``, ``adoption_by_group``, ``hub``,
        ``hub_status``, ``network``, ``outcomes``, ``runs`` and, with the counterfactual,
        ``effects``.
    """
    from tqdm.auto import tqdm

    if replications < 1:
        raise SpreadsimError(f"replications: expected an integer >= 1, got {replications!r}")
    if counterfactual and not cfg.hubs:
        raise SpreadsimError(f"scenario '{cfg.name}' has no hubs, so a no-hub counterfactual "
                             "would be identical; drop --counterfactual or add [[hubs]]")
    seed = cfg.seed if seed is None else int(seed)
    arms = ARMS if counterfactual else ARMS[:1]
    t0 = time.perf_counter()
    parts = []
    jobs = [(r, arm) for r in range(replications) for arm in arms]
    with tqdm(total=len(jobs), desc=cfg.name, unit="run", disable=None if progress is None
              else not progress, delay=0.5 if progress is None else 0, leave=False) as bar:
        for r, arm in jobs:
            parts.append(run_replication(cfg, seed, r, arm, cfg.funding_end))
            bar.update()
    out = _concat(parts)
    if counterfactual:
        out["effects"] = paired_effects(out["runs"], seed)
    return RunResult(cfg, seed, replications, counterfactual, out,
                     {"run_s": time.perf_counter() - t0})
