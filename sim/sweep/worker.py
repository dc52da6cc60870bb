"""What runs on a worker: evaluate a batch of design points, never raising for a bad point.

A point that raises is reported as failed with a one-line error; the rest of its batch goes on.
Technology tables are loaded once per worker process and reused while their files are unchanged.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.core.errors import SimError
from sim.evaluation.run import apply_costing, simulate
from sim.evaluation.workload import load_workload
from sim.sweep.store import Outcome
from sim.tech import TechTable, load_tables
from sim.tech.table import builtin_files


@dataclass(frozen=True)
class Task:
    """One design point to evaluate: its key, the base workload file and the overrides."""

    key: str
    base: str
    overrides: dict[str, Any]
    timeout_s: float | None = None
    """Time limit of this point (s); None for none."""


class PointTimeout(Exception):
    """A design point ran past its time limit."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`PointTimeout` in the block after ``seconds`` (a SIGALRM timer; only in a
    process's main thread, elsewhere the limit is not enforced)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise PointTimeout(f"timed out after {seconds:g} s (sweep timeout_s)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def worker_name() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _stamp(files: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """Identity of a set of files: path, modification time and size."""
    out = []
    for f in files:
        st = f.stat()
        out.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(out)


@lru_cache(maxsize=16)
def _tables(node_nm: int, user: tuple[str, ...], stamp: tuple[tuple[str, int, int], ...]
            ) -> TechTable:
    return load_tables(node_nm, [Path(p) for p in user])


def cached_tables(node_nm: int, user_files: Sequence[Path]) -> TechTable:
    """Technology tables for a node, loaded once per process while no file changes."""
    stamp = _stamp([*builtin_files(), *user_files])
    return _tables(node_nm, tuple(str(p) for p in user_files), stamp)


def evaluate(task: Task) -> Outcome:
    """Simulate and cost one design point; any exception becomes a failed outcome."""
    started = time.time()
    clock = time.perf_counter()
    try:
        with time_limit(task.timeout_s):
            workload = load_workload(task.base, task.overrides)
            result = simulate(workload)
            table = cached_tables(workload.arch.tech.node_nm, workload.tech_files())
            costing = apply_costing(result, workload, table)
    except Exception as exc:  # a bad point must not stop the sweep
        return Outcome(task.key, "failed", error=_one_line(exc), started=started,
                       finished=time.time(), seconds=time.perf_counter() - clock,
                       worker=worker_name())
    metrics = {k: float(v) for k, v in result.metrics.items()}
    metrics["cycles"] = float(result.cycles)
    prov = result.provenance
    breakdown = {"energy_pj": costing.energy_by_component(), "area_um2": dict(costing.area_um2)}
    return Outcome(task.key, "ok", metrics, breakdown, "",
                   time.perf_counter() - clock, started, time.time(), worker_name(),
                   prov.family, prov.tool_version, prov.arch_hash, prov.trace_hash)


def _one_line(exc: BaseException) -> str:
    """``SimError`` text as is; other exceptions as ``Type: message (at file:line)``."""
    if isinstance(exc, SimError | PointTimeout):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}{where}"


def run_batch(tasks: Sequence[Task]) -> list[Outcome]:
    """Evaluate a batch of points in order."""
    return [evaluate(task) for task in tasks]
