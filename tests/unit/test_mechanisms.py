"""The pure array rules of spreadsim.mechanisms, on small hand-computed inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from spreadsim.config import ACTIVITIES, AdoptionConfig, ShockConfig
from spreadsim.mechanisms import adoption as A
from spreadsim.mechanisms import hub as H
from spreadsim.mechanisms import shocks as S

unit = st.floats(0.0, 1.0)


def csr(n: int, edges: list[tuple[int, int, float]]) -> sp.csr_array:
    """Symmetric weighted adjacency from an undirected edge list."""
    rows = [a for a, b, _ in edges] + [b for a, b, _ in edges]
    cols = [b for a, b, _ in edges] + [a for a, b, _ in edges]
    w = [x for *_, x in edges] * 2
    return sp.csr_array((w, (rows, cols)), shape=(n, n))


# --------------------------------------------------------------------------- states


def test_adopted_matrix_marks_implementing_and_sustained_only() -> None:
    state = np.array([[A.UNAWARE, A.AWARE, A.EVALUATING],
                      [A.IMPLEMENTING, A.SUSTAINED, A.REJECTED],
                      [A.FAILED, A.ABANDONED, A.INELIGIBLE]], dtype=np.int8)
    assert_array_equal(A.adopted_matrix(state), [[0, 0, 0], [1, 1, 0], [0, 0, 0]])


# --------------------------------------------------------------------------- exposure


def test_exposure_is_weighted_share_of_adopting_neighbours() -> None:
    # path 0 -(1)- 1 -(2)- 2, node 3 isolated
    adj = csr(4, [(0, 1, 1.0), (1, 2, 2.0)])
    adopted = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    e = A.exposure(adj, adopted, np.ones((4, 2), bool))
    assert_allclose(e, [[0.0, 1.0],            # its only neighbour (1) adopted innovation 1
                        [1 / 3, 2 / 3],        # (1*1 + 2*0)/3 and (1*0 + 2*1)/3
                        [0.0, 1.0],
                        [0.0, 0.0]])           # no ties: no exposure, whatever it adopted


def test_exposure_mean_field_is_adopted_share_of_eligible() -> None:
    adopted = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    eligible = np.array([[1, 1], [1, 0], [1, 1], [0, 1]], dtype=bool)
    e = A.exposure(None, adopted, eligible)
    assert_allclose(e, np.tile([2 / 3, 1 / 3], (4, 1)))
    e[0, 0] = 5.0  # a writable copy, not a broadcast view
    assert e[1, 0] == pytest.approx(2 / 3)


def test_exposure_mean_field_with_no_eligible_provider_is_zero() -> None:
    e = A.exposure(None, np.zeros((3, 1)), np.zeros((3, 1), bool))
    assert_array_equal(e, np.zeros((3, 1)))


def test_exposure_adds_extra_ties_both_ways() -> None:
    adj = csr(3, [(0, 1, 1.0)])
    adopted = np.array([[1.0], [0.0], [1.0]])
    e = A.exposure(adj, adopted, np.ones((3, 1), bool), np.array([1]), np.array([2]),
                   np.array([0.5]))
    # node 1: (1*1 + 0.5*1) / 1.5; node 2's only tie is the extra one to 1 (not adopted)
    assert_allclose(e[:, 0], [0.0, 1.0, 0.0])
    e = A.exposure(adj, np.array([[0.0], [0.0], [1.0]]), np.ones((3, 1), bool),
                   np.array([1]), np.array([2]), np.array([0.5]))
    assert_allclose(e[:, 0], [0.0, 0.5 / 1.5, 0.0])


def test_exposure_counts_repeated_extra_ties() -> None:
    adj = csr(3, [])
    adopted = np.array([[1.0], [0.0], [0.0]])
    # two ties 0-1 (0.5 each) and one tie 1-2 (1.0): node 1 sees 1.0 adopted of 2.0 weight
    e = A.exposure(adj, adopted, np.ones((3, 1), bool), np.array([0, 0, 1]),
                   np.array([1, 1, 2]), np.array([0.5, 0.5, 1.0]))
    assert_allclose(e[:, 0], [0.0, 0.5, 0.0])


def test_exposure_with_empty_extra_ties_equals_plain() -> None:
    adj = csr(3, [(0, 1, 1.0), (1, 2, 1.0)])
    adopted = np.array([[1.0], [0.0], [1.0]])
    plain = A.exposure(adj, adopted, np.ones((3, 1), bool))
    empty = np.zeros(0, dtype=np.int64)
    assert_array_equal(A.exposure(adj, adopted, np.ones((3, 1), bool), empty, empty,
                                  np.zeros(0)), plain)


# --------------------------------------------------------------------------- awareness


def test_awareness_is_additive_and_clipped_at_one() -> None:
    p = A.awareness_probability(0.01, 0.2, np.array([0.0, 0.5, 1.0]),
                                np.array([0.0, 0.1, 0.95]))
    assert_allclose(p, [0.01, 0.01 + 0.1 + 0.1, 1.0])


def test_awareness_without_push_is_the_bass_hazard() -> None:
    share = np.linspace(0, 1, 11)
    assert_allclose(A.awareness_probability(0.03, 0.38, share, np.zeros(11)),
                    0.03 + 0.38 * share)


# --------------------------------------------------------------------------- stages


def test_consider_probability_formula_and_clip() -> None:
    slack = np.array([0.5, 0.5, 0.0, 1.0])
    tension = np.array([0.5, 0.5, 0.0, 1.0])
    support = np.array([0.0, 1.0, 0.0, 1.0])
    p = A.consider_probability(0.25, slack, tension, support)
    assert_allclose(p, [0.25, 0.5, 0.25 * 0.25, 1.0])  # last: 0.25 * 1.5 * 1.5 * 2 > 1


def test_completion_probability_is_one_over_mean_at_least_one() -> None:
    assert_allclose(A.completion_probability(np.array([0.5, 1.0, 3.0, 6.0])),
                    [1.0, 1.0, 1 / 3, 1 / 6])


def test_failure_probability_formula_and_clip() -> None:
    p = A.failure_probability(0.12, np.array([0.5, 0.5, 1.0]), np.array([0.5, 0.5, 0.0]),
                              np.array([0.0, 1.0, 0.0]), 0.5)
    assert_allclose(p, [0.12, 0.06, 0.12 * 1.5 / 0.5])
    assert A.failure_probability(1.0, np.array([1.0]), np.array([0.0]), np.array([0.0]),
                                 0.0)[0] == 1.0


def test_abandonment_hazard_routine_coproduction_and_cliff() -> None:
    routine = np.array([[False, True], [False, False]])
    cliff = np.array([False, True])
    h = A.abandonment_hazard(0.01, 0.3, np.array([0.0, 2.0]), routine, 0.3,
                             np.array([0.0, 0.3]), cliff, 2.0)
    assert_allclose(h, [[0.01, 0.01 * 1.6 * 0.7 * 0.3],
                        [0.01 * 2.0, 0.01 * 1.6 * 0.7 * 2.0]])


def test_abandonment_hazard_is_clipped_and_zero_base_is_zero() -> None:
    big = A.abandonment_hazard(0.5, 10.0, np.array([7.0]), np.array([[False]]), 1.0,
                               np.array([0.0]), np.array([True]), 20.0)
    assert big[0, 0] == 1.0
    zero = A.abandonment_hazard(0.0, 10.0, np.array([7.0]), np.array([[False]]), 1.0,
                                np.array([0.0]), np.array([True]), 20.0)
    assert zero[0, 0] == 0.0


def test_logistic_is_safe_for_large_values() -> None:
    x = np.array([-1e4, -1.0, 0.0, 1.0, 1e4])
    assert_allclose(A.logistic(x), [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0])


# --------------------------------------------------------------------------- decision logit

#: One provider and one innovation, every input at a middling value.
BASE_INPUTS: dict[str, np.ndarray] = {
    "ra": np.array([0.5]), "compat": np.array([[0.5]]), "complexity": np.array([0.5]),
    "trial": np.array([0.5]), "observ": np.array([0.5]), "cost": np.array([[0.5]]),
    "aligned": np.array([0.0]), "absorptive": np.array([0.5]), "slack": np.array([0.5]),
    "tension": np.array([0.5]), "endorsement": np.array([0.0]), "champion": np.array([0.0]),
    "exposure_": np.array([[0.2]]), "threshold": np.array([0.5]), "support": np.array([0.0]),
}


def logit(**changes: np.ndarray) -> float:
    return float(A.decision_logit(AdoptionConfig(), **{**BASE_INPUTS, **changes})[0, 0])


def test_decision_logit_hand_computed() -> None:
    a = AdoptionConfig()
    expected = (a.intercept + 0.5 * (a.beta_relative_advantage + a.beta_compatibility
                                     - a.beta_complexity + a.beta_trialability
                                     + a.beta_observability - a.beta_cost + a.beta_absorptive
                                     + a.beta_slack + a.beta_tension)
                + 0.2 * a.beta_peer)  # exposure 0.2 is below the threshold 0.5
    assert logit() == pytest.approx(expected)
    assert logit(exposure_=np.array([[0.5]])) == pytest.approx(
        expected + 0.3 * a.beta_peer + a.beta_threshold)


@pytest.mark.parametrize(("name", "low", "high", "sign"), [
    ("ra", [0.2], [0.8], +1), ("compat", [[0.2]], [[0.8]], +1),
    ("complexity", [0.2], [0.8], -1), ("trial", [0.2], [0.8], +1),
    ("observ", [0.2], [0.8], +1), ("cost", [[0.2]], [[0.8]], -1),
    ("aligned", [0.0], [1.0], +1), ("absorptive", [0.2], [0.8], +1),
    ("slack", [0.2], [0.8], +1), ("tension", [0.2], [0.8], +1),
    ("endorsement", [0.0], [1.0], +1), ("champion", [0.0], [1.0], +1),
    ("exposure_", [[0.1]], [[0.9]], +1), ("support", [0.0], [1.0], +1),
    ("threshold", [0.1], [0.9], -1),
])
def test_decision_logit_moves_with_each_attribute(name: str, low: list, high: list,
                                                  sign: int) -> None:
    diff = logit(**{name: np.array(high, float)}) - logit(**{name: np.array(low, float)})
    assert sign * diff > 0


def test_decision_logit_broadcasts_providers_and_innovations() -> None:
    inputs = {k: (np.repeat(v, 3, axis=0) if k in {"compat", "cost", "exposure_", "absorptive",
                                                   "slack", "tension", "endorsement",
                                                   "champion", "threshold", "support"} else v)
              for k, v in BASE_INPUTS.items()}
    inputs = {k: (np.repeat(v, 2, axis=-1) if k in {"compat", "cost", "exposure_", "ra",
                                                    "complexity", "trial", "observ",
                                                    "aligned"} else v)
              for k, v in inputs.items()}
    inputs["slack"] = np.array([0.0, 0.5, 1.0])
    x = A.decision_logit(AdoptionConfig(), **inputs)
    assert x.shape == (3, 2)
    assert_allclose(x[1], [logit()] * 2)
    assert_allclose(np.diff(x[:, 0]), [0.5 * AdoptionConfig().beta_slack] * 2)


def test_decision_logit_sign_follows_the_coefficient() -> None:
    a = dataclasses.replace(AdoptionConfig(), beta_relative_advantage=-2.0)
    args = {**BASE_INPUTS}
    lo = A.decision_logit(a, **{**args, "ra": np.array([0.2])})[0, 0]
    hi = A.decision_logit(a, **{**args, "ra": np.array([0.8])})[0, 0]
    assert hi < lo


# --------------------------------------------------------------------------- hub rules


def test_saturate_shape() -> None:
    s = H.saturate(np.array([0.0, 2.0, 1e6]), 2.0)
    assert_allclose(s, [0.0, 1 - np.exp(-1), 1.0])
    assert np.all(np.diff(H.saturate(np.linspace(0, 50, 20), 5.0)) > 0)


def test_role_overlap_halves_every_halving_period() -> None:
    assert H.role_overlap(0.3, 12.0, 0) == pytest.approx(0.3)
    assert H.role_overlap(0.3, 12.0, 12) == pytest.approx(0.15)
    assert H.role_overlap(0.3, 12.0, 24) == pytest.approx(0.075)
    assert H.role_overlap(0.0, 12.0, 5) == 0.0


def test_monthly_spend_splits_pay_and_non_pay() -> None:
    cost = 43_000 / 12
    core, pay, non_pay = H.monthly_spend(475_000.0, 30, 3.0, cost)
    assert core == 3.0
    assert pay == pytest.approx(3 * cost)
    assert pay + non_pay == pytest.approx(475_000 / 30)


def test_monthly_spend_caps_core_fte_at_what_the_budget_affords() -> None:
    cost = 43_000 / 12
    core, pay, non_pay = H.monthly_spend(300_000.0, 30, 3.0, cost)  # GBP 10k a month
    assert core == pytest.approx(10_000 / cost)
    assert core < 3.0
    assert pay == pytest.approx(10_000)
    assert non_pay == pytest.approx(0.0)


@pytest.mark.parametrize(("budget", "months"), [(0.0, 10), (-5.0, 10), (1000.0, 0),
                                                 (1000.0, -3)])
def test_monthly_spend_nothing_without_money_or_time(budget: float, months: int) -> None:
    assert H.monthly_spend(budget, months, 3.0, 3000.0) == (0.0, 0.0, 0.0)


@given(st.floats(0, 2e6), st.integers(1, 60), st.floats(0, 10), st.floats(100, 2e4))
def test_monthly_spend_uses_exactly_the_budget(budget: float, months: int, fte: float,
                                               cost: float) -> None:
    left, spent = budget, 0.0
    for k in range(months):
        core, pay, non_pay = H.monthly_spend(left, months - k, fte, cost)
        assert 0 <= core <= fte
        assert pay >= 0 and non_pay >= -1e-9 * max(budget, 1)
        left -= pay + non_pay
        spent += pay + non_pay
    assert spent == pytest.approx(budget, rel=1e-9, abs=1e-6)


def test_split_hours_by_function_then_activity() -> None:
    mix = {"tools_for_innovators": 0.3, "bespoke_innovator_support": 0.4, "signposting": 0.3,
           "educational_offer": 0.7, "public_patient_engagement": 0.3,
           "networking_partnership_building": 1.0}
    h = dict(zip(H.ACTIVITY_NAMES, H.split_hours(100.0, (0.5, 0.3, 0.2), mix), strict=True))
    assert h == pytest.approx({"tools_for_innovators": 15.0, "bespoke_innovator_support": 20.0,
                               "signposting": 15.0, "educational_offer": 21.0,
                               "public_patient_engagement": 9.0,
                               "networking_partnership_building": 20.0})


def test_split_hours_normalises_within_each_function() -> None:
    mix = dict.fromkeys(ACTIVITIES, 0.2)
    mix["signposting"] = 0.0
    h = dict(zip(H.ACTIVITY_NAMES, H.split_hours(90.0, (1 / 3, 1 / 3, 1 / 3), mix),
                 strict=True))
    assert h["tools_for_innovators"] == pytest.approx(15.0)
    assert h["bespoke_innovator_support"] == pytest.approx(15.0)
    assert h["signposting"] == 0.0
    assert h["educational_offer"] == pytest.approx(15.0)
    assert h["networking_partnership_building"] == pytest.approx(30.0)
    assert sum(h.values()) == pytest.approx(90.0)


def test_split_hours_function_with_all_zero_activities_gets_nothing() -> None:
    mix = dict.fromkeys(ACTIVITIES, 1.0)
    mix["networking_partnership_building"] = 0.0
    h = H.split_hours(100.0, (0.4, 0.4, 0.2), mix)
    assert np.all(np.isfinite(h))
    assert h[H.ACTIVITY_NAMES.index("networking_partnership_building")] == 0.0
    assert h.sum() == pytest.approx(80.0)  # the partnership share is not moved elsewhere


def test_split_hours_zero_usable_is_zero_everywhere() -> None:
    mix = dict.fromkeys(ACTIVITIES, 1.0)
    assert_array_equal(H.split_hours(0.0, (0.2, 0.3, 0.5), mix), np.zeros(len(ACTIVITIES)))


def test_activity_function_map_matches_config() -> None:
    from spreadsim.config import FUNCTIONS

    for a, f in zip(H.ACTIVITY_NAMES, H.ACTIVITY_FUNCTION, strict=True):
        assert FUNCTIONS[f] == ACTIVITIES[a]


def test_innovation_weights_portfolio_and_local_requests() -> None:
    w = H.innovation_weights(np.array([True, True, True, False]),
                             np.array([True, False, False, True]), 0.5)
    assert_allclose(w, [0.5 + 0.5 / 3, 0.5 / 3, 0.5 / 3, 0.0])


def test_innovation_weights_without_aligned_or_active() -> None:
    assert_allclose(H.innovation_weights(np.array([True, True, False]), np.zeros(3, bool), 0.9),
                    [0.5, 0.5, 0.0])
    assert_array_equal(H.innovation_weights(np.zeros(3, bool), np.ones(3, bool), 0.5),
                       np.zeros(3))


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=8), unit)
def test_innovation_weights_sum_to_one_over_active(flags: list[tuple[bool, bool]],
                                                   share: float) -> None:
    active = np.array([f[0] for f in flags])
    aligned = np.array([f[1] for f in flags])
    w = H.innovation_weights(active, aligned, share)
    assert np.all(w >= 0)
    assert np.all(w[~active] == 0)
    if active.any():
        assert w.sum() == pytest.approx(1.0)


def test_trust_update_hand_computed() -> None:
    t = H.trust_update(np.array([0.2, 0.2]), np.array([0.0, 10.0]), 0.01, 0.0)
    assert_allclose(t, [0.2, 0.2 + 0.8 * (1 - np.exp(-0.1))])
    assert_allclose(H.trust_update(np.array([0.5]), np.array([0.0]), 0.01, 0.1), [0.45])


@given(st.lists(unit, min_size=1, max_size=5), st.floats(0, 1e4), unit, unit)
def test_trust_update_stays_in_unit_interval(trust: list[float], hours: float, gain: float,
                                             decay: float) -> None:
    t0 = np.array(trust)
    t = H.trust_update(t0, np.full(len(trust), hours), gain, decay)
    assert np.all((t >= 0) & (t <= 1))
    if decay == 0:
        assert np.all(t >= t0 - 1e-12)  # contact never lowers trust


def test_education_update_hand_computed() -> None:
    e = H.education_update(np.array([0.0, 0.0, 0.02]), np.array([5.0, 5.0, 0.0]), 0.05, 5.0,
                           0.0, np.array([1.0, 0.0, 1.0]))
    assert_allclose(e, [0.05 * (1 - np.exp(-1)), 0.0, 0.02])  # no trust, no gain
    assert_allclose(H.education_update(np.array([0.04]), np.array([0.0]), 0.05, 5.0, 0.5,
                                       np.array([1.0])), [0.02])


@given(st.floats(0, 1), st.floats(0, 1e4), unit, st.floats(0.01, 100), unit, unit)
def test_education_update_stays_between_zero_and_gain(frac: float, hours: float, gain: float,
                                                      h50: float, decay: float,
                                                      trust: float) -> None:
    stock = np.array([frac * gain])
    e = H.education_update(stock, np.array([hours]), gain, h50, decay, np.array([trust]))
    assert 0 <= e[0] <= gain + 1e-12


# --------------------------------------------------------------------------- shocks


def test_shock_activity_window_and_one_off_events() -> None:
    s = ShockConfig(start_month=3, duration_months=2, slack_cut=0.5)
    assert [S.is_active(s, m) for m in range(2, 7)] == [False, True, True, False, False]
    one_off = ShockConfig(start_month=3, duration_months=0)
    assert [S.is_active(one_off, m) for m in (2, 3, 4)] == [False, True, False]
    assert S.starting([s, one_off], 3) == [s, one_off]
    assert S.starting([s, one_off], 4) == []


def test_slack_multiplier_multiplies_active_cuts_and_pressure() -> None:
    a = ShockConfig(start_month=0, duration_months=10, slack_cut=0.5, pressure=False)
    b = ShockConfig(start_month=5, duration_months=10, slack_cut=0.2, pressure=True)
    assert S.slack_multiplier([a, b], 2) == pytest.approx(0.5)
    assert S.slack_multiplier([a, b], 7) == pytest.approx(0.5 * 0.8)
    assert S.slack_multiplier([a, b], 20) == 1.0
    assert not S.under_pressure([a, b], 2)
    assert S.under_pressure([a, b], 7)


def test_exposure_ignores_neighbours_not_eligible_for_the_innovation() -> None:
    # star: 0 tied to 1, 2, 3; provider 3 cannot adopt innovation 0, so it is no influence
    adj = csr(4, [(0, 1, 1.0), (0, 2, 1.0), (0, 3, 1.0)])
    adopted = np.array([[0.0], [1.0], [0.0], [0.0]])
    eligible = np.array([[True], [True], [True], [False]])
    e = A.exposure(adj, adopted, eligible)
    assert e[0, 0] == pytest.approx(1 / 2)  # one of its two eligible neighbours, not 1/3


def test_activity_multiplier_slows_work_only_while_a_shock_lasts() -> None:
    from spreadsim.config import ShockConfig
    from spreadsim.mechanisms.shocks import activity_multiplier

    shocks = (ShockConfig(start_month=3, duration_months=2, activity_cut=0.5),
              ShockConfig(start_month=4, duration_months=5, activity_cut=0.2))
    assert activity_multiplier(shocks, 2) == 1.0
    assert activity_multiplier(shocks, 3) == pytest.approx(0.5)
    assert activity_multiplier(shocks, 4) == pytest.approx(0.5 * 0.8)
    assert activity_multiplier(shocks, 9) == 1.0
