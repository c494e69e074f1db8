"""SpreadModel as a Mesa model: agents, stepping, batch_run, seeds and determinism."""

from __future__ import annotations

import warnings
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from spreadsim.agents import Hub, Innovator, Provider
from spreadsim.config import KINDS, STATES, ScenarioConfig
from spreadsim.loading import load_scenario, with_overrides
from spreadsim.mechanisms.adoption import INELIGIBLE
from spreadsim.model import SpreadModel, seed_streams
from spreadsim.runner import run_replication

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def hub_cfg() -> ScenarioConfig:
    """The default hub scenario, shortened to 36 months (past the 30-month funding end)."""
    return with_overrides(load_scenario(SCENARIOS / "default_hub.toml"), {"time.n_steps": 36})


@pytest.fixture(scope="module")
def model(hub_cfg: ScenarioConfig) -> SpreadModel:
    m = SpreadModel(hub_cfg, rng=7)
    m.run_for(12)
    return m


# --------------------------------------------------------------------------- agents


def test_providers_hubs_innovators_are_mesa_agents(model: SpreadModel) -> None:
    by_type = model.agents_by_type
    assert len(by_type[Provider]) == model.n_providers > 0
    assert len(by_type[Hub]) == len(model.cfg.hubs) == 1
    assert len(by_type[Innovator]) == len(model.cfg.innovators) == 2
    assert len(model.agents) == model.n_providers + 1 + 2
    assert set(by_type[Hub]) == set(model.hub_agents)
    assert set(by_type[Innovator]) == set(model.innovator_agents)
    assert all(isinstance(a, mesa.Agent) for a in model.agents)
    assert sorted(p.index for p in by_type[Provider]) == list(range(model.n_providers))


def test_provider_views_match_the_arrays(model: SpreadModel) -> None:
    sk = model.population.skeleton
    names = model.innovations.names
    seen_ineligible = seen_other = False
    for p in model.agents_by_type[Provider]:
        assert p.kind == KINDS[sk.kind[p.index]]
        assert p.place == sk.place_labels[sk.place[p.index]]
        assert p.name == str(sk.ids[p.index])
        assert p.n_adopted == int(model.adopted[p.index].sum())
        for j, name in enumerate(names):
            code = model.state[p.index, j]
            expected = "ineligible" if code == INELIGIBLE else STATES[code]
            assert p.states[name] == expected
            seen_ineligible |= code == INELIGIBLE
            seen_other |= code not in (INELIGIBLE, 0)
    assert seen_ineligible and seen_other  # both branches were exercised


# --------------------------------------------------------------------------- stepping


def test_run_for_gives_n_steps_and_counts(hub_cfg: ScenarioConfig) -> None:
    m = SpreadModel(hub_cfg, rng=3)
    m.run_for(5)
    assert m.steps == 5
    assert m.counts.shape[:2] == (6, m.n_innovations)
    m.run_for(4)
    assert m.steps == 9
    assert m.counts.shape[0] == 10
    assert len(m.datacollector.get_model_vars_dataframe()) == 10


def test_running_turns_false_at_the_horizon(hub_cfg: ScenarioConfig) -> None:
    m = SpreadModel(with_overrides(hub_cfg, {"time.n_steps": 6}), rng=3)
    steps = 0
    while m.running:
        assert steps < 6
        m.step()
        steps += 1
    assert steps == 6 and m.steps == 6


def test_model_from_path_none_and_keyword_overrides() -> None:
    from_path = SpreadModel(SCENARIOS / "default_hub.toml", rng=1, hubs__0__core_fte=4.0)
    assert from_path.cfg.hubs[0].core_fte == 4.0
    assert from_path.cfg.name == "default_hub"
    default = SpreadModel(rng=1)
    assert default.cfg == ScenarioConfig()
    assert default.root_seed == 1


def test_seed_defaults_to_the_scenario_seed(hub_cfg: ScenarioConfig) -> None:
    assert SpreadModel(hub_cfg).root_seed == hub_cfg.seed


def test_batch_run_with_keyword_parameters(hub_cfg: ScenarioConfig) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = mesa.batch_run(SpreadModel, {"config": hub_cfg,
                                               "hubs__0__core_fte": [1.0, 3.0]},
                                 rng=[1, 2], max_steps=6, number_processes=1,
                                 display_progress=False)
    df = pd.DataFrame(results)
    assert len(df) == 4
    assert set(zip(df["rng"], df["hubs__0__core_fte"], strict=True)) == {
        (1, 1.0), (1, 3.0), (2, 1.0), (2, 3.0)}
    assert (df["Step"] == 6).all()
    # batch_run passed rng= through: each row equals a hand-built model with that seed
    for row in df.itertuples():
        m = SpreadModel(hub_cfg, rng=row.rng, hubs__0__core_fte=row.hubs__0__core_fte)
        m.run_for(6)
        assert row.adopted_share == m.adopted_share
        assert row.hub_hours == pytest.approx(float(m.hub_agents[0].hours.sum()))
    # the parameter reached the hub: more core staff, more hours
    by = df.set_index(["rng", "hubs__0__core_fte"])["hub_hours"]
    assert by[(1, 3.0)] > by[(1, 1.0)]


def test_no_warnings_from_mesa_or_numpy(hub_cfg: ScenarioConfig) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = SpreadModel(hub_cfg, rng=11)
        m.run_for(hub_cfg.time.n_steps)
        m.datacollector.get_model_vars_dataframe()
    assert [str(w.message) for w in caught] == []


# --------------------------------------------------------------------------- seeds


def test_seed_streams_are_distinct_and_reproducible() -> None:
    a = seed_streams(5, 0)
    b = seed_streams(5, 0)
    draws = {k: np.random.default_rng(v).random(4).tolist() for k, v in a.items()}
    assert draws == {k: np.random.default_rng(v).random(4).tolist() for k, v in b.items()}
    assert len({tuple(d) for d in draws.values()}) == len(draws)
    other = seed_streams(5, 1)
    assert all(np.random.default_rng(other[k]).random(4).tolist() != draws[k] for k in a)
    # a SeedSequence root gives the same streams as its entropy
    ss = seed_streams(np.random.SeedSequence(5), 0)
    assert {k: np.random.default_rng(v).random(4).tolist() for k, v in ss.items()} == draws


def tables(cfg: ScenarioConfig, seed: int, replication: int = 0) -> dict[str, pd.DataFrame]:
    out = run_replication(cfg, seed, replication)
    out["runs"] = out["runs"].drop(columns="runtime_s")
    return out


def test_same_seed_gives_identical_tables(hub_cfg: ScenarioConfig) -> None:
    a, b = tables(hub_cfg, 42), tables(hub_cfg, 42)
    assert set(a) == set(b) >= {"adoption", "adoption_by_group", "hub", "hub_status",
                                "network", "outcomes", "runs"}
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def _differs(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.shape != b.shape or not a.equals(b)


def test_different_seeds_give_different_tables(hub_cfg: ScenarioConfig) -> None:
    a, b = tables(hub_cfg, 42), tables(hub_cfg, 43)
    for name in ("adoption", "adoption_by_group", "network", "hub_status", "outcomes"):
        assert _differs(a[name], b[name]), name


def test_different_replications_give_different_tables(hub_cfg: ScenarioConfig) -> None:
    a, b = tables(hub_cfg, 42, 0), tables(hub_cfg, 42, 1)
    for name in ("adoption", "network", "outcomes"):
        assert _differs(a[name].drop(columns="replication"),
                        b[name].drop(columns="replication")), name


def _adjacency(m: SpreadModel) -> tuple[np.ndarray, ...]:
    adj = m.adjacency.tocsr()
    adj.sort_indices()
    return adj.indptr, adj.indices, adj.data


def _population(m: SpreadModel) -> dict[str, np.ndarray]:
    pop = m.population
    return {k: getattr(pop, k) for k in ("size", "slack", "absorptive", "tension",
                                         "endorsement", "champion", "threshold")}


@pytest.mark.parametrize("changes", [
    {"adoption.q_peer": 0.5, "adoption.p_external": 0.05},
    {"hubs.0.core_fte": 6.0, "hubs.0.effort.partnership": 0.9},
    {"adoption.abandonment_monthly": 0.1, "hub_effects.dissemination_max": 0.5},
])
def test_network_and_population_ignore_dynamics_parameters(hub_cfg: ScenarioConfig,
                                                           changes: dict) -> None:
    base = SpreadModel(hub_cfg, rng=9)
    other = SpreadModel(with_overrides(hub_cfg, changes), rng=9)
    for x, y in zip(_adjacency(base), _adjacency(other), strict=True):
        assert_array_equal(x, y)
    pa, pb = _population(base), _population(other)
    for k in pa:
        assert_array_equal(pa[k], pb[k], err_msg=k)
    assert_array_equal(base.eligible, other.eligible)


def test_network_changes_with_the_seed(hub_cfg: ScenarioConfig) -> None:
    a, b = SpreadModel(hub_cfg, rng=9), SpreadModel(hub_cfg, rng=10)
    assert (a.adjacency != b.adjacency).nnz > 0


def test_hub_and_no_hub_models_share_network_and_population(hub_cfg: ScenarioConfig) -> None:
    a = SpreadModel(hub_cfg, rng=9, replication=2)
    b = SpreadModel(hub_cfg.without_hubs(), rng=9, replication=2)
    for x, y in zip(_adjacency(a), _adjacency(b), strict=True):
        assert_array_equal(x, y)
    pa, pb = _population(a), _population(b)
    for k in pa:
        assert_array_equal(pa[k], pb[k], err_msg=k)
