"""``spreadsim validate FILE ...``: check scenario and experiment files without running them.

Every file is checked, even after one fails. Valid files get an ``ok`` line with a short summary
on stdout; invalid ones get their full problem list on stderr. The exit status is 0 when every
file is valid and 2 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from spreadsim.config import KINDS, ScenarioConfig
from spreadsim.errors import ScenarioError, SpreadsimError
from spreadsim.loading import load_scenario, load_toml

#: Modules whose absence means "experiments are not available", not a bug.
_EXPERIMENT_MODULES = ("spreadsim.experiments", "spreadsim.experiments.loading")


def add_parser(sub: Any) -> None:
    """Register the ``validate`` command on the CLI's subparsers."""
    parser = sub.add_parser(
        "validate",
        help="check scenario and experiment files without running them",
        description="Check scenario and experiment TOML files and report every problem in each "
        "(unknown keys, wrong types, out-of-range values). Exit status 0 if all files are "
        "valid, 2 otherwise.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="scenario or experiment TOML file(s) to check")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate each file in ``args.files``; return 0 if all are valid, else 2."""
    failures = 0
    for path in args.files:
        try:
            summary = describe(load_file(path))
        except SpreadsimError as exc:
            failures += 1
            where = getattr(exc, "path", path)
            via = f"{path} -> " if where not in (path, None) else ""  # a base file failed
            print(f"FAIL {via}{exc}", file=sys.stderr)
        else:
            print(f"ok   {path} ({summary})")
    return 2 if failures else 0


def load_file(path: str) -> Any:
    """Load ``path`` as an experiment if it looks like one, else as a scenario.

    A file is an experiment when its top level has an ``[experiment]`` table or a ``scenario``
    key.

    Raises:
        ScenarioError: For any problem in the file, or if experiments are not available.
    """
    data = load_toml(path)
    if "experiment" not in data and "scenario" not in data:
        return load_scenario(path)
    try:
        from spreadsim.experiments.loading import load_experiment
    except ImportError as exc:
        if exc.name not in _EXPERIMENT_MODULES:
            raise
        raise ScenarioError(path, "this is an experiment file ([experiment] table or "
                                  "'scenario' key), and experiment files need "
                                  "spreadsim.experiments, which is not available") from None
    return load_experiment(path)


def describe(obj: Any) -> str:
    """One-line summary of a loaded scenario or experiment."""
    if isinstance(obj, ScenarioConfig):
        return describe_scenario(obj)
    name = getattr(obj, "name", None)
    text = f"experiment '{name}'" if name else "experiment"
    scenario = getattr(obj, "scenario", None)
    if isinstance(scenario, ScenarioConfig):
        text += f" on {describe_scenario(scenario)}"
    summary = getattr(obj, "summary", None)
    if callable(summary):  # an experiment: its design, points and runs
        text += f"; {summary()}"
    return text


def describe_scenario(cfg: ScenarioConfig) -> str:
    """Summarise a scenario: providers by kind, hubs and innovations."""
    n_systems = cfg.system.n_systems
    if cfg.network.kind == "edge_list":  # read the CSVs too, so bad files fail here
        from spreadsim import network as net

        skeleton, _ = net.load_skeleton(cfg.network.nodes_file, cfg.network.place_column)
        adjacency = net.load_edges(cfg.network.edges_file, skeleton)
        providers = (f"{_count(skeleton.n, 'provider')} and "
                     f"{_count(adjacency.nnz // 2, 'tie')} from {cfg.network.nodes_file}")
    else:
        counts = {k: getattr(cfg.providers, k).count * n_systems for k in KINDS}
        kinds = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        providers = f"{_count(sum(counts.values()), 'provider')} ({kinds})"
    hubs = sum(n_systems if h.per_system else 1 for h in cfg.hubs)
    innovations = sum(i.copies for i in cfg.innovations)
    return (f"scenario '{cfg.name}': {providers}, {_count(hubs, 'hub')}, "
            f"{_count(innovations, 'innovation')}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
