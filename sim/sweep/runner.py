"""Run a sweep: sample its points, skip those already stored, evaluate the rest, export CSV.

Each finished batch is committed to the store before the next is awaited, so killing the sweep
loses at most the batches in flight; running it again resumes from the store.
"""

from __future__ import annotations

import fcntl
import os
import platform
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sim
from sim.core.errors import Location, SimError
from sim.core.hashing import bytes_hash
from sim.evaluation.run import slug
from sim.sweep.config import Sweep, load_sweep
from sim.sweep.executors import (
    IN_FLIGHT_PER_WORKER,
    BatchSizer,
    Executor,
    cap_workers,
    make_executor,
)
from sim.sweep.pareto import Ranking, rank_rows, stored_ranking
from sim.sweep.progress import SweepProgress
from sim.sweep.samplers import Point, sample
from sim.sweep.store import STORE_NAME, Row, Store, export_csv, export_parquet
from sim.sweep.worker import Task


@dataclass
class SweepOutput:
    """A finished (or resumed) sweep: where it is and what happened."""

    out_dir: Path
    store: Path
    points: int
    computed: int
    counts: dict[str, int]
    files: list[Path] = field(default_factory=list)
    errors: list[tuple[str, int]] = field(default_factory=list)
    """The failed points' distinct errors with how many points each, most frequent first."""

    def to_frame(self) -> Any:
        """Every stored point as a pandas DataFrame (:func:`results_frame`)."""
        return results_frame(self.store)

    @property
    def failed(self) -> int:
        """Points whose last evaluation failed."""
        return self.counts.get("failed", 0)


def results_frame(store_path: Path) -> Any:
    """A sweep store as a pandas DataFrame: one row per current point with ``feasible`` and
    ``rank`` (under the stored objectives and constraints), parameters as their values (lists
    stay lists), metrics at full precision, and the energy/area breakdown as
    ``<group>.<part>`` columns (e.g. ``energy_pj.sram``)."""
    import pandas as pd

    with Store(store_path) as store:
        meta, rows = store.meta(), store.rows()
    ranking = stored_ranking(meta, rows)
    records = []
    for i, r in enumerate(rows):
        record: dict[str, Any] = {"key": r.key, "idx": r.idx, "status": r.status,
                                  "feasible": ranking.feasible[i], "rank": ranking.rank[i],
                                  **r.params, **r.metrics}
        for group, parts in r.breakdown.items():
            record.update({f"{group}.{part}": value for part, value in parts.items()})
        record.update(error=r.error, family=r.family, arch_hash=r.arch_hash,
                      trace_hash=r.trace_hash)
        records.append(record)
    return pd.DataFrame.from_records(records)


def default_out_dir(sweep: Sweep) -> Path:
    """``report.dir`` of the sweep file, else ``reports/<sweep name>``."""
    return Path(sweep.spec.report.dir or Path("reports") / slug(sweep.name))


def sweep_meta(sweep: Sweep, points: list[Point]) -> dict[str, Any]:
    """Sweep-level provenance and settings stored beside the points."""
    spec = sweep.spec
    return {
        "name": sweep.name, "sweep_file": str(sweep.doc.path),
        "sweep_file_hash": bytes_hash(sweep.doc.path.read_bytes()),
        "base": str(sweep.base_path), "base_hash": sweep.base_hash,
        "tables_hash": sweep.tables_hash,
        "tool_version": sim.__version__, "python": platform.python_version(),
        "sampler": spec.sampler, "seed": spec.seed, "n": spec.n, "points": len(points),
        "vary": [path for d in sweep.dims for path in d.paths],
        "objectives": [[name, how] for name, how in spec.objectives.items()],  # keeps the order
        "constraints": [c.text for c in sweep.constraints],
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def execute(store: Store, tasks: list[Task], executor: Executor, progress: SweepProgress,
            batch: int | None = None) -> int:
    """Evaluate ``tasks``, keeping about two batches per worker in flight and committing each
    batch as soon as it is back; returns the number of points done."""
    queue = deque(tasks)
    sizer = BatchSizer(executor.workers, batch)
    in_flight: set[Any] = set()
    done = 0
    while queue or in_flight:
        while queue and len(in_flight) < executor.workers * IN_FLIGHT_PER_WORKER:
            size = min(sizer.size(len(queue)), len(queue))
            in_flight.add(executor.submit([queue.popleft() for _ in range(size)]))
        finished, in_flight = executor.wait_any(in_flight)
        for handle in finished:
            outcomes = executor.result(handle)
            store.record(outcomes)
            sizer.observe(outcomes)
            failed = sum(o.status != "ok" for o in outcomes)
            progress.advance(len(outcomes) - failed, failed)
            done += len(outcomes)
    return done


def run_sweep(path: str | Path, *, out_dir: str | Path | None = None,
              retry_failed: bool = False, executor: str | None = None,
              workers: int | None = None, address: str | None = None,
              batch: int | None = None, dask_processes: bool = True,
              show_progress: bool | None = None, parquet: bool = False) -> SweepOutput:
    """Run (or resume) the sweep in ``path``; arguments override the sweep file's settings
    (``parquet`` adds ``results.parquet`` as ``report.parquet`` does)."""
    sweep = load_sweep(path)
    points = sample(sweep)
    target = Path(out_dir) if out_dir else default_out_dir(sweep)
    with store_lock(target):
        return _run_locked(sweep, points, target, retry_failed, executor, workers, address,
                           batch, dask_processes, show_progress, parquet)


def _run_locked(sweep: Sweep, points: list[Point], target: Path, retry_failed: bool,
                executor: str | None, workers: int | None, address: str | None,
                batch: int | None, dask_processes: bool,
                show_progress: bool | None, parquet: bool) -> SweepOutput:
    """:func:`run_sweep` once the store's lock is held."""
    spec = sweep.spec
    store = Store(target / STORE_NAME)
    try:
        store.set_meta(sweep_meta(sweep, points))
        store.add_points(points)
        by_key = {p.key: p for p in points}
        base = str(sweep.base_path)
        tasks = [Task(k, base, by_key[k].overrides, spec.timeout_s)
                 for k in store.todo(retry_failed)]
        counts = store.counts()
        computed = 0
        if tasks:
            runner = make_executor(executor or spec.executor,
                                   workers or cap_workers(spec.workers, forced=False),
                                   address or os.environ.get(ADDRESS_ENV) or None,
                                   dask_processes)
            already = len(points) - len(tasks)
            failed = counts.get("failed", 0) if not retry_failed else 0
            try:
                with SweepProgress(len(points), already, failed, show_progress) as bar:
                    computed = execute(store, tasks, runner, bar, batch or spec.batch)
            except BaseException:  # Ctrl-C or an error: stop the workers at once
                runner.close(abort=True)
                raise
            runner.close()
        counts = store.counts()
        rows = store.rows()
        ranked = rank_rows(rows, dict(spec.objectives), sweep.constraints)
        files = export(rows, target, spec.report.parquet or parquet, ranked)
    finally:
        store.close()
    errors = Counter(r.error for r in rows if r.status == "failed").most_common()
    return SweepOutput(target, target / STORE_NAME, len(points), computed, counts, files,
                       errors)


ADDRESS_ENV = "SIM_DASK_ADDRESS"
"""Environment variable that may name a Dask scheduler (as ``--address`` does)."""
LOCK_NAME = ".sweep.lock"


@contextmanager
def store_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``target/.sweep.lock`` while a sweep writes its store: one
    store, one writer. The kernel drops the lock when the holder dies, so a killed sweep never
    leaves a stale lock."""
    try:
        target.mkdir(parents=True, exist_ok=True)
        handle = open(target / LOCK_NAME, "a+")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise SimError(f"cannot create the sweep folder: {exc.strerror or exc}",
                       Location(target)) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SimError("another sim sweep is already running on this store (its lock "
                           f"file {LOCK_NAME} is held); wait for it or use another --out",
                           Location(target)) from None
        yield


def export(rows: list[Row], target: Path, parquet: bool = False,
           ranking: Ranking | None = None) -> list[Path]:
    """Write ``results.csv`` (and ``results.parquet``) of the store's current rows, with each
    point's feasibility and front rank when ``ranking`` is given."""
    files = [export_csv(rows, target / "results.csv", ranking)]
    if parquet:
        files.append(export_parquet(rows, target / "results.parquet", ranking))
    return files
