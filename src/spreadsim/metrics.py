"""Outcome metrics of a finished run: one row per innovation, and one row per run.

``outcomes`` columns (one row per arm, replication and innovation):

- ``eligible``: providers that can adopt it; ``arrival``: month it became available.
- ``t50``: months from arrival until half the eligible providers have adopted (implementing or
  sustained); NaN if never reached within the horizon.
- ``reach_at_funding_end`` / ``reach_at_horizon``: adopted share at the month the (first) hub's
  funding ends and at the horizon. ``reach_population_at_horizon`` weights providers by the
  population they serve. ``aware_at_funding_end``: share no longer unaware at funding end.
- ``ever_adopted``, ``sustained``, ``abandoned``, ``failed``, ``rejected``: provider counts
  (ever adopted; final state otherwise). ``sustainment_ratio`` = sustained / ever adopted.
- ``abandoned_6m_before_funding_end`` / ``abandoned_6m_after_funding_end``: abandonments in the
  six months up to and after the funding end.
- ``equity_gap_kind`` / ``equity_gap_place``: largest minus smallest adopted share at the horizon
  across eligible provider kinds / places.
- ``innovator_survived``: 1 if its innovator is still in business at the horizon, 0 if it
  exited, NaN if the innovation has no innovator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spreadsim.config import FUNCTIONS
from spreadsim.mechanisms import adoption as codes
from spreadsim.mechanisms.hub import ACTIVITY_FUNCTION
from spreadsim.model import SpreadModel

CLIFF_WINDOW = 6  # months either side of the funding end for abandonment counts


def _gap(values: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> float:
    """Largest minus smallest mean of ``values`` across groups with positive weight."""
    n = np.bincount(groups, weights)
    s = np.bincount(groups, values * weights)
    ok = n > 0
    if ok.sum() < 2:
        return 0.0
    share = s[ok] / n[ok]
    return float(share.max() - share.min())


def outcomes(model: SpreadModel, funding_end: int, arm: str = "scenario") -> pd.DataFrame:
    """Per-innovation outcomes of a finished model (see the module docstring)."""
    c = model.counts.sum(axis=2)  # (T, J, 9)
    horizon = c.shape[0] - 1
    fe = min(funding_end, horizon)
    adopted = c[:, :, codes.IMPLEMENTING] + c[:, :, codes.SUSTAINED]
    eligible = c[0, :, : codes.INELIGIBLE].sum(axis=1)
    m = np.maximum(eligible, 1)
    share = adopted / m
    inn = model.innovations
    reached = share >= 0.5
    first = np.where(reached.any(axis=0), reached.argmax(axis=0), -1)
    t50 = np.where(first >= 0, first - inn.arrival, np.nan).astype(float)
    abandoned = c[:, :, codes.ABANDONED]
    pop, sk = model.population, model.population.skeleton
    final = model.adopted
    rows = []
    for j in range(inn.n):
        elig = model.eligible[:, j].astype(float)
        owner = inn.innovator[j]
        survived = np.nan if owner < 0 else float(model.innovator_agents[owner].alive)
        rows.append({
            "innovation": inn.names[j], "arrival": int(inn.arrival[j]),
            "eligible": int(eligible[j]), "t50": t50[j],
            "reach_at_funding_end": share[fe, j], "reach_at_horizon": share[horizon, j],
            "reach_population_at_horizon": float((pop.size * final[:, j]).sum()
                                                 / max((pop.size * elig).sum(), 1e-12)),
            "aware_at_funding_end": 1.0 - c[fe, j, codes.UNAWARE] / m[j],
            "ever_adopted": int(model.ever_adopted[:, j].sum()),
            "sustained": int(c[horizon, j, codes.SUSTAINED]),
            "abandoned": int(abandoned[horizon, j]),
            "failed": int(c[horizon, j, codes.FAILED]),
            "rejected": int(c[horizon, j, codes.REJECTED]),
            "abandoned_6m_before_funding_end": int(abandoned[fe, j]
                                                   - abandoned[max(fe - CLIFF_WINDOW, 0), j]),
            "abandoned_6m_after_funding_end": int(abandoned[min(fe + CLIFF_WINDOW, horizon), j]
                                                  - abandoned[fe, j]),
            "equity_gap_kind": _gap(final[:, j], elig, sk.kind.astype(np.intp)),
            "equity_gap_place": _gap(final[:, j], elig, sk.place.astype(np.intp)),
            "innovator_survived": survived,
        })
    df = pd.DataFrame(rows)
    df["sustainment_ratio"] = df["sustained"] / df["ever_adopted"].where(df["ever_adopted"] > 0)
    df.insert(0, "seed", np.uint64(model.root_seed))
    df.insert(0, "replication", model.replication)
    df.insert(0, "arm", pd.Series([arm] * len(df), dtype="string"))
    return df


def run_summary(model: SpreadModel, outcome_rows: pd.DataFrame) -> dict[str, float]:
    """One row of run-level metrics: innovation outcomes aggregated, hub effort and network."""
    o = outcome_rows
    hours = np.zeros(len(FUNCTIONS))
    available = spent = 0.0
    for _, _, act_hours, record in model._hub_log:
        hours += np.bincount(ACTIVITY_FUNCTION, act_hours, len(FUNCTIONS))
        available += record.get("hours_available", 0.0)
    spent = float(sum(h.spent for h in model.hub_agents))
    net0, net1 = model._net_log[0], model._net_log[-1]
    row: dict[str, float] = {
        "n_providers": model.n_providers, "n_innovations": model.n_innovations,
        "t50_median": float(o["t50"].median()) if o["t50"].notna().any() else np.nan,
        "reach_at_funding_end": float(o["reach_at_funding_end"].mean()),
        "reach_at_horizon": float(o["reach_at_horizon"].mean()),
        "aware_at_funding_end": float(o["aware_at_funding_end"].mean()),
        "ever_adopted": int(o["ever_adopted"].sum()), "sustained": int(o["sustained"].sum()),
        "abandoned": int(o["abandoned"].sum()), "failed": int(o["failed"].sum()),
        "abandoned_6m_before_funding_end": int(o["abandoned_6m_before_funding_end"].sum()),
        "abandoned_6m_after_funding_end": int(o["abandoned_6m_after_funding_end"].sum()),
        "equity_gap_kind": float(o["equity_gap_kind"].mean()),
        "equity_gap_place": float(o["equity_gap_place"].mean()),
        "innovators_survived": float(o["innovator_survived"].mean())
        if o["innovator_survived"].notna().any() else np.nan,
        "hub_hours_available": available, "hub_cost_gbp": spent,
        "bridging_ties_start": int(net0[2]), "bridging_ties_end": int(net1[2]),
        "brokered_ties_added": int(sum(h.ties_added for h in model.hub_agents)),
        "mean_exposure_end": float(net1[4]),
    }
    for f, h in zip(FUNCTIONS, hours, strict=True):
        row[f"hub_hours_{f}"] = float(h)
    return row
