"""Benchmarks of the gap9 family (prints figures; no timed asserts).

Run with ``pytest -m bench tests/bench/test_gap9_bench.py -s``. Targets: a full network inference
simulated in under 1 s; a bit-width search over 10,000 candidate allocations in under 60 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import sim.models.gap9  # noqa: F401  (registers the family)
from sim.models.gap9 import quality as ql
from sim.models.gap9.experiments import NETWORKS, load_network, uniform
from sim.models.gap9.search import cost_table, monotone, search
from sim.tech.table import load_tables

pytestmark = pytest.mark.bench
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", NETWORKS)
def test_full_network_inference_time(name: str) -> None:
    model, layers, trace = load_network(name)
    began = time.perf_counter()
    result = model.run(trace)
    seconds = time.perf_counter() - began
    print(f"\n{name}: {len(layers)} layers, {result.cycles:,} cycles "
          f"({result.seconds * 1e3:.3f} ms on GAP9) simulated in {seconds:.3f} s (target < 1 s)")
    assert result.cycles > 0


@pytest.mark.parametrize("name", NETWORKS)
def test_search_10000_candidates_time(name: str) -> None:
    table = load_tables(22)
    enc = ql.load_encoder()
    began = time.perf_counter()
    gain = ql.calibrated_gain(enc)
    model, layers, _ = load_network(name)
    costs = cost_table(model, layers, table)
    nsr = ql.network_nsr_table(layers, enc, gain)
    t_tables = time.perf_counter() - began
    budget = float(ql.sqnr_from_nsr(monotone(nsr), uniform(costs, 4)))
    res = search(costs, nsr, budget, n_candidates=10_000)
    seconds = time.perf_counter() - began
    print(f"\n{name}: {res.alloc.shape[0]:,} candidate allocations of {len(layers)} layers, "
          f"Pareto front {int(res.pareto.sum())}, searched in {seconds:.2f} s "
          f"(cost + quality tables {t_tables:.2f} s; target < 60 s)")
    assert res.alloc.shape[0] == 10_000
