"""Sweep throughput: runs per second of the default scenario on each backend, per-run overhead,
and parallel efficiency.

Run::

    .venv/bin/python benchmarks/bench_sweep.py            # about 3-5 minutes on 2 cores
    .venv/bin/python benchmarks/bench_sweep.py --quick    # a smoke run, under a minute

Not part of the test suite. Prints a table and writes ``benchmarks/out/sweep.csv``.

What is measured (wall time of :func:`spreadsim.experiments.run_experiment`, which includes
writing the results folder):

- ``model``: replications of ``scenarios/default_hub.toml`` (84 months, no counterfactual) on
  1 process (in the driver), a local pool of 2 processes and a local Dask cluster of 2 worker
  processes. ``runs_per_s`` excludes starting the backend (measured separately as
  ``startup_s``: the first local pool also starts the forkserver, which imports Mesa once).
- ``overhead``: the same machinery around a model that does nothing
  (:func:`spreadsim.experiments.hooks.constant`), one run per task, so the time per run is the
  cost of scheduling, pickling, collecting and storing one run on that backend.
- ``efficiency`` = (runs/s on 2 workers) / (2 x runs/s on 1 process).
- ``(model alone, CPU)``: CPU time per run of the model without any sweep machinery.

Each sweep is repeated (``--repeats``, default 3) in a rotating order and the median is kept,
so that background load on a shared machine hits every backend alike.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def experiment(replications: int):
    """The default hub scenario, replications only (one design point), no counterfactual."""
    from spreadsim.experiments.loading import load_experiment

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(f'[experiment]\nname = "bench"\nscenario = '
                        f'"{ROOT / "scenarios" / "default_hub.toml"}"\n'
                        f"replications = {replications}\nseed = 1\n", encoding="utf-8")
        return load_experiment(path)


def no_op(exp):
    """The same experiment, whose outcome ``y`` comes from a model that does nothing."""
    from spreadsim.experiments.config import OutputConfig

    cfg = dataclasses.replace(exp.config, output=OutputConfig(outcomes=("y",)))
    return dataclasses.replace(exp, config=cfg)


def sweep_seconds(exp, out: Path, **kwargs) -> float:
    from spreadsim.experiments import run_experiment

    t0 = time.perf_counter()
    result = run_experiment(exp, out=out, force=True, progress=False, **kwargs)
    seconds = time.perf_counter() - t0
    assert result.errors == 0 and result.ran == result.total
    return seconds


def startup_seconds(**kwargs) -> float:
    """Time to start and stop a backend with one trivial task."""
    from spreadsim.experiments.executors import open_backend

    t0 = time.perf_counter()
    with open_backend(**kwargs) as backend:
        backend.executor.submit(abs, -1).result()
    return time.perf_counter() - t0


def bare_model_seconds(exp, n: int) -> float:
    """CPU seconds per run of the model alone (no sweep machinery), in this process."""
    from spreadsim.experiments.worker import simulate

    cfg = exp.scenario
    t0 = time.process_time()
    for r in range(n):
        simulate(cfg, 1, r, "scenario", cfg.funding_end)
    return (time.process_time() - t0) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke run)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="repeats of each measurement, interleaved; the median is reported")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "sweep.csv")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    from spreadsim.experiments.hooks import constant

    runs = 24 if args.quick else 120
    tiny = 400 if args.quick else 2000
    repeats = 1 if args.quick else args.repeats
    model_exp, noop_exp = experiment(runs), no_op(experiment(tiny))
    cpu = bare_model_seconds(model_exp, 10 if args.quick else 40)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
        dask_start = time.perf_counter() - t0
        cold_pool = startup_seconds(jobs=2)
        warm = statistics.median(startup_seconds(jobs=2) for _ in range(3))
        client.run(lambda: __import__("spreadsim.experiments.worker"))  # warm Dask workers
        backends = [("1 process", 1, {"jobs": 1}, 0.0),
                    ("local pool, 2 processes", 2, {"jobs": 2}, cold_pool),
                    ("Dask LocalCluster, 2 workers", 2, {"dask": client}, dask_start)]
        timings: dict[tuple[str, str], list[float]] = {}
        for k in range(repeats):  # rotate the order so that load hits every backend alike
            for label, _, kwargs, _ in backends[k % 3:] + backends[:k % 3]:
                pool = kwargs.get("jobs", 1) > 1  # a pool is started inside run_experiment
                extra = warm if pool else 0.0
                timings.setdefault((label, "model"), []).append(
                    sweep_seconds(model_exp, folder / "m", **kwargs) - extra)
                timings.setdefault((label, "no-op"), []).append(
                    sweep_seconds(noop_exp, folder / "n", model=constant, chunk_size=1,
                                  **kwargs) - extra)
        client.close()
        cluster.close()
    rows = []
    for label, workers, _, start in backends:
        for workload, n, chunk in (("model", runs, "auto"), ("no-op", tiny, 1)):
            seconds = statistics.median(timings[(label, workload)])
            rows.append({"backend": label, "workers": workers,
                         "workload": "default_hub model" if workload == "model"
                         else "no-op model (overhead)",
                         "runs": n, "chunk": chunk, "wall_s": round(seconds, 3),
                         "runs_per_s": round(n / seconds, 2),
                         "per_run_ms": round(1000 * seconds / n, 3),
                         "startup_s": round(start, 3)})
    base = next(float(r["runs_per_s"]) for r in rows if r["backend"] == "1 process"
                and r["workload"].startswith("default"))
    for r in rows:
        r["efficiency"] = (round(float(r["runs_per_s"]) / (int(r["workers"]) * base), 3)
                           if str(r["workload"]).startswith("default") else "")
    rows.append({"backend": "(model alone, CPU)", "workers": 1, "workload": "default_hub model",
                 "runs": 40, "chunk": "-", "wall_s": "", "runs_per_s": round(1 / cpu, 2),
                 "per_run_ms": round(1000 * cpu, 2), "startup_s": "", "efficiency": ""})
    print_table(rows)
    print(f"\nwarm local pool start + stop: {warm:.3f} s (subtracted from the pool's sweeps); "
          f"medians of {repeats} interleaved repeats")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; written to {args.out}")
    return 0


def print_table(rows: list[dict[str, object]]) -> None:
    cols = ["backend", "workload", "runs", "chunk", "wall_s", "runs_per_s", "per_run_ms",
            "startup_s", "efficiency"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


if __name__ == "__main__":
    sys.exit(main())
