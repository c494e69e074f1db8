"""Crash-safe results folder of a sweep: a Parquet dataset committed batch by batch.

Layout of a results folder::

    sweep.json                 the experiment (spec, its hash), versions, seeds scheme, progress
    design.parquet             every design point, written before any run
    batch-<time>-<uuid>/       one committed batch:
        runs.parquet           one row per run (design_index, replication, status, outcomes...)
        series.parquet         adopted share per month (only when series are kept)
    analysis/, report.html     written later by ``spreadsim analyse`` / ``report``

A batch is written into ``batch-....tmp/``, its files fsynced, and the directory renamed into
place, so both tables of a batch appear together or not at all. A SIGKILL at any moment leaves at
most a ``*.tmp`` directory, which the next start deletes; the committed batches tell which runs
(keyed by ``(design_index, replication)``) are done, and a resumed sweep skips them. Readers
keep one row per run (the last committed, preferring successful rows), so even a crash during
compaction cannot duplicate a run.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spreadsim.errors import SpreadsimError

SWEEP_FILE = "sweep.json"
DESIGN_FILE = "design.parquet"
RUNS_FILE = "runs.parquet"
SERIES_FILE = "series.parquet"
BATCH_PREFIX = "batch-"
TMP_SUFFIX = ".tmp"
FORMAT_VERSION = 1
KEY = ["design_index", "replication"]


# --------------------------------------------------------------------------- writing


def _fsync_dir(folder: Path) -> None:
    """Make a rename or new file in ``folder`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(path.name + TMP_SUFFIX)
    tmp.write_text(json.dumps(data, indent=2, default=_json_default), encoding="utf-8")
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write a Parquet file (zstd) through a temporary file and a rename."""
    tmp = path.with_name(path.name + TMP_SUFFIX)
    df.to_parquet(tmp, compression="zstd", index=False)
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


class Store:
    """A sweep's results folder, opened for writing by the driver (workers never write).

    Use :func:`open_store` to create or resume one.
    """

    def __init__(self, folder: Path, info: dict[str, Any]) -> None:
        self.folder = folder
        self.info = info

    # -- batches ------------------------------------------------------------------------------
    def write_batch(self, runs: pd.DataFrame, series: pd.DataFrame | None = None) -> Path:
        """Commit one batch of runs (and their series) atomically; return its folder."""
        name = f"{BATCH_PREFIX}{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = self.folder / (name + TMP_SUFFIX)
        tmp.mkdir()
        runs.to_parquet(tmp / RUNS_FILE, compression="zstd", index=False)
        _fsync_file(tmp / RUNS_FILE)
        if series is not None and len(series):
            series.to_parquet(tmp / SERIES_FILE, compression="zstd", index=False)
            _fsync_file(tmp / SERIES_FILE)
        _fsync_dir(tmp)
        final = self.folder / name
        os.rename(tmp, final)
        _fsync_dir(self.folder)
        return final

    def update_info(self, **changes: Any) -> None:
        """Change fields of ``sweep.json`` (atomically)."""
        self.info.update(changes)
        write_json_atomic(self.folder / SWEEP_FILE, self.info)

    def compact(self) -> None:
        """Merge every batch into one (streaming, one batch in memory at a time).

        The merged batch is committed before the old ones are deleted; a crash in between
        leaves duplicates that every reader drops.
        """
        batches = batch_dirs(self.folder)
        if len(batches) <= 1:
            return
        import pyarrow.parquet as pq

        name = f"{BATCH_PREFIX}{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = self.folder / (name + TMP_SUFFIX)
        tmp.mkdir()
        keep = _kept_rows(batches)
        for file in (RUNS_FILE, SERIES_FILE):
            writer = None
            for batch, mask_by_key in zip(batches, keep, strict=True):
                if not (batch / file).exists():
                    continue
                table = pq.read_table(batch / file)
                frame = table.to_pandas()
                rows = mask_by_key(frame)
                if not rows.any():
                    continue
                part = table.filter(rows)
                if writer is None:
                    writer = pq.ParquetWriter(tmp / file, part.schema, compression="zstd")
                writer.write_table(part.cast(writer.schema))
            if writer is not None:
                writer.close()
                _fsync_file(tmp / file)
        _fsync_dir(tmp)
        os.rename(tmp, self.folder / name)
        _fsync_dir(self.folder)
        for batch in batches:
            shutil.rmtree(batch)


def _code(i: Any, r: Any) -> np.ndarray:
    """One int64 per run key ``(design_index, replication)``."""
    return (np.asarray(i, dtype=np.int64) << 32) + np.asarray(r, dtype=np.int64)


def _kept_rows(batches: list[Path]) -> list[Any]:
    """Per batch, a function giving which rows of one of its tables survive deduplication.

    A run's surviving row is its last committed successful row, else its last row.
    """
    parts = []
    for b, batch in enumerate(batches):
        runs = pd.read_parquet(batch / RUNS_FILE, columns=[*KEY, "status"])
        parts.append(pd.DataFrame({"code": _code(runs["design_index"], runs["replication"]),
                                   "ok": (runs["status"] == "ok").to_numpy(),
                                   "batch": np.full(len(runs), b, dtype=np.int64)}))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"code": [], "ok": [], "batch": []})
    table = table.assign(order=np.arange(len(table))).sort_values(["ok", "order"])
    owners = table.drop_duplicates("code", keep="last").sort_values("code")
    codes, owner = owners["code"].to_numpy(), owners["batch"].to_numpy()

    def for_batch(b: int) -> Any:
        def mask(frame: pd.DataFrame) -> np.ndarray:
            c = _code(frame["design_index"], frame["replication"])
            at = np.clip(np.searchsorted(codes, c), 0, max(len(codes) - 1, 0))
            return (codes[at] == c) & (owner[at] == b) if len(codes) else np.zeros(len(c), bool)
        return mask

    return [for_batch(b) for b in range(len(batches))]


def open_store(folder: str | os.PathLike[str], info: dict[str, Any], force: bool = False,
               ) -> tuple[Store, bool]:
    """Create a results folder for a sweep, or reopen it to resume the same sweep.

    Args:
        folder: The results folder.
        info: The new ``sweep.json`` content; must hold ``spec_hash``, ``name`` and
            ``replications``.
        force: Delete an existing folder that holds something else.

    Returns:
        The store and whether it is resumed (``True``) or new.

    Raises:
        SpreadsimError: If the folder holds another experiment's results (or anything that is
            not a sweep) and ``force`` is false, or if it has more replications than asked.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise SpreadsimError(f"{out}: expected a folder for results, got an existing file")
    old = _read_info(out)
    if old is not None and not force and old.get("spec_hash") == info["spec_hash"]:
        if info["replications"] < old.get("replications", 0):
            raise SpreadsimError(
                f"{out}: already holds {old['replications']} replications of this "
                f"experiment, more than the {info['replications']} asked for; ask for at "
                "least as many, or choose another --out")
        _discard_tmp(out)
        store = Store(out, {**old, "replications": info["replications"],
                            "resumed": old.get("resumed", 0) + 1})
        store.update_info()
        return store, True
    if out.is_dir() and any(out.iterdir()) and not force:
        raise SpreadsimError(_refusal(out, old, info))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    store = Store(out, dict(info))
    store.update_info()
    return store, False


def _refusal(out: Path, old: dict[str, Any] | None, info: dict[str, Any]) -> str:
    if old is None:
        what = "is not empty and holds no sweep (no sweep.json)"
    elif old.get("name") == info["name"]:
        what = (f"holds results of experiment '{info['name']}' with a different specification "
                f"(spec {str(old.get('spec_hash'))[:12]}, now {info['spec_hash'][:12]}): the "
                "experiment file, its base scenario or the --set values have changed")
    else:
        what = (f"holds results of a different experiment ('{old.get('name')}', spec "
                f"{str(old.get('spec_hash'))[:12]}; this one is '{info['name']}', spec "
                f"{info['spec_hash'][:12]})")
    return (f"{out}: {what}; choose another --out, or pass --force to delete it and start "
            "again")


def _discard_tmp(out: Path) -> None:
    """Delete what a killed writer left behind (``*.tmp`` files and folders)."""
    for path in out.glob(f"*{TMP_SUFFIX}"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


# --------------------------------------------------------------------------- reading


def _read_info(folder: Path) -> dict[str, Any] | None:
    path = folder / SWEEP_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpreadsimError(f"{path}: cannot read the sweep description: {exc}") from None


def read_info(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``sweep.json`` of a results folder.

    Raises:
        SpreadsimError: If the folder is not a sweep's results folder.
    """
    info = _read_info(Path(folder))
    if info is None:
        raise SpreadsimError(f"{folder}: expected a sweep results folder (with {SWEEP_FILE}), "
                             "found none; run `spreadsim sweep EXPERIMENT --out "
                             f"{folder}` first")
    return info


def batch_dirs(folder: Path) -> list[Path]:
    """Committed batch folders, in commit order."""
    return sorted(p for p in folder.glob(f"{BATCH_PREFIX}*")
                  if p.is_dir() and not p.name.endswith(TMP_SUFFIX))


def iter_batches(folder: Path, file: str, columns: list[str] | None = None,
                 ) -> Iterator[pd.DataFrame]:
    """Each committed batch's table ``file``, in commit order."""
    for batch in batch_dirs(folder):
        if (batch / file).exists():
            yield pd.read_parquet(batch / file, columns=columns)


def done_mask(folder: Path, n_points: int, replications: int,
              retry_errors: bool = False) -> np.ndarray:
    """Boolean (points, replications) array of runs already committed.

    With ``retry_errors``, runs whose only rows are errors count as not done.
    """
    done = np.zeros((n_points, replications), dtype=bool)
    for runs in iter_batches(folder, RUNS_FILE, columns=[*KEY, "status"]):
        if retry_errors:
            runs = runs[runs["status"] == "ok"]
        i, r = runs["design_index"].to_numpy(), runs["replication"].to_numpy()
        inside = (i < n_points) & (r < replications)
        done[i[inside], r[inside]] = True
    return done


def read_runs(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """All committed runs, one row per run (deduplicated), sorted by design point, replication."""
    parts = list(iter_batches(Path(folder), RUNS_FILE))
    if not parts:
        return pd.DataFrame({k: pd.Series(dtype=np.int64) for k in KEY})
    runs = pd.concat(parts, ignore_index=True)
    return _dedupe(runs)


def _dedupe(runs: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per run: the last committed successful one, else the last one."""
    runs = runs.assign(_ok=runs["status"] == "ok", _order=np.arange(len(runs)))
    runs = runs.sort_values(["_ok", "_order"], kind="stable")
    runs = runs.drop_duplicates(KEY, keep="last").drop(columns=["_ok", "_order"])
    return runs.sort_values(KEY, kind="stable").reset_index(drop=True)


def read_series_table(folder: str | os.PathLike[str],
                      replications: int | None = None) -> pd.DataFrame:
    """All committed per-step series (only of the runs :func:`read_runs` keeps).

    Args:
        folder: The results folder.
        replications: Only replications ``0 .. replications - 1`` (bounds memory for figures).
    """
    folder = Path(folder)
    batches = batch_dirs(folder)
    keep = _kept_rows(batches) if len(batches) > 1 else [None] * len(batches)
    filters = None if replications is None else [("replication", "<", replications)]
    parts = []
    for batch, mask in zip(batches, keep, strict=True):
        if (batch / SERIES_FILE).exists():
            frame = pd.read_parquet(batch / SERIES_FILE, filters=filters)
            parts.append(frame if mask is None else frame[mask(frame)])
    if not parts:
        return pd.DataFrame(columns=[*KEY, "arm", "step", "innovation", "adopted_share"])
    return pd.concat(parts, ignore_index=True).sort_values(
        [*KEY, "arm", "step"], kind="stable").reset_index(drop=True)


def read_design_table(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The design table of a results folder."""
    path = Path(folder) / DESIGN_FILE
    if not path.is_file():
        raise SpreadsimError(f"{folder}: no {DESIGN_FILE}; the sweep was stopped before its "
                             "design was written; run the sweep again to resume it")
    return pd.read_parquet(path)
