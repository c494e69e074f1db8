"""The provider network: a place-structured generator and loaders for user CSV files.

The network is an undirected, weighted ``scipy.sparse.csr_array`` (N x N, no self-loops).
``kind = "complete"`` returns ``None``: the model then uses the mean-field exposure (adopted share
of all eligible providers), which is what the Bass model assumes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from spreadsim.config import KINDS, NetworkConfig
from spreadsim.errors import Problem, ScenarioError
from spreadsim.population import Skeleton

#: Kind given to providers of a nodes file that has no ``kind`` column.
DEFAULT_KIND = "pcn"


def _random_members(groups: np.ndarray, wanted: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Pick one random member of group ``wanted[e]`` for every e (-1 where the group is empty)."""
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups, minlength=int(wanted.max(initial=0)) + 1)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    size = sizes[wanted] if len(sizes) else np.zeros_like(wanted)
    pick = starts[wanted] + np.floor(u * size).astype(np.int64)
    return np.where(size > 0, order[np.minimum(pick, len(order) - 1)], -1)


def place_network(skeleton: Skeleton, spec: NetworkConfig, n_places: int,
                  rng: np.random.Generator) -> sp.csr_array:
    """Generate a place-structured network (a stochastic block model drawn edge by edge).

    Each of ``round(N * mean_degree / 2)`` edges starts at a uniform random provider. With
    probability ``within_place_share`` its other end is in the same place (and, with probability
    ``within_kind_share``, of the same kind); otherwise it is in another place of the same ICS,
    or with probability ``cross_system_share`` anywhere in another ICS. Self-loops and duplicate
    edges are dropped, so realised degrees are slightly below ``mean_degree``.
    """
    n = len(skeleton.ids)
    n_edges = int(round(n * spec.mean_degree / 2))
    if n < 2 or n_edges == 0:
        return sp.csr_array((n, n), dtype=np.float64)
    kind = skeleton.kind.astype(np.int64)
    place = skeleton.place.astype(np.int64)
    system = skeleton.system.astype(np.int64)
    src = rng.integers(0, n, n_edges)
    u = rng.random((4, n_edges))
    within_place = u[0] < spec.within_place_share
    within_kind = u[1] < spec.within_kind_share
    cross_system = (u[2] < spec.cross_system_share) & (system.max() > 0)
    dst = np.empty(n_edges, dtype=np.int64)
    # within place and kind / within place
    pk = place * len(KINDS) + kind
    m = within_place & within_kind
    dst[m] = _random_members(pk, pk[src[m]], u[3, m])
    m = within_place & ~within_kind
    dst[m] = _random_members(place, place[src[m]], u[3, m])
    # another place of the same ICS
    m = ~within_place & ~cross_system
    offset = 1 + np.floor(u[1, m] * max(n_places - 1, 1)).astype(np.int64)
    local = (place[src[m]] - system[src[m]] * n_places + offset) % n_places
    dst[m] = _random_members(place, system[src[m]] * n_places + local, u[3, m])
    # anywhere (another ICS is most likely; same-ICS draws are kept as ordinary bridges)
    m = ~within_place & cross_system
    dst[m] = np.floor(u[3, m] * n).astype(np.int64)
    return _symmetric(src, dst, np.ones(n_edges), n)


def _symmetric(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int) -> sp.csr_array:
    """Undirected CSR adjacency from edge lists; drops self-loops, keeps the max weight."""
    keep = (dst >= 0) & (src != dst)
    a, b, w = src[keep], dst[keep], weight[keep]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * n + hi
    order = np.lexsort((-w, key))
    key, w = key[order], w[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    lo, hi, w = key[first] // n, key[first] % n, w[first]
    rows = np.concatenate([lo, hi])
    cols = np.concatenate([hi, lo])
    return sp.csr_array((np.concatenate([w, w]), (rows, cols)), shape=(n, n))


def bridging_mask(adjacency: sp.csr_array, skeleton: Skeleton) -> np.ndarray:
    """Boolean per stored edge (CSR order): does the tie cross places or provider kinds?"""
    coo = adjacency.tocoo()
    return (skeleton.place[coo.row] != skeleton.place[coo.col]) | (
        skeleton.kind[coo.row] != skeleton.kind[coo.col])


def drop_ties(adjacency: sp.csr_array, share: float, rng: np.random.Generator) -> sp.csr_array:
    """Remove a random ``share`` of undirected ties (restructuring churn)."""
    upper = sp.triu(adjacency, k=1).tocoo()
    keep = rng.random(upper.nnz) >= share
    n = adjacency.shape[0]
    return _symmetric(upper.row[keep].astype(np.int64), upper.col[keep].astype(np.int64),
                      upper.data[keep], n)


# --- user files -------------------------------------------------------------------------------

def _read_csv(path: str) -> tuple[list[str], list[dict[str, str]]]:
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(path, "no such file" if not p.exists() else "not a file")
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = [h.strip() for h in (reader.fieldnames or [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        msg = f"expected a UTF-8 CSV file, got unreadable content ({exc})"
        raise ScenarioError(path, msg) from None
    rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in rows]
    return header, rows


def load_skeleton(nodes_file: str) -> tuple[Skeleton, dict[str, np.ndarray]]:
    """Read a providers CSV: ``id`` (required), ``kind`` and ``place`` (optional), more columns.

    Returns:
        The skeleton and the remaining columns as arrays of strings (attributes for callers).
    """
    header, rows = _read_csv(nodes_file)
    problems: list[Problem] = []
    if "id" not in header:
        raise ScenarioError(nodes_file, [Problem("header", "a column named 'id'", header)])
    seen: dict[str, int] = {}
    for r, row in enumerate(rows, start=2):
        if row["id"] in seen:
            problems.append(Problem(f"row {r}: id", f"a unique id (first seen on row "
                                    f"{seen[row['id']]})", row["id"]))
        seen.setdefault(row["id"], r)
        if "kind" in header and row["kind"] not in KINDS:
            problems.append(Problem(f"row {r}: kind", "one of " + ", ".join(KINDS), row["kind"]))
    if not rows:
        problems.append(Problem("", "at least one provider row", None))
    if problems:
        raise ScenarioError(nodes_file, problems)
    kind_names = [row.get("kind") or DEFAULT_KIND for row in rows]
    places = [row.get("place") or "1" for row in rows]
    labels = tuple(sorted(set(places), key=lambda x: (len(x), x)))
    index = {p: i for i, p in enumerate(labels)}
    skeleton = Skeleton(
        ids=np.array([row["id"] for row in rows], dtype=object),
        kind=np.array([KINDS.index(k) for k in kind_names], dtype=np.int8),
        place=np.array([index[p] for p in places], dtype=np.int32),
        system=np.zeros(len(rows), dtype=np.int32),
        place_labels=tuple(f"place {p}" for p in labels),
    )
    extra = {c: np.array([row[c] for row in rows], dtype=object)
             for c in header if c not in ("id", "kind", "place")}
    return skeleton, extra


def load_edges(edges_file: str, skeleton: Skeleton) -> sp.csr_array:
    """Read a ties CSV (``source``, ``target``, optional ``weight``) onto the skeleton's ids.

    Directed nominations are symmetrised: a tie in either direction is one undirected tie
    (influence in professional networks flows both ways; the larger weight is kept).
    """
    header, rows = _read_csv(edges_file)
    missing = [c for c in ("source", "target") if c not in header]
    if missing:
        raise ScenarioError(edges_file, [Problem("header", "columns 'source' and 'target'",
                                                 header)])
    index = {pid: i for i, pid in enumerate(skeleton.ids)}
    problems: list[Problem] = []
    src, dst, w = [], [], []
    for r, row in enumerate(rows, start=2):
        for col in ("source", "target"):
            if row[col] not in index:
                problems.append(Problem(f"row {r}: {col}", "an id from the providers file",
                                        row[col]))
        weight = 1.0
        if "weight" in header and row["weight"] != "":
            try:
                weight = float(row["weight"])
                if not np.isfinite(weight) or weight <= 0:
                    raise ValueError
            except ValueError:
                problems.append(Problem(f"row {r}: weight", "a positive number", row["weight"]))
        if row["source"] in index and row["target"] in index:
            src.append(index[row["source"]])
            dst.append(index[row["target"]])
            w.append(weight)
    if problems:
        raise ScenarioError(edges_file, problems[:50] + (
            [Problem("", f"no more than 50 problems listed ({len(problems)} in all)")]
            if len(problems) > 50 else []))
    return _symmetric(np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                      np.array(w, dtype=float), len(skeleton.ids))
