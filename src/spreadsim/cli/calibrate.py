"""``spreadsim calibrate --nodes N.csv --edges E.csv``: fit the model to an observed curve."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

#: Parameters fitted by default (``spreadsim.calibration.FITTABLE``; kept here so that building
#: the parser does not import the model).
DEFAULT_PARAMS = ("p_external", "q_peer", "susceptible_share")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``calibrate`` command."""
    p = sub.add_parser(
        "calibrate", help="fit model parameters to an observed adoption curve on a network",
        description="Fit the model, run on the network of NODES/EDGES, to the observed "
        "cumulative adoption curve (instant stages, no hub, one step per period), with common "
        "random numbers and Nelder-Mead; give each parameter a parametric-bootstrap interval; "
        "fit the discrete Bass model as the reference; write calibration.json, calibration.png "
        "and curves.csv into a folder. See docs/validation.md.")
    p.add_argument("--nodes", required=True, metavar="NODES.csv",
                   help="providers CSV with 'id' and an adoption-period column (empty = never "
                   "adopted within the observed periods); other columns are optional")
    p.add_argument("--edges", required=True, metavar="EDGES.csv",
                   help="ties CSV with 'source' and 'target' (optional 'relation', 'weight')")
    p.add_argument("--group", default=None, metavar="COLUMN",
                   help="community column of NODES (e.g. town), used as the place")
    p.add_argument("--time-column", default="toa", metavar="COLUMN",
                   help="adoption-period column of NODES (default toa)")
    p.add_argument("--first-period", type=int, default=None, metavar="P",
                   help="period that is model step 1 (default 1, or the smallest period if "
                   "lower)")
    p.add_argument("--last-period", type=int, default=None, metavar="P",
                   help="last observed period (default the largest in the file; later periods "
                   "count as not adopted)")
    p.add_argument("--params", default=",".join(DEFAULT_PARAMS), metavar="LIST",
                   help=f"comma-separated parameters to fit (default {','.join(DEFAULT_PARAMS)})"
                   "; "
                   "the others keep the scenario's values")
    p.add_argument("--replications", "-r", type=int, default=None, metavar="R",
                   help="replications per parameter vector (default: automatic, enough for a "
                   "Monte Carlo standard error of the mean share of at most 0.005, 20 to 200)")
    p.add_argument("--bootstrap", type=int, default=30, metavar="B",
                   help="simulated data sets refitted for the intervals (default 30; 0 = none)")
    p.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                   help="processes for the bootstrap refits (default: up to 2)")
    p.add_argument("--scenario", default=None, metavar="BASE.toml",
                   help="scenario supplying the values calibration does not set (default: "
                   "built-in defaults)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a base scenario value, e.g. --set adoption.q_peer=0 with "
                   "--params p_external,susceptible_share (repeatable)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default results/calibration-<nodes file name>)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Read, check the output folder, calibrate, write, summarise."""
    from spreadsim.calibration import Settings, calibrate, read_observed, summary
    from spreadsim.calibration.output import write_calibration
    from spreadsim.config import ScenarioConfig
    from spreadsim.loading import load_scenario, parse_set_option, with_overrides
    from spreadsim.results import check_output_dir

    settings = Settings(params=tuple(x.strip() for x in args.params.split(",") if x.strip()),
                        replications=args.replications, bootstrap=args.bootstrap,
                        seed=args.seed, workers=args.workers)
    settings.check()
    out = args.out or Path("results") / f"calibration-{Path(args.nodes).stem}"
    check_output_dir(out, args.force)  # fail before spending minutes
    base = load_scenario(args.scenario) if args.scenario else ScenarioConfig()
    if args.overrides:
        base = with_overrides(base, dict(parse_set_option(o) for o in args.overrides))
    observed = read_observed(args.nodes, args.edges, time_column=args.time_column,
                             group_column=args.group, first_period=args.first_period,
                             last_period=args.last_period)
    print(f"{observed.n} providers, {len(observed.ties.source)} ties, {observed.n_periods} "
          f"periods, {observed.curve[-1]} adopters; fitting {', '.join(settings.params)} "
          f"(seed {settings.seed})", file=sys.stderr, flush=True)
    report = calibrate(observed, base, settings)
    report["arguments"] = {k: (str(v) if isinstance(v, Path) else v)
                           for k, v in vars(args).items() if k != "func"}
    invoked = sys.argv[1:2] == ["calibrate"]  # not when called in-process, e.g. by tests
    path = write_calibration(report, out, force=args.force,
                             command=["spreadsim", *sys.argv[1:]] if invoked else None)
    print(summary(report))
    print(f"written to {path}/ (calibration.json, calibration.png, curves.csv; "
          f"{report['timings_s']['total']:.0f} s)")
    return 0
