"""The results store: atomic batches, resume bookkeeping, deduplication, compaction, refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spreadsim.errors import SpreadsimError
from spreadsim.experiments import store as st


def info(spec: str = "abc", reps: int = 2, name: str = "e") -> dict[str, object]:
    return {"name": name, "spec_hash": spec, "replications": reps}


def runs(keys: list[tuple[int, int]], status: str = "ok", value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"design_index": [k[0] for k in keys],
                         "replication": [k[1] for k in keys],
                         "status": pd.Series([status] * len(keys), dtype="string"),
                         "y": [value] * len(keys)})


def series(keys: list[tuple[int, int]], value: float) -> pd.DataFrame:
    return pd.DataFrame({"design_index": [k[0] for k in keys for _ in range(2)],
                         "replication": [k[1] for k in keys for _ in range(2)],
                         "arm": ["scenario"] * 2 * len(keys), "step": [0, 1] * len(keys),
                         "adopted_share": np.float32(value)})


def test_new_store_and_batches(tmp_path: Path) -> None:
    store, resumed = st.open_store(tmp_path / "r", info())
    assert not resumed and (tmp_path / "r" / st.SWEEP_FILE).exists()
    store.write_batch(runs([(0, 0), (1, 0)]), series([(0, 0), (1, 0)], 0.5))
    store.write_batch(runs([(0, 1)]))
    assert len(st.batch_dirs(store.folder)) == 2
    done = st.done_mask(store.folder, 2, 2)
    assert done.tolist() == [[True, True], [True, False]]
    table = st.read_runs(store.folder)
    assert table[["design_index", "replication"]].values.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert len(st.read_series_table(store.folder)) == 4


def test_resume_discards_tmp_and_keeps_batches(tmp_path: Path) -> None:
    store, _ = st.open_store(tmp_path, info())
    store.write_batch(runs([(0, 0)]))
    (tmp_path / "batch-99-deadbeef.tmp").mkdir()  # what a kill mid-write leaves
    (tmp_path / "batch-99-deadbeef.tmp" / "runs.parquet").write_bytes(b"PAR1 half")
    (tmp_path / "sweep.json.tmp").write_text("{")
    store, resumed = st.open_store(tmp_path, info())
    assert resumed and store.info["resumed"] == 1
    assert not list(tmp_path.glob("*.tmp"))
    assert st.done_mask(tmp_path, 1, 2).tolist() == [[True, False]]


def test_more_replications_resume_fewer_refused(tmp_path: Path) -> None:
    st.open_store(tmp_path, info(reps=2))
    store, resumed = st.open_store(tmp_path, info(reps=5))
    assert resumed and st.read_info(tmp_path)["replications"] == 5
    with pytest.raises(SpreadsimError, match="already holds 5 replications of this experiment, "
                                             "more than the 3 asked for"):
        st.open_store(tmp_path, info(reps=3))


def test_other_experiment_refused_then_forced(tmp_path: Path) -> None:
    store, _ = st.open_store(tmp_path, info("abc", name="one"))
    store.write_batch(runs([(0, 0)]))
    with pytest.raises(SpreadsimError, match=r"holds results of a different experiment \('one'"
                                             r", spec abc; this one is 'two', spec xyz\)"):
        st.open_store(tmp_path, info("xyz", name="two"))
    with pytest.raises(SpreadsimError, match="holds results of experiment 'one' with a "
                                             "different specification"):
        st.open_store(tmp_path, info("xyz", name="one"))
    store, resumed = st.open_store(tmp_path, info("xyz", name="two"), force=True)
    assert not resumed and not st.batch_dirs(tmp_path)


def test_non_sweep_folder_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SpreadsimError, match="is not empty and holds no sweep"):
        st.open_store(tmp_path, info())
    assert (tmp_path / "notes.txt").exists()
    with pytest.raises(SpreadsimError, match="expected a folder for results"):
        st.open_store(tmp_path / "notes.txt", info())


def test_dedupe_prefers_last_successful_row(tmp_path: Path) -> None:
    store, _ = st.open_store(tmp_path, info())
    store.write_batch(runs([(0, 0), (1, 0)], "error", np.nan))
    store.write_batch(runs([(0, 0)], "ok", 2.0))  # a retried run
    store.write_batch(runs([(1, 0)], "error", np.nan))  # retried and failed again
    table = st.read_runs(tmp_path)
    assert table["status"].tolist() == ["ok", "error"]
    assert table["y"].iloc[0] == 2.0
    assert st.done_mask(tmp_path, 2, 1).all()
    assert st.done_mask(tmp_path, 2, 1, retry_errors=True).tolist() == [[True], [False]]


def test_compaction_merges_and_survives_a_crash(tmp_path: Path) -> None:
    store, _ = st.open_store(tmp_path, info())
    for k in range(4):
        store.write_batch(runs([(k, 0), (k, 1)], value=float(k)), series([(k, 0), (k, 1)], k))
    store.write_batch(runs([(0, 0)], "error", np.nan))  # a stale duplicate: ok row wins
    before_runs, before_series = st.read_runs(tmp_path), st.read_series_table(tmp_path)
    old = st.batch_dirs(tmp_path)
    saved = tmp_path.parent / "saved"
    shutil.copytree(tmp_path, saved)
    store.compact()
    assert len(st.batch_dirs(tmp_path)) == 1
    pd.testing.assert_frame_equal(st.read_runs(tmp_path), before_runs)
    pd.testing.assert_frame_equal(st.read_series_table(tmp_path), before_series)
    # a crash after the merged batch is committed but before the old ones are deleted
    merged = st.batch_dirs(tmp_path)[0]
    for batch in old:
        shutil.copytree(saved / batch.name, batch)
    assert len(st.batch_dirs(tmp_path)) == 6 and merged in st.batch_dirs(tmp_path)
    pd.testing.assert_frame_equal(st.read_runs(tmp_path), before_runs)
    pd.testing.assert_frame_equal(st.read_series_table(tmp_path), before_series)


def test_reading_a_folder_that_is_not_a_sweep(tmp_path: Path) -> None:
    with pytest.raises(SpreadsimError, match="expected a sweep results folder"):
        st.read_info(tmp_path)
    with pytest.raises(SpreadsimError, match="no design.parquet"):
        st.read_design_table(tmp_path)
