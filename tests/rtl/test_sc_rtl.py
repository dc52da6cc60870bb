"""RTL checks of rtl/sc: cocotb benches (bit- and cycle-exact vs the Python model) and Yosys counts.

Each Verilator model is built once per parameter set (cached by sim.rtlcheck) and simulates small
tiles (8x8 for the stochastic unit, 17x17 for the binary one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from sim.models.stochastic.rtl import BIN_PARAMETER_SETS, SC_PARAMETER_SETS

if TYPE_CHECKING:
    from sim.rtlcheck import CaseResult

rtlcheck = pytest.importorskip("sim.rtlcheck")
pytestmark = pytest.mark.rtl

_OK, _WHY = rtlcheck.rtl_available()
if not _OK:
    pytest.skip(f"Verilator/cocotb not available: {_WHY}", allow_module_level=True)



def _run(kernel: str, params: dict[str, Any], module: str) -> list[CaseResult]:
    results = rtlcheck.read_results(rtlcheck.run_bench(kernel, params, module))
    assert results, "the bench ran no tests"
    return results


@pytest.mark.parametrize("params", SC_PARAMETER_SETS, ids=lambda p: f"N={p['N']}")
def test_sc_roberts_bit_and_cycle_exact(params: dict[str, Any]) -> None:
    for case in _run("sc_roberts", params, "tb_sc_roberts"):
        assert case.passed, case.message
        assert len(case.records) == 3  # camera, random, extremes
        for rec in case.records:
            assert rec["rtl_cycles"] == rec["model_cycles"] == rec["pixels"] * params["N"] + 1


@pytest.mark.parametrize("params", BIN_PARAMETER_SETS, ids=["W=8"])
def test_bin_roberts_bit_and_cycle_exact(params: dict[str, Any]) -> None:
    for case in _run("bin_roberts", params, "tb_bin_roberts"):
        assert case.passed, case.message
        assert len(case.records) == 3
        for rec in case.records:
            assert rec["rtl_cycles"] == rec["model_cycles"] == rec["pixels"]
