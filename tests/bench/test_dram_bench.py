"""Benchmark of the HBM controller: requests per second on DRAMsim3's traces (a), (b), (e),
on the compiled fast path and the readable reference path (prints figures; no timed asserts).

Run with ``pytest -m bench tests/bench/test_dram_bench.py -s``. The issue's target is the fast
path at >= 110k requests/s on (b) on one core; the figure to compare is CPU time (the process
runs single-threaded), printed beside wall time and the machine's load average, since a loaded
machine stretches wall time.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from sim.hw.dram.config import make_config
from sim.hw.dram.replay import replay
from tests.unit.test_dram_reference import N, trace

pytestmark = pytest.mark.bench
CFG = make_config("dramsim3_hbm2_8ch")


def test_requests_per_second() -> None:
    replay(CFG, *trace("b", 1000))  # compile (or load the cached compiled code) first
    print(f"\nHBM controller, dramsim3_hbm2_8ch, {N} requests per trace; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    rows = {}
    for name in ("a", "b", "e"):
        for path in ("fast", "reference"):
            wall, cpu = time.perf_counter(), time.process_time()
            stats = replay(CFG, *trace(name), path=path)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows[name, path] = (stats.cycles, stats.read_latency.sum())
            print(f"({name}) {path:9s}: {N / cpu:9.0f} requests/s CPU, {N / wall:9.0f} wall "
                  f"({cpu:.2f} s CPU, {wall:.2f} s wall), cycles {stats.cycles}")
        assert rows[name, "fast"] == rows[name, "reference"]
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    assert np.isfinite(rows["b", "fast"][1])
