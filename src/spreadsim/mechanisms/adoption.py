"""Provider-side rules: exposure, awareness, the adoption decision, implementation, abandonment.

Notes:
    States are coded as in :data:`spreadsim.config.STATES`; ``INELIGIBLE`` marks provider and
    innovation pairs that cannot adopt (the provider's kind is not eligible).

References:
    Bass, F. M. (1969). A new product growth for model consumer durables. Management Science 15.
    Valente, T. W. (1996). Social network thresholds in the diffusion of innovations. Social
    Networks 18. Greenhalgh, T. et al. (2004). Diffusion of innovations in service organizations.
    Milbank Quarterly 82(4). Greenhalgh, T. et al. (2017). Beyond adoption (NASSS). JMIR 19(11).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

UNAWARE, AWARE, EVALUATING, IMPLEMENTING, SUSTAINED, REJECTED, FAILED, ABANDONED = range(8)
INELIGIBLE = 8
N_CODES = 9  # eight states plus INELIGIBLE

#: Extra (brokered) tie ends x innovations from which :func:`neighbour_sums` builds a sparse
#: matrix instead of a bincount (scipy's fixed cost, ~0.1 ms, pays off above this).
SPARSE_TIES_FROM = 50_000


def adopting(state: np.ndarray) -> np.ndarray:
    """True where a provider is implementing or sustaining an innovation."""
    return (state == IMPLEMENTING) | (state == SUSTAINED)


def adopted_matrix(state: np.ndarray) -> np.ndarray:
    """1.0 where a provider is implementing or sustaining an innovation, else 0.0."""
    return adopting(state).astype(np.float64)


def neighbour_sums(adjacency: sp.csr_array | None, adopted: np.ndarray, eligible: np.ndarray,
                   extra_rows: np.ndarray | None = None, extra_cols: np.ndarray | None = None,
                   extra_weights: np.ndarray | None = None,
                   degree: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted number of adopting neighbours per provider and innovation, and tie strength.

    Only ties to providers eligible for an innovation count towards its exposure: a neighbour
    that can never adopt it is not a potential source of influence (the same convention as the
    fully mixed case, where the denominator is the number of eligible providers).

    Args:
        adjacency: Symmetric N x N weights, or ``None`` for a fully mixed system, where every
            eligible provider is everyone's neighbour (the Bass mean field).
        adopted: (N, J) 0/1 matrix from :func:`adopted_matrix`.
        eligible: (N, J) bool.
        extra_rows, extra_cols, extra_weights: Extra undirected ties (hub-brokered), as parallel
            arrays of endpoints and weights, added on top of ``adjacency``.
        degree: ``adjacency @ eligible`` if already known (saves recomputing it every step).

    Returns:
        ``(adopted_weight, tie_weight)``: (N, J) summed weights of ties to adopters and to
        eligible providers.
    """
    n = adopted.shape[0]
    if adjacency is None:
        num = np.broadcast_to(adopted.sum(axis=0), adopted.shape)
        return num, np.broadcast_to(eligible.sum(axis=0), adopted.shape)
    deg = adjacency @ eligible.astype(np.float64) if degree is None else degree
    num = adjacency @ adopted
    if extra_rows is not None and len(extra_rows):
        j = adopted.shape[1]
        ends = np.concatenate([extra_rows, extra_cols])
        others = np.concatenate([extra_cols, extra_rows])
        w = np.concatenate([extra_weights, extra_weights])
        if len(ends) * j < SPARSE_TIES_FROM:  # few: one flat bincount over both ends
            flat = (ends[:, None] * j + np.arange(j)).ravel()
            num = num + np.bincount(flat, (w[:, None] * adopted[others]).ravel(),
                                    n * j).reshape(n, j)
            deg = deg + np.bincount(flat, (w[:, None] * eligible[others]).ravel(),
                                    n * j).reshape(n, j)
        else:  # many: a sparse matrix avoids the (ties x J) temporaries
            extra = sp.csr_array((w, (ends, others)), shape=(n, n))
            num = num + extra @ adopted
            deg = deg + extra @ eligible.astype(np.float64)
    return num, deg


def exposure(adjacency: sp.csr_array | None, adopted: np.ndarray, eligible: np.ndarray,
             extra_rows: np.ndarray | None = None, extra_cols: np.ndarray | None = None,
             extra_weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted share of each provider's neighbours that have adopted each innovation.

    Args:
        adjacency: Symmetric N x N weights, or ``None`` for a fully mixed system, where the
            exposure is the adopted share of all eligible providers (the Bass mean field).
        adopted: (N, J) 0/1 matrix from :func:`adopted_matrix`.
        eligible: (N, J) bool, used only by the mean field.
        extra_rows, extra_cols, extra_weights: Extra undirected ties (hub-brokered), as parallel
            arrays of endpoints and weights, added on top of ``adjacency``.

    Returns:
        (N, J) exposures in [0, 1]; 0 for providers without ties.
    """
    num, deg = neighbour_sums(adjacency, adopted, eligible, extra_rows, extra_cols,
                              extra_weights)
    return share_of(num, deg)


def share_of(num: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """``num / deg`` (0 where ``deg`` is 0): exposure from :func:`neighbour_sums`."""
    return np.divide(num, deg, out=np.zeros(np.shape(num)), where=deg > 0)


def reciprocal(deg: np.ndarray) -> np.ndarray:
    """``1 / deg`` where ``deg > 0``, else 0: ``num * reciprocal(deg)`` is :func:`share_of`
    (to rounding), and a multiplication is several times faster than a masked division."""
    return np.divide(1.0, deg, out=np.zeros(np.shape(deg)), where=deg > 0)


def awareness_probability(p_external: float, q_peer: float, exposure_: np.ndarray,
                          push: np.ndarray) -> np.ndarray:
    """Monthly chance an unaware provider becomes aware: ``min(1, p + q * exposure + push)``.

    The additive form makes the fully mixed, no-hub, instant case exactly the discrete Bass
    model: each non-adopter adopts with probability ``p + q * N(t-1) / m``.
    """
    return np.minimum(1.0, p_external + q_peer * exposure_ + push)


def awareness_probability_count(p_external: float, q_peer: float, adopted_neighbours: np.ndarray,
                                push: np.ndarray) -> np.ndarray:
    """Monthly chance of awareness with independent contacts: ``1 - (1-p)(1-q)^a (1-push)``.

    ``a`` is the (weighted) number of adopting neighbours: each tie to an adopter is an
    independent chance ``q`` of passing the innovation on (SI contagion on a network), the
    background and hub push are further independent chances.
    """
    if q_peer >= 1.0:
        stay = np.where(adopted_neighbours > 0, 0.0, 1.0)
    else:  # (1 - q)^a as exp(a log(1 - q)): several times faster than a float power
        stay = np.exp(np.log1p(-q_peer) * adopted_neighbours)
    return 1.0 - (1.0 - p_external) * stay * (1.0 - push)


def consider_probability(rate: float, slack: np.ndarray, tension: np.ndarray,
                         support: np.ndarray) -> np.ndarray:
    """Monthly chance an aware provider starts evaluating.

    ``rate * (0.5 + slack) * (0.5 + tension) * (1 + support)``, clipped to [0, 1]: slack and
    tension for change (Greenhalgh 2004, system readiness) and hub coordination, which matches
    innovations to providers' needs, all speed the move from awareness to evaluation.
    """
    p = rate * (0.5 + slack) * (0.5 + tension) * (1.0 + support)
    return np.clip(p, 0.0, 1.0)


def logistic(x: np.ndarray) -> np.ndarray:
    """The logistic function, numerically safe for large ``|x|``."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def completion_probability(mean_months: np.ndarray | float) -> np.ndarray:
    """Monthly chance a stage with geometric duration of the given mean (>= 1) ends."""
    return 1.0 / np.maximum(mean_months, 1.0)


def failure_probability(base: float, complexity: np.ndarray, slack: np.ndarray,
                        support: np.ndarray, support_cut: float) -> np.ndarray:
    """Chance a finished implementation fails rather than becoming sustained.

    ``base * (0.5 + complexity) / (0.5 + slack) * (1 - support_cut * support)``, clipped.
    """
    p = base * (0.5 + complexity) / (0.5 + slack) * (1.0 - support_cut * support)
    return np.clip(p, 0.0, 1.0)


def abandonment_hazard(base: float, per_domain: float, complex_domains: np.ndarray,
                       routine: np.ndarray, routinised_factor: float,
                       coproduction_cut: np.ndarray, cliff: np.ndarray,
                       cliff_multiplier: float) -> np.ndarray:
    """Monthly chance a sustained innovation is abandoned.

    ``base * (1 + per_domain * D_j) * (routinised_factor if routine) * (1 - coproduction_cut_j)
    * (cliff_multiplier if just after hub funding ended)`` (Wiltsey Stirman 2012; NASSS).
    """
    h = base * (1.0 + per_domain * complex_domains) * (1.0 - coproduction_cut)
    h = h * np.where(routine, routinised_factor, 1.0)
    h = h * np.where(cliff[:, None], cliff_multiplier, 1.0)
    return np.clip(h, 0.0, 1.0)


def decision_logit(a, ra: np.ndarray, compat: np.ndarray, complexity: np.ndarray,
                   trial: np.ndarray, observ: np.ndarray, cost: np.ndarray, aligned: np.ndarray,
                   absorptive: np.ndarray, slack: np.ndarray, tension: np.ndarray,
                   endorsement: np.ndarray, champion: np.ndarray, exposure_: np.ndarray,
                   threshold: np.ndarray, support: np.ndarray, *,
                   pairs: bool = False) -> np.ndarray:
    """Log-odds that an evaluating provider decides to adopt (DOMAIN section 5).

    Args:
        a: An :class:`~spreadsim.config.AdoptionConfig` (its ``intercept`` and ``beta_*``).
        ra, complexity, trial, observ, aligned: (J,) innovation attributes.
        compat, cost: (N, J) compatibility and cost after hub effects.
        absorptive, slack, tension, endorsement, champion, threshold, support: (N,) provider
            attributes; ``support`` is hub coordination support in [0, 1].
        exposure_: (N, J) exposure to adopting neighbours.
        pairs: If true, every array argument holds one value per (provider, innovation) pair
            instead (all of length K, e.g. gathered with ``np.nonzero``) and nothing is
            broadcast; each value is the same as the matching entry of the (N, J) result.

    Returns:
        (N, J) log-odds (or (K,) with ``pairs``). Innovation terms broadcast over providers and
        vice versa.
    """
    if pairs:
        col = lambda v: np.asarray(v, dtype=np.float64)  # noqa: E731
    else:
        col = lambda v: np.asarray(v, dtype=np.float64)[:, None]  # noqa: E731
    x = (a.intercept + a.beta_relative_advantage * ra - a.beta_complexity * complexity
         + a.beta_trialability * trial + a.beta_observability * observ
         + a.beta_aligned * aligned)
    x = x + a.beta_compatibility * compat - a.beta_cost * cost
    x = x + col(a.beta_absorptive * absorptive + a.beta_slack * slack
                + a.beta_tension * tension + a.beta_endorsement * endorsement
                + a.beta_champion * champion + a.beta_hub * support)
    x = x + a.beta_peer * exposure_ + a.beta_threshold * (exposure_ >= col(threshold))
    return x
