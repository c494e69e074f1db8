"""``spreadsim sweep EXPERIMENT``: run an experiment's runs into a crash-safe results folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``sweep`` command."""
    p = sub.add_parser(
        "sweep", help="run an experiment (design points x replications) into a results folder",
        description="Run every (design point, replication) of an experiment file on local "
        "worker processes or a Dask cluster, committing results to the folder as they "
        "finish. Running the same command again resumes an interrupted sweep; a folder that "
        "holds another experiment is refused.")
    p.add_argument("experiment", help="experiment TOML file (see experiments/)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes (default: the number of CPUs; 1 runs in this "
                   "process); with --dask local, the number of Dask workers")
    p.add_argument("--dask", default=None, metavar="local|tcp://HOST:PORT",
                   help="run on Dask: 'local' starts a local cluster, an address connects to "
                   "a running scheduler (needs the dask extra)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a value of the base scenario, e.g. --set time.n_steps=48 "
                   "(repeatable)")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default results/<experiment name>)")
    p.add_argument("--force", action="store_true",
                   help="delete a results folder that holds another experiment, and start "
                   "again")
    p.add_argument("--retry-errors", action="store_true",
                   help="run again the runs recorded as failed")
    p.add_argument("--chunk-size", type=int, default=None, metavar="N",
                   help="runs per task (default: adapted to the run time)")
    p.add_argument("--commit-seconds", type=float, default=1.0, metavar="S",
                   help="commit finished runs to disk at least every S seconds (default 1); a "
                   "crash loses the runs in flight and at most S seconds of finished ones")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only on a terminal)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Load (with overrides), run or resume, and summarise."""
    from spreadsim.experiments.loading import load_experiment
    from spreadsim.experiments.results import read_experiment
    from spreadsim.experiments.sweep import run_experiment
    from spreadsim.loading import parse_set_option

    overrides = dict(parse_set_option(o) for o in args.overrides)
    experiment = load_experiment(args.experiment, overrides)
    out = args.out or Path("results") / experiment.name
    print(f"{experiment.name}: {experiment.summary()}", file=sys.stderr)
    try:
        result = run_experiment(experiment, jobs=args.jobs, dask=args.dask, out=out,
                                force=args.force, progress=args.progress,
                                chunk_size=args.chunk_size, retry_errors=args.retry_errors,
                                commit_seconds=args.commit_seconds,
                                command=["spreadsim", *sys.argv[1:]])
    except KeyboardInterrupt:
        print(f"spreadsim: finished runs are saved in {out}/; run the same command again to "
              "resume", file=sys.stderr)
        raise
    print(result.summary())
    if result.errors:
        runs = read_experiment(result.path)
        failed = runs[runs["status"] != "ok"]
        last = str(failed["error"].iloc[0]).strip().splitlines()[-1] if len(failed) else ""
        print(f"spreadsim: warning: {len(failed)} run(s) failed and are recorded with status "
              f"'error' (first: {last}); rerun with --retry-errors to try them again",
              file=sys.stderr)
    print(f"next: spreadsim analyse {result.path}")
    return 0
