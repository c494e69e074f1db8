"""Model hooks with known answers, for checking the experiment machinery end to end.

A hook replaces the simulation in :func:`spreadsim.experiments.run_experiment` (``model=``),
so designs, executors, storage and analysis can be checked against functions whose sensitivity
indices are known analytically. They live in the package (not the tests) so that worker
processes and Dask workers can import them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from spreadsim.config import ScenarioConfig

#: Ishigami constants used by SALib and most of the literature.
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, np.ndarray]:
    """Analytic first-order (S1) and total (ST) Sobol indices of the Ishigami function.

    Inputs are uniform on [-pi, pi]; see Ishigami & Homma (1990) and Saltelli et al. (2008).
    """
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / v, "ST": np.array([v1 + v13, v2, v13]) / v,
            "variance": np.array(v)}


def _ishigami(values: Mapping[str, Any]) -> float:
    x1, x2, x3 = (float(values[k]) for k in ("x1", "x2", "x3"))
    return float(np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2
                 + ISHIGAMI_B * x3**4 * np.sin(x1))


def ishigami(cfg: ScenarioConfig, values: Mapping[str, Any], seed: int | np.random.SeedSequence,
             replication: int) -> dict[str, float]:
    """Deterministic Ishigami function of the parameters ``x1``, ``x2``, ``x3`` as outcome ``y``."""
    return {"y": _ishigami(values)}


def ishigami_noisy(cfg: ScenarioConfig, values: Mapping[str, Any],
                   seed: int | np.random.SeedSequence, replication: int) -> dict[str, float]:
    """Ishigami plus Gaussian noise with a quarter of the function's variance, seeded like a
    model run (``SeedSequence(seed, spawn_key=(*prefix, replication))``)."""
    if isinstance(seed, np.random.SeedSequence):
        ss = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, replication))
    else:
        ss = np.random.SeedSequence(seed, spawn_key=(replication,))
    sd = float(np.sqrt(0.25 * ishigami_indices()["variance"]))
    return {"y": _ishigami(values) + sd * float(np.random.default_rng(ss).standard_normal())}


def constant(cfg: ScenarioConfig, values: Mapping[str, Any],
             seed: int | np.random.SeedSequence, replication: int) -> dict[str, float]:
    """A model that does nothing (outcome ``y`` = 0): measures the machinery's own cost."""
    return {"y": 0.0}


def fail_when_negative(cfg: ScenarioConfig, values: Mapping[str, Any],
                       seed: int | np.random.SeedSequence, replication: int) -> dict[str, float]:
    """``y = x1``, but raises for negative ``x1``: checks that failures are recorded."""
    x = float(values["x1"])
    if x < 0:
        raise ValueError(f"x1 = {x} is negative")
    return {"y": x}


#: Coefficients of :func:`linear`.
LINEAR_COEFFICIENTS = {"x1": 1.0, "x2": -2.0, "x3": 0.0}


def linear(cfg: ScenarioConfig, values: Mapping[str, Any], seed: int | np.random.SeedSequence,
           replication: int) -> dict[str, float]:
    """``y = x1 - 2 x2 + 0 x3``: every elementary effect is exact (Morris sigma = 0)."""
    return {"y": float(sum(c * float(values[k]) for k, c in LINEAR_COEFFICIENTS.items()))}
