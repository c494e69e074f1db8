"""Where providers sit on screen: a seeded, place-clustered layout computed once per network.

Each place is a disc; the places of an ICS sit on a circle (or on a grid when there are many).
Inside a disc, providers fill a sunflower (Vogel) spiral from the centre outwards, largest kinds
first (trusts in the middle, primary care around them, social care on the rim), in an order
shuffled within each kind by a seeded generator. The layout does not depend on the ties, so
nodes stay put when the network, the seed of the run or a shock changes the ties: what moves on
screen is the spread, not the picture. Cost is linear in the number of providers (Mesa's
default spring layout is unseeded and takes seconds at a few thousand nodes).

Notes:
    Vogel, H. (1979). A better way to construct the sunflower head. Mathematical Biosciences 44.
"""

from __future__ import annotations

import math

import numpy as np

#: Angle between successive points of the sunflower spiral (the golden angle).
GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))

#: Order of provider kinds from the centre of a place outwards (indices into config.KINDS:
#: acute, mental health, community, ambulance, PCN, GP practice, social care).
KIND_RINGS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

#: Gap between place discs, as a share of the largest disc's radius.
PLACE_GAP = 0.35


def sunflower(n: int) -> np.ndarray:
    """``n`` evenly spread points in a disc of radius about ``sqrt(n)``, centre first.

    Returns:
        ``(n, 2)`` coordinates; point ``k`` is at radius ``sqrt(k + 0.5)``.
    """
    k = np.arange(n)
    r = np.sqrt(k + 0.5)
    theta = k * GOLDEN_ANGLE
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def place_centres(radii: np.ndarray) -> np.ndarray:
    """Centres for discs of the given radii: on a circle up to 8 places, else on a grid.

    Args:
        radii: Radius of each place's disc.

    Returns:
        ``(P, 2)`` centres such that no two discs overlap.
    """
    p = len(radii)
    if p == 0:
        return np.zeros((0, 2))
    r_max = float(radii.max()) if p else 1.0
    pitch = 2.0 * r_max * (1.0 + PLACE_GAP)
    if p == 1:
        return np.zeros((1, 2))
    if p <= 8:
        ring = pitch / (2.0 * math.sin(math.pi / p))
        angle = math.pi / 2 - 2 * math.pi * np.arange(p) / p  # first place at the top
        return np.column_stack([ring * np.cos(angle), ring * np.sin(angle)])
    cols = math.ceil(math.sqrt(p))
    row, col = np.divmod(np.arange(p), cols)
    return np.column_stack([col * pitch, -row * pitch]).astype(float)


def place_layout(place: np.ndarray, kind: np.ndarray, seed: int) -> np.ndarray:
    """Positions of providers, clustered by place, normalised to the square [-1, 1]^2.

    Args:
        place: ``(N,)`` place index of each provider.
        kind: ``(N,)`` kind index of each provider (see :data:`KIND_RINGS`).
        seed: Seed of the generator that orders providers within a kind.

    Returns:
        ``(N, 2)`` float coordinates; the same inputs always give the same positions.
    """
    n = len(place)
    pos = np.zeros((n, 2))
    if n == 0:
        return pos
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    ring_of = np.argsort(np.asarray(KIND_RINGS))[np.asarray(kind, dtype=np.intp)]
    places, inverse = np.unique(np.asarray(place), return_inverse=True)
    sizes = np.bincount(inverse, minlength=len(places))
    centres = place_centres(np.sqrt(sizes.astype(float)))
    for g in range(len(places)):
        members = np.flatnonzero(inverse == g)
        shuffled = members[rng.permutation(len(members))]
        order = shuffled[np.argsort(ring_of[shuffled], kind="stable")]
        pos[order] = sunflower(len(order)) + centres[g]
    return normalise(pos)


def normalise(pos: np.ndarray) -> np.ndarray:
    """Shift and scale points so that they fill [-1, 1]^2 with their aspect ratio kept."""
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    span = float((hi - lo).max())
    if span == 0:
        return pos - lo
    return (pos - (lo + hi) / 2) * (2.0 / span)
