"""Design points: which parameter values each point of an experiment uses.

Samplers come from libraries: ``scipy.stats.qmc.LatinHypercube`` for Latin hypercubes and
SALib's Saltelli (``SALib.sample.sobol``) and Morris samplers. Every sampler works on the unit
cube; each parameter then maps a unit coordinate ``u`` to a value: ``scipy.stats.uniform`` or
``loguniform`` quantiles for ranges, and level ``floor(u * k)`` for ``k`` levels (and for
integer ranges, whose levels are ``low..high``). Grid and list designs use the levels directly.

The design is generated once, before any run, and stored (``design.parquet``) with the unit
coordinates that the sensitivity analysis needs, in sampler order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spreadsim.experiments.config import SCENARIO_FACTOR, ExperimentConfig, ParameterConfig

#: Prefix of the unit-cube coordinate columns in the design table.
UNIT = "unit."

#: Spawn key of the design sampler's seed; a one-element key, so it can never collide with a
#: model stream (their keys have two or three elements).
DESIGN_SPAWN_KEY = (0x5EED,)


@dataclass(frozen=True, slots=True)
class Factor:
    """A parameter as the design sees it: a name, a key and how unit values map to values."""

    config: ParameterConfig

    @property
    def name(self) -> str:
        """Column name in the results."""
        return self.config.name

    @property
    def key(self) -> str:
        """Dotted scenario key (or ``"scenario"``)."""
        return self.config.key

    def levels(self, grid_levels: int) -> list[Any]:
        """Values a grid design takes: the levels, or ``grid_levels`` points across the range."""
        p = self.config
        if p.levels:
            return list(p.levels)
        if p.distribution == "integer":
            return sorted({int(v) for v in np.rint(np.linspace(p.low, p.high, grid_levels))})
        space = np.geomspace if p.distribution == "loguniform" else np.linspace
        return [float(v) for v in space(p.low, p.high, grid_levels)]

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values at unit-cube coordinates ``u`` (each in [0, 1])."""
        from scipy import stats

        p = self.config
        if p.levels or p.distribution == "integer":
            values = list(p.levels) if p.levels else list(range(int(p.low), int(p.high) + 1))
            return [values[i] for i in _bucket(u, len(values))]
        if p.distribution == "loguniform":
            dist = stats.loguniform(p.low, p.high)
        else:
            dist = stats.uniform(loc=p.low, scale=p.high - p.low)
        return [float(v) for v in dist.ppf(np.asarray(u, dtype=float))]


    def level_index(self, u: np.ndarray) -> np.ndarray:
        """Index of the level at unit-cube coordinates ``u`` (factors with levels)."""
        return _bucket(u, len(self.config.levels))


def _bucket(u: np.ndarray, k: int) -> np.ndarray:
    """``floor(u * k)``, with ``u = 1`` in the last of the ``k`` buckets."""
    return np.minimum((np.asarray(u) * k).astype(np.int64), k - 1)


def factors(cfg: ExperimentConfig) -> list[Factor]:
    """The experiment's parameters as design factors, in file order."""
    return [Factor(p) for p in cfg.parameters]


def count_points(cfg: ExperimentConfig) -> int:
    """Number of design points, without generating them."""
    d, fs = cfg.design, factors(cfg)
    k = len(fs)
    if d.kind == "grid":
        return math.prod(len(f.levels(d.grid_levels)) for f in fs)
    if d.kind == "list":
        return len(fs[0].config.levels) if fs else 1
    if d.kind == "lhs":
        return d.points
    if d.kind == "sobol":
        return d.points * ((2 * k + 2) if d.second_order else (k + 2))
    return d.points * (k + 1)  # morris


def salib_problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib problem over the unit cube (values are mapped per parameter afterwards)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def design_seed(root: int) -> int:
    """Seed of the design sampler, derived from the experiment's root seed."""
    ss = np.random.SeedSequence(root, spawn_key=DESIGN_SPAWN_KEY)
    return int(ss.generate_state(1, np.uint32)[0])


def unit_sample(cfg: ExperimentConfig) -> np.ndarray | None:
    """Unit-cube sample of shape (points, parameters) for lhs/sobol/morris; None otherwise."""
    d, names = cfg.design, [f.name for f in factors(cfg)]
    seed = design_seed(cfg.experiment.seed)
    if d.kind == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(d.points)
    if d.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(salib_problem(names), d.points, calc_second_order=d.second_order,
                            scramble=True, seed=seed)
    if d.kind == "morris":
        from SALib.sample import morris

        return morris.sample(salib_problem(names), d.points, num_levels=d.morris_levels,
                             seed=seed)
    return None


def make_design(cfg: ExperimentConfig) -> pd.DataFrame:
    """The design table: one row per point.

    Columns: ``design_index``; one column per parameter (its values; a ``scenario`` parameter
    shows each scenario file's name); one per linked key (named by the key); and, for sampled
    designs, ``unit.<name>`` coordinates.
    """
    fs = factors(cfg)
    unit = unit_sample(cfg)
    n = count_points(cfg)
    if unit is not None:
        values = {f.name: f.from_unit(unit[:, j]) for j, f in enumerate(fs)}
        index = {f.name: f.level_index(unit[:, j]) for j, f in enumerate(fs) if f.config.levels}
    elif cfg.design.kind == "list":
        index = {f.name: np.arange(n) for f in fs}
        values = {f.name: list(f.config.levels) for f in fs}
    else:
        grids = [f.levels(cfg.design.grid_levels) for f in fs]
        mesh = np.meshgrid(*[np.arange(len(g)) for g in grids], indexing="ij") if fs else []
        index = {f.name: m.ravel() for f, m in zip(fs, mesh, strict=True)}
        values = {f.name: [g[i] for i in m.ravel()] for f, g, m in zip(fs, grids, mesh,
                                                                        strict=True)}
    table = pd.DataFrame({"design_index": np.arange(n, dtype=np.int64)})
    for f in fs:
        column = values[f.name]
        if f.key == SCENARIO_FACTOR:  # store the scenario's name, not its path
            column = [Path(v).stem for v in column]
        table[f.name] = _column(column)
        for key, linked in f.config.linked:
            table[key] = _column([linked[i] for i in index[f.name]])
    if unit is not None:
        for j, f in enumerate(fs):
            table[UNIT + f.name] = unit[:, j]
    return table


def _column(values: list[Any]) -> pd.Series:
    """A column with a stable dtype: bool, int64, float64 or string."""
    if all(isinstance(v, bool) for v in values):
        return pd.Series(values, dtype=bool)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pd.Series(values, dtype=np.int64)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return pd.Series(values, dtype=np.float64)
    return pd.Series(values, dtype="string")


class Points:
    """Looks up the base scenario and overrides of any design point, without a per-point copy.

    Args:
        cfg: The experiment.
        design: Its design table (see :func:`make_design`).
    """

    def __init__(self, cfg: ExperimentConfig, design: pd.DataFrame) -> None:
        self._columns: list[tuple[str, bool, np.ndarray]] = []
        for f in factors(cfg):
            self._columns.append((f.key, f.key == SCENARIO_FACTOR, design[f.name].to_numpy()))
            for key, _ in f.config.linked:
                self._columns.append((key, False, design[key].to_numpy()))
        self.n = len(design)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[str | None, dict[str, Any]]:
        """``(label, overrides)`` of point ``i``; the label is None unless 'scenario' varies."""
        label: str | None = None
        overrides: dict[str, Any] = {}
        for key, is_scenario, values in self._columns:
            value = _plain(values[i])
            if is_scenario:
                label = str(value)
            else:
                overrides[key] = value
        return label, overrides


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars (the scenario validator wants plain types)."""
    return value.item() if hasattr(value, "item") else value
