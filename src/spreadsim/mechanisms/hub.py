"""Hub-side rules: hours, money, the split of effort, and what each activity does per hour.

Every effect saturates in hours (diminishing returns, ``1 - exp(-h / h50)``) and is scaled by the
hub's relationship (trust) with the provider, so a hub with no hours has no effect.
"""

from __future__ import annotations

import numpy as np

from spreadsim.config import ACTIVITIES, FUNCTIONS

ACTIVITY_NAMES: tuple[str, ...] = tuple(ACTIVITIES)
ACTIVITY_FUNCTION: np.ndarray = np.array([FUNCTIONS.index(ACTIVITIES[a]) for a in ACTIVITY_NAMES])


def saturate(hours: np.ndarray | float, h50: float) -> np.ndarray:
    """Share of the maximum effect reached with ``hours``: ``1 - exp(-hours / h50)``."""
    return -np.expm1(-np.asarray(hours, dtype=np.float64) / h50)


def role_overlap(initial: float, halving_months: float, month: int) -> float:
    """Share of hours lost to unclear roles, halving every ``halving_months``."""
    return initial * 0.5 ** (month / halving_months)


def monthly_spend(budget_remaining: float, months_left: int, core_fte: float,
                  cost_per_fte_month: float) -> tuple[float, float, float]:
    """Spread the remaining budget evenly over the months left.

    Returns:
        ``(core_fte_now, pay, non_pay)``: the core FTE the budget still affords (at most
        ``core_fte``), its pay this month, and the rest of this month's share (events,
        backfill, seed money).
    """
    if months_left <= 0 or budget_remaining <= 0:
        return 0.0, 0.0, 0.0
    per_month = budget_remaining / months_left
    core_now = min(core_fte, per_month / cost_per_fte_month)
    pay = core_now * cost_per_fte_month
    return core_now, pay, per_month - pay


def split_hours(usable: float, effort_shares: tuple[float, float, float],
                activity_mix: dict[str, float]) -> np.ndarray:
    """Hours per activity (in :data:`ACTIVITY_NAMES` order) from function shares and mixes.

    Within each function the activity weights are normalised; a function whose activities all
    have weight zero gets no hours (they are not moved elsewhere).
    """
    w = np.array([activity_mix[a] for a in ACTIVITY_NAMES], dtype=np.float64)
    per_function = np.bincount(ACTIVITY_FUNCTION, w, len(FUNCTIONS))
    within = np.divide(w, per_function[ACTIVITY_FUNCTION],
                       out=np.zeros_like(w), where=per_function[ACTIVITY_FUNCTION] > 0)
    return usable * np.asarray(effort_shares)[ACTIVITY_FUNCTION] * within


def innovation_weights(active: np.ndarray, aligned: np.ndarray,
                       structure_share: float) -> np.ndarray:
    """Share of a hub's innovation-specific effort given to each innovation.

    A share ``structure_share`` goes to the fixed portfolio (active innovations aligned with
    system priorities), the rest evenly to every active innovation (local requests). With no
    aligned active innovation the whole effort is spread evenly.
    """
    active = active.astype(np.float64)
    n_active = active.sum()
    if n_active == 0:
        return active
    portfolio = active * aligned
    n_port = portfolio.sum()
    if n_port == 0:
        return active / n_active
    return structure_share * portfolio / n_port + (1 - structure_share) * active / n_active


def trust_update(trust: np.ndarray, contact_hours: np.ndarray, gain_per_hour: float,
                 decay: float) -> np.ndarray:
    """Relationship stock: grows with contact (saturating at 1), then decays."""
    grown = trust + (1.0 - trust) * -np.expm1(-gain_per_hour * contact_hours)
    return grown * (1.0 - decay)


def education_update(stock: np.ndarray, hours: np.ndarray, gain: float, h50: float,
                     decay: float, trust: np.ndarray) -> np.ndarray:
    """Absorptive-capacity gain from the educational offer: approaches ``gain``, then decays."""
    grown = stock + (gain - stock) * saturate(hours, h50) * trust
    return grown * (1.0 - decay)
