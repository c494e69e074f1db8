"""The worker: same numbers as the runner, seeding scheme, pairing, failures as rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spreadsim.experiments.config import OUTCOMES
from spreadsim.experiments.hooks import fail_when_negative
from spreadsim.experiments.worker import Task, run_chunk, seed_for, simulate
from spreadsim.loading import load_scenario, with_overrides
from spreadsim.metrics import run_summary
from spreadsim.runner import run_replication

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base():
    return with_overrides(load_scenario(ROOT / "scenarios" / "default_hub.toml"),
                          {"time.n_steps": 24})


def task(base, runs, **kw) -> Task:
    args = dict(scenarios={None: base}, runs=tuple(runs), seed=9, crn=True,
                counterfactual=True, outcomes=("reach_at_horizon", "sustained"))
    return Task(**{**args, **kw})


def test_outcome_list_matches_run_summary(base) -> None:
    from spreadsim import metrics
    from spreadsim.model import SpreadModel

    model = SpreadModel(base, rng=1)
    model.run_for(2)
    assert set(OUTCOMES) == set(run_summary(model, metrics.outcomes(model, 2)))


@pytest.mark.parametrize("arm", ["scenario", "counterfactual"])
def test_simulate_matches_the_runner(base, arm: str) -> None:
    expected = run_replication(base, 9, 2, arm)["runs"].iloc[0]
    cfg = base.without_hubs() if arm == "counterfactual" else base
    got, _ = simulate(cfg, 9, 2, arm, base.funding_end)
    for name in OUTCOMES:
        assert got[name] == pytest.approx(expected[name], nan_ok=True), name


def test_rows_pair_arms_and_share_streams(base) -> None:
    overrides = [{"hubs.*.core_fte": 1.0}, {"hubs.*.core_fte": 5.0}]
    result = run_chunk(task(base, [(i, 0, None, o) for i, o in enumerate(overrides)],
                            series=True))
    a, b = result.rows
    assert a["status"] == b["status"] == "ok" and result.n_errors == 0
    assert a["seed_spawn_key"] == "(0,)" and a["seed"] == 9
    # common random numbers: the no-hub runs of both points are the same run
    assert a["cf_sustained"] == b["cf_sustained"]
    assert a["diff_sustained"] == a["sustained"] - a["cf_sustained"]
    cfg = with_overrides(base, overrides[0])
    alone, _ = simulate(cfg, 9, 0, "scenario", cfg.funding_end)
    assert a["reach_at_horizon"] == alone["reach_at_horizon"]
    s = result.series
    assert set(s["arm"]) == {"scenario", "counterfactual"}
    assert len(s) == 2 * 2 * 25 * 3  # runs x arms x (steps + 1) x innovations
    assert s["adopted_share"].between(0, 1).all()


def test_independent_streams_per_point(base) -> None:
    rows = run_chunk(task(base, [(0, 0, None, {}), (1, 0, None, {})], crn=False)).rows
    assert rows[0]["seed_spawn_key"] == "(0, 0)" and rows[1]["seed_spawn_key"] == "(1, 0)"
    assert rows[0]["cf_reach_at_horizon"] != rows[1]["cf_reach_at_horizon"]
    rng, prefix = seed_for(9, False, 1)
    assert isinstance(rng, np.random.SeedSequence) and rng.spawn_key == (1,) and prefix == (1,)


def test_a_failing_run_is_a_row_not_a_crash(base) -> None:
    runs = [(0, 0, None, {"hubs.*.core_fte": -1.0}), (1, 0, None, {"hubs.*.core_fte": 2.0})]
    result = run_chunk(task(base, runs))
    bad, good = result.rows
    assert result.n_errors == 1
    assert bad["status"] == "error" and "hubs.*.core_fte: expected a number in [0.0, 100.0]" in \
        bad["error"] and "sustained" not in bad
    assert good["status"] == "ok" and good["sustained"] >= 0


def test_model_hook(base) -> None:
    runs = [(0, 0, None, {"x1": 2.0}), (1, 0, None, {"x1": -2.0})]
    rows = run_chunk(task(base, runs, model=fail_when_negative, counterfactual=False,
                          outcomes=("y",))).rows
    assert rows[0]["y"] == 2.0 and rows[1]["status"] == "error"
    assert "ValueError: x1 = -2.0 is negative" in rows[1]["error"]
