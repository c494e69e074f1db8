"""Direction checks: the hub mechanisms push outcomes the way the theory says.

Every check compares paired replications: the two arms of a pair share the root seed and the
replication index, so they have the same network, population and provider random numbers
(common random numbers), and differ only in what the check varies.

The test
--------
Each check computes one paired difference per replication and requires a one-sided Wilcoxon
signed-rank test (``scipy.stats.wilcoxon``, ``alternative="greater"``, zero differences dropped)
to reject "no effect or the other way" at alpha = 0.001. The signed-rank test assumes nothing
about the shape of the differences (they are small integer counts for some checks), only their
independence across replications, which the seeding guarantees.

Why it is safe: a model without the effect passes a check with probability at most 0.001. A
model with the effect fails only if the test lacks power; the replication counts below were
chosen from pilot runs (100 pairs per check, other seeds) so that the expected standardised
effect is at least 7 (z = mean / SE of the paired difference), where a p-value above 0.001
(z < 3.1) has a probability below 1e-4. The seeds are fixed, so the outcome is deterministic.
The numbers for each check are in its assertion message and printed (``pytest -s``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from spreadsim import metrics, tables
from spreadsim.config import FUNCTIONS, ScenarioConfig
from spreadsim.loading import load_scenario, with_overrides
from spreadsim.mechanisms import adoption as A
from spreadsim.model import SpreadModel

pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SEED = 31415
ALPHA = 1e-3
FUNDING_END = 30  # months: default_hub funds its hub for 30 months

Metric = Callable[[SpreadModel], float]


def assert_greater(d: np.ndarray, what: str) -> None:
    """One-sided Wilcoxon signed-rank test that the paired differences ``d`` exceed zero."""
    d = np.asarray(d, dtype=float)
    p = stats.wilcoxon(d, alternative="greater").pvalue if np.any(d != 0) else 1.0
    z = d.mean() / (d.std(ddof=1) / np.sqrt(len(d))) if d.std() > 0 else 0.0
    summary = (f"{what}: mean paired difference {d.mean():+.4g} (sd {d.std(ddof=1):.3g}, "
               f"z {z:.1f}), {int((d > 0).sum())} up / {int((d < 0).sum())} down / "
               f"{int((d == 0).sum())} tied of {len(d)}, one-sided Wilcoxon p = {p:.2g}")
    print(summary)
    assert p < ALPHA, summary


def run_metrics(cfg: ScenarioConfig, replications: int, fns: dict[str, Metric],
                steps: int | None = None) -> dict[str, np.ndarray]:
    """Run replications 0..R-1 of ``cfg`` on the common seed; one array per metric."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(replications):
        model = SpreadModel(cfg, rng=SEED, replication=r)
        model.run_for(steps or cfg.time.n_steps)
        for k, fn in fns.items():
            out[k].append(fn(model))
    return {k: np.array(v) for k, v in out.items()}


def more_hours(cfg: ScenarioConfig, function: str, factor: float = 2.0) -> ScenarioConfig:
    """The same hub with ``factor`` times the hours for one function, the others unchanged.

    The extra hours come as in-kind FTE and the effort shares are re-weighted so that the other
    functions keep exactly their hours during the funded period (hours are proportional to the
    FTE available, which is constant while funded when there are no shocks).
    """
    hub = cfg.hubs[0]
    probe = SpreadModel(cfg, rng=0)
    probe.step()
    fte = probe.hub_agents[0].record["hours_available"] / hub.hours_per_fte_month
    shares = dict(zip(FUNCTIONS, hub.effort.shares(), strict=True))
    extra = (factor - 1.0) * shares[function] * fte
    total = fte + extra
    effort = {f: s * fte / total + (extra / total if f == function else 0.0)
              for f, s in shares.items()}
    return with_overrides(cfg, {"hubs.0.inkind_fte": hub.inkind_fte + extra,
                                **{f"hubs.0.effort.{f}": v for f, v in effort.items()}})


def hours_by_function(model: SpreadModel) -> np.ndarray:
    """(steps, functions) hub hours of a run, from the hub table."""
    h = tables.hub(model)[0]
    return h.pivot_table(index="step", columns="function", values="hours", aggfunc="sum")[
        list(FUNCTIONS)].to_numpy()


def adopted_share(model: SpreadModel, step: int) -> float:
    """Implementing or sustained share of all eligible provider-innovation pairs."""
    c = model.counts.sum(axis=(1, 2))[step]
    return float((c[A.IMPLEMENTING] + c[A.SUSTAINED]) / model.eligible.sum())


@pytest.fixture(scope="module")
def default_hub() -> ScenarioConfig:
    return load_scenario(SCENARIOS / "default_hub.toml")


@pytest.fixture(scope="module")
def funded(default_hub: ScenarioConfig) -> ScenarioConfig:
    """The default hub up to its funding end."""
    assert default_hub.funding_end == FUNDING_END and not default_hub.shocks
    return with_overrides(default_hub, {"time.n_steps": FUNDING_END})


@pytest.mark.parametrize("function", ["dissemination", "partnership"])
def test_more_hours_for_one_function_leaves_the_others(funded: ScenarioConfig,
                                                       function: str) -> None:
    base, more = SpreadModel(funded, rng=1), SpreadModel(more_hours(funded, function), rng=1)
    base.run_for(FUNDING_END)
    more.run_for(FUNDING_END)
    hb, hm = hours_by_function(base)[1:], hours_by_function(more)[1:]
    k = FUNCTIONS.index(function)
    assert np.allclose(hm[:, k], 2 * hb[:, k], rtol=1e-9)
    others = [i for i in range(len(FUNCTIONS)) if i != k]
    assert np.allclose(hm[:, others], hb[:, others], rtol=1e-9)
    assert hb[:, k].min() > 0


def test_more_dissemination_hours_bring_earlier_awareness(funded: ScenarioConfig) -> None:
    aware: Metric = lambda m: float(  # noqa: E731
        metrics.outcomes(m, FUNDING_END)["aware_at_funding_end"].mean())
    n = 30  # pilot: +0.058 aware share at funding end, z = 20 at 100 pairs (11 at 30)
    low = run_metrics(funded, n, {"aware": aware})
    high = run_metrics(more_hours(funded, "dissemination"), n, {"aware": aware})
    assert_greater(high["aware"] - low["aware"],
                   "doubled dissemination hours: share aware at funding end")


def test_more_partnership_hours_bring_bridging_ties_and_exposure(funded: ScenarioConfig) -> None:
    def network(m: SpreadModel) -> tuple[float, float]:
        net = tables.network(m)
        live = net[net["step"] >= 1]
        return float(live["bridging_ties"].iloc[-1]), float(live["mean_exposure"].mean())

    fns: dict[str, Metric] = {"bridging": lambda m: network(m)[0],
                              "exposure": lambda m: network(m)[1]}
    n = 30  # pilot: +271 bridging ties (z = 232) and +0.025 exposure (z = 17) at 100 pairs
    low = run_metrics(funded, n, fns)
    high = run_metrics(more_hours(funded, "partnership"), n, fns)
    assert_greater(high["bridging"] - low["bridging"],
                   "doubled partnership hours: bridging ties at funding end")
    assert_greater(high["exposure"] - low["exposure"],
                   "doubled partnership hours: mean peer exposure over the funded months")


def test_pandemic_slows_adoption_during_the_shock(default_hub: ScenarioConfig) -> None:
    pandemic = load_scenario(SCENARIOS / "pandemic.toml")
    (shock,) = pandemic.shocks
    start, end = shock.start_month, shock.start_month + shock.duration_months
    assert (start, end) == (3, 15)
    assert pandemic.hubs == default_hub.hubs

    def growth(m: SpreadModel) -> float:
        return adopted_share(m, end) - adopted_share(m, start)

    n = 240  # pilot: growth 0.006 lower (z = 4.6 at 100 pairs, so 7.1 at 240): a small effect
    calm = run_metrics(default_hub, n, {"growth": growth}, steps=end)
    shocked = run_metrics(pandemic, n, {"growth": growth}, steps=end)
    print(f"adopted-share growth months {start}-{end}: default_hub "
          f"{calm['growth'].mean():.4f}, pandemic {shocked['growth'].mean():.4f}")
    assert_greater(calm["growth"] - shocked["growth"],
                   f"pandemic: lower adopted-share growth in months {start}-{end}")


@pytest.fixture(scope="module")
def hub_and_no_hub(default_hub: ScenarioConfig) -> dict[str, dict[str, np.ndarray]]:
    def outcome(name: str) -> Metric:
        return lambda m: float(metrics.outcomes(m, default_hub.funding_end)[name].sum())

    fns = {k: outcome(k) for k in ("sustained", "abandoned_6m_before_funding_end",
                                   "abandoned_6m_after_funding_end")}
    n = 30  # pilot at 100 pairs: +25.6 sustained (z = 27), +4.2 abandonments (z = 17)
    return {"hub": run_metrics(default_hub, n, fns),
            "none": run_metrics(default_hub.without_hubs(), n, fns)}


def test_more_abandonment_after_funding_ends(hub_and_no_hub: dict) -> None:
    hub = hub_and_no_hub["hub"]
    assert_greater(hub["abandoned_6m_after_funding_end"] - hub["abandoned_6m_before_funding_end"],
                   "default_hub: abandonments in the 6 months after minus before funding end")


def test_hub_beats_no_hub_on_sustained_adoptions(hub_and_no_hub: dict) -> None:
    assert_greater(hub_and_no_hub["hub"]["sustained"] - hub_and_no_hub["none"]["sustained"],
                   "default_hub minus no hub: sustained adoptions at the horizon")
