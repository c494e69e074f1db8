"""Fit model parameters to an observed curve, and their uncertainty by parametric bootstrap.

The objective is the RMSE between the observed cumulative adopted share and the model's mean
share over ``R`` replications, all run with the same seed for every parameter vector (common
random numbers, CRN). With CRN the objective is a deterministic, piecewise-constant function of
the parameters with many small steps, so a derivative-free simplex search suits it:
``scipy.optimize.minimize(method="Nelder-Mead")`` with bounds from the parameters' documented
ranges, in coordinates relative to each parameter's typical size (so that a step of 0.1 means
"10% more" whether the parameter is 0.01 or 0.8), started from the best of the Bass-derived
guess and a small scrambled Sobol design (``scipy.stats.qmc``, seeded), and restarted once from
its result.

Uncertainty: a parametric bootstrap. ``B`` data sets are simulated from the fitted model (one
realisation each, on independent random streams), each is refitted exactly like the data, and
the 2.5 and 97.5 percentiles of the refitted values give a 95% interval per parameter. It
captures what matters here, the chance variation of a single observed diffusion on one
network, and needs no likelihood (which the simulation model does not have in closed form).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.stats import qmc
from tqdm.auto import tqdm

from spreadsim.calibration.data import cumulative
from spreadsim.calibration.simulate import Simulator
from spreadsim.config import AdoptionConfig

#: Lowest susceptible share searched (a market of nobody cannot produce any adoption).
MIN_SUSCEPTIBLE = 0.01
#: Sobol points evaluated before the simplex search starts.
N_START = 8
#: Smallest typical size of a parameter, as a share of its range (scales the coordinates).
MIN_SCALE = 0.005
#: Initial simplex edge, relative to each parameter's size: the main fit, the bootstrap refits.
STEP_FIT, STEP_REFIT = 0.2, 0.1
#: Evaluation budgets per simplex search.
MAXFEV_FIT, MAXFEV_REFIT = 400, 100
#: Simplex tolerances, relative to each parameter's size and in RMSE: the fit, then the looser
#: bootstrap refits (the spread of refitted values is far larger than these tolerances).
XATOL_FIT, FATOL_FIT = 1e-3, 1e-6
XATOL_REFIT, FATOL_REFIT = 5e-3, 1e-4


@dataclass(frozen=True, slots=True)
class Space:
    """The searched parameters and their bounds."""

    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def of(cls, names: Sequence[str]) -> Space:
        """Bounds from the documented ``range`` of each ``AdoptionConfig`` field."""
        meta = {f.name: f.metadata for f in dataclasses.fields(AdoptionConfig)}
        lo, hi = zip(*(meta[n]["range"] for n in names), strict=True)
        lower = np.array([max(v, MIN_SUSCEPTIBLE) if n == "susceptible_share" else v
                          for n, v in zip(names, lo, strict=True)], dtype=float)
        return cls(tuple(names), lower, np.array(hi, dtype=float))

    def clip(self, theta: np.ndarray) -> np.ndarray:
        """Values moved into the bounds."""
        return np.clip(theta, self.lower, self.upper)

    def scale(self, theta: np.ndarray) -> np.ndarray:
        """Typical size of each parameter near ``theta`` (at least MIN_SCALE of its range)."""
        return np.maximum(np.abs(theta), MIN_SCALE * (self.upper - self.lower))

    def uniform(self, u: np.ndarray) -> np.ndarray:
        """Values at unit-box coordinates ``u`` (for space-filling designs)."""
        return self.lower + np.clip(u, 0.0, 1.0) * (self.upper - self.lower)


@dataclass(frozen=True, slots=True)
class Fit:
    """One fitted parameter vector."""

    theta: np.ndarray
    rmse_share: float
    evaluations: int
    message: str


def mean_share(sim: Simulator, theta: Sequence[float], n: int) -> np.ndarray:
    """Mean cumulative adopted share per period over the simulator's replications."""
    return cumulative(sim.adoption_steps(theta), sim.n_periods).mean(axis=1) / n


def fit(sim: Simulator, space: Space, target: np.ndarray, n: int, starts: Sequence[np.ndarray],
        scale: np.ndarray | None = None, step: float = STEP_FIT, maxfev: int = MAXFEV_FIT,
        tol: tuple[float, float] = (XATOL_FIT, FATOL_FIT),
        on_eval: Callable[[], None] | None = None) -> Fit:
    """Minimise the CRN objective from the best of ``starts``.

    Args:
        sim: The simulator (its seed is the CRN).
        space: Parameters and bounds.
        target: Observed cumulative share per period.
        n: Number of providers.
        starts: Candidate parameter vectors; the best one starts the simplex.
        scale: Typical size of each parameter (default: that of the first start); the search
            runs in coordinates ``theta / scale``.
        step: Initial simplex edge, relative to ``scale``.
        maxfev: Most objective evaluations per simplex search.
        tol: A search stops when the simplex is this small, relative to ``scale``, and its
            RMSEs differ by less than the second number.
        on_eval: Called after each evaluation (progress).

    Returns:
        The best point found.
    """
    scale = space.scale(space.clip(starts[0])) if scale is None else np.asarray(scale)
    lower, upper = space.lower / scale, space.upper / scale
    cache: dict[tuple[float, ...], float] = {}

    def objective(x: np.ndarray) -> float:
        key = tuple(np.round(np.clip(x, lower, upper), 10))
        if key not in cache:
            share = mean_share(sim, np.asarray(key) * scale, n)
            cache[key] = float(np.sqrt(np.mean((share - target) ** 2)))
            if on_eval:
                on_eval()
        return cache[key]

    best = min((space.clip(s) / scale for s in starts), key=objective)
    message = ""
    for edge in (step, step / 2):  # one restart: a collapsed simplex gets a fresh start
        res = optimize.minimize(objective, best, method="Nelder-Mead",
                                bounds=list(zip(lower, upper, strict=True)),
                                options={"initial_simplex": _simplex(best, edge, lower, upper),
                                         "xatol": tol[0], "fatol": tol[1],
                                         "maxfev": maxfev})
        best, message = np.clip(res.x, lower, upper), str(res.message)
    return Fit(best * scale, objective(best), len(cache), message)


def sobol_starts(space: Space, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``k`` scrambled Sobol points over the box (``k`` a power of two)."""
    sampler = qmc.Sobol(len(space.names), scramble=True, rng=rng)
    return [space.uniform(u) for u in sampler.random(k)]


def bootstrap(make_sim: Callable[[], Simulator], space: Space, theta: np.ndarray,
              datasets: np.ndarray, n: int, workers: int = 1, progress: bool | None = None
              ) -> np.ndarray:
    """Refit every simulated data set, starting from the fitted values.

    Args:
        make_sim: Builds the fitting simulator (same CRN as the main fit); called once per
            worker process.
        space: Parameters and bounds.
        theta: The fitted values (the start of every refit).
        datasets: (T, B) simulated cumulative shares, one column per data set.
        n: Number of providers.
        workers: Processes to use (1 = in this process).
        progress: tqdm's ``disable`` semantics inverted: ``None`` = only on a terminal.

    Returns:
        (B, k) refitted values, in data-set order.
    """
    b = datasets.shape[1]
    out = np.full((b, len(space.names)), np.nan)
    bar = tqdm(total=b, desc="bootstrap refits", unit="fit", disable=_disable(progress))
    if workers <= 1:
        sim = make_sim()
        for i in range(b):
            out[i] = _refit_one(sim, space, theta, datasets[:, i], n)
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")
        pool = cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                      initargs=(make_sim, space, theta, n))
        try:
            futures = {pool.submit(_refit, datasets[:, i]): i for i in range(b)}
            for fut in cf.as_completed(futures):
                out[futures[fut]] = fut.result()
                bar.update()
        finally:  # on Ctrl-C or an error, drop the queued refits instead of running them
            pool.shutdown(wait=True, cancel_futures=True)
    bar.close()
    return out


def percentile_intervals(estimates: np.ndarray, level: float = 0.95) -> np.ndarray:
    """(k, 2) percentile intervals of bootstrap estimates (columns = parameters)."""
    tail = 100 * (1 - level) / 2
    return np.percentile(estimates, [tail, 100 - tail], axis=0).T


# --- worker processes -----------------------------------------------------------------------

_WORKER: dict[str, object] = {}


def _init_worker(make_sim: Callable[[], Simulator], space: Space, theta: np.ndarray,
                 n: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    _WORKER.update(sim=make_sim(), space=space, theta=theta, n=n)


def _refit(target: np.ndarray) -> np.ndarray:
    w = _WORKER
    return _refit_one(w["sim"], w["space"], w["theta"], target, w["n"])  # type: ignore[arg-type]


def _refit_one(sim: Simulator, space: Space, theta: np.ndarray, target: np.ndarray,
               n: int) -> np.ndarray:
    return fit(sim, space, target, n, [theta], space.scale(theta), STEP_REFIT, MAXFEV_REFIT,
               (XATOL_REFIT, FATOL_REFIT)).theta


def _simplex(x0: np.ndarray, edge: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """A right-angled simplex at ``x0`` (edges relative to 1), stepping inwards at a bound."""
    pts = [x0]
    for i in range(len(x0)):
        x = x0.copy()
        x[i] = x0[i] + edge if x0[i] + edge <= upper[i] else max(x0[i] - edge, lower[i])
        pts.append(x)
    return np.array(pts)


def _disable(progress: bool | None) -> bool | None:
    return None if progress is None else not progress
