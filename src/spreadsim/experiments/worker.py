"""What runs on a worker: a chunk of runs in, one result row per run out.

A worker never touches storage; it returns plain rows (and per-step series if asked) to the
driver. A failing run becomes a row with ``status = "error"`` and the traceback; the rest of
the chunk carries on.

Seeds: run ``(design_index i, replication r)`` builds its model with ``rng=seed`` and
``replication=r`` under common random numbers (every point shares the streams of replication r),
or ``rng=SeedSequence(seed, spawn_key=(i,))`` and ``replication=r`` without; the model appends
``(replication, stream)`` to the spawn key. The no-hub run of a pair uses the same seeds.
"""

from __future__ import annotations

import functools
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spreadsim.config import ScenarioConfig

#: A model hook: ``(base scenario, the point's values by key, seed, replication) -> {outcome:
#: value}``. The seed is an int or a SeedSequence, exactly what
#: :class:`~spreadsim.model.SpreadModel` takes; the hook applies the values itself if it wants.
ModelHook = Callable[[ScenarioConfig, Mapping[str, Any], "int | np.random.SeedSequence", int],
                     Mapping[str, float]]

#: Longest traceback text kept in an error row.
MAX_ERROR_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Task:
    """A chunk of runs for one worker.

    Attributes:
        scenarios: Base scenarios by label (``None`` when the base does not vary).
        runs: ``(design_index, replication, label, overrides)`` per run.
        seed: The experiment's root seed.
        crn: Common random numbers across design points.
        counterfactual: Also run the no-hub arm on the same seeds.
        outcomes: Outcome columns to keep.
        series: Also return the adopted share per month and innovation.
        model: Optional model hook replacing the simulation (tests, benchmarks).
    """

    scenarios: Mapping[str | None, ScenarioConfig]
    runs: tuple[tuple[int, int, str | None, dict[str, Any]], ...]
    seed: int
    crn: bool
    counterfactual: bool
    outcomes: tuple[str, ...]
    series: bool = False
    model: ModelHook | None = None


@dataclass(slots=True)
class ChunkResult:
    """Rows of a chunk (one dict per run) and their series (``None`` if not kept)."""

    rows: list[dict[str, Any]]
    series: pd.DataFrame | None = None
    n_errors: int = field(default=0)


def run_chunk(task: Task) -> ChunkResult:
    """Run every run of a task and return its rows (never raises for a failing run)."""
    rows, frames = [], []
    for i, r, label, overrides in task.runs:
        row, series = run_one(task, i, r, label, overrides)
        rows.append(row)
        if series is not None:
            frames.append(series)
    series = pd.concat(frames, ignore_index=True) if frames else None
    return ChunkResult(rows, series, sum(row["status"] != "ok" for row in rows))


def seed_for(seed: int, crn: bool, design_index: int) -> tuple[int | np.random.SeedSequence,
                                                               tuple[int, ...]]:
    """The model's ``rng`` argument for a design point, and its spawn-key prefix."""
    if crn:
        return seed, ()
    return np.random.SeedSequence(seed, spawn_key=(design_index,)), (design_index,)


def run_one(task: Task, i: int, r: int, label: str | None,
            overrides: dict[str, Any]) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """One run (and its no-hub pair): its row, and its series if kept."""
    t0 = time.perf_counter()
    rng, prefix = seed_for(task.seed, task.crn, i)
    row: dict[str, Any] = {"design_index": i, "replication": r, "status": "ok", "error": "",
                           "seed": task.seed, "seed_spawn_key": str((*prefix, r))}
    series = None
    try:
        base = task.scenarios[label]
        cfg = base if task.model is not None else _scenario(base, tuple(overrides.items()))
        values, series = _arm(task, cfg, overrides, rng, prefix, r, "scenario")
        for name in task.outcomes:
            row[name] = float(values[name])
        if task.counterfactual:
            cf, cf_series = _arm(task, cfg, overrides, rng, prefix, r, "counterfactual")
            for name in task.outcomes:
                row[f"cf_{name}"] = float(cf[name])
                row[f"diff_{name}"] = row[name] - row[f"cf_{name}"]
            if series is not None and cf_series is not None:
                series = pd.concat([series, cf_series], ignore_index=True)
        if series is not None:
            series.insert(0, "replication", np.int64(r))
            series.insert(0, "design_index", np.int64(i))
    except Exception:  # noqa: BLE001 - a failing run is data, not a crash
        row = {key: row[key] for key in ("design_index", "replication", "seed",
                                         "seed_spawn_key")}
        row.update(status="error", error=traceback.format_exc()[-MAX_ERROR_CHARS:])
        series = None
    row["runtime_s"] = time.perf_counter() - t0
    return row, series


def _arm(task: Task, cfg: ScenarioConfig, overrides: dict[str, Any],
         rng: int | np.random.SeedSequence, prefix: tuple[int, ...], r: int,
         arm: str) -> tuple[Mapping[str, float], pd.DataFrame | None]:
    """Outcomes (and series) of one arm of a run."""
    if task.model is not None:
        target = cfg.without_hubs() if arm == "counterfactual" else cfg
        return task.model(target, overrides, rng, r), None
    if arm == "counterfactual":  # the same for every point sharing it: cache it
        return _counterfactual(cfg.without_hubs(), task.seed, prefix, r, cfg.funding_end,
                               task.series)
    return simulate(cfg, rng, r, arm, cfg.funding_end, task.series)


@functools.lru_cache(maxsize=64)
def _scenario(base: ScenarioConfig, overrides: tuple[tuple[str, Any], ...]) -> ScenarioConfig:
    from spreadsim.loading import with_overrides

    return with_overrides(base, dict(overrides), source="design point") if overrides else base


@functools.lru_cache(maxsize=64)
def _counterfactual(no_hub: ScenarioConfig, seed: int, prefix: tuple[int, ...], r: int,
                    funding_end: int, series: bool) -> tuple[dict[str, float],
                                                             pd.DataFrame | None]:
    rng = np.random.SeedSequence(seed, spawn_key=prefix) if prefix else seed
    return simulate(no_hub, rng, r, "counterfactual", funding_end, series)


def simulate(cfg: ScenarioConfig, rng: int | np.random.SeedSequence, replication: int,
             arm: str, funding_end: int, series: bool = False,
             ) -> tuple[dict[str, float], pd.DataFrame | None]:
    """Run one model to its horizon: the run-summary metrics and, if asked, the series.

    Equivalent to the ``runs`` row of :func:`spreadsim.runner.run_replication` (the model is
    built from ``cfg`` as given; pass ``cfg.without_hubs()`` for a no-hub arm), without
    building the per-step tables.
    """
    from spreadsim import metrics
    from spreadsim.model import SpreadModel

    model = SpreadModel(cfg, rng=rng, replication=replication)
    model.run_for(cfg.time.n_steps)
    summary = metrics.run_summary(model, metrics.outcomes(model, funding_end, arm))
    return summary, (adopted_series(model, arm) if series else None)


def adopted_series(model: Any, arm: str) -> pd.DataFrame:
    """Adopted share (implementing or sustained) per month and innovation, long format."""
    from spreadsim.mechanisms import adoption as codes

    c = model.counts.sum(axis=2)  # (T, J, 9)
    adopted = c[:, :, codes.IMPLEMENTING] + c[:, :, codes.SUSTAINED]
    eligible = np.maximum(c[0, :, : codes.INELIGIBLE].sum(axis=1), 1)
    t, j = adopted.shape
    return pd.DataFrame({
        "arm": np.full(t * j, arm, dtype=object),
        "step": np.repeat(np.arange(t, dtype=np.int64), j),
        "innovation": np.tile(np.asarray(model.innovations.names, dtype=object), t),
        "adopted_share": (adopted / eligible).ravel().astype(np.float32),
    })
