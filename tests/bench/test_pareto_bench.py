"""Benchmark: Pareto ranking of 100,000 random points for 2 and 3 objectives (target < 5 s each
on one core); prints the time and the number of fronts.

Run with ``pytest -m bench tests/bench/test_pareto_bench.py -s``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from sim.sweep.pareto import front_ranks

pytestmark = pytest.mark.bench
POINTS = 100_000
TARGET_S = 5.0


@pytest.mark.parametrize("objectives", [2, 3])
def test_rank_100k_points(objectives: int) -> None:
    rng = np.random.default_rng(0)
    front_ranks(rng.random((100, objectives)))  # compile (numba cache) outside the timing
    values = rng.random((POINTS, objectives))
    start = time.perf_counter()
    ranks = front_ranks(values)
    seconds = time.perf_counter() - start
    print(f"\n{POINTS:,} points, {objectives} objectives: {seconds:.2f} s, "
          f"{ranks.max()} fronts, {int((ranks == 1).sum())} on the Pareto front")
    assert seconds < TARGET_S
