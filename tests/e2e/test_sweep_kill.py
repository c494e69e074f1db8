"""SIGKILL a real `spreadsim sweep` process at several points; rerunning the same command
resumes and ends with exactly one row per run, equal to an uninterrupted sweep."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from spreadsim.experiments import read_experiment, read_series, run_experiment
from spreadsim.experiments import store as st

ROOT = Path(__file__).resolve().parents[2]
RUNS = 8 * 6

EXPERIMENT = f"""
[experiment]
name = "killme"
description = "a sweep to be killed"
scenario = "{ROOT / 'scenarios' / 'default_hub.toml'}"
replications = 6
seed = 3

[constants]
"time.n_steps" = 12

[[parameters]]
key = "hubs.*.core_fte"
levels = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]

[output]
outcomes = ["reach_at_horizon", "sustained", "abandoned"]
series = true
"""


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


_ROWS: dict[Path, int] = {}


def committed(out: Path) -> int:
    """Runs committed so far (row counts from Parquet footers, cached per batch)."""
    if not out.exists():
        return 0
    for batch in st.batch_dirs(out):
        if batch not in _ROWS:
            _ROWS[batch] = pq.read_metadata(batch / st.RUNS_FILE).num_rows
    return sum(_ROWS.get(b, 0) for b in st.batch_dirs(out))


def sweep(exp: Path, out: Path, jobs: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "spreadsim", "sweep", str(exp), "--jobs", str(jobs),
           "--out", str(out), "--chunk-size", "1", "--commit-seconds", "0.05",
           "--no-progress"]
    with open(log, "ab") as f:
        return subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)


def kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool],
              timeout: float = 60) -> set[int]:
    """SIGKILL the driver once ``ready()``; return its worker processes at that moment."""
    end = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the sweep finished before the kill point"
        assert time.monotonic() < end, "kill point not reached"
        time.sleep(0.02)
    workers = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return workers


def test_sigkill_then_resume(tmp_path: Path) -> None:
    exp = tmp_path / "killme.toml"
    exp.write_text(EXPERIMENT, encoding="utf-8")
    out, log = tmp_path / "results", tmp_path / "log.txt"
    points = [
        (2, lambda: (out / st.SWEEP_FILE).exists()),  # before the design or any run
        (2, lambda: committed(out) >= 8),  # mid-sweep, workers busy
        (1, lambda: committed(out) >= RUNS // 2),  # in-process runner, later on
    ]
    counts = []
    for jobs, ready in points:
        proc = sweep(exp, out, jobs, log)
        workers = kill_when(proc, ready)
        counts.append(committed(out))
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [w for w in workers if alive(w)]
        for w in left:  # clean up before failing
            os.kill(w, signal.SIGKILL)
        assert not left, f"worker processes outlived the killed driver: {left}"
    assert counts[0] < counts[1] < counts[2] < RUNS, counts
    final = sweep(exp, out, 1, log)
    assert final.wait(timeout=120) == 0, log.read_text()
    assert "already done" in log.read_text()
    assert not list(out.glob("*.tmp"))
    # exactly one row per run: resumed sweeps never ran a committed run again
    assert len(st.batch_dirs(out)) == 1  # compacted
    raw = pd.read_parquet(st.batch_dirs(out)[0] / st.RUNS_FILE)
    assert len(raw) == RUNS and not raw.duplicated(st.KEY).any()
    reference = run_experiment(exp, jobs=1, out=tmp_path / "reference")
    pd.testing.assert_frame_equal(read_experiment(out).drop(columns="runtime_s"),
                                  reference.runs().drop(columns="runtime_s"))
    pd.testing.assert_frame_equal(read_series(out), read_series(reference.path))


@pytest.mark.parametrize("leftover", ["batch-00000000000000000001-abcdef12.tmp"])
def test_leftovers_of_a_kill_are_discarded(tmp_path: Path, leftover: str) -> None:
    exp = tmp_path / "killme.toml"
    exp.write_text(EXPERIMENT.replace("replications = 6", "replications = 1"), "utf-8")
    out = tmp_path / "results"
    first = run_experiment(exp, jobs=1, out=out)
    half = out / leftover
    half.mkdir()
    (half / st.RUNS_FILE).write_bytes(b"PAR1 truncated")
    again = run_experiment(exp, jobs=1, out=out)
    assert again.ran == 0 and not half.exists()
    assert len(first.runs()) == 8
