"""spreadsim: agent-based simulation of innovation spread among NHS providers, with Innovation Hubs.

Typical use::

    import spreadsim
    cfg = spreadsim.load_scenario("scenarios/default_hub.toml")
    result = spreadsim.run(cfg, seed=1, replications=10, counterfactual=True)
    result.tables["adoption"]      # pandas DataFrame, one row per step x innovation x state
    result.tables["runs"]          # one row per run with the outcome metrics

``spreadsim.SpreadModel`` is a ``mesa.Model`` that can be built from a config and stepped by hand.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

__all__ = ["RunResult", "ScenarioConfig", "ScenarioError", "SpreadModel", "SpreadsimError",
           "__version__", "load_experiment", "load_scenario", "read_experiment", "run",
           "run_experiment", "with_overrides"]

#: Public names and the modules they live in; imported on first use so that the command line
#: (``spreadsim --help``) does not pay for Mesa, pandas and scipy.
_LAZY = {
    "ScenarioConfig": "spreadsim.config", "ScenarioError": "spreadsim.errors",
    "SpreadsimError": "spreadsim.errors", "load_scenario": "spreadsim.loading",
    "with_overrides": "spreadsim.loading", "SpreadModel": "spreadsim.model",
    "RunResult": "spreadsim.runner", "run": "spreadsim.runner",
    "load_experiment": "spreadsim.experiments.loading",
    "run_experiment": "spreadsim.experiments.sweep",
    "read_experiment": "spreadsim.experiments.results",
}

if TYPE_CHECKING:
    from spreadsim.config import ScenarioConfig
    from spreadsim.errors import ScenarioError, SpreadsimError
    from spreadsim.experiments.loading import load_experiment
    from spreadsim.experiments.results import read_experiment
    from spreadsim.experiments.sweep import run_experiment
    from spreadsim.loading import load_scenario, with_overrides
    from spreadsim.model import SpreadModel
    from spreadsim.runner import RunResult, run


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'spreadsim' has no attribute {name!r}")
