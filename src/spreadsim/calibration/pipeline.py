"""Calibrate the model to an observed adoption curve: the whole pipeline, as one function.

``calibrate(observed, base, settings)`` fits the discrete Bass model (the reference), fits the
model's parameters with common random numbers, bootstraps their intervals, simulates the fitted
model, and compares the network pattern (how often adopters' nominees adopted before them) in
the data, the fitted model, the model without peer influence, and a "same curve, no peer
influence" null. The result is a plain dict, ready for ``calibration.json``.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from spreadsim.calibration import fit as fitting
from spreadsim.calibration.bass import BassFit, fit_bass
from spreadsim.calibration.data import (
    Observed,
    cumulative,
    first_reaching,
    pattern_summary,
    peer_attribution,
    shuffled_pattern,
)
from spreadsim.calibration.simulate import FITTABLE, Simulator, for_observed
from spreadsim.config import KINDS, ScenarioConfig
from spreadsim.errors import SpreadsimError
from spreadsim.network import load_edges
from spreadsim.population import Skeleton

#: Level of the parameter intervals and of the model's band across replications.
LEVEL = 0.95
#: Shuffles of adoption periods for the "same curve, no peer influence" null.
N_SHUFFLES = 2000
#: Child seeds of the root seed, by purpose (the fitting CRN is the model's replication 0).
SEED_KEYS = {"starts": 1, "shuffles": 2}
#: Automatic replications: enough that the Monte Carlo standard error of the model's mean
#: share is at most MC_SE in every period (judged from a pilot run), within these limits.
MC_SE, PILOT, MIN_REPLICATIONS, MAX_REPLICATIONS = 0.005, 200, 20, 200


@dataclass(frozen=True, slots=True)
class Settings:
    """How to calibrate.

    Attributes:
        params: Parameters to fit (from :data:`FITTABLE`); the others keep the base values.
        replications: Replications per parameter vector (copies run together, same seed);
            ``None`` chooses them from a pilot run (see :func:`auto_replications`).
        bootstrap: Simulated data sets refitted for the intervals (0 = no intervals).
        seed: Root seed of everything random.
        workers: Processes for the bootstrap refits.
        compare: Also fit the model without peer influence (when ``q_peer`` is fitted).
        progress: Show progress bars (``None`` = only on a terminal).
    """

    params: tuple[str, ...] = FITTABLE
    replications: int | None = None
    bootstrap: int = 30
    seed: int = 1
    workers: int = 1
    compare: bool = True
    progress: bool | None = None

    def check(self) -> None:
        """Raise :class:`SpreadsimError` for settings that cannot work."""
        unknown = [p for p in self.params if p not in FITTABLE]
        if unknown or not self.params or len(set(self.params)) != len(self.params):
            raise SpreadsimError(f"--params: expected distinct names from {', '.join(FITTABLE)}"
                                 f", got {','.join(self.params) or 'nothing'}")
        if self.replications is not None and not 10 <= self.replications <= 1000:
            raise SpreadsimError(f"--replications: expected 10 to 1000, got {self.replications}")
        if not (self.bootstrap == 0 or 10 <= self.bootstrap <= 1000):
            raise SpreadsimError(f"--bootstrap: expected 0 (no intervals) or 10 to 1000, got "
                                 f"{self.bootstrap}")
        if self.seed < 0:
            raise SpreadsimError(f"--seed: expected a non-negative integer, got {self.seed}")
        if self.workers < 1:
            raise SpreadsimError(f"--workers: expected at least 1, got {self.workers}")


def calibrate(observed: Observed, base: ScenarioConfig | None = None,
              settings: Settings | None = None) -> dict[str, Any]:
    """Fit the model to an observed adoption curve on its network.

    Args:
        observed: The data (see :func:`spreadsim.calibration.read_observed`).
        base: Scenario for everything calibration does not set (default: built-in defaults).
        settings: How to calibrate.

    Returns:
        The report (see docs/validation.md for every key): ``parameters`` (value and interval),
        ``rmse_share``, ``bass``, ``observed`` and ``simulated`` curves, ``t50``, the network
        pattern and the comparison models.
    """
    settings = settings or Settings()
    settings.check()
    base = base or ScenarioConfig()
    clock = {"start": time.perf_counter()}
    n, names = observed.n, settings.params
    bass = fit_bass(observed.curve, n)
    space = fitting.Space.of(names)
    start = _bass_start(bass, n, names, space)
    replications = settings.replications or auto_replications(
        Simulator(for_observed(base, observed, PILOT), names, settings.seed), start, n)
    cfg = for_observed(base, observed, replications)
    sim = Simulator(cfg, names, settings.seed)
    starts = [start] + fitting.sobol_starts(space, fitting.N_START,
                                            _rng(settings.seed, "starts"))
    with tqdm(desc="fitting", unit="run", disable=_disable(settings.progress)) as bar:
        best = fitting.fit(sim, space, observed.share, n, starts, on_eval=bar.update)
    clock["fit"] = time.perf_counter()
    steps = sim.adoption_steps(best.theta)
    estimates, intervals = _intervals(cfg, names, space, best, settings, n)
    clock["bootstrap"] = time.perf_counter()
    report = {
        "parameters": {
            name: {"value": float(v), "interval": (None if intervals is None else
                                                   [float(x) for x in intervals[k]]),
                   "bounds": [float(space.lower[k]), float(space.upper[k])]}
            for k, (name, v) in enumerate(zip(names, best.theta, strict=True))},
        "fixed": {name: getattr(cfg.adoption, name) for name in FITTABLE if name not in names},
        **_curves(observed, steps, bass),
        "bass": {"p": bass.p, "q": bass.q, "m": bass.m, "m_share": bass.m / n,
                 "rmse_share": bass.rmse_share},
        "optimiser": {"method": "Nelder-Mead (scipy.optimize.minimize) on the common-random-"
                      "numbers objective, unit-box coordinates, best of Bass start and "
                      f"{fitting.N_START} Sobol points, one restart",
                      "evaluations": best.evaluations, "message": best.message},
        "uncertainty": {"method": "parametric bootstrap: data sets simulated from the fitted "
                        "model on independent streams, each refitted from the fitted values; "
                        f"{LEVEL:.0%} percentile intervals",
                        "datasets": settings.bootstrap,
                        "estimates": None if estimates is None else estimates.tolist()},
    }
    report["rmse_share"] = float(best.rmse_share)
    report["rmse_ratio_to_bass"] = float(best.rmse_share / bass.rmse_share) if (
        bass.rmse_share > 0) else None
    report["network_pattern"] = _patterns(observed, steps, settings, sim, space, bass, report)
    clock["end"] = time.perf_counter()
    report["settings"] = {**dataclasses.asdict(settings), "params": list(names),
                          "replications": replications,
                          "replications_rule": None if settings.replications else (
                              f"automatic: Monte Carlo SE of the mean share <= {MC_SE} in a "
                              f"{PILOT}-replication pilot at the Bass start, within "
                              f"[{MIN_REPLICATIONS}, {MAX_REPLICATIONS}]"),
                          "level": LEVEL}
    report["data"] = _describe(observed)
    report["timings_s"] = {"fit": clock["fit"] - clock["start"],
                           "bootstrap": clock["bootstrap"] - clock["fit"],
                           "total": clock["end"] - clock["start"]}
    report["config"] = cfg
    return report


def auto_replications(pilot: Simulator, theta: np.ndarray, n: int) -> int:
    """Replications that make the mean curve's Monte Carlo standard error at most MC_SE.

    Args:
        pilot: A simulator with :data:`PILOT` replications.
        theta: Where to judge the spread (the Bass-derived start).
        n: Number of providers.

    Returns:
        ``ceil((max_t sd_t / MC_SE)^2)`` within [MIN_REPLICATIONS, MAX_REPLICATIONS], where
        ``sd_t`` is the standard deviation of the period-``t`` share across replications.
    """
    share = cumulative(pilot.adoption_steps(theta), pilot.n_periods) / n
    need = int(np.ceil((share.std(axis=1, ddof=1).max() / MC_SE) ** 2))
    return int(np.clip(need, MIN_REPLICATIONS, MAX_REPLICATIONS))


def _intervals(cfg: ScenarioConfig, names: tuple[str, ...], space: fitting.Space,
               best: fitting.Fit, settings: Settings, n: int
               ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Bootstrap estimates (B, k) and percentile intervals (k, 2), or ``(None, None)``."""
    if settings.bootstrap == 0:
        return None, None
    b = settings.bootstrap
    data_cfg = dataclasses.replace(cfg, innovations=(dataclasses.replace(
        cfg.innovations[0], copies=b),))
    data = Simulator(data_cfg, names, settings.seed, replication=1)
    datasets = cumulative(data.adoption_steps(best.theta), cfg.time.n_steps) / n
    make_sim = functools.partial(Simulator, cfg, names, settings.seed, 0)
    estimates = fitting.bootstrap(make_sim, space, best.theta, datasets, n,
                                  workers=settings.workers, progress=settings.progress)
    return estimates, fitting.percentile_intervals(estimates, LEVEL)


def _curves(observed: Observed, steps: np.ndarray, bass: BassFit) -> dict[str, Any]:
    """Observed, simulated and Bass curves, t50s, final shares and curves by group."""
    n, periods = observed.n, observed.periods
    share = cumulative(steps, observed.n_periods) / n
    mean = share.mean(axis=1)
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.percentile(share, [tail, 100 - tail], axis=1)
    bass_share = bass.curve / n
    out: dict[str, Any] = {
        "observed": {"period": periods.tolist(), "adopters": observed.curve.tolist(),
                     "share": observed.share.tolist()},
        "simulated": {"period": periods.tolist(), "mean_share": mean.tolist(),
                      "low_share": low.tolist(), "high_share": high.tolist(),
                      "mean_adopters": (mean * n).tolist(), "replications": steps.shape[1]},
        "bass_curve": {"period": periods.tolist(), "share": bass_share.tolist()},
        "t50": {"observed": first_reaching(observed.share, periods),
                "simulated": first_reaching(mean, periods),
                "bass": first_reaching(bass_share, periods)},
        "final_share": {"observed": float(observed.share[-1]), "simulated": float(mean[-1]),
                        "bass": float(bass_share[-1])},
    }
    if len(observed.group_labels) > 1:
        out["by_group"] = {
            label: {"n": int((observed.group == g).sum()),
                    "observed_share": obs.tolist(),
                    "simulated_share": (cumulative(steps[observed.group == g],
                                                   observed.n_periods).mean(axis=1)
                                        / max((observed.group == g).sum(), 1)).tolist()}
            for g, (label, obs) in enumerate(observed.group_curves().items())}
    return out


def _patterns(observed: Observed, steps: np.ndarray, settings: Settings, sim: Simulator,
              space: fitting.Space, bass: BassFit, report: dict[str, Any]) -> dict[str, Any]:
    """Earlier-nominee share: data, fitted model, no-peer model and the shuffled null."""
    t50 = report["t50"]["observed"]
    cut = None if t50 is None else t50 - observed.first_period + 1
    data = pattern_summary(observed.step[:, None], observed.ties, cut)
    out: dict[str, Any] = {
        "definition": "for each adopter who named at least one provider in the file, the share "
        "of the providers it named who adopted in an earlier period (non-adopters count as not "
        "earlier); mean over adopters; early = adopted before the observed t50 period",
        "observed": {k: _num(v[0]) for k, v in data.items()},
        "calibrated_model": _summarise(pattern_summary(steps, observed.ties, cut)),
    }
    if "q_peer" in space.names or sim.config.adoption.q_peer > 0:
        theta = dict(zip(space.names, report_theta(report, space), strict=True))
        a = sim.config.adoption
        shares = peer_attribution(steps, load_edges(observed.edges_file, _skeleton(observed)),
                                  theta.get("p_external", a.p_external),
                                  theta.get("q_peer", a.q_peer))
        out["calibrated_model"]["peer_share_of_adoptions"] = _num(np.nanmean(shares))
    shuffled = shuffled_pattern(observed, cut, N_SHUFFLES, _rng(settings.seed, "shuffles"))
    out["same_curve_no_peer"] = {
        "description": "adoption periods shuffled among providers within each group (the "
        "network fixed): every group keeps its observed curve exactly, as under common time "
        "effects with no peer influence",
        **_summarise(shuffled),
        "p_value_one_sided": float((np.sum(shuffled["all"] >= data["all"][0]) + 1)
                                   / (N_SHUFFLES + 1)),
        "shuffles": N_SHUFFLES}
    if settings.compare and "q_peer" in space.names:
        out["no_peer_model"] = _no_peer(observed, settings, sim, bass, cut)
    return out


def report_theta(report: dict[str, Any], space: fitting.Space) -> list[float]:
    """Fitted values in the order of ``space.names``."""
    return [report["parameters"][name]["value"] for name in space.names]


def _skeleton(observed: Observed) -> Skeleton:
    """The observation's providers as a skeleton (for the model's network)."""
    n = observed.n
    return Skeleton(observed.ids, np.full(n, KINDS.index("pcn"), np.int8),
                    observed.group.astype(np.int32), np.zeros(n, np.int32),
                    observed.group_labels)


def _no_peer(observed: Observed, settings: Settings, sim: Simulator, bass: BassFit,
             cut: int | None) -> dict[str, Any]:
    """Refit the model with ``q_peer = 0`` (external influence only) to the same curve."""
    names = tuple(p for p in sim.names if p != "q_peer")
    space = fitting.Space.of(names)
    zero = Simulator(sim.with_values({"q_peer": 0.0}), names, settings.seed)
    n = observed.n
    with tqdm(desc="fitting without peer influence", unit="run",
              disable=_disable(settings.progress)) as bar:
        best = fitting.fit(zero, space, observed.share, n,
                           [_bass_start(bass, n, names, space)], on_eval=bar.update)
    steps = zero.adoption_steps(best.theta)
    mean = cumulative(steps, observed.n_periods).mean(axis=1) / n
    return {"parameters": {k: float(v) for k, v in zip(names, best.theta, strict=True)},
            "rmse_share": float(best.rmse_share),
            "t50": first_reaching(mean, observed.periods),
            "final_share": float(mean[-1]),
            "mean_share": mean.tolist(),
            **_summarise(pattern_summary(steps, observed.ties, cut))}


def _summarise(pattern: dict[str, np.ndarray]) -> dict[str, Any]:
    """Mean over replications, with the band of the overall value."""
    out = {k: _num(np.nanmean(v)) if np.isfinite(v).any() else None for k, v in pattern.items()}
    finite = pattern["all"][np.isfinite(pattern["all"])]
    out["band"] = ([float(x) for x in np.percentile(finite, [2.5, 97.5])] if len(finite)
                   else None)
    return out


def _bass_start(bass: BassFit, n: int, names: tuple[str, ...], space: fitting.Space
                ) -> np.ndarray:
    """Model parameters suggested by the Bass fit.

    ``p_external`` plays Bass's p and ``susceptible_share`` his ``m / N``. Bass's peer term is
    ``q Y / m``; the model's is ``q_peer`` times the adopted share of a provider's neighbours,
    about ``Y / N``, so ``q_peer`` starts at ``q N / m``.
    """
    m_share = bass.m / n
    guess = {"p_external": bass.p, "q_peer": bass.q / max(m_share, 1e-6),
             "susceptible_share": m_share}
    return np.clip([guess[k] for k in names], space.lower, space.upper)


def _describe(observed: Observed) -> dict[str, Any]:
    ties = observed.ties
    cross = int((observed.group[ties.source] != observed.group[ties.target]).sum())
    return {"nodes_file": observed.nodes_file, "edges_file": observed.edges_file,
            "time_column": observed.time_column, "group_column": observed.group_column,
            "providers": observed.n, "ties": len(ties.source),
            "distinct_directed_pairs": int(len({(int(a), int(b)) for a, b in
                                               zip(ties.source, ties.target, strict=True)})),
            "self_loops_dropped": ties.self_loops, "ties_across_groups": cross,
            "first_period": observed.first_period, "n_periods": observed.n_periods,
            "adopters": int(observed.curve[-1]), "groups": list(observed.group_labels)}


def _rng(seed: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SEED_KEYS[purpose],)))


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _disable(progress: bool | None) -> bool | None:
    return None if progress is None else not progress
