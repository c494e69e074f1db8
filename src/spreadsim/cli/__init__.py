"""Command-line interface: ``spreadsim <command> ...``.

Each command lives in its own module in this package and exposes ``add_parser(subparsers)``,
which registers the command and sets ``func`` to a function ``(args) -> int``. :func:`main` only
parses and delegates. Project errors (:class:`spreadsim.errors.SpreadsimError`) are printed
without a traceback and give exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from spreadsim.errors import SpreadsimError

#: Command modules, in the order shown by ``--help``. Heavy imports happen inside commands.
COMMANDS: tuple[str, ...] = ("validate", "run", "sweep", "analyse", "report", "calibrate", "ui")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser from the command modules that are present."""
    from spreadsim import __version__

    parser = argparse.ArgumentParser(
        prog="spreadsim",
        description="Simulate how innovations spread among NHS providers in an Integrated Care "
        "System, with and without Innovation Hubs.",
    )
    parser.add_argument("--version", action="version", version=f"spreadsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"spreadsim.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"spreadsim.cli.{name}":
                continue  # command not built yet
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status (0 ok, 2 bad input, 1 bug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpreadsimError as exc:
        print(f"spreadsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spreadsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
