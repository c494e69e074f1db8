"""Where tasks run: in-process, a local process pool, or a Dask cluster, behind one loop.

Every backend is a :class:`concurrent.futures.Executor`: a :class:`SerialExecutor` for one job,
a :class:`~concurrent.futures.ProcessPoolExecutor` (forkserver or spawn context, never the
global start method) for local processes, and ``distributed.Client.get_executor()`` for Dask.
:func:`execute` drives any of them with a bounded number of tasks in flight, so memory does not
grow with the size of the sweep.

Worker loss: Dask re-runs the tasks of a lost worker by itself, but a result can still be lost
on its way back (its worker dies between computing and handing it over, and Dask's
``concurrent.futures`` wrapper turns that into an exception), so a Dask task that fails as a
whole is submitted again, up to :attr:`Backend.retries` times. Tasks catch their own runs'
errors, so a task-level exception is always infrastructure, and tasks are seeded, so running
one again gives the same rows. A broken local pool is rebuilt and the tasks that were in flight
are run again one at a time; one that kills its worker on its own is reported failed.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from spreadsim.errors import SpreadsimError

R = TypeVar("R")

#: Times a Dask task whose result was lost (worker died on the way) is submitted again.
DASK_RETRIES = 2

#: Modules the forkserver imports once, so that every worker starts with Mesa loaded.
PRELOAD = ("__main__", "spreadsim.experiments.worker", "spreadsim.model", "spreadsim.metrics")


class SerialExecutor(cf.Executor):
    """Runs each task in the calling process as it is submitted (one job, easy to debug)."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> cf.Future[R]:
        """Run ``fn`` now; return a finished future holding its result or exception."""
        future: cf.Future[R] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


@dataclass
class Backend:
    """An executor with what the sweep loop needs to know about it.

    Attributes:
        executor: Where tasks are submitted.
        workers: Number of worker processes (or threads) running tasks.
        label: Human description, e.g. ``"local pool of 2 processes (forkserver)"``.
        kind: ``"serial"``, ``"local"`` or ``"dask"``.
        restart: Rebuilds a broken local pool (None for other backends).
        retries: Times a task that failed as a whole is submitted again before it is reported.
    """

    executor: cf.Executor
    workers: int
    label: str
    kind: str
    restart: Callable[[], None] | None = field(default=None, repr=False)
    retries: int = 0

    @property
    def window(self) -> int:
        """Tasks kept in flight: enough to keep every worker busy, few enough to stay small."""
        return 1 if self.kind == "serial" else self.workers * (4 if self.kind == "dask" else 2)


def default_jobs() -> int:
    """Default number of local workers: the number of CPUs."""
    return os.cpu_count() or 1


@contextmanager
def open_backend(jobs: int | None = None, dask: Any = None) -> Iterator[Backend]:
    """Start (and finally stop) a backend.

    Args:
        jobs: Local worker processes (default: CPU count). ``1`` runs in-process. With
            ``dask="local"``, the number of Dask workers.
        dask: ``None`` for local processes; ``"local"`` to start a Dask ``LocalCluster``
            (processes, on 127.0.0.1); a scheduler address such as ``"tcp://host:8786"``; or
            an existing ``distributed.Client``.

    Raises:
        SpreadsimError: For a bad ``jobs`` value, a missing Dask install or an unreachable
            scheduler.
    """
    if jobs is not None and jobs < 1:
        raise SpreadsimError(f"--jobs: expected a positive integer, got {jobs}")
    if dask is None:
        with _local(jobs or default_jobs()) as backend:
            yield backend
    else:
        with _dask(dask, jobs) as backend:
            yield backend


@contextmanager
def _local(jobs: int) -> Iterator[Backend]:
    if jobs == 1:
        yield Backend(SerialExecutor(), 1, "1 process (in the driver)", "serial")
        return
    ctx = _mp_context()
    state: dict[str, cf.ProcessPoolExecutor] = {}

    def start() -> None:
        old = state.get("pool")
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        state["pool"] = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx,
                                               initializer=_watch_parent)
        backend.executor = state["pool"]

    backend = Backend(SerialExecutor(), jobs, f"local pool of {jobs} processes "
                      f"({ctx.get_start_method()})", "local", start)
    start()
    try:
        yield backend
    except BaseException:
        state["pool"].shutdown(wait=False, cancel_futures=True)
        raise
    else:
        state["pool"].shutdown(wait=True)


def _mp_context() -> multiprocessing.context.BaseContext:
    """A forkserver context with Mesa preloaded (spawn where forkserver does not exist).

    Only this context is used; the global start method is left alone.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _watch_parent() -> None:
    """Pool initializer: leave Ctrl-C to the driver, and exit when the driver dies (e.g.
    SIGKILL) rather than linger."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - always a child here
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="spreadsim-watch-driver", daemon=True).start()


@contextmanager
def _dask(dask: Any, jobs: int | None) -> Iterator[Backend]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SpreadsimError("--dask needs Dask's distributed scheduler; install it with "
                             "pip install 'spreadsim[dask]'") from None
    cluster = None
    own_client = True
    if isinstance(dask, Client):
        client, own_client = dask, False
    elif dask == "local":
        cluster = LocalCluster(n_workers=jobs or default_jobs(), threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    elif isinstance(dask, str) and "://" in dask:
        client = _connect(Client, dask)
    else:
        raise SpreadsimError(f"--dask: expected 'local' or a scheduler address such as "
                             f"tcp://127.0.0.1:8786, got {dask!r}")
    try:
        workers = sum(client.nthreads().values())
        if workers == 0:
            raise SpreadsimError(f"the Dask scheduler at {client.scheduler.address} has no "
                                 "workers; start some with `dask worker ADDRESS`")
        where = "a local Dask cluster" if cluster is not None else (
            f"the Dask scheduler at {client.scheduler.address}")
        executor = client.get_executor(pure=False)
        yield Backend(executor, workers, f"{where} ({workers} worker threads)", "dask",
                      retries=DASK_RETRIES)
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()


def _connect(client_cls: Any, address: str) -> Any:
    try:
        return client_cls(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise SpreadsimError(f"--dask: cannot reach a Dask scheduler at {address}: "
                             f"{exc}") from None


def execute[T, R](backend: Backend, tasks: Iterable[T], fn: Callable[[T], R],
                  on_done: Callable[[T, R], None], on_error: Callable[[T, str], None],
                  tick: Callable[[], None] | None = None, tick_seconds: float = 0.5) -> None:
    """Run ``fn`` over ``tasks`` on a backend, keeping a bounded number in flight.

    When a worker process of a local pool dies, the pool is rebuilt and the tasks that were in
    flight become suspects: each is run again on its own, so a task that kills its worker
    every time is identified (and reported through ``on_error``) without blaming the tasks
    that happened to run beside it.

    Args:
        backend: Where to run.
        tasks: Tasks, consumed lazily.
        fn: The task function (a module-level function, so workers can import it).
        on_done: Called in this thread with each task and its result, in completion order.
        on_error: Called with a task and a message when the task itself failed (a lost worker
            after Dask's retries and ``backend.retries`` more, a worker process it killed, an
            unpicklable task).
        tick: Called at least every ``tick_seconds`` (e.g. to commit results by time).
        tick_seconds: See ``tick``.
    """
    in_flight: dict[cf.Future[R], tuple[T, int]] = {}  # future -> (task, resubmissions)
    suspects: deque[T] = deque()
    alone = False  # the only task in flight is a suspect, run on its own
    source = iter(tasks)
    exhausted = False

    def submit(task: T, tries: int = 0) -> None:
        in_flight[backend.executor.submit(fn, task)] = (task, tries)

    while True:
        if suspects:
            if not in_flight:
                submit(suspects.popleft())
                alone = True
        else:
            alone = False
            while not exhausted and len(in_flight) < backend.window:
                task = next(source, None)
                if task is None:
                    exhausted = True
                else:
                    submit(task)
        if not in_flight:
            break
        done, _ = cf.wait(in_flight, timeout=tick_seconds, return_when=cf.FIRST_COMPLETED)
        broken: list[T] = []
        for future in done:
            task, tries = in_flight.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append(task)
            except Exception as exc:  # noqa: BLE001 - reported per task, the sweep goes on
                if tries < backend.retries:
                    submit(task, tries + 1)
                else:
                    on_error(task, f"task failed: {type(exc).__name__}: {exc}")
            else:
                on_done(task, result)
        if broken:
            victims = broken + [task for task, _ in in_flight.values()]
            in_flight.clear()
            if backend.restart is None:  # pragma: no cover - only local pools break this way
                for task in victims:
                    on_error(task, "worker process died")
                continue
            backend.restart()
            if alone:
                on_error(victims[0], "worker process died while running this task on its own")
            else:
                suspects.extend(victims)
        if tick is not None:
            tick()
