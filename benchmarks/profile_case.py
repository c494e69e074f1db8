"""Profile one benchmark case with cProfile and print its top entries (used in docs/performance.md).

Usage (from the repository root)::

    .venv/bin/python benchmarks/profile_case.py default            # default_hub.toml, 20 runs
    .venv/bin/python benchmarks/profile_case.py england            # england.toml, 1 replication
    .venv/bin/python benchmarks/profile_case.py full 100000        # case (a)
    .venv/bin/python benchmarks/profile_case.py spreadsim 10000    # case (b)

Options: ``--top K`` entries (default 12), ``--sort tottime|cumulative``. The case runs once
before profiling (imports and first-call costs are left out). cProfile adds a fixed cost per
Python call, so it overstates code that makes many small calls; read the shares, not the
seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402


def _target(case: str, n: int):
    if case == "default":
        from spreadsim.loading import load_scenario
        from spreadsim.model import SpreadModel

        cfg = load_scenario(ROOT / "scenarios" / "default_hub.toml")

        def run() -> None:
            for r in range(20):
                SpreadModel(cfg, rng=1, replication=r).run_for(cfg.time.n_steps)
        return run
    if case == "england":
        from spreadsim.loading import load_scenario
        from spreadsim.runner import run_replication

        cfg = load_scenario(ROOT / "scenarios" / "england.toml")
        return lambda: run_replication(cfg, cfg.seed, 0)
    return lambda: cases.CASES[case](n, 1)


def main(argv: list[str] | None = None) -> int:
    """Profile and print."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", choices=("default", "england", *cases.CASES))
    p.add_argument("n", type=int, nargs="?", default=10_000, help="providers (cases a-d)")
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--sort", choices=("tottime", "cumulative"), default="tottime")
    args = p.parse_args(argv)
    run = _target(args.case, args.n)
    run()  # warm up
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats(args.sort).print_stats(args.top)
    text = re.sub(r"\S*/site-packages/", "", buf.getvalue())
    text = re.sub(r"\S*/src/spreadsim/", "spreadsim/", text)
    text = re.sub(r"\S*/lib/python3\.\d+/", "", text)
    print("\n".join(line for line in text.splitlines() if line.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
