"""``spreadsim run SCENARIO``: run a scenario and write a results folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``run`` command."""
    p = sub.add_parser("run", help="run a scenario and write a results folder",
                       description="Run a scenario file for some replications (optionally with "
                       "its paired no-hub counterfactual) and write tables, manifest.json and "
                       "adoption.png into a results folder.")
    p.add_argument("scenario", help="scenario TOML file (see scenarios/)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--replications", "-r", type=int, default=1, metavar="R",
                   help="number of replications (default 1)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value, e.g. --set hubs.0.core_fte=4 or "
                   "--set 'hubs.*.effort.dissemination=0.6' (repeatable)")
    p.add_argument("--counterfactual", action="store_true",
                   help="also run every replication without hubs on the same seeds and report "
                   "the paired hub effect")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="table format (default parquet)")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default results/<scenario name>)")
    p.add_argument("--force", action="store_true", help="replace an existing results folder")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Load, override, check the output folder, run, write, summarise."""
    from spreadsim.errors import SpreadsimError
    from spreadsim.loading import load_scenario, parse_set_option, with_overrides
    from spreadsim.results import check_output_dir
    from spreadsim.runner import run

    cfg = load_scenario(args.scenario)
    if args.overrides:
        cfg = with_overrides(cfg, dict(parse_set_option(o) for o in args.overrides))
    if args.seed is not None and args.seed < 0:
        raise SpreadsimError(f"--seed: expected a non-negative integer, got {args.seed}")
    out = args.out or Path("results") / Path(args.scenario).stem
    check_output_dir(out, args.force)  # fail before spending time on the run
    result = run(cfg, seed=args.seed, replications=args.replications,
                 counterfactual=args.counterfactual)
    path = result.write(out, fmt=args.format, force=args.force,
                        command=["spreadsim", *sys.argv[1:]])
    print(result.summary())
    print(f"results written to {path}/ (tables: {', '.join(sorted(result.tables))}; "
          "manifest.json; adoption.png)")
    return 0
