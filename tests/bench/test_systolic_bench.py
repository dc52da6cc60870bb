"""Benchmark: systolic GEMM ops simulated per second, small and huge GEMMs (prints figures).

Run with ``pytest -m bench tests/bench -s``. Target: >= 20,000 ops/s on one core, the same for
64^3 and 4096^3 GEMMs (closed forms: cost does not grow with M, N, K).
"""

from __future__ import annotations

import time

import pytest

from sim.models.systolic import SystolicArch, SystolicModel
from sim.workload.trace import Trace

pytestmark = pytest.mark.bench
OPS = 20_000


def gemm_trace(size: int) -> Trace:
    ops = [{"name": f"g{i}", "kind": "gemm", "m": size, "n": size, "k": size} for i in range(OPS)]
    return Trace.model_validate({"version": 1, "name": f"bench{size}", "ops": ops})


@pytest.mark.parametrize("size", [64, 4096])
@pytest.mark.parametrize("dataflow", ["OS", "WS", "IS"])
def test_gemm_ops_per_second(size: int, dataflow: str) -> None:
    arch = SystolicArch.model_validate({"version": 1, "family": "systolic", "rows": 128,
                                        "cols": 128, "dataflow": dataflow})
    trace = gemm_trace(size)
    model = SystolicModel(arch)
    start = time.perf_counter()
    result = model.run(trace, seed=0)
    elapsed = time.perf_counter() - start
    print(f"\nsystolic {dataflow} {size}^3: {OPS} GEMM ops in {elapsed:.3f} s = "
          f"{OPS / elapsed:,.0f} ops/s ({result.cycles:,} simulated cycles)")
    assert len(result.ops) == OPS
