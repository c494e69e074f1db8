"""Run an experiment: design, then every (design point, replication) run, streamed to disk.

The driver generates the design once and stores it before any run; it then hands chunks of
runs to a backend (:mod:`~spreadsim.experiments.executors`), commits finished rows to the store
(:mod:`~spreadsim.experiments.store`) at least every second, and skips runs already committed,
so rerunning the same command after a crash resumes. Nothing but the current batch is held in
memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spreadsim.errors import SpreadsimError
from spreadsim.experiments import store as st
from spreadsim.experiments.design import Points, count_points, make_design
from spreadsim.experiments.executors import Backend, execute, open_backend
from spreadsim.experiments.loading import Experiment, load_experiment
from spreadsim.experiments.worker import ChunkResult, ModelHook, Task, run_chunk

#: Commit finished runs at least this often (seconds; ``commit_seconds``) ...
FLUSH_SECONDS = 1.0
#: ... or when this many are waiting.
FLUSH_RUNS = 5000
#: Chunking aims at tasks of about this many seconds (small runs are grouped).
TARGET_TASK_SECONDS = 0.3
MAX_CHUNK = 2000

SEED_SCHEME = (
    "run (design_index i, replication r) builds SpreadModel(rng=seed, replication=r) with "
    "common random numbers, else SpreadModel(rng=SeedSequence(seed, spawn_key=(i,)), "
    "replication=r); the model's streams are SeedSequence(seed, spawn_key=(*seed_spawn_key, "
    "stream)) with stream 0 network, 1 population, 2 dynamics, 3 hubs, 4 innovators, "
    "5 shocks. The no-hub run of a pair uses the same seeds.")


@dataclass
class SweepResult:
    """What a sweep did, and where its results are.

    Attributes:
        path: The results folder.
        total: Runs in the experiment (points x replications).
        skipped: Runs already committed before this call (resumed sweeps).
        ran: Runs completed by this call.
        errors: Runs of this call that failed (recorded with status "error").
        seconds: Wall time of this call.
        backend: Where the runs ran.
    """

    path: Path
    total: int
    skipped: int
    ran: int
    errors: int
    seconds: float
    backend: str
    info: dict[str, Any] = field(default_factory=dict, repr=False)

    def runs(self) -> pd.DataFrame:
        """The runs table (see :func:`spreadsim.experiments.read_experiment`)."""
        from spreadsim.experiments.results import read_experiment

        return read_experiment(self.path)

    def summary(self) -> str:
        """A line a person can read."""
        if not self.ran:
            return (f"{self.info.get('name', 'experiment')}: nothing to run, all {self.total} "
                    f"run(s) are already in {self.path}/")
        rate = self.ran / self.seconds if self.seconds > 0 else float("nan")
        resumed = f", {self.skipped} already done" if self.skipped else ""
        errors = f", {self.errors} failed (status 'error')" if self.errors else ""
        return (f"{self.info.get('name', 'experiment')}: {self.ran} run(s) in "
                f"{self.seconds:.1f} s ({rate:.1f} runs/s) on {self.backend}{resumed}{errors}; "
                f"{self.total} run(s) in {self.path}/")


def run_experiment(experiment: Experiment | str | os.PathLike[str], *, jobs: int | None = None,
                   dask: Any = None, out: str | os.PathLike[str] | None = None,
                   force: bool = False, progress: bool | None = None,
                   overrides: Mapping[str, object] | None = None,
                   model: ModelHook | None = None, chunk_size: int | None = None,
                   retry_errors: bool = False, commit_seconds: float = FLUSH_SECONDS,
                   command: list[str] | None = None) -> SweepResult:
    """Run (or resume) an experiment and store its results in a folder.

    Args:
        experiment: An :class:`Experiment` or the path of an experiment file.
        jobs: Local worker processes (default: CPU count; 1 runs in this process), or the
            number of workers of ``dask="local"``.
        dask: ``None`` (local processes), ``"local"`` (start a Dask LocalCluster), a scheduler
            address (``"tcp://host:8786"``) or a ``distributed.Client``.
        out: Results folder (default ``results/<experiment name>``). A folder holding this
            experiment is resumed; one holding anything else is refused unless ``force``.
        force: Delete a results folder that holds something else.
        progress: Progress bar (``None``: only on a terminal).
        overrides: Dotted scenario keys set on the base scenario(s) when ``experiment`` is a
            path (like ``--set``).
        model: A model hook replacing the simulation (see
            :mod:`spreadsim.experiments.hooks`); it must be importable by the workers.
        chunk_size: Runs per task (default: adapted so a task takes about 0.3 s).
        retry_errors: Run again the runs recorded with status "error".
        commit_seconds: Commit finished runs at least this often; a crash loses the runs in
            flight and at most this many seconds of finished ones.
        command: Command line recorded in ``sweep.json``.

    Returns:
        A :class:`SweepResult`; ``.runs()`` reads the runs table.
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment, overrides)
    elif overrides:
        raise SpreadsimError("overrides apply when loading an experiment file; pass them to "
                             "load_experiment")
    if not commit_seconds >= 0:
        raise SpreadsimError(f"--commit-seconds: expected a number >= 0, got {commit_seconds}")
    if chunk_size is not None and chunk_size < 1:
        raise SpreadsimError(f"chunk_size: expected a positive integer, got {chunk_size}")
    t0 = time.perf_counter()
    cfg = experiment.config
    design = make_design(cfg)
    info = sweep_info(experiment, design, model, command)
    folder = Path(out) if out is not None else Path("results") / experiment.name
    store, _ = st.open_store(folder, info, force=force)
    if not (folder / st.DESIGN_FILE).exists():
        st.write_parquet_atomic(design, folder / st.DESIGN_FILE)
    reps = cfg.experiment.replications
    done = st.done_mask(folder, len(design), reps, retry_errors)
    total, skipped = done.size, int(done.sum())
    writer = _Writer(store, experiment, commit_seconds)
    label = "nothing run"
    if skipped < total:
        label = _run_remaining(experiment, design, done, writer, store, jobs, dask, progress,
                               model, chunk_size)
    complete = bool(st.done_mask(folder, len(design), reps).all())
    if complete:
        store.compact()
    seconds = time.perf_counter() - t0
    store.update_info(status="complete" if complete else "incomplete",
                      finished=_now(), last_seconds=round(seconds, 3))
    return SweepResult(folder, total, skipped, writer.rows, writer.errors, seconds, label,
                       store.info)


def _run_remaining(experiment: Experiment, design: pd.DataFrame, done: np.ndarray,
                   writer: _Writer, store: st.Store, jobs: int | None, dask: Any,
                   progress: bool | None, model: ModelHook | None,
                   chunk_size: int | None) -> str:
    """Run the runs not yet done on a backend; return the backend's description."""
    from tqdm.auto import tqdm

    total, skipped = done.size, int(done.sum())
    with open_backend(jobs, dask) as backend, tqdm(
            total=total, initial=skipped, desc=experiment.name, unit="run", disable=None
            if progress is None else not progress, dynamic_ncols=True, smoothing=0.05) as bar:
        store.update_info(backend=backend.label, status="running")
        planner = _Planner(experiment, design, done, model, backend, chunk_size)

        def on_done(task: Task, result: ChunkResult) -> None:
            writer.add(result)
            planner.observe(result)
            bar.update(len(result.rows))
            if writer.errors:
                bar.set_postfix(failed=writer.errors, refresh=False)

        def on_error(task: Task, message: str) -> None:
            on_done(task, _failed(task, message))

        try:
            execute(backend, planner.tasks(), run_chunk, on_done, on_error, writer.tick,
                    max(0.05, min(0.5, writer.every)))
        finally:
            writer.flush()
        return backend.label


# --------------------------------------------------------------------------- planning


class _Planner:
    """Yields tasks over the runs not yet done, replication by replication.

    Replication-major order means an interrupted sweep has covered every design point evenly,
    and a chunk's runs share a replication (and so, often, their cached no-hub run).
    """

    def __init__(self, experiment: Experiment, design: pd.DataFrame, done: np.ndarray,
                 model: ModelHook | None, backend: Backend, chunk_size: int | None) -> None:
        cfg = experiment.config
        self.points = Points(cfg, design)
        self.done = done
        self.fixed = chunk_size
        self.chunk = chunk_size or 1
        self.backend = backend
        self.remaining = int(done.size - done.sum())
        self.base: dict[str | None, Any] = (dict(experiment.scenarios)
                                             if _varies_scenario(cfg)
                                             else {None: experiment.scenario})
        self.template = dict(seed=cfg.experiment.seed, crn=cfg.experiment.common_random_numbers,
                             counterfactual=cfg.experiment.counterfactual,
                             outcomes=_outcomes(cfg, model), series=cfg.output.series,
                             model=model)
        self.runtimes: list[float] = []

    def observe(self, result: ChunkResult) -> None:
        """Learn run times from the first results and size later chunks to ~0.3 s."""
        if self.fixed is not None or len(self.runtimes) >= 64:
            return
        self.runtimes += [row["runtime_s"] for row in result.rows
                          if np.isfinite(row.get("runtime_s", np.nan))]
        if not self.runtimes:
            return
        mean = float(np.mean(self.runtimes))
        fair = max(1, self.remaining // (self.backend.workers * 4))
        self.chunk = int(min(MAX_CHUNK, fair, max(1, TARGET_TASK_SECONDS / max(mean, 1e-6))))

    def tasks(self) -> Iterator[Task]:
        batch: list[tuple[int, int, str | None, dict[str, Any]]] = []
        n_points, reps = self.done.shape
        for r in range(reps):
            todo = np.flatnonzero(~self.done[:, r])
            for i in todo:
                label, overrides = self.points[int(i)]
                batch.append((int(i), r, label, overrides))
                if len(batch) >= self.chunk:
                    yield self._task(batch)
                    batch = []
        if batch:
            yield self._task(batch)

    def _task(self, runs: list[tuple[int, int, str | None, dict[str, Any]]]) -> Task:
        self.remaining -= len(runs)
        labels = {label for _, _, label, _ in runs}
        scenarios = {label: self.base[label] for label in labels}
        return Task(scenarios=scenarios, runs=tuple(runs), **self.template)


def _varies_scenario(cfg: Any) -> bool:
    from spreadsim.experiments.config import SCENARIO_FACTOR

    return any(p.key == SCENARIO_FACTOR for p in cfg.parameters)


def _outcomes(cfg: Any, model: ModelHook | None) -> tuple[str, ...]:
    return cfg.output.outcomes if model is not None else cfg.output.kept()


def _failed(task: Task, message: str) -> ChunkResult:
    """Error rows for every run of a task that failed as a whole."""
    rows = []
    for i, r, _, _ in task.runs:
        key = (r,) if task.crn else (i, r)
        rows.append({"design_index": i, "replication": r, "status": "error", "error": message,
                     "seed": task.seed, "seed_spawn_key": str(key), "runtime_s": np.nan})
    return ChunkResult(rows, None, len(rows))


# --------------------------------------------------------------------------- writing


class _Writer:
    """Collects finished rows and commits them as batches, by time or by count."""

    def __init__(self, store: st.Store, experiment: Experiment, every: float) -> None:
        self.store = store
        self.every = every
        cfg = experiment.config
        outcomes = list(store.info["outcomes"])
        pairs = ([f"cf_{o}" for o in outcomes] + [f"diff_{o}" for o in outcomes]
                 if cfg.experiment.counterfactual else [])
        self.columns = [*st.KEY, "status", "error", "seed", "seed_spawn_key", *outcomes,
                        *pairs, "runtime_s"]
        self.floats = [*outcomes, *pairs, "runtime_s"]
        self.rows_pending: list[dict[str, Any]] = []
        self.series_pending: list[pd.DataFrame] = []
        self.last = time.monotonic()
        self.rows = 0
        self.errors = 0

    def add(self, result: ChunkResult) -> None:
        self.rows_pending += result.rows
        if result.series is not None:
            self.series_pending.append(result.series)
        self.rows += len(result.rows)
        self.errors += result.n_errors
        if len(self.rows_pending) >= FLUSH_RUNS:
            self.flush()

    def tick(self) -> None:
        if self.rows_pending and time.monotonic() - self.last >= self.every:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.rows_pending:
            return
        runs = pd.DataFrame.from_records(self.rows_pending, columns=self.columns)
        runs = runs.astype({**dict.fromkeys(st.KEY, np.int64), "seed": np.uint64,
                            **dict.fromkeys(self.floats, np.float64),
                            **dict.fromkeys(["status", "error", "seed_spawn_key"], "string")})
        series = (pd.concat(self.series_pending, ignore_index=True)
                  if self.series_pending else None)
        self.store.write_batch(runs, series)
        self.rows_pending, self.series_pending = [], []


# --------------------------------------------------------------------------- provenance


def spec_hash(experiment: Experiment, model: ModelHook | None = None) -> str:
    """Hash of everything that decides the results (not the description or replications).

    Two sweeps with the same hash produce the same row for the same run key, so a results
    folder with this hash can be resumed (or extended with more replications).
    """
    from spreadsim.loading import to_dict

    spec = to_dict(experiment.config)
    spec["experiment"].pop("description", None)
    spec["experiment"].pop("replications", None)
    payload = {"format": st.FORMAT_VERSION, "experiment": spec,
               "scenarios": [[label, to_dict(c)] for label, c in experiment.scenarios],
               "model": _hook_name(model)}
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _hook_name(model: ModelHook | None) -> str | None:
    if model is None:
        return None
    return f"{getattr(model, '__module__', '?')}.{getattr(model, '__qualname__', repr(model))}"


def sweep_info(experiment: Experiment, design: pd.DataFrame, model: ModelHook | None = None,
               command: list[str] | None = None) -> dict[str, Any]:
    """The ``sweep.json`` of a new sweep: spec, hash, seeds scheme and provenance."""
    from spreadsim.loading import to_dict
    from spreadsim.results import git_revision, package_versions

    cfg = experiment.config
    versions = package_versions()
    for name in ("salib", "dask", "distributed", "tqdm"):
        versions[name] = _version(name)
    return {
        "spreadsim_sweep": st.FORMAT_VERSION,
        "name": experiment.name,
        "description": cfg.experiment.description,
        "spec_hash": spec_hash(experiment, model),
        "created": _now(),
        "command": command if command is not None else sys.argv,
        "experiment_file": os.path.abspath(experiment.path) if experiment.path != "<dict>"
        else None,
        "experiment_toml": experiment.text,
        "experiment": to_dict(cfg),
        "overrides": {k: v for k, v in experiment.overrides},
        "scenarios": {str(label): to_dict(c) for label, c in experiment.scenarios},
        "model": _hook_name(model),
        "design_kind": cfg.design.kind,
        "n_points": len(design),
        "replications": cfg.experiment.replications,
        "seed": cfg.experiment.seed,
        "common_random_numbers": cfg.experiment.common_random_numbers,
        "counterfactual": cfg.experiment.counterfactual,
        "outcomes": list(_outcomes(cfg, model)),
        "series": cfg.output.series,
        "parameters": [{"name": p.name, "key": p.key, "levels": list(p.levels),
                        "low": p.low, "high": p.high, "distribution": p.distribution,
                        "linked": {k: list(v) for k, v in p.linked}}
                       for p in cfg.parameters],
        "seed_scheme": SEED_SCHEME,
        "versions": versions,
        "git_revision": git_revision(),
        "platform": platform.platform(),
    }


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def planned_runs(experiment: Experiment) -> int:
    """Runs an experiment asks for (points x replications), without building its design."""
    return count_points(experiment.config) * experiment.config.experiment.replications

