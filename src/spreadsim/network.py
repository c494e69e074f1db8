"""The provider network: a place-structured generator and loaders for user CSV files.

The network is an undirected, weighted ``scipy.sparse.csr_array`` (N x N, no self-loops).
``kind = "complete"`` returns ``None``: the model then uses the mean-field exposure (adopted share
of all eligible providers), which is what the Bass model assumes.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import math
import os
from dataclasses import dataclass
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
    n = skeleton.n
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


def small_world(n: int, k: int, rewiring: float, rng: np.random.Generator) -> sp.csr_array:
    """Watts-Strogatz small world, vectorised: a ring lattice with each tie rewired w.p. ``p``.

    Providers sit on a ring in index order, each tied to its ``k // 2`` nearest neighbours on
    either side. Each lattice tie ``(u, u + j)`` is rewired with probability ``rewiring`` to
    ``(u, w)``, ``w`` uniform among the other providers; a rewired tie that would duplicate
    another tie is drawn again (as in :func:`networkx.watts_strogatz_graph`, which does this
    one tie at a time), so the network keeps exactly ``n * (k // 2)`` ties. ``k >= n - 1``
    gives the complete network (nothing can be rewired), as networkx does.

    Args:
        n: Number of providers.
        k: Lattice degree (rounded down to an even number).
        rewiring: Rewiring probability ``p`` in [0, 1].
        rng: Generator (the model's network stream).

    Returns:
        Symmetric N x N CSR adjacency with unit weights.
    """
    half = k // 2
    if n < 2 or half == 0:
        return sp.csr_array((n, n), dtype=np.float64)
    if k >= n - 1:
        return sp.csr_array(np.ones((n, n)) - np.eye(n))
    src = np.repeat(np.arange(n, dtype=np.int64), half)
    dst = (src + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    moved = rng.random(len(src)) < rewiring
    todo = np.flatnonzero(moved)
    for _ in range(1000):  # duplicates are rare (about k / n of the rewired ties); redraw them
        if not len(todo):
            break
        w = rng.integers(0, n - 1, len(todo))
        dst[todo] = w + (w >= src[todo])  # any provider but the tie's own end
        todo = _losers(np.minimum(src, dst) * n + np.maximum(src, dst), moved)
    # ties are now distinct and without self-loops, so no need for _symmetric's deduplication
    ones = np.ones(2 * len(src))
    return sp.csr_array((ones, (np.concatenate([src, dst]), np.concatenate([dst, src]))),
                        shape=(n, n))


def _losers(key: np.ndarray, rewired: np.ndarray) -> np.ndarray:
    """Rewired ties that duplicate another tie (a lattice tie, or a rewired one listed earlier)."""
    order = np.lexsort((np.arange(len(key)), rewired, key))  # per key: lattice first, then order
    same = np.zeros(len(key), dtype=bool)
    same[order[1:]] = key[order[1:]] == key[order[:-1]]
    return np.flatnonzero(same)


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
#
# Providers and ties as analysts keep them in spreadsheets. Every problem in a file is gathered
# and raised at once as a ScenarioError naming the file and the row; rows are numbered as a
# spreadsheet shows them (the header is row 1). See docs/data.md for the formats.

#: Most problems listed per file; the rest are counted.
MAX_PROBLEMS = 50

#: Numeric provider attributes a nodes file may give: column -> (low, high, low inclusive).
NUMERIC_COLUMNS: dict[str, tuple[float, float, bool]] = {
    "size": (0.0, math.inf, False),
    "slack": (0.0, 1.0, True),
    "absorptive_capacity": (0.0, 1.0, True),
    "tension_for_change": (0.0, 1.0, True),
    "threshold": (0.0, 1.0, True),
}
#: Yes/no provider attributes a nodes file may give.
BOOLEAN_COLUMNS: tuple[str, ...] = ("endorsement", "champion")
_TRUE = frozenset({"1", "true", "yes", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "n", "f"})


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A CSV file read as text: column names, rows as dicts and each row's spreadsheet row."""

    path: str
    header: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    row_numbers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Ties:
    """Directed ties of an edges file as provider indices, in file order (self-loops dropped)."""

    source: np.ndarray  # (E,) int64, the nominating provider
    target: np.ndarray  # (E,) int64, the nominated provider
    weight: np.ndarray  # (E,) float64, > 0
    relation: np.ndarray  # (E,) str ("" when the file has no relation column)
    self_loops: int  # rows whose source and target are the same provider (dropped)


def read_csv(path: str, required: tuple[str, ...], what: str) -> tuple[CsvTable, list[Problem]]:
    """Read a UTF-8 CSV file with a header row, checking its structure.

    Blank lines are skipped, short rows are padded with empty cells and columns without a name
    are ignored.

    Args:
        path: The file.
        required: Columns that must be present.
        what: What one row describes (``"provider"``, ``"tie"``), for messages.

    Returns:
        The table and the row-level problems found so far (rows with too many cells).

    Raises:
        ScenarioError: If the file is missing, not UTF-8 text, empty, has duplicate column
            names or lacks a required column.
    """
    p = Path(path)
    if not p.is_file():
        got = "a folder" if p.is_dir() else "no such file"
        raise ScenarioError(path, [Problem("", f"a CSV file of {what}s", _Said(got))])
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(path, [Problem("", "a readable file", _Said(str(exc.strerror)))]
                            ) from None
    if b"\x00" in raw:
        raise ScenarioError(path, [Problem("", f"a text (CSV) file of {what}s",
                                           _Said("binary content (NUL bytes)"),
                                           "export the sheet as 'CSV UTF-8'")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, [Problem("", "UTF-8 text", _Said(
            f"an undecodable byte at offset {exc.start}"), "export the sheet as 'CSV UTF-8'")]
                            ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for rec in reader:
            records.append((line + 1, rec))
            line = reader.line_num
    except csv.Error as exc:
        raise ScenarioError(path, [Problem(f"row {line + 1}", "well-formed CSV", _Said(str(exc)))]
                            ) from None
    records = [(n, [c.strip() for c in rec]) for n, rec in records if any(c.strip() for c in rec)]
    expect_header = f"a header row naming the columns ({', '.join(required)}, ...)"
    if not records:
        raise ScenarioError(path, [Problem("", expect_header, _Said("an empty file"))])
    header = records[0][1]
    problems: list[Problem] = []
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        problems.append(Problem("header", "comma-separated columns", header[0],
                                "the file seems to use another separator; export it as CSV"))
    named = [h for h in header if h]
    for name in sorted({h for h in named if named.count(h) > 1}):
        problems.append(Problem("header", "unique column names", name))
    for col in required:
        if col not in header and not problems:
            problems.append(Problem("header", f"a column named {col!r}", named,
                                    _rename_hint(col, named)))
    if problems:
        raise ScenarioError(path, problems)
    rows, numbers = [], []
    for number, rec in records[1:]:
        if len(rec) > len(header) and any(rec[len(header):]):
            problems.append(Problem(f"row {number}", f"{len(header)} cells, as in the header",
                                    len(rec)))
            continue
        rec = rec + [""] * (len(header) - len(rec))
        rows.append({h: v for h, v in zip(header, rec, strict=False) if h})
        numbers.append(number)
    return CsvTable(path, tuple(named), tuple(rows), tuple(numbers)), problems


def load_skeleton(nodes_file: str, place_column: str = "place"
                  ) -> tuple[Skeleton, dict[str, np.ndarray]]:
    """Read a providers CSV into a skeleton and the providers' other columns.

    Columns: ``id`` (required, unique), ``kind`` (optional, one of :data:`KINDS`; default
    ``"pcn"``), the place column (optional; ``place`` unless ``place_column`` names another,
    which must then be present), the attributes of :data:`NUMERIC_COLUMNS` and
    :data:`BOOLEAN_COLUMNS` (optional; empty cells keep the drawn value), and any other columns.

    Args:
        nodes_file: The CSV file.
        place_column: Column naming each provider's place (a town, locality, community).

    Returns:
        The skeleton (places labelled ``"<place_column> <value>"``) and the other columns by
        name: attribute columns as float arrays (NaN where empty; yes/no as 1.0/0.0), the rest
        as arrays of strings.

    Raises:
        ScenarioError: Listing every problem with its row.
    """
    stat = _stat(nodes_file)
    skeleton, extra = _parse_nodes(os.path.abspath(nodes_file), nodes_file, *stat, place_column)
    return (Skeleton(skeleton.ids.copy(), skeleton.kind.copy(), skeleton.place.copy(),
                     skeleton.system.copy(), skeleton.place_labels),
            {k: v.copy() for k, v in extra.items()})


def read_ties(edges_file: str, ids: np.ndarray) -> Ties:
    """Read a ties CSV (``source``, ``target``, optional ``relation`` and ``weight``).

    Args:
        edges_file: The CSV file.
        ids: Provider ids, in skeleton order (ids are matched as text).

    Returns:
        The directed ties, self-loops dropped (and counted).

    Raises:
        ScenarioError: Listing every problem with its row (unknown ids, bad weights, ...).
    """
    stat = _stat(edges_file)
    ties = _parse_edges(os.path.abspath(edges_file), edges_file, *stat,
                        tuple(str(i) for i in ids))
    return Ties(ties.source.copy(), ties.target.copy(), ties.weight.copy(),
                ties.relation.copy(), ties.self_loops)


def load_edges(edges_file: str, skeleton: Skeleton) -> sp.csr_array:
    """Read a ties CSV onto the skeleton's providers as an undirected weighted network.

    Directed nominations are symmetrised: a tie named in either direction becomes one
    undirected tie, and when a pair is named more than once (both ways, or in several
    relations) the largest weight is kept. Self-nominations are dropped. docs/data.md says why.
    """
    ties = read_ties(edges_file, skeleton.ids)
    return _symmetric(ties.source, ties.target, ties.weight, skeleton.n)


def _stat(path: str) -> tuple[int, int]:
    """Modification time and size, so cached parses notice edited files."""
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)  # read_csv reports the missing file
    return (st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _parse_nodes(_abspath: str, path: str, _mtime: int, _size: int,
                 place_column: str) -> tuple[Skeleton, dict[str, np.ndarray]]:
    table, problems = read_csv(path, ("id",), "provider")
    header = table.header
    if place_column != "place" and place_column not in header:
        raise ScenarioError(path, [Problem("header", f"a column named {place_column!r} "
                                           "(network.place_column)", list(header),
                                           _rename_hint(place_column, header))])
    seen: dict[str, int] = {}
    for r, row in zip(table.row_numbers, table.rows, strict=True):
        pid = row["id"]
        if not pid:
            problems.append(Problem(f"row {r}: id", "a provider id", ""))
        elif pid in seen:
            problems.append(Problem(f"row {r}: id", f"a unique id (first seen on row "
                                    f"{seen[pid]})", pid))
        seen.setdefault(pid, r)
        if row.get("kind") and row["kind"] not in KINDS:
            problems.append(Problem(f"row {r}: kind", "one of " + ", ".join(KINDS),
                                    row["kind"], _did_you_mean(row["kind"], KINDS)))
        if place_column in header and not row[place_column]:
            problems.append(Problem(f"row {r}: {place_column}", "a place label", ""))
    extra: dict[str, np.ndarray] = {}
    for col in header:
        if col in NUMERIC_COLUMNS or col in BOOLEAN_COLUMNS:
            extra[col] = _attribute(table, col, problems)
        elif col not in ("id", "kind", place_column):
            extra[col] = np.array([row[col] for row in table.rows], dtype=object)
    if not table.rows:
        problems.append(Problem("", "at least one provider row after the header",
                                _Said("only a header")))
    _raise(path, problems)
    places = [row.get(place_column) or "1" for row in table.rows]
    labels = sorted(set(places), key=_natural)
    index = {p: i for i, p in enumerate(labels)}
    skeleton = Skeleton(
        id_source=np.array([row["id"] for row in table.rows], dtype=object),
        kind=np.array([KINDS.index(row.get("kind") or DEFAULT_KIND) for row in table.rows],
                      dtype=np.int8),
        place=np.array([index[p] for p in places], dtype=np.int32),
        system=np.zeros(len(table.rows), dtype=np.int32),
        place_labels=tuple(f"{place_column} {p}" for p in labels),
    )
    return skeleton, extra


def _attribute(table: CsvTable, col: str, problems: list[Problem]) -> np.ndarray:
    """Parse one attribute column (numbers in range, or yes/no); NaN where empty."""
    out = np.full(len(table.rows), np.nan)
    for k, (r, row) in enumerate(zip(table.row_numbers, table.rows, strict=True)):
        text = row[col]
        if not text:
            continue
        if col in BOOLEAN_COLUMNS:
            low = text.lower()
            if low in _TRUE or low in _FALSE:
                out[k] = float(low in _TRUE)
            else:
                problems.append(Problem(f"row {r}: {col}", "yes/no (1/0, true/false)", text))
            continue
        lo, hi, closed = NUMERIC_COLUMNS[col]
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (lo <= value <= hi if closed else lo < value <= hi):
            expected = f"a number in [{lo:g}, {hi:g}]" if closed else "a positive number"
            problems.append(Problem(f"row {r}: {col}", expected, text))
        else:
            out[k] = value
    return out


@functools.lru_cache(maxsize=8)
def _parse_edges(_abspath: str, path: str, _mtime: int, _size: int,
                 ids: tuple[str, ...]) -> Ties:
    table, problems = read_csv(path, ("source", "target"), "tie")
    index = {pid: i for i, pid in enumerate(ids)}
    src, dst, weight, relation = [], [], [], []
    self_loops = 0
    for r, row in zip(table.row_numbers, table.rows, strict=True):
        ends = []
        for col in ("source", "target"):
            if row[col] in index:
                ends.append(index[row[col]])
            else:
                problems.append(Problem(f"row {r}: {col}", "an id from the providers file",
                                        row[col], _id_hint(row[col], index)))
        w = 1.0
        if row.get("weight"):
            try:
                w = float(row["weight"])
            except ValueError:
                w = math.nan
            if not (math.isfinite(w) and w > 0):
                problems.append(Problem(f"row {r}: weight", "a positive number",
                                        row["weight"]))
        if len(ends) == 2:
            if ends[0] == ends[1]:
                self_loops += 1
                continue
            src.append(ends[0])
            dst.append(ends[1])
            weight.append(w)
            relation.append(row.get("relation", ""))
    if not table.rows:
        problems.append(Problem("", "at least one tie row after the header",
                                _Said("only a header")))
    _raise(path, problems)
    return Ties(np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                np.array(weight, dtype=np.float64), np.array(relation, dtype=object),
                self_loops)


def _raise(path: str, problems: list[Problem]) -> None:
    """Raise all problems of a file at once (the first MAX_PROBLEMS, then a count)."""
    if not problems:
        return
    shown = sorted(problems, key=_row_of)[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(Problem("", f"at most {MAX_PROBLEMS} problems to be listed",
                             _Said(f"{len(problems)} in all")))
    raise ScenarioError(path, shown)


class _Said(str):
    """Text shown as is (not quoted) where a problem says what it got."""

    def __repr__(self) -> str:
        return str(self)


def _row_of(problem: Problem) -> int:
    """Row number of a problem's key (``"row 7: id"`` -> 7); 0 for whole-file problems."""
    head = problem.key.split(":")[0]
    return int(head[4:]) if head.startswith("row ") and head[4:].isdigit() else 0


def _rename_hint(column: str, header: tuple[str, ...] | list[str]) -> str:
    """Suggest which existing column was meant (``ID`` for ``id``), or ``""``."""
    lower = {h.lower(): h for h in header}
    match = difflib.get_close_matches(column.lower(), list(lower), n=1, cutoff=0.6)
    if not match:
        return ""
    found = lower[match[0]]
    if found.lower() == column.lower():
        return f"names are case-sensitive: rename column {found!r} to {column!r}"
    return f"is column {found!r} meant to be {column!r}?"


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    """A did-you-mean hint (case-insensitive), or ``""``."""
    lower = {o.lower(): o for o in options}
    match = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.6)
    return f"did you mean {lower[match[0]]!r}?" if match else ""


def _id_hint(value: str, index: dict[str, int]) -> str:
    """Explain near-misses of ids, such as ``1001.0`` for ``1001`` (a spreadsheet's doing)."""
    try:
        number = float(value)
    except ValueError:
        return ""
    if math.isfinite(number) and number.is_integer() and str(int(number)) in index:
        return f"ids are matched as text; did you mean {str(int(number))!r}?"
    return ""


def _natural(label: str) -> tuple[int, float | str]:
    """Sort numeric labels by value (2 before 10), then the others alphabetically."""
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)
