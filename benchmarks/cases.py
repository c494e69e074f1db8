"""The four benchmark cases, each a function ``(n, seed) -> (curve, steps)`` that builds and runs.

(a) ``full``: a full spreadsim run (:func:`spreadsim.runner.run_replication`: build, 84 months,
    tables and metrics, no files) of ``scenarios/default_hub.toml`` scaled up: ``S`` ICSs, each
    with the default's 5 trusts and 20 social care providers plus ``G`` GP practices instead of
    the 30 PCNs, one hub per ICS, the default's 3 innovations and 2 innovators, ``output.detail =
    "kind"``. (S, G) = (1, 975), (10, 975) and (40, 2475) give 1,000, 10,000 and 100,000.
(b) ``spreadsim``: :class:`spreadsim.model.SpreadModel` configured to the simple dynamics
    (``benchmarks/simple_dynamics.toml``), built and run for 100 steps.
(c) ``mesa``: the idiomatic Mesa reference (``mesa_reference.py``).
(d) ``kernel``: the bare numpy / scipy.sparse kernel (``kernel.py``).

Every case returns its curve (adopted share per step; for (a) the mean over innovations of the
adopted share of eligible providers) and the number of steps, so the harness can count
agent-steps (providers x steps) and compare curves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import kernel
import mesa_reference
import numpy as np
from simple_dynamics import STEPS

ROOT = Path(__file__).resolve().parent.parent
SIMPLE_TOML = ROOT / "benchmarks" / "simple_dynamics.toml"
DEFAULT_TOML = ROOT / "scenarios" / "default_hub.toml"

#: (ICSs, GP practices per ICS) for case (a) at each size; each ICS also has 25 other providers.
FULL_LAYOUT: dict[int, tuple[int, int]] = {1_000: (1, 975), 10_000: (10, 975),
                                           100_000: (40, 2475)}
OTHER_PROVIDERS_PER_ICS = 25  # default_hub: 2 acute, 1 MH, 1 community, 1 ambulance, 20 social care


@cache
def _simple_base():
    from spreadsim.loading import load_scenario

    return load_scenario(SIMPLE_TOML)


@cache
def full_config(n: int, innovation_copies: int = 1):
    """Case (a)'s scenario at ``n`` providers (optionally each innovation repeated)."""
    from spreadsim.loading import load_scenario, with_overrides

    systems, practices = FULL_LAYOUT[n]
    assert systems * (practices + OTHER_PROVIDERS_PER_ICS) == n
    overrides: dict[str, object] = {
        "system.n_systems": systems, "providers.pcn.count": 0,
        "providers.gp_practice.count": practices, "hubs.0.per_system": True,
        "output.detail": "kind"}
    cfg = load_scenario(DEFAULT_TOML)
    for k, inn in enumerate(cfg.innovations):
        overrides[f"innovations.{k}.eligible_kinds"] = tuple(
            "gp_practice" if kind == "pcn" else kind for kind in inn.eligible_kinds)
        if innovation_copies > 1:
            overrides[f"innovations.{k}.copies"] = innovation_copies
            overrides[f"innovations.{k}.arrival_every"] = 1
    return with_overrides(cfg, overrides, source="benchmarks/cases.py")


@cache
def simple_config(n: int):
    """Case (b)'s scenario at ``n`` providers."""
    from spreadsim.loading import with_overrides

    return with_overrides(_simple_base(), {"providers.pcn.count": n},
                          source="benchmarks/cases.py")


def run_full(n: int, seed: int, innovation_copies: int = 1) -> tuple[np.ndarray, int]:
    """(a) Build, run 84 months and make every table of the scaled default scenario."""
    from spreadsim.runner import run_replication

    cfg = full_config(n, innovation_copies)
    out = run_replication(cfg, seed, 0)
    adoption = out["adoption"]
    adopted = adoption[adoption["state"].isin(["implementing", "sustained"])]
    share = adopted.groupby(["step", "innovation"], observed=True)["share"].sum()
    curve = share.groupby(level="step").mean().to_numpy()
    return curve, cfg.time.n_steps


def run_spreadsim(n: int, seed: int) -> tuple[np.ndarray, int]:
    """(b) Build and run SpreadModel on the simple dynamics."""
    from spreadsim.mechanisms.adoption import IMPLEMENTING, SUSTAINED
    from spreadsim.model import SpreadModel

    model = SpreadModel(simple_config(n), rng=seed)
    model.run_for(STEPS)
    counts = model.counts[:, 0].sum(axis=1)  # (steps + 1, 9)
    return (counts[:, IMPLEMENTING] + counts[:, SUSTAINED]) / n, STEPS


def run_mesa(n: int, seed: int) -> tuple[np.ndarray, int]:
    """(c) The idiomatic Mesa reference."""
    return mesa_reference.run(n, seed, STEPS), STEPS


def run_kernel(n: int, seed: int) -> tuple[np.ndarray, int]:
    """(d) The numpy / scipy.sparse kernel."""
    return kernel.run(n, seed, STEPS), STEPS


CASES: dict[str, Callable[[int, int], tuple[np.ndarray, int]]] = {
    "full": run_full, "spreadsim": run_spreadsim, "mesa": run_mesa, "kernel": run_kernel}
LABELS: dict[str, str] = {
    "full": "(a) spreadsim full run (scaled default, 84 months, tables)",
    "spreadsim": "(b) spreadsim, simple dynamics",
    "mesa": "(c) idiomatic Mesa, simple dynamics",
    "kernel": "(d) numpy/scipy.sparse kernel, simple dynamics",
}
