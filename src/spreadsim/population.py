"""Providers, innovations and innovators as arrays, drawn from a scenario and a generator.

Nothing here knows about Mesa: the model turns these arrays into agents and state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from spreadsim.config import KINDS, ScenarioConfig

#: Share of an ICS's population served by each provider kind, split evenly among its providers.
#: Social care providers serve a small share (care homes, domiciliary care) [assumption].
POPULATION_SHARE: dict[str, float] = {
    "acute": 1.0, "mental_health": 1.0, "community": 1.0, "ambulance": 1.0,
    "pcn": 1.0, "gp_practice": 1.0, "social_care": 0.05,
}


#: Generated provider ids, in layout order: blocks of ``(prefix, count)`` giving
#: ``prefix0001 .. prefix{count}``.
IdBlocks = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Skeleton:
    """Who the providers are before their attributes are drawn: ids, kinds and places.

    ``id_source`` is either the ids themselves (from a nodes file) or, for a generated layout,
    the blocks they are made from. Formatting ids costs about 2 ms per 10,000 providers, which
    runs that never report a provider by name (most sweep runs) need not pay, so :attr:`ids`
    makes them when first asked for.
    """

    id_source: np.ndarray | IdBlocks  # (N,) ids, or the blocks that make them
    kind: np.ndarray  # (N,) int8 index into KINDS
    place: np.ndarray  # (N,) int32 global place index
    system: np.ndarray  # (N,) int32 ICS index
    place_labels: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of providers."""
        return len(self.kind)

    @cached_property
    def ids(self) -> np.ndarray:
        """(N,) provider ids (object array of str)."""
        if isinstance(self.id_source, np.ndarray):
            return self.id_source
        blocks = [np.strings.add(prefix, np.strings.zfill(np.arange(1, count + 1).astype(str), 4))
                  for prefix, count in self.id_source if count]  # zfill fails on empty arrays
        return np.concatenate(blocks or [np.zeros(0, str)]).astype(object)


@dataclass(frozen=True, slots=True)
class Population:
    """Provider attributes, one entry per provider (length N)."""

    skeleton: Skeleton
    size: np.ndarray  # population served, thousands
    slack: np.ndarray
    absorptive: np.ndarray
    tension: np.ndarray
    endorsement_p: np.ndarray  # per-provider probability (to redraw after resets)
    endorsement: np.ndarray  # bool
    champion: np.ndarray  # bool
    threshold: np.ndarray  # Valente threshold, share of neighbours

    @property
    def n(self) -> int:
        """Number of providers."""
        return self.skeleton.n


@dataclass(frozen=True, slots=True)
class Innovations:
    """Innovation attributes, one entry per innovation (length J) after expanding copies."""

    names: tuple[str, ...]
    relative_advantage: np.ndarray
    compatibility: np.ndarray
    complexity: np.ndarray
    trialability: np.ndarray
    observability: np.ndarray
    cost: np.ndarray
    complex_domains: np.ndarray
    aligned: np.ndarray  # bool
    eligible_kind: np.ndarray  # (J, len(KINDS)) bool
    innovator: np.ndarray  # int, -1 = none
    arrival: np.ndarray  # month

    @property
    def n(self) -> int:
        """Number of innovations."""
        return len(self.names)


def generate_skeleton(cfg: ScenarioConfig) -> Skeleton:
    """Lay out providers per ICS: each kind's providers spread round-robin over the places.

    The layout is deterministic; randomness enters through the attributes and the network.
    """
    n_sys, n_pl = cfg.system.n_systems, cfg.system.n_places
    ids, kind, place, system = [], [], [], []
    for s in range(n_sys):
        for k, name in enumerate(KINDS):
            count = getattr(cfg.providers, name).count
            idx = np.arange(count)
            prefix = f"S{s + 1:02d}-{name}-" if n_sys > 1 else f"{name}-"
            ids.append((prefix, count))
            kind.append(np.full(count, k, dtype=np.int8))
            place.append((s * n_pl + idx % n_pl).astype(np.int32))
            system.append(np.full(count, s, dtype=np.int32))
    labels = tuple(
        (f"ICS{s + 1:02d}/place {p + 1}" if n_sys > 1 else f"place {p + 1}")
        for s in range(n_sys) for p in range(n_pl)
    )
    return Skeleton(tuple(ids), np.concatenate(kind),
                    np.concatenate(place), np.concatenate(system), labels)


def _beta(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    """Beta draws with the given means; means at 0 or 1 give exactly 0 or 1."""
    m = np.clip(mean, 1e-6, 1 - 1e-6)
    out = rng.beta(m * concentration, (1 - m) * concentration)
    return np.where(mean <= 0, 0.0, np.where(mean >= 1, 1.0, out))


def draw_population(cfg: ScenarioConfig, skeleton: Skeleton,
                    rng: np.random.Generator) -> Population:
    """Draw provider attributes around their kind's means (Beta, lognormal for size)."""
    kinds = [getattr(cfg.providers, k) for k in KINDS]
    k = skeleton.kind.astype(np.intp)
    per_kind = lambda attr: np.array([getattr(c, attr) for c in kinds])[k]  # noqa: E731
    conc = cfg.providers.attribute_concentration
    slack = _beta(rng, per_kind("slack"), conc)
    absorptive = _beta(rng, per_kind("absorptive_capacity"), conc)
    tension = _beta(rng, per_kind("tension_for_change"), conc)
    endorsement_p = per_kind("endorsement")
    endorsement = rng.random(len(k)) < endorsement_p
    champion = rng.random(len(k)) < per_kind("champion")
    counts = np.bincount(k, minlength=len(KINDS)).astype(float)
    share = np.array([POPULATION_SHARE[name] for name in KINDS])
    n_sys = max(1, len(np.unique(skeleton.system)))
    mean_size = cfg.system.population_thousands * share[k] * n_sys / np.maximum(counts[k], 1)
    size = mean_size * rng.lognormal(-0.045, 0.3, len(k))  # mean-one lognormal, sd 0.3
    a = cfg.adoption
    threshold = np.clip(rng.normal(a.threshold_mean, a.threshold_sd, len(k)), 0.0, 1.0)
    return Population(skeleton, size, slack, absorptive, tension, endorsement_p, endorsement,
                      champion, threshold)


#: Nodes-file columns that set provider attributes, and the Population field each one sets.
ATTRIBUTE_FIELDS: dict[str, str] = {
    "size": "size", "slack": "slack", "absorptive_capacity": "absorptive",
    "tension_for_change": "tension", "threshold": "threshold", "endorsement": "endorsement",
    "champion": "champion",
}


def apply_attributes(pop: Population, extra: dict[str, np.ndarray]) -> Population:
    """Override drawn provider attributes with values given in a nodes file.

    Args:
        pop: The drawn population.
        extra: Columns from :func:`spreadsim.network.load_skeleton`; those named in
            :data:`ATTRIBUTE_FIELDS` hold floats (NaN = not given, keep the drawn value; yes/no
            columns hold 1.0/0.0). Other columns are ignored.

    Returns:
        A population with the given values in place of the drawn ones. ``endorsement_p`` (used
        to redraw endorsement after a leadership reset) stays at the kind's mean.
    """
    changes = {}
    for column, name in ATTRIBUTE_FIELDS.items():
        given = extra.get(column)
        if given is None or given.dtype == object:
            continue
        drawn = getattr(pop, name)
        value = np.where(np.isnan(given), drawn, given)
        changes[name] = value.astype(bool) if drawn.dtype == bool else value
    return dataclasses.replace(pop, **changes) if changes else pop


def susceptible_mask(share: float, shape: tuple[int, int], rng: np.random.Generator
                     ) -> np.ndarray:
    """Which provider-innovation pairs could ever adopt (``adoption.susceptible_share``).

    Each pair is a potential adopter with probability ``share``. With ``share = 1`` nothing is
    drawn, so the generator's later draws are unchanged. The same generator state gives nested
    sets as ``share`` grows (common random numbers in calibration).
    """
    if share >= 1.0:
        return np.ones(shape, dtype=bool)
    return rng.random(shape) < share


def expand_innovations(cfg: ScenarioConfig) -> Innovations:
    """Expand ``copies`` and look up innovator indices into parallel arrays."""
    innovator_index = {inv.name: i for i, inv in enumerate(cfg.innovators)}
    rows = []
    for inn in cfg.innovations:
        for c in range(inn.copies):
            name = inn.name if inn.copies == 1 else f"{inn.name} {c + 1}"
            rows.append((name, inn, inn.arrival_month + c * inn.arrival_every))
    col = lambda attr, dtype=float: np.array([getattr(r[1], attr) for r in rows], dtype=dtype)  # noqa: E731
    eligible = np.array([[kind in r[1].eligible_kinds for kind in KINDS] for r in rows],
                        dtype=bool).reshape(len(rows), len(KINDS))
    return Innovations(
        names=tuple(r[0] for r in rows),
        relative_advantage=col("relative_advantage"),
        compatibility=col("compatibility"),
        complexity=col("complexity"),
        trialability=col("trialability"),
        observability=col("observability"),
        cost=col("cost"),
        complex_domains=col("complex_domains"),
        aligned=col("aligned", bool),
        eligible_kind=eligible,
        innovator=np.array([innovator_index.get(r[1].innovator, -1) for r in rows], dtype=int),
        arrival=np.array([r[2] for r in rows], dtype=int),
    )
