"""Experiments: sweeps over scenario parameters with replications, stored crash-safely.

Typical use::

    from spreadsim.experiments import load_experiment, run_experiment, read_experiment
    exp = load_experiment("experiments/workforce_budget.toml")
    result = run_experiment(exp, jobs=2, out="results/workforce_budget")
    runs = read_experiment(result.path)      # one row per run: parameters, seeds, outcomes

Modules: :mod:`~.config` (file schema), :mod:`~.loading` (validation), :mod:`~.design`
(samplers), :mod:`~.worker` (runs on workers), :mod:`~.executors` (local pool, Dask),
:mod:`~.store` (Parquet batches), :mod:`~.sweep` (the driver), :mod:`~.results` (reading),
:mod:`~.analysis`, :mod:`~.figures` and :mod:`~.report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Experiment", "SweepResult", "analyse", "load_experiment", "read_design",
           "read_experiment", "read_info", "read_series", "run_experiment", "write_report"]

_LAZY = {
    "Experiment": "spreadsim.experiments.loading",
    "load_experiment": "spreadsim.experiments.loading",
    "SweepResult": "spreadsim.experiments.sweep",
    "run_experiment": "spreadsim.experiments.sweep",
    "read_experiment": "spreadsim.experiments.results",
    "read_series": "spreadsim.experiments.results",
    "read_design": "spreadsim.experiments.results",
    "read_info": "spreadsim.experiments.results",
    "analyse": "spreadsim.experiments.analysis",
    "write_report": "spreadsim.experiments.report",
}

if TYPE_CHECKING:
    from spreadsim.experiments.analysis import analyse
    from spreadsim.experiments.loading import Experiment, load_experiment
    from spreadsim.experiments.report import write_report
    from spreadsim.experiments.results import (
        read_design,
        read_experiment,
        read_info,
        read_series,
    )
    from spreadsim.experiments.sweep import SweepResult, run_experiment


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'spreadsim.experiments' has no attribute {name!r}")
