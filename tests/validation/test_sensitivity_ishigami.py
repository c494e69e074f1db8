"""Sensitivity maths on functions with known answers, through the same path as real sweeps:
experiment -> design -> executor -> Parquet store -> analysis (SALib), with a model hook in
place of the simulation. Cross-checked against scipy.stats.sobol_indices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spreadsim.config import ScenarioConfig
from spreadsim.experiments import analyse, run_experiment
from spreadsim.experiments.config import (
    DesignConfig,
    ExperimentConfig,
    ExperimentSection,
    OutputConfig,
    ParameterConfig,
)
from spreadsim.experiments.hooks import (
    LINEAR_COEFFICIENTS,
    ishigami,
    ishigami_indices,
    ishigami_noisy,
    linear,
)
from spreadsim.experiments.loading import Experiment

PI = float(np.pi)
TRUTH = ishigami_indices()


def experiment(kind: str, points: int, replications: int = 1, crn: bool = True,
               low: float = -PI, high: float = PI) -> Experiment:
    params = tuple(ParameterConfig(key=f"x{i}", name=f"x{i}", low=low, high=high)
                   for i in (1, 2, 3))
    cfg = ExperimentConfig(
        experiment=ExperimentSection(name=f"{kind}_check", seed=1, replications=replications,
                                     common_random_numbers=crn),
        parameters=params, design=DesignConfig(kind=kind, points=points),
        output=OutputConfig(outcomes=("y",)))
    return Experiment(cfg, (("none", ScenarioConfig()),))


def indices(exp: Experiment, hook, out: Path, kind: str = "sobol") -> pd.DataFrame:
    result = run_experiment(exp, jobs=1, out=out, model=hook)
    assert result.errors == 0
    return analyse(result.path, figures=False).tables[kind].set_index("parameter")


def test_sobol_ishigami_deterministic(tmp_path: Path) -> None:
    """N = 2048 (10,240 runs). Tolerance 0.02 on every S1 and ST: over 12 root seeds the
    largest error at this N was 0.018 (median 0.004), and a broken pipeline (design order
    lost, wrong mapping of the unit cube) is off by 0.1 or more. The 95% bootstrap intervals
    must also cover the analytic values (SALib's covered them in 100% of cases in the
    project's measurements)."""
    table = indices(experiment("sobol", 2048), ishigami, tmp_path / "r")
    for key in ("S1", "ST"):
        est, conf = table[key].to_numpy(), table[f"{key}_conf"].to_numpy()
        assert np.abs(est - TRUTH[key]).max() < 0.02, (key, est, TRUTH[key])
        assert (np.abs(est - TRUTH[key]) <= conf).all(), (key, est, conf)


def test_salib_agrees_with_scipy(tmp_path: Path) -> None:
    """scipy's independent implementation (its own design and estimators) on the same function
    at N = 1024: scipy within 0.03 of the analytic values (its worst error at this N in the
    project's measurements was 0.0075) and SALib through this pipeline within 0.035 of scipy
    (SALib's worst error over 20 root seeds at this N was 0.033)."""
    ours = indices(experiment("sobol", 1024), ishigami, tmp_path / "r")

    def func(x: np.ndarray) -> np.ndarray:
        return (np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0]))[None, :]

    dist = stats.uniform(loc=-PI, scale=2 * PI)
    ref = stats.sobol_indices(func=func, n=1024, dists=[dist] * 3,
                              rng=np.random.default_rng(7))
    for key, theirs in (("S1", np.ravel(ref.first_order)), ("ST", np.ravel(ref.total_order))):
        assert np.abs(theirs - TRUTH[key]).max() < 0.03
        assert np.abs(ours[key].to_numpy() - theirs).max() < 0.035


def test_morris_exact_on_a_linear_function(tmp_path: Path) -> None:
    """Elementary effects of a linear function are exact: mu* = |coefficient| x range (the
    effects are per full range of each parameter) and sigma = 0, to rounding."""
    table = indices(experiment("morris", 10, low=0.0, high=2.0), linear, tmp_path / "r",
                    kind="morris")
    expected = np.abs(np.array(list(LINEAR_COEFFICIENTS.values()))) * 2.0
    np.testing.assert_allclose(table["mu_star"].to_numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(table["mu"].to_numpy(),
                               np.array(list(LINEAR_COEFFICIENTS.values())) * 2.0, atol=1e-9)
    np.testing.assert_allclose(table["sigma"].to_numpy(), 0.0, atol=1e-9)


def test_morris_ishigami(tmp_path: Path) -> None:
    """On the 4-level Morris grid x2 moves between -pi and pi/3 (or -pi/3 and pi), so every
    elementary effect of x2 is exactly +-7 sin^2(pi/3) / (2/3) = +-7.875: mu*(x2) = 7.875.
    x3 acts only through its interaction with x1, so its effects vary more than x1's
    (sigma(x3) > sigma(x1)) and average less than x2's; both held for all 40 seeds tried with
    100 trajectories."""
    table = indices(experiment("morris", 100), ishigami, tmp_path / "r", kind="morris")
    assert table.loc["x2", "mu_star"] == pytest.approx(7.875, abs=1e-9)
    assert table.loc["x3", "sigma"] > table.loc["x1", "sigma"]
    assert table.loc["x3", "mu_star"] < table.loc["x2", "mu_star"]


@pytest.mark.slow
def test_sobol_ishigami_noisy_independent_streams(tmp_path: Path) -> None:
    """Noise with a quarter of the function's variance, independent per design point
    (common_random_numbers = false), averaged over R = 10 replications: N = 2048 gives
    102,400 runs (this is also the store's large-sweep check). The remaining noise inflates ST
    and shrinks S1 by about 0.02; over 12 seeds the largest error was 0.042, so the tolerance
    is 0.05."""
    exp = experiment("sobol", 2048, replications=10, crn=False)
    table = indices(exp, ishigami_noisy, tmp_path / "r")
    for key in ("S1", "ST"):
        assert np.abs(table[key].to_numpy() - TRUTH[key]).max() < 0.05


@pytest.mark.slow
def test_common_random_numbers_cancel_the_noise(tmp_path: Path) -> None:
    """With common random numbers every design point gets the same noise in a replication, so
    the replication means differ from the noiseless function by a constant, which SALib's
    standardisation removes: the indices equal the deterministic ones to rounding."""
    noisy = indices(experiment("sobol", 512, replications=10), ishigami_noisy, tmp_path / "a")
    clean = indices(experiment("sobol", 512), ishigami, tmp_path / "b")
    for key in ("S1", "ST"):
        np.testing.assert_allclose(noisy[key].to_numpy(), clean[key].to_numpy(), atol=1e-9)
