"""Context shocks on the timeline: which are active in a month and what they change."""

from __future__ import annotations

from collections.abc import Sequence

from spreadsim.config import ShockConfig


def is_active(shock: ShockConfig, month: int) -> bool:
    """A shock is active from its start month for ``duration_months`` (one month if 0)."""
    return shock.start_month <= month < shock.start_month + max(shock.duration_months, 1)


def slack_multiplier(shocks: Sequence[ShockConfig], month: int) -> float:
    """Product of ``1 - slack_cut`` over the shocks active in ``month``."""
    m = 1.0
    for s in shocks:
        if is_active(s, month):
            m *= 1.0 - s.slack_cut
    return m


def activity_multiplier(shocks: Sequence[ShockConfig], month: int) -> float:
    """Product of ``1 - activity_cut`` over the shocks active in ``month``: how fast providers'
    innovation work (considering, evaluating, implementing) proceeds relative to normal."""
    m = 1.0
    for s in shocks:
        if is_active(s, month):
            m *= 1.0 - s.activity_cut
    return m


def under_pressure(shocks: Sequence[ShockConfig], month: int) -> bool:
    """Is any pressure-raising shock active (partners may then withdraw in-kind time)?"""
    return any(s.pressure and is_active(s, month) for s in shocks)


def starting(shocks: Sequence[ShockConfig], month: int) -> list[ShockConfig]:
    """Shocks whose one-off effects (budget, in-kind, ties, endorsement) happen this month."""
    return [s for s in shocks if s.start_month == month]
