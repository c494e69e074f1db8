"""Case (d): the simple dynamics as a bare numpy / scipy.sparse kernel (the practical floor).

One sparse matrix-vector product and one uniform draw per provider per step. The Watts-Strogatz
network is generated with numpy too (networkx's pure-Python generator would cost more than the
whole run at 100,000 providers).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from simple_dynamics import REWIRING, STEPS, K, P, Q


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> sp.csr_array:
    """Ring lattice (k // 2 neighbours a side) with each tie rewired w.p. p; no duplicates."""
    half = k // 2
    src = np.repeat(np.arange(n), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    redo = rng.random(len(src)) < p
    lattice = ~redo
    while redo.any():
        w = rng.integers(0, n - 1, redo.sum())
        dst[redo] = w + (w >= src[redo])
        key = np.minimum(src, dst) * n + np.maximum(src, dst)
        # a rewired tie loses to a lattice tie with the same ends, then to the first listed
        order = np.lexsort((np.arange(len(key)), ~lattice, key))
        redo = np.zeros(len(key), dtype=bool)
        redo[order[1:]] = key[order[1:]] == key[order[:-1]]
    ones = np.ones(2 * len(src))
    return sp.csr_array((ones, (np.r_[src, dst], np.r_[dst, src])), shape=(n, n))


def run(n: int, seed: int, steps: int = STEPS) -> np.ndarray:
    """Build the network and run the dynamics; return the adopted fraction at steps 0..steps."""
    rng = np.random.default_rng(seed)
    a_mat = watts_strogatz(n, K, REWIRING, rng)
    adopted = np.zeros(n)
    curve = np.zeros(steps + 1)
    log_p, log_q = np.log1p(-P), np.log1p(-Q)
    for t in range(1, steps + 1):
        a = a_mat @ adopted  # adopted neighbours at the start of the step
        p_adopt = -np.expm1(log_p + log_q * a)
        adopted[rng.random(n) < p_adopt] = 1.0  # adopters stay adopters
        curve[t] = adopted.sum() / n
    return curve
