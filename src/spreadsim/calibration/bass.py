"""The discrete Bass (1969) model fitted to a cumulative adoption curve: the reference fit.

``Y(t) = Y(t-1) + (p + q Y(t-1) / m)(m - Y(t-1))`` with ``Y(0) = 0``, fitted by non-linear least
squares (``scipy.optimize.least_squares``) to the observed cumulative counts, with
``0 <= p, q`` and ``Y(T) <= m <= N``. Starting values come from Bass's own OLS regression of new
adopters on ``Y(t-1)`` and ``Y(t-1)^2`` when it gives a valid answer, plus a small grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

#: Upper bound on q per period (faster peer effects overshoot the market within one step).
Q_MAX = 2.0


@dataclass(frozen=True, slots=True)
class BassFit:
    """A fitted discrete Bass model.

    Attributes:
        p: Coefficient of external influence (per period).
        q: Coefficient of internal (imitation) influence (per period).
        m: Market potential, in providers (``m <= N``).
        curve: Fitted cumulative adopters per period.
        rmse_share: RMSE of the cumulative adopted share (fitted vs observed, share of N).
    """

    p: float
    q: float
    m: float
    curve: np.ndarray
    rmse_share: float


def bass_curve(p: float, q: float, m: float, n_periods: int) -> np.ndarray:
    """Cumulative adopters of the discrete Bass recursion at periods 1..T (``Y(0) = 0``)."""
    y = np.zeros(n_periods + 1)
    for t in range(1, n_periods + 1):
        y[t] = y[t - 1] + (p + q * y[t - 1] / m) * (m - y[t - 1])
    return y[1:]


def fit_bass(curve: np.ndarray, n: int) -> BassFit:
    """Fit p, q and m to a cumulative adoption curve.

    Args:
        curve: Observed cumulative adopters at the end of periods 1..T.
        n: Number of providers (upper bound on m; shares are of ``n``).

    Returns:
        The least-squares fit (the best of several starts).
    """
    curve = np.asarray(curve, dtype=float)
    t = len(curve)
    m_lo = max(float(curve[-1]), 1.0)
    lower, upper = np.array([0.0, 0.0, m_lo]), np.array([1.0, Q_MAX, max(float(n), m_lo)])
    upper[2] = max(upper[2], m_lo + 1e-9)

    def residual(x: np.ndarray) -> np.ndarray:
        return bass_curve(x[0], x[1], x[2], t) - curve

    best = None
    for x0 in _starts(curve, lower, upper):
        res = optimize.least_squares(residual, x0, bounds=(lower, upper), method="trf",
                                     x_scale=np.array([0.01, 0.1, max(n * 0.1, 1.0)]))
        if best is None or res.cost < best.cost:
            best = res
    p, q, m = (float(v) for v in best.x)
    fitted = bass_curve(p, q, m, t)
    rmse = float(np.sqrt(np.mean((fitted - curve) ** 2)) / n)
    return BassFit(p, q, m, fitted, rmse)


def _starts(curve: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> list[np.ndarray]:
    """Bass's OLS estimate (when valid) and a few grid points, clipped into the bounds."""
    starts = []
    prev = np.concatenate([[0.0], curve[:-1]])
    new = curve - prev
    a, b, c = np.linalg.lstsq(np.stack([np.ones_like(prev), prev, prev**2], axis=1), new,
                              rcond=None)[0]
    disc = b * b - 4 * a * c
    if c < 0 and disc >= 0:
        m = (-b - np.sqrt(disc)) / (2 * c)
        if m > 0:
            starts.append(np.array([a / m, -c * m, m]))
    for p0 in (0.01, 0.05, 0.2):
        for q0 in (0.1, 0.5):
            starts.append(np.array([p0, q0, upper[2]]))
    eps = 1e-9
    return [np.clip(s, lower + eps, upper - eps) for s in starts]
