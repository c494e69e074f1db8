"""``spreadsim analyse RESULTS``: summary tables, hub effects, sensitivity indices, figures."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``analyse`` command."""
    p = sub.add_parser(
        "analyse", help="summarise a sweep's results: tables, sensitivity indices, figures",
        description="Read a sweep's results folder and write RESULTS/analysis/: mean and 95% "
        "CI per design point and outcome, the paired hub effect (with a counterfactual), "
        "Sobol or Morris sensitivity indices (for those designs) and figures.")
    p.add_argument("results", type=Path, help="results folder written by `spreadsim sweep`")
    p.add_argument("--outcome", dest="outcomes", action="append", default=None,
                   metavar="NAME", help="analyse only this outcome (repeatable; default: all "
                   "kept, the first ones plotted)")
    p.add_argument("--no-figures", dest="figures", action="store_false",
                   help="write the tables only")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Analyse and list what was written."""
    from spreadsim.experiments.analysis import analyse

    result = analyse(args.results, args.outcomes, figures=args.figures)
    print(f"analysis written to {result.folder}/")
    print(f"  tables: {', '.join(f'{n}.csv' for n in result.tables)}")
    if result.figures:
        print(f"  figures: {', '.join(result.figures)}")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"next: spreadsim report {args.results}")
    return 0
