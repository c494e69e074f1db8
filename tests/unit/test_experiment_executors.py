"""The executor loop: bounded submission, per-task failures, and a local pool that loses a
worker process (rebuilt, suspects rerun on their own; only the task that kills its worker is
reported, never the tasks beside it)."""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
from pathlib import Path

import pytest

from spreadsim.errors import SpreadsimError
from spreadsim.experiments.executors import (
    Backend,
    SerialExecutor,
    execute,
    open_backend,
)


def square(x: int) -> int:
    return x * x


def fragile(task: tuple[int, str]) -> int:
    """Kills its worker process the first time it sees task 3 (marker file), always for 5."""
    x, marker = task
    if x == 5 or (x == 3 and not os.path.exists(marker)):
        Path(marker).touch()
        os._exit(1)
    return x * x


def failing(x: int) -> int:
    if x == 2:
        raise ValueError("two")
    return x


def test_serial_executor() -> None:
    ex = SerialExecutor()
    assert ex.submit(square, 3).result() == 9
    with pytest.raises(ValueError, match="two"):
        ex.submit(failing, 2).result()


def test_bounded_in_flight_and_per_task_errors() -> None:
    pulled: list[int] = []

    def tasks():
        for x in range(20):
            pulled.append(x)
            yield x

    done: dict[int, int] = {}
    errors: dict[int, str] = {}
    with cf.ThreadPoolExecutor(2) as pool:
        backend = Backend(pool, 2, "threads", "local")

        def on_done(task: int, result: int) -> None:
            assert len(pulled) - len(done) - len(errors) <= backend.window
            done[task] = result

        execute(backend, tasks(), failing, on_done, lambda t, m: errors.update({t: m}))
    assert errors == {2: "task failed: ValueError: two"}
    assert done == {x: x for x in range(20) if x != 2}


def test_a_task_lost_in_transit_is_submitted_again() -> None:
    """On Dask a task-level exception means its result was lost (tasks catch their runs'
    errors): it is resubmitted up to ``retries`` times, and only then reported."""
    calls: dict[int, int] = {}
    lock = threading.Lock()

    def flaky(x: int) -> int:
        with lock:
            calls[x] = calls.get(x, 0) + 1
            n = calls[x]
        if x == 4 or (x == 1 and n == 1):
            raise OSError(f"lost {x}")
        return x

    done: dict[int, int] = {}
    errors: dict[int, str] = {}
    with cf.ThreadPoolExecutor(2) as pool:
        backend = Backend(pool, 2, "threads", "dask", retries=2)
        execute(backend, range(6), flaky, lambda t, r: done.update({t: r}),
                lambda t, m: errors.update({t: m}))
    assert done == {x: x for x in range(6) if x != 4}
    assert errors == {4: "task failed: OSError: lost 4"}
    assert calls == {0: 1, 1: 2, 2: 1, 3: 1, 4: 3, 5: 1}


def test_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    marker = str(tmp_path / "died")
    done: dict[int, int] = {}
    errors: dict[int, str] = {}
    with open_backend(jobs=2) as backend:
        assert backend.kind == "local" and "forkserver" in backend.label
        execute(backend, [(x, marker) for x in range(8)], fragile,
                lambda t, r: done.update({t[0]: r}), lambda t, m: errors.update({t[0]: m}))
    assert os.path.exists(marker)  # a worker did die
    assert errors == {5: "worker process died while running this task on its own"}
    assert done == {x: x * x for x in range(8) if x != 5}


def test_bad_backend_arguments() -> None:
    with (pytest.raises(SpreadsimError, match="--jobs: expected a positive integer, got 0"),
          open_backend(jobs=0)):
        pass
    with (pytest.raises(SpreadsimError, match="--dask: expected 'local' or a scheduler address"),
          open_backend(dask="somewhere")):
        pass
