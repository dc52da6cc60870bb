"""Executors: run batches of design points on workers and hand back each batch when it is done.

``inline`` runs in this process (tests, debugging), ``local`` in a pool of worker processes
(default: all cores), ``dask`` on a Dask distributed cluster (a scheduler address, or a
LocalCluster started for the sweep). All three call the same :func:`run_batch`, so a sweep gives
identical results on each.

Batches are sized by time (:class:`BatchSizer`): cheap points are grouped so that scheduling
overhead stays small, expensive ones go one by one so that a kill loses little finished work.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from sim.core.errors import SimError
from sim.sweep.store import Outcome
from sim.sweep.worker import Task, run_batch

MAX_BATCH = 64
TARGET_TASK_SECONDS = 0.5
IN_FLIGHT_PER_WORKER = 2


class Executor(Protocol):
    """Runs batches on ``workers`` workers."""

    workers: int

    def submit(self, batch: list[Task]) -> Any:
        """Start a batch; returns a handle (a future)."""
        ...

    def wait_any(self, handles: set[Any]) -> tuple[set[Any], set[Any]]:
        """Block until at least one handle is done; returns (done, not done)."""
        ...

    def result(self, handle: Any) -> list[Outcome]:
        """Outcomes of a finished batch; a broken worker is a SimError."""
        ...

    def close(self, abort: bool = False) -> None:
        """Stop workers and cancel what has not started (``abort``: do not wait for running
        batches, e.g. after Ctrl-C)."""
        ...


class BatchSizer:
    """Points per task: ``fixed`` if given, else as many as take about ``target`` seconds
    (measured on finished points; 1 until the first batch is back), at most ``MAX_BATCH`` and
    at most an equal share of what is left per worker."""

    def __init__(self, workers: int, fixed: int | None = None,
                 target: float = TARGET_TASK_SECONDS) -> None:
        self.workers = max(1, workers)
        self.fixed = fixed
        self.target = target
        self.points = 0
        self.seconds = 0.0

    def observe(self, outcomes: Sequence[Outcome]) -> None:
        """Learn the cost of points from finished outcomes."""
        self.points += len(outcomes)
        self.seconds += sum(o.seconds for o in outcomes)

    def size(self, remaining: int) -> int:
        """Size of the next batch when ``remaining`` points are still queued."""
        if self.fixed:
            return self.fixed
        if not self.points:
            return 1
        per_point = max(self.seconds / self.points, 1e-6)
        by_time = int(self.target / per_point)
        fair = math.ceil(remaining / self.workers)
        return max(1, min(MAX_BATCH, by_time, fair))


class InlineExecutor:
    """Evaluates every batch in this process when it is submitted."""

    workers = 1

    def submit(self, batch: list[Task]) -> Future[list[Outcome]]:
        """Run the batch now; returns a finished future."""
        future: Future[list[Outcome]] = Future()
        future.set_result(run_batch(batch))
        return future

    def wait_any(self, handles: set[Any]) -> tuple[set[Any], set[Any]]:
        """Everything submitted is already done."""
        return set(handles), set()

    def result(self, handle: Any) -> list[Outcome]:
        """The batch's outcomes."""
        outcomes: list[Outcome] = handle.result()
        return outcomes

    def close(self, abort: bool = False) -> None:
        """Nothing to stop."""


class LocalExecutor:
    """A pool of worker processes on this machine (started with ``spawn``: no inherited
    threads or locks; workers ignore Ctrl-C, the sweep stops them)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                        initializer=_worker_setup, initargs=(os.getpid(),))

    def submit(self, batch: list[Task]) -> Future[list[Outcome]]:
        """Queue a batch on the pool."""
        return self.pool.submit(run_batch, batch)

    def wait_any(self, handles: set[Any]) -> tuple[set[Any], set[Any]]:
        """Block until a batch is done."""
        done, pending = wait(handles, return_when=FIRST_COMPLETED)
        return set(done), set(pending)

    def result(self, handle: Any) -> list[Outcome]:
        """The batch's outcomes; a dead worker process is a SimError."""
        try:
            outcomes: list[Outcome] = handle.result()
        except BrokenProcessPool as exc:
            raise SimError(f"a worker process died ({exc}); finished points are stored, "
                           "run the sweep again to resume") from None
        return outcomes

    def close(self, abort: bool = False) -> None:
        """Cancel queued batches and stop the workers (at once when ``abort``)."""
        if abort:
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            return
        self.pool.shutdown(wait=True, cancel_futures=True)


PR_SET_PDEATHSIG = 1
"""Linux prctl option: the signal a process gets when its parent dies."""


def _worker_setup(parent: int) -> None:
    """Worker processes leave Ctrl-C to the sweep, which stops them, and die with the sweep:
    on Linux the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); a parent
    that died before that was set is caught by comparing the parent pid."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)


def _die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the parent process dies (Linux only; a no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def cap_workers(requested: int | None, forced: bool) -> int | None:
    """``requested`` workers, at most the CPU count unless ``forced`` (given on the command
    line rather than in a sweep file)."""
    if requested is None or forced:
        return requested
    return min(requested, os.cpu_count() or 1)


class DaskExecutor:
    """A Dask distributed cluster: ``address`` of a scheduler, or a LocalCluster of ``workers``
    single-threaded workers (processes unless ``processes=False``)."""

    def __init__(self, address: str | None = None, workers: int | None = None,
                 processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise SimError("executor 'dask' needs dask[distributed]",
                           accepted="pip install -e '.[dist]'") from None
        self.cluster: Any = None
        self.futures: list[Any] = []
        if address:
            try:
                self.client = Client(address, timeout=30)
            except OSError as exc:
                raise SimError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        else:
            self.cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                                        processes=processes, dashboard_address=None)
            self.client = Client(self.cluster)
        self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                  self.client.scheduler_info()["workers"].values()))

    def submit(self, batch: list[Task]) -> Any:
        """Send a batch to the cluster."""
        future = self.client.submit(run_batch, batch, pure=False)
        self.futures.append(future)
        return future

    def wait_any(self, handles: set[Any]) -> tuple[set[Any], set[Any]]:
        """Block until a batch is done."""
        from distributed import wait as dask_wait

        done, pending = dask_wait(list(handles), return_when="FIRST_COMPLETED")
        return set(done), set(pending)

    def result(self, handle: Any) -> list[Outcome]:
        """The batch's outcomes; a task the cluster could not run is a SimError."""
        try:
            outcomes: list[Outcome] = handle.result()
        except Exception as exc:  # e.g. KilledWorker after repeated worker deaths
            raise SimError(f"a Dask task failed ({type(exc).__name__}: {exc}); finished "
                           "points are stored, run the sweep again to resume") from None
        return outcomes

    def close(self, abort: bool = False) -> None:
        """Cancel what is left, close the client and the LocalCluster (if ours)."""
        if self.futures:
            self.client.cancel(self.futures)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str, workers: int | None = None, address: str | None = None,
                  processes: bool = True) -> Executor:
    """The executor named ``inline``, ``local`` or ``dask``."""
    if kind == "inline":
        return InlineExecutor()
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(address, workers, processes)
    raise SimError(f"unknown executor {kind!r}", accepted="local, dask, inline")
