"""Benchmark: a sweep-sized batch of 1,000 tpe design evaluations on one core (prints figures).

Each evaluation is (architecture, PE variant, size, GEMM) -> cycles, f_max, area, energy. The
bit-serial designs (bit-slice OPT3/OPT4C/OPT4E, Laconic-style) compute their cycles from the
INT8 operand values, for GEMMs up to 512 x 512 x 512.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from sim.models.tpe import designs, evaluate
from sim.tech import load_tables

pytestmark = pytest.mark.bench

SIZES = {
    "systolic_os": [(8, 8), (16, 16), (32, 32)], "systolic_ws": [(8, 8), (16, 16), (32, 32)],
    "cube": [(4, 4, 4), (8, 8, 8)], "tree": [(16, 8), (16, 16), (16, 32)],
    "matrix2d": [(4, 4, 4), (8, 8, 4)], "bitslice": [(2, 16), (4, 32)],
    "laconic": [(4, 8, 16)],
}
GEMMS = [(64, 64, 64), (128, 256, 128), (256, 256, 512), (512, 512, 512), (384, 32, 384)]


def test_thousand_evaluations_under_budget() -> None:
    table = load_tables(28)
    rng = np.random.default_rng(0)
    data = {g: (rng.integers(-128, 128, (g[0], g[2])), rng.integers(-128, 128, (g[2], g[1])))
            for g in GEMMS}
    points = []
    for arch, sizes in SIZES.items():
        for pe, size, gemm in itertools.product(designs.PE_VARIANTS[arch], sizes, GEMMS):
            points.append((arch, pe, size, gemm))
    batch = list(itertools.islice(itertools.cycle(points), 1000))
    serial = sum(1 for p in batch if p[0] in designs.DATA_DEPENDENT)
    big_serial = sum(1 for p in batch if p[0] in designs.DATA_DEPENDENT and p[3][0] == 512)
    began = time.perf_counter()
    total_cycles = 0
    for arch, pe, size, (m, n, k) in batch:
        a, b = data[(m, n, k)]
        ev = evaluate.evaluate(designs.build_design(arch, pe, size), m, n, k, table, a, b)
        total_cycles += ev.cycles
    seconds = time.perf_counter() - began
    print(f"\ntpe bench: {len(batch)} evaluations ({serial} data-dependent, {big_serial} of them "
          f"512x512x512) in {seconds:.2f} s ({1e3 * seconds / len(batch):.2f} ms each); "
          f"{total_cycles} cycles simulated")
    assert len(batch) == 1000 and total_cycles > 0
