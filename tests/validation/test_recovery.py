"""Parameter recovery: calibration finds the parameters that generated the data.

Two tests on synthetic place-structured networks (``network.place_network``, written to CSV as a
user would):

- default run (fast, deterministic target): the *mean* curve of 200 realisations at known
  parameters, from seeds independent of the fitting seed, is fitted with 40 replications. Only
  Monte Carlo noise separates target and fit (standard error of the mean share about 0.002 and
  0.005), so the parameters must come back closely: ``p_external`` within 25 %, ``q_peer``
  within 15 % and ``susceptible_share`` within 0.03. On five seeds the largest errors were 9.5 %,
  7.2 % and 0.013, so the tolerances are 2-2.6 times what was seen.
- slow: a *single* realisation on 400 providers goes through the whole pipeline
  (:func:`calibrate` with 40 replications, a 20-sample parametric bootstrap, 2 processes).
  A single diffusion varies by chance, so the tolerance is the bootstrap's own spread: each
  estimate must lie within
  4 bootstrap standard deviations of the truth (under normality a 6e-5 false-alarm rate per
  parameter). On a 1,000-provider network, 20 independent realisations gave estimates centred on
  the truth (mean 0.0202, 0.400, 0.797 for 0.02, 0.4, 0.8) with spreads (0.0041, 0.047, 0.014)
  close to one data set's bootstrap spread (0.0036, 0.046, 0.015), which is what makes the
  bootstrap a fair yardstick.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from spreadsim.calibration import Settings, calibrate, read_observed
from spreadsim.calibration import fit as fitting
from spreadsim.calibration.data import cumulative
from spreadsim.calibration.simulate import FITTABLE, Simulator, calibration_config, synthetic_steps
from spreadsim.config import ScenarioConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_calibration import add_periods, write_network  # noqa: E402

TRUE = {"p_external": 0.02, "q_peer": 0.45, "susceptible_share": 0.8}
THETA = np.array([TRUE[k] for k in FITTABLE])


def test_fit_recovers_parameters_from_a_mean_curve(tmp_path):
    n, periods = 300, 20
    nodes, edges = write_network(tmp_path, n, places=5)
    target = cumulative(synthetic_steps(nodes, edges, periods, TRUE, seed=100, replications=200,
                                        group_column="town"), periods).mean(axis=1) / n
    cfg = calibration_config(ScenarioConfig(), nodes, edges, "town", periods, 40)
    space = fitting.Space.of(FITTABLE)
    start = THETA * np.array([2.0, 0.5, 1.1])  # deliberately off
    found = fitting.fit(Simulator(cfg, FITTABLE, seed=0), space, target, n,
                        [start, *fitting.sobol_starts(space, 8, np.random.default_rng(0))])
    p, q, m = found.theta
    assert abs(p / TRUE["p_external"] - 1) <= 0.25
    assert abs(q / TRUE["q_peer"] - 1) <= 0.15
    assert abs(m - TRUE["susceptible_share"]) <= 0.03
    assert found.rmse_share < 0.01


@pytest.mark.slow
def test_calibrate_recovers_parameters_from_one_realisation(tmp_path):
    n, periods = 400, 20
    nodes, edges = write_network(tmp_path, n, places=4, seed=3)
    steps = synthetic_steps(nodes, edges, periods, TRUE, seed=2024, group_column="town")[:, 0]
    observed = read_observed(add_periods(nodes, steps, tmp_path / "observed.csv"), edges,
                             group_column="town")
    report = calibrate(observed, settings=Settings(replications=40, bootstrap=20, seed=5,
                                                   workers=2, compare=False, progress=False))
    estimates = np.array(report["uncertainty"]["estimates"])
    sd = estimates.std(axis=0, ddof=1)
    for k, name in enumerate(FITTABLE):
        value = report["parameters"][name]["value"]
        assert abs(value - TRUE[name]) <= 4 * sd[k], (name, value, sd[k])
    assert report["rmse_share"] < 0.03
