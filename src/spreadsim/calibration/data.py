"""Observed adoption on a network: adoption periods from a nodes CSV, curves, network pattern.

The nodes file is the model's providers file (see docs/data.md) with one more column, the period
in which each provider adopted (``toa`` by default; empty = had not adopted by the last observed
period). Periods are whole numbers; period ``first_period`` is model step 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from spreadsim import network as net
from spreadsim.errors import Problem, ScenarioError

#: Most periods a calibration may span (the scenario's ``time.n_steps`` limit).
MAX_PERIODS = 600


@dataclass(frozen=True, slots=True)
class Observed:
    """Who adopted when, on which network.

    Attributes:
        nodes_file, edges_file: Where the data came from.
        time_column: Column holding adoption periods.
        group_column: Column used as the place (community), or ``None``.
        ids: Provider ids, file order.
        step: Model step in which each provider adopted (1 = ``first_period``), 0 = not within
            the observed periods.
        group: Index of each provider's group into ``group_labels``.
        group_labels: Group labels (``"town 1"``, ...), or ``("all",)`` without a group column.
        first_period: Data period of model step 1.
        n_periods: Number of observed periods (model steps).
        ties: Directed ties (nominations) among the providers.
    """

    nodes_file: str
    edges_file: str
    time_column: str
    group_column: str | None
    ids: np.ndarray
    step: np.ndarray
    group: np.ndarray
    group_labels: tuple[str, ...]
    first_period: int
    n_periods: int
    ties: net.Ties

    @property
    def n(self) -> int:
        """Number of providers."""
        return len(self.ids)

    @property
    def periods(self) -> np.ndarray:
        """Data period of each model step, ``first_period ... first_period + n_periods - 1``."""
        return np.arange(self.first_period, self.first_period + self.n_periods)

    @property
    def curve(self) -> np.ndarray:
        """Cumulative number of adopters at the end of each period, shape ``(n_periods,)``."""
        return cumulative(self.step[:, None], self.n_periods)[:, 0]

    @property
    def share(self) -> np.ndarray:
        """Cumulative adopted share of all providers at the end of each period."""
        return self.curve / self.n

    def group_curves(self) -> dict[str, np.ndarray]:
        """Cumulative adopted share within each group, by group label."""
        return {label: cumulative(self.step[self.group == g, None], self.n_periods)[:, 0]
                / max((self.group == g).sum(), 1)
                for g, label in enumerate(self.group_labels)}


def read_observed(nodes_file: str, edges_file: str, time_column: str = "toa",
                  group_column: str | None = None, first_period: int | None = None,
                  last_period: int | None = None) -> Observed:
    """Read adoption periods and ties.

    Args:
        nodes_file: Providers CSV with ``id`` and the time column (other columns are allowed).
        edges_file: Ties CSV (``source``, ``target``, ...).
        time_column: Column with each provider's adoption period (whole number; empty = never).
        group_column: Column naming each provider's community, used as its place.
        first_period: Period that becomes model step 1; default 1, or the smallest period in
            the file if that is below 1.
        last_period: Last observed period; default the largest period in the file. Later
            periods count as "not adopted" (right-censored), as netdiffuseR's ``toa = T + 1``
            code for never-adopters does.

    Returns:
        The observation.

    Raises:
        ScenarioError: For any problem in either file, with its row.
    """
    skeleton, _ = net.load_skeleton(nodes_file, group_column or "place")
    table, _ = net.read_csv(nodes_file, ("id",), "provider")
    if time_column not in table.header:
        raise ScenarioError(nodes_file, [Problem(
            "header", f"a column named {time_column!r} with adoption periods (--time-column)",
            list(table.header), _hint(time_column, table.header))])
    raw = _periods(table, time_column, nodes_file)
    adopted = ~np.isnan(raw)
    if not adopted.any():
        raise ScenarioError(nodes_file, [Problem(
            time_column, "at least one provider with an adoption period", "none",
            "an empty cell means 'never adopted'; nothing to calibrate")])
    lo, hi = int(np.nanmin(raw)), int(np.nanmax(raw))
    first = first_period if first_period is not None else min(1, lo)
    last = last_period if last_period is not None else hi
    _check_window(nodes_file, time_column, first, last, lo, hi, table, raw)
    step = np.where(adopted & (raw <= last), raw - first + 1, 0).astype(np.int64)
    group_labels = (skeleton.place_labels if group_column or "place" in table.header
                    else ("all",))
    ties = net.read_ties(edges_file, skeleton.ids)
    return Observed(nodes_file, edges_file, time_column, group_column, skeleton.ids, step,
                    skeleton.place.astype(np.int64), tuple(group_labels), first,
                    last - first + 1, ties)


def cumulative(step: np.ndarray, n_periods: int) -> np.ndarray:
    """Cumulative adopters per period from adoption steps.

    Args:
        step: (N, R) adoption step per provider and replication (0 = never).
        n_periods: Number of periods T.

    Returns:
        (T, R) cumulative counts: entry ``[t - 1, r]`` counts adopters with step ``<= t``.
    """
    n_rep = step.shape[1]
    counts = np.zeros((n_periods + 1, n_rep), dtype=np.int64)
    cols = np.broadcast_to(np.arange(n_rep), step.shape)
    np.add.at(counts, (step.ravel(), cols.ravel()), 1)
    return np.cumsum(counts[1:], axis=0)


def first_reaching(share: np.ndarray, periods: np.ndarray, level: float = 0.5) -> int | None:
    """First period whose cumulative share reaches ``level`` (``None`` if it never does)."""
    hit = np.flatnonzero(share >= level - 1e-12)
    return int(periods[hit[0]]) if len(hit) else None


def earlier_nominee_share(step: np.ndarray, ties: net.Ties) -> np.ndarray:
    """For each adopter, the share of its nominees who adopted in an earlier period.

    Ties are read as nominations ``source -> target`` (source named target); a pair named in
    several relations counts once. Non-adopting nominees count as "not earlier".

    Args:
        step: (N, R) adoption steps (0 = never) for R replications (or R = 1 observed).
        ties: The directed ties.

    Returns:
        (N, R) shares; NaN for non-adopters and for providers who named nobody.
    """
    n = step.shape[0]
    pairs = np.unique(np.stack([ties.source, ties.target], axis=1), axis=0) if len(
        ties.source) else np.zeros((0, 2), dtype=np.int64)
    src, dst = pairs[:, 0], pairs[:, 1]
    t = np.where(step > 0, step, np.iinfo(np.int64).max).astype(np.int64)
    earlier = (t[dst] < t[src]).astype(float)
    named = np.bincount(src, minlength=n).astype(float)
    hits = np.zeros(step.shape)
    np.add.at(hits, src, earlier)
    out = hits / np.where(named > 0, named, 1.0)[:, None]
    return np.where((step > 0) & (named[:, None] > 0), out, np.nan)


def pattern_summary(step: np.ndarray, ties: net.Ties, early_before: int | None
                    ) -> dict[str, np.ndarray]:
    """Mean earlier-nominee share over adopters, overall and for early and late adopters.

    Args:
        step: (N, R) adoption steps.
        ties: Directed ties.
        early_before: Adopters with step below this are "early" (use the observed t50 step).

    Returns:
        ``{"all": (R,), "early": (R,), "late": (R,), "n_adopters": (R,)}``; NaN where a group
        is empty.
    """
    share = earlier_nominee_share(step, ties)
    cut = early_before if early_before is not None else np.inf
    with np.errstate(invalid="ignore"):
        return {"all": _nanmean(share),
                "early": _nanmean(np.where(step < cut, share, np.nan)),
                "late": _nanmean(np.where(step >= cut, share, np.nan)),
                "n_adopters": np.isfinite(share).sum(axis=0).astype(float)}


def shuffled_pattern(observed: Observed, early_before: int | None, n_shuffles: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The pattern with adoption periods shuffled within groups (network fixed).

    Returns:
        :func:`pattern_summary` over ``n_shuffles`` shuffles: a null distribution with the same
        curve in every group and no link between ties and timing.
    """
    steps = np.repeat(observed.step[:, None], n_shuffles, axis=1)
    for g in range(len(observed.group_labels)):
        rows = np.flatnonzero(observed.group == g)
        steps[rows] = rng.permuted(steps[rows], axis=0)
    return pattern_summary(steps, observed.ties, early_before)


def peer_attribution(step: np.ndarray, adjacency: sp.csr_array, p: float, q: float
                     ) -> np.ndarray:
    """Share of each replication's adoptions that peer influence accounts for.

    A provider adopting in step ``t`` had hazard ``p + q e`` with ``e`` its exposure (weighted
    share of neighbours adopted by step ``t - 1``, the model's share rule), so the chance that its
    adoption came through peers is ``q e / (p + q e)``; the mean over adopters is the expected
    share of adoptions due to peer influence.

    Args:
        step: (N, R) adoption steps (0 = never).
        adjacency: The model's undirected network (N x N).
        p, q: ``p_external`` and ``q_peer``.

    Returns:
        (R,) shares (NaN for a replication without adopters).
    """
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    at_adoption = np.zeros(step.shape)
    for t in range(1, int(step.max(initial=0)) + 1):
        before = ((step > 0) & (step < t)).astype(float)
        exposure = (adjacency @ before) / np.where(degree > 0, degree, 1.0)[:, None]
        at_adoption = np.where(step == t, exposure, at_adoption)
    hazard = p + q * at_adoption
    peer = np.where(hazard > 0, q * at_adoption / np.where(hazard > 0, hazard, 1.0), 0.0)
    return _nanmean(np.where(step > 0, peer, np.nan))


def _nanmean(x: np.ndarray) -> np.ndarray:
    count = np.isfinite(x).sum(axis=0)
    total = np.nansum(x, axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _periods(table: net.CsvTable, column: str, path: str) -> np.ndarray:
    """Adoption periods as floats (NaN = empty), with a problem for every non-integer."""
    out = np.full(len(table.rows), np.nan)
    problems = []
    for k, (r, row) in enumerate(zip(table.row_numbers, table.rows, strict=True)):
        text = row[column]
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value.is_integer()):
            problems.append(Problem(f"row {r}: {column}", "a whole-number period, or empty for "
                                    "'never adopted'", text))
        else:
            out[k] = value
    if problems:
        raise ScenarioError(path, problems[:net.MAX_PROBLEMS])
    return out


def _check_window(path: str, column: str, first: int, last: int, lo: int, hi: int,
                  table: net.CsvTable, raw: np.ndarray) -> None:
    if lo < first:
        row = table.row_numbers[int(np.nanargmin(raw))]
        raise ScenarioError(path, [Problem(
            f"row {row}: {column}", f"a period no earlier than the first period {first}", lo,
            "the model starts with nobody adopted; pass --first-period to start earlier")])
    if last < first + 1:
        raise ScenarioError(path, [Problem(
            column, f"at least two observed periods (first {first}, last {last})", hi,
            "check --first-period/--last-period")])
    if last - first + 1 > MAX_PERIODS:
        raise ScenarioError(path, [Problem(
            column, f"at most {MAX_PERIODS} periods from the first ({first}) to the last "
            f"({last})", last - first + 1,
            "periods must be counted 1, 2, 3, ...; for calendar years pass --first-period")])


def _hint(column: str, header: tuple[str, ...]) -> str:
    import difflib

    match = difflib.get_close_matches(column, header, n=1, cutoff=0.5)
    return f"did you mean --time-column {match[0]}?" if match else ""
