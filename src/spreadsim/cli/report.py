"""``spreadsim report RESULTS``: one self-contained HTML page about a sweep."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``report`` command."""
    p = sub.add_parser(
        "report", help="write a self-contained HTML report of a sweep",
        description="Write RESULTS/report.html: figures (embedded), tables, the experiment "
        "definition, the manifest and notes on reading each figure. Runs `spreadsim analyse` "
        "first if the analysis is missing or older than the results.")
    p.add_argument("results", type=Path, help="results folder written by `spreadsim sweep`")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the page (default RESULTS/report.html)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Write the report and say where it is."""
    from spreadsim.experiments.report import write_report

    path = write_report(args.results, args.out)
    print(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB, self-contained)")
    return 0
