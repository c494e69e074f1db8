"""The small-world generator, the 'count' peer rule, pair-wise decision logits, bulk providers."""

from __future__ import annotations

import mesa
import networkx as nx
import numpy as np
import pytest

from spreadsim.agents import Provider, create_providers
from spreadsim.config import KINDS, AdoptionConfig
from spreadsim.mechanisms import adoption as rules
from spreadsim.model import SpreadModel
from spreadsim.network import small_world


@pytest.mark.parametrize(("n", "k", "p"), [(1000, 6, 0.1), (50, 6, 0.5), (9, 6, 1.0), (7, 6, 0.3)])
def test_small_world_is_simple_symmetric_and_keeps_every_tie(n: int, k: int, p: float) -> None:
    a = small_world(n, k, p, np.random.default_rng(1))
    assert (a != a.T).nnz == 0 and a.diagonal().sum() == 0 and (a.data == 1).all()
    assert a.nnz // 2 == (n * (k // 2) if k < n - 1 else n * (n - 1) // 2)


def test_small_world_is_seeded_and_rewires_the_expected_share() -> None:
    a, b = (small_world(5000, 6, 0.1, np.random.default_rng(7)) for _ in range(2))
    assert (a != b).nnz == 0
    lattice = small_world(5000, 6, 0.0, np.random.default_rng(7))
    moved = (a != lattice).nnz / 2 / 2  # a rewired tie leaves one lattice entry, adds another
    # 15,000 ties, each rewired w.p. 0.1: sd = sqrt(15000 * 0.09) = 37; 5 sd = 184
    assert abs(moved - 1500) < 184


def test_small_world_degrees_match_networkx() -> None:
    ours = np.asarray(small_world(20_000, 6, 0.1, np.random.default_rng(3)).sum(axis=1)).ravel()
    theirs = np.array([d for _, d in nx.watts_strogatz_graph(20_000, 6, 0.1, seed=3).degree()])
    assert ours.mean() == theirs.mean() == 6.0
    # variance of degree ~0.57 in both; its standard error at n = 20,000 is ~0.01
    assert abs(ours.var() - theirs.var()) < 0.06


def test_count_rule_is_independent_contacts() -> None:
    a = np.array([[0.0], [1.0], [3.0]])
    got = rules.awareness_probability_count(0.01, 0.08, a, 0.0)
    np.testing.assert_allclose(got[:, 0], 1 - 0.99 * 0.92 ** np.array([0, 1, 3]), rtol=1e-12)
    assert rules.awareness_probability_count(0.0, 1.0, a, 0.0)[:, 0].tolist() == [0, 1, 1]
    push = np.full((3, 1), 0.5)
    np.testing.assert_allclose(rules.awareness_probability_count(0.01, 0.08, a, push),
                               1 - (1 - got) * 0.5, rtol=1e-12)


def test_pairwise_decision_logit_equals_the_full_matrix() -> None:
    rng = np.random.default_rng(2)
    n, j = 40, 5
    inn = [rng.random(j) for _ in range(6)]
    pair = [rng.random((n, j)) for _ in range(3)]
    prov = [rng.random(n) for _ in range(8)]
    full = rules.decision_logit(AdoptionConfig(), inn[0], pair[0], inn[1], inn[2], inn[3],
                                pair[1], inn[4] > 0.5, *prov[:5], pair[2], *prov[5:7])
    r, c = np.nonzero(rng.random((n, j)) < 0.3)
    got = rules.decision_logit(AdoptionConfig(), inn[0][c], pair[0][r, c], inn[1][c], inn[2][c],
                               inn[3][c], pair[1][r, c], (inn[4] > 0.5)[c],
                               *(v[r] for v in prov[:5]), pair[2][r, c],
                               *(v[r] for v in prov[5:7]), pairs=True)
    assert np.array_equal(got, full[r, c])  # bit for bit


def test_bulk_providers_equal_one_by_one_registration() -> None:
    one, bulk = mesa.Model(rng=1), mesa.Model(rng=1)
    for i in range(5):
        Provider(one, i)
    create_providers(bulk, 5)
    for a, b in zip(one.agents, bulk.agents, strict=True):
        assert type(a) is type(b) and vars(a) == {**vars(b), "model": one}
    assert one.agent_id_counter == bulk.agent_id_counter
    assert len(bulk.agents_by_type[Provider]) == 5
    next(iter(bulk.agents)).remove()
    assert len(bulk.agents) == len(bulk.agents_by_type[Provider]) == 4


def test_simple_dynamics_scenario_adopts_like_the_count_rule() -> None:
    model = SpreadModel("benchmarks/simple_dynamics.toml", rng=4, providers__pcn__count=500)
    assert model.adjacency.nnz == 500 * 6 and len(model.agents_by_type[Provider]) == 500
    model.run_for(1)
    share = model.adopted_share  # step 1: nobody had adopted, so p = 0.01 each
    assert abs(share - 0.01) < 5 * np.sqrt(0.01 * 0.99 / 500)  # 5 binomial sd


def test_generated_ids_are_made_on_first_use_with_the_documented_format() -> None:
    from spreadsim.loading import load_scenario, with_overrides
    from spreadsim.population import generate_skeleton

    cfg = with_overrides(load_scenario("scenarios/default_hub.toml"),
                         {"system.n_systems": 2, "providers.pcn.count": 10_001})
    sk = generate_skeleton(cfg)
    assert "ids" not in vars(sk) and sk.n == len(sk.kind)  # nothing formatted yet
    ids = sk.ids
    assert ids is sk.ids and ids.dtype == object and len(ids) == sk.n
    assert ids[0] == "S01-acute-0001" and "S02-pcn-10001" in set(ids)
    assert len(set(ids)) == sk.n
    first_pcn = int(np.flatnonzero(sk.kind == KINDS.index("pcn"))[0])
    assert ids[first_pcn] == "S01-pcn-0001" and ids[first_pcn + 9] == "S01-pcn-0010"


def test_exposure_from_the_reciprocal_equals_the_share_of_adopting_neighbours() -> None:
    num = np.array([[0.0, 1.0], [2.0, 0.0], [3.0, 1.5]])
    deg = np.array([[0.0, 2.0], [3.0, 0.0], [6.0, 3.0]])
    np.testing.assert_allclose(num * rules.reciprocal(deg), rules.share_of(num, deg),
                               rtol=1e-15)
    assert rules.reciprocal(deg)[0, 0] == 0.0  # no ties: no exposure, not a division by zero
