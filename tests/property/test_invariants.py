"""Invariants of the model over random small scenarios and seeds (hypothesis).

Scenarios are the built-in defaults or the default hub scenario, shortened and with adoption,
network, hub and shock parameters drawn within their declared ranges.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from spreadsim import tables
from spreadsim.config import KINDS, ScenarioConfig
from spreadsim.loading import load_scenario, with_overrides
from spreadsim.mechanisms import adoption as A
from spreadsim.model import SpreadModel
from spreadsim.runner import run_replication

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT_HUB = load_scenario(SCENARIOS / "default_hub.toml")
BASES = {"defaults": ScenarioConfig(), "default_hub": DEFAULT_HUB}

#: Allowed one-step changes of state (staying put is always allowed).
EDGES = {(A.AWARE, A.EVALUATING), (A.EVALUATING, A.IMPLEMENTING), (A.EVALUATING, A.REJECTED),
         (A.IMPLEMENTING, A.SUSTAINED), (A.IMPLEMENTING, A.FAILED),
         (A.SUSTAINED, A.ABANDONED), (A.REJECTED, A.AWARE)}
STAGED_EDGES = EDGES | {(A.UNAWARE, A.AWARE)}
INSTANT_EDGES = {(A.UNAWARE, A.SUSTAINED), (A.SUSTAINED, A.ABANDONED)}

seeds = st.integers(0, 2**32 - 1)
share = st.floats(0.0, 1.0)


@st.composite
def adoption_overrides(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "adoption.p_external": draw(st.floats(0.0, 0.3)),
        "adoption.q_peer": draw(share),
        "adoption.instant": draw(st.booleans()),
        "adoption.consider_rate": draw(share),
        "adoption.evaluation_months": draw(st.floats(1.0, 12.0)),
        "adoption.implementation_months": draw(st.floats(1.0, 24.0)),
        "adoption.reconsider_rate": draw(st.floats(0.0, 0.5)),
        "adoption.failure_probability": draw(share),
        "adoption.abandonment_monthly": draw(st.floats(0.0, 0.3)),
        "adoption.routinised_after_months": draw(st.floats(0.0, 24.0)),
        "adoption.intercept": draw(st.floats(-5.0, 5.0)),
        "network.kind": draw(st.sampled_from(["place", "complete"])),
        "network.mean_degree": draw(st.floats(0.0, 12.0)),
        "innovations.*.eligible_kinds": draw(st.lists(st.sampled_from(KINDS), min_size=1,
                                                      max_size=4, unique=True)),
    }


@st.composite
def hub_overrides(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "hubs.0.effort.coordination": draw(share),
        "hubs.0.effort.dissemination": draw(share),
        "hubs.0.effort.partnership": draw(share),
        "hubs.0.funding_months": draw(st.integers(0, 30)),
        "hubs.0.mapped_share": draw(share),
        "hubs.0.initial_trust": draw(share),
        "hubs.0.structure_share": draw(share),
        "hubs.0.early_endorsement": draw(st.booleans()),
        "hubs.0.targeting": draw(st.sampled_from(["random", "most_connected", "least_served"])),
        "hubs.0.role_overlap": draw(share),
    }


@st.composite
def shock_overrides(draw: st.DrawFn) -> dict[str, Any]:
    if not draw(st.booleans()):
        return {}
    return {"shocks": [{
        "kind": draw(st.sampled_from(["pandemic", "spending_shortfall", "restructuring"])),
        "start_month": draw(st.integers(0, 12)),
        "duration_months": draw(st.integers(0, 12)),
        "slack_cut": draw(share), "budget_cut": draw(share), "inkind_cut": draw(share),
        "tie_churn": draw(share), "endorsement_reset": draw(st.booleans()),
    }]}


@st.composite
def scenarios(draw: st.DrawFn) -> ScenarioConfig:
    """A small scenario: 4-24 months, random adoption, network, hub and shock parameters."""
    base = BASES[draw(st.sampled_from(sorted(BASES)))]
    changes = {"time.n_steps": draw(st.integers(4, 24)), **draw(adoption_overrides()),
               **draw(shock_overrides())}
    if base.hubs:
        changes |= draw(hub_overrides())
        changes["hubs.0.core_fte"] = draw(st.floats(0.0, 6.0))
    return with_overrides(base, changes, source="hypothesis")


def run_recording(cfg: ScenarioConfig, seed: int) -> tuple[SpreadModel, list[np.ndarray]]:
    """Step a model to its horizon, keeping a copy of the state matrix after every step."""
    m = SpreadModel(cfg, rng=seed)
    states = [m.state.copy()]
    while m.running:
        m.step()
        states.append(m.state.copy())
    return m, states


@settings(max_examples=40)
@given(scenarios(), seeds)
def test_counts_and_transitions(cfg: ScenarioConfig, seed: int) -> None:
    m, states = run_recording(cfg, seed)
    assert len(states) == cfg.time.n_steps + 1
    eligible = m.eligible
    edges = INSTANT_EDGES if cfg.adoption.instant else STAGED_EDGES

    for t, (before, after) in enumerate(zip(states, states[1:], strict=False), start=1):
        # ineligible pairs stay ineligible, eligible pairs never become ineligible
        assert np.array_equal(after == A.INELIGIBLE, ~eligible), f"step {t}"
        moved = before != after
        pairs = set(zip(before[moved].tolist(), after[moved].tolist(), strict=True))
        assert pairs <= edges, f"step {t}: forbidden transitions {pairs - edges}"

    counts = m.counts.sum(axis=2)  # (T+1, J, 9)
    assert counts.shape == (cfg.time.n_steps + 1, m.n_innovations, A.N_CODES)
    assert (counts[:, :, : A.INELIGIBLE].sum(axis=2) == eligible.sum(axis=0)).all()
    assert (counts[:, :, A.INELIGIBLE] == (~eligible).sum(axis=0)).all()
    for t, s in enumerate(states):  # the recorded counts are the states we saw
        for j in range(m.n_innovations):
            assert (np.bincount(s[:, j], minlength=A.N_CODES) == counts[t, j]).all()

    adopted = counts[:, :, A.IMPLEMENTING] + counts[:, :, A.SUSTAINED]
    assert (adopted <= eligible.sum(axis=0)).all()
    assert not (m.ever_adopted & ~eligible).any()
    assert (m.ever_adopted.sum(axis=0) <= eligible.sum(axis=0)).all()

    table = tables.adoption(m)
    per = table.groupby(["step", "innovation"], observed=True).agg(
        total=("count", "sum"), eligible=("eligible", "first"))
    assert (per["total"] == per["eligible"]).all()
    assert table["share"].between(0.0, 1.0).all()


@st.composite
def zero_hour_hubs(draw: st.DrawFn) -> ScenarioConfig:
    """The default hub with no staff, no in-kind time and no money, other values random."""
    changes = {"time.n_steps": draw(st.integers(6, 40)), **draw(adoption_overrides()),
               **draw(hub_overrides()), **draw(shock_overrides()),
               "hubs.0.core_fte": 0.0, "hubs.0.inkind_fte": 0.0, "hubs.0.budget_gbp": 0.0,
               "hubs.0.post_funding_core_fte": 0.0}
    return with_overrides(DEFAULT_HUB, changes, source="hypothesis")


@settings(max_examples=25)
@given(zero_hour_hubs(), seeds)
def test_hub_without_hours_does_nothing(cfg: ScenarioConfig, seed: int) -> None:
    m = SpreadModel(cfg, rng=seed)
    endorsement = m.endorsement.copy()
    while m.running:
        m.step()
        fx = m.effects
        for f in dataclasses.fields(fx):
            assert not getattr(fx, f.name).any(), f.name
        assert m.hub_agents[0].hours.sum() == 0
        assert len(m.tie_w) == 0
        if not cfg.shocks:
            assert np.array_equal(m.endorsement, endorsement)

    hub = run_replication(cfg, seed, 0, "scenario")
    none = run_replication(cfg, seed, 0, "counterfactual")
    assert (hub["hub"]["hours"] == 0).all()
    status = hub["hub_status"]
    worked = status.loc[status["step"] > 0, ["hours_available", "spent", "core_fte",
                                             "inkind_fte", "ties_added"]]
    assert len(worked) == cfg.time.n_steps
    assert (worked == 0).all().all()
    for name in ("adoption", "adoption_by_group", "network", "outcomes"):
        pd.testing.assert_frame_equal(hub[name].drop(columns="arm"),
                                      none[name].drop(columns="arm"), check_exact=True,
                                      obj=name)
    runs = [r.drop(columns=["arm", "runtime_s"]) for r in (hub["runs"], none["runs"])]
    pd.testing.assert_frame_equal(*runs, check_exact=True, obj="runs")


def test_every_staged_edge_occurs_in_a_busy_scenario() -> None:
    """The transition check above is not vacuous: a busy scenario uses every allowed edge."""
    cfg = with_overrides(DEFAULT_HUB, {
        "time.n_steps": 48, "adoption.p_external": 0.1, "adoption.reconsider_rate": 0.3,
        "adoption.failure_probability": 0.4, "adoption.abandonment_monthly": 0.1,
        "adoption.intercept": 0.0})
    _, states = run_recording(cfg, 5)
    seen = set()
    for before, after in zip(states, states[1:], strict=False):
        moved = before != after
        seen |= set(zip(before[moved].tolist(), after[moved].tolist(), strict=True))
    assert seen == STAGED_EDGES
