"""Sweeps on a real Dask cluster (a scheduler and two worker processes on 127.0.0.1), reached
by address as a user would: the same table as the local backends, even when a worker is
killed mid-sweep."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from spreadsim.cli import main
from spreadsim.experiments import read_experiment, read_series, run_experiment
from spreadsim.experiments import store as st

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

ROOT = Path(__file__).resolve().parents[2]

EXPERIMENT = f"""
[experiment]
name = "on_dask"
description = "a small paired sweep"
scenario = "{ROOT / 'scenarios' / 'default_hub.toml'}"
replications = 6
seed = 8
counterfactual = true

[constants]
"time.n_steps" = 12

[[parameters]]
key = "hubs.*.core_fte"
levels = [1.0, 2.0, 4.0, 6.0]

[output]
outcomes = ["reach_at_horizon", "sustained"]
series = true
"""


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def experiment_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "on_dask.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(experiment_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_experiment(experiment_file, jobs=1,
                          out=tmp_path_factory.mktemp("ref") / "results").path


def same(folder: Path, reference: Path) -> None:
    pd.testing.assert_frame_equal(read_experiment(folder).drop(columns="runtime_s"),
                                  read_experiment(reference).drop(columns="runtime_s"))
    pd.testing.assert_frame_equal(read_series(folder), read_series(reference))


def test_dask_gives_the_local_table(scheduler: str, experiment_file: Path, reference: Path,
                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    assert main(["sweep", str(experiment_file), "--dask", scheduler, "--out", str(out)]) == 0
    assert f"on the Dask scheduler at {scheduler} (2 worker threads)" in capsys.readouterr().out
    same(out, reference)


def test_a_killed_worker_loses_nothing(scheduler: str, experiment_file: Path, reference: Path,
                                       tmp_path: Path) -> None:
    client = distributed.Client(scheduler)
    try:
        pids = client.run(os.getpid)
        out = tmp_path / "results"
        killed: list[int] = []

        def kill_one_worker() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                batches = st.batch_dirs(out) if out.exists() else []
                if sum(pq.read_metadata(b / st.RUNS_FILE).num_rows for b in batches) >= 4:
                    pid = next(iter(pids.values()))
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_one_worker)
        killer.start()
        result = run_experiment(experiment_file, dask=scheduler, out=out, chunk_size=1,
                                commit_seconds=0.05)
        killer.join()
        assert killed, "no worker was killed during the sweep"
        errors = read_experiment(out).query("status == 'error'")["error"].tolist()
        assert result.ran == 24 and result.errors == 0, errors
        assert result.info["status"] == "complete"
        same(out, reference)
        client.wait_for_workers(2, timeout=30)  # the nanny restarts it for the next test
        assert killed[0] not in client.run(os.getpid).values()
    finally:
        client.close()


def test_unreachable_scheduler(experiment_file: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(experiment_file), "--dask", "127.0.0.1:1", "--out",
                 str(tmp_path / "r")]) == 2
    assert "--dask: expected 'local' or a scheduler address such as tcp://127.0.0.1:8786, " \
           "got '127.0.0.1:1'" in capsys.readouterr().err
