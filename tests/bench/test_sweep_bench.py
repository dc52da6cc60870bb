"""Benchmark: 1,000 design points of a cheap model (one small GEMM on a systolic array), on 1 and
2 local worker processes and on a Dask LocalCluster of 2 workers; prints points/s, the per-point
overhead (store + scheduling) and the 1 -> 2 worker scaling. Target: under 60 s on 2 cores.

Run with ``pytest -m bench tests/bench/test_sweep_bench.py -s``. No timed asserts.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from sim.sweep.runner import run_sweep
from sim.sweep.samplers import Point
from sim.sweep.store import Outcome, Store

pytestmark = pytest.mark.bench
POINTS = 1000
WORKLOAD = """\
version: 1
name: cheap
arch: {version: 1, family: systolic, rows: 8, cols: 8, dataflow: WS}
trace:
  version: 1
  name: one gemm
  ops: [{name: g, kind: gemm, m: 64, n: 64, k: 64}]
"""
SWEEP = f"""\
version: 1
base: cheap.yaml
vary:
  arch.rows: {{start: 1, stop: {POINTS // 2}, step: 1}}
  arch.dataflow: [OS, WS]
"""


def cheap_sweep(folder: Path) -> Path:
    (folder / "cheap.yaml").write_text(WORKLOAD, encoding="utf-8")
    path = folder / "cheap.sweep.yaml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


def timed_sweep(path: Path, out: Path, **options: object) -> tuple[float, float, float]:
    """Wall time, busy time of the points (sum of evaluation times) and the span from the
    first point's start to the last point's end."""
    start = time.perf_counter()
    output = run_sweep(path, out_dir=out, report=False, show_progress=False, **options)
    wall = time.perf_counter() - start
    assert output.counts == {"ok": POINTS}
    with Store(out / "results.sqlite") as store:
        rows = store.rows()
    assert len(rows) == POINTS
    busy = sum(r.seconds or 0.0 for r in rows)
    span = max(r.finished or 0.0 for r in rows) - min(r.started or 0.0 for r in rows)
    return wall, busy, span


def store_cost_per_point(folder: Path, batch: int = 64) -> float:
    """Seconds per point to record results in the SQLite store, in batches."""
    points = [Point(i, f"k{i}", {"arch.rows": i}) for i in range(POINTS)]
    metrics = {f"m{j}": float(j) for j in range(12)}
    with Store(folder / "store-bench.sqlite") as store:
        store.add_points(points)
        start = time.perf_counter()
        for i in range(0, POINTS, batch):
            store.record([Outcome(p.key, "ok", metrics) for p in points[i:i + batch]])
        return (time.perf_counter() - start) / POINTS


def spin(n: int) -> float:
    """CPU-bound Python loop; returns its own duration."""
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - start


def machine_parallel_speedup(n: int = 5_000_000) -> float:
    """How much faster two processes finish two equal CPU-bound loops than one process does
    (2.0 on two idle cores; less when the cores are shared with other work)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        list(pool.map(spin, [1000, 1000]))  # start both workers
        start = time.perf_counter()
        list(pool.map(spin, [n]))
        alone = time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(spin, [n, n]))
        together = time.perf_counter() - start
    return 2 * alone / together


def test_thousand_points(tmp_path: Path) -> None:
    path = cheap_sweep(tmp_path)
    results = {}
    for label, options in (("local, 1 worker", {"executor": "local", "workers": 1}),
                           ("local, 2 workers", {"executor": "local", "workers": 2}),
                           ("dask LocalCluster, 2 workers",
                            {"executor": "dask", "workers": 2})):
        wall, busy, span = timed_sweep(path, tmp_path / label.replace(" ", "_"), **options)
        workers = int(str(options["workers"]))
        overhead = (span * workers - busy) / POINTS
        results[label] = wall
        print(f"\n{label}: {POINTS} points in {wall:.2f} s wall ({POINTS / wall:,.0f} points/s; "
              f"{POINTS / span:,.0f} points/s after start-up), model {busy / POINTS * 1e3:.2f} "
              f"ms/point, overhead (store + scheduling) {overhead * 1e3:.2f} ms/point")
    store_ms = store_cost_per_point(tmp_path) * 1e3
    print(f"store alone: {store_ms:.3f} ms/point (batches of 64, committed per batch)")
    scaling = results["local, 1 worker"] / results["local, 2 workers"]
    print(f"scaling 1 -> 2 local workers: {scaling:.2f}x (wall time ratio); this machine runs "
          f"two CPU-bound processes {machine_parallel_speedup():.2f}x as fast as one")
