"""cocotb 2.x bench for rtl/pim/pim_gemv.sv: bit-exact and cycle-exact vs sim.models.npu_pim.arith.

Run through ``sim.rtlcheck.run_bench("pim_gemv", params, "tb_pim_gemv")``; the parameter set
(LANES, FP16) arrives as JSON in $SIM_RTL_PARAMS and one JSON line per COMPS_READRES command
is appended to $SIM_RTL_REPORT.

Cycle measurement: the first COMP beat is sampled at rising edge E0; the bench counts edges
E0, E1, ... and, in the read-only phase after each, looks at ``res_valid``; the command's count
is k + 1 for the first edge Ek after which ``res_valid`` reads 1. It must equal
``unit_cycles(beats, lanes, spacing)``. Back-to-back trains (the beats of several fused
commands streamed without a gap, as the simulator's PIM tiles issue their heads) check every
command's result edge, counted from the train's first beat, against
``unit_cycles(beats so far, lanes, spacing)``.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from typing import Any

import cocotb
import numpy as np
import numpy.typing as npt
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim.models.npu_pim.arith import gemv_fp16_bits, gemv_int8

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS", '{"LANES": 16, "FP16": 1}'))
LANES: int = int(PARAMS["LANES"])
FP16: bool = bool(int(PARAMS["FP16"]))
U16 = npt.NDArray[np.uint16]
# The timing under test: the simulator's bank GEMV timing (sim.models.npu_pim.pim.gemv_cycles
# calls it). $SIM_PIM_TIMING = "module:function" substitutes another one (negative controls).
_MODULE, _FUNCTION = os.environ.get("SIM_PIM_TIMING",
                                    "sim.models.npu_pim.arith:unit_cycles").split(":")
unit_cycles: Callable[[int, int, int], int] = getattr(importlib.import_module(_MODULE),
                                                      _FUNCTION)


def _pack(words: npt.NDArray[Any]) -> int:
    out = 0
    for lane, w in enumerate(words.tolist()):
        out |= (int(w) & 0xFFFF) << (16 * lane)
    return out


def _report(record: dict[str, Any]) -> None:
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


async def _reset(dut: Any) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    dut.in_valid.value = 0
    dut.in_last.value = 0
    dut.a_bus.value = 0
    dut.b_bus.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    await RisingEdge(dut.clk)


async def _command(dut: Any, a: U16, b: U16, spacing: int) -> tuple[int, int]:
    """Issue one COMPS_READRES (rows of a, b are beats); return (result bits, edges)."""
    beats = a.shape[0]
    limit = unit_cycles(beats, LANES, spacing) * 2 + 16

    def drive(edge: int) -> None:
        """Inputs sampled at edge index ``edge`` (0 = E0): beat j at edge j * spacing."""
        j, rem = divmod(edge, spacing)
        if rem == 0 and j < beats:
            dut.a_bus.value = _pack(a[j])
            dut.b_bus.value = _pack(b[j])
            dut.in_valid.value = 1
            dut.in_last.value = int(j == beats - 1)
        else:
            dut.in_valid.value = 0
            dut.in_last.value = 0

    drive(0)
    edges = 0
    while True:
        await RisingEdge(dut.clk)
        edges += 1
        drive(edges)
        await ReadOnly()
        if dut.res_valid.value == 1:
            assert edges > (beats - 1) * spacing, "result before the last beat"
            return int(dut.res.value), edges
        assert edges < limit, f"no result after {edges} edges"


def _golden(a: U16, b: U16) -> int:
    if FP16:
        return gemv_fp16_bits(a, b)
    lo_a = (a & 0xFF).astype(np.uint8).view(np.int8)
    lo_b = (b & 0xFF).astype(np.uint8).view(np.int8)
    return gemv_int8(lo_a, lo_b) & 0xFFFFFFFF


async def _check(dut: Any, test: str, cases: list[tuple[str, U16, U16, int]]) -> None:
    bad = []
    for name, a, b, spacing in cases:
        got, edges = await _command(dut, a, b, spacing)
        want = _golden(a, b)
        model = unit_cycles(a.shape[0], LANES, spacing)
        ok = got == want and edges == model
        _report({"test": test, "case": name, "beats": int(a.shape[0]), "spacing": spacing,
                 "rtl": got, "golden": want, "rtl_cycles": edges, "model_cycles": model,
                 "ok": ok})
        if not ok:
            bad.append(f"{name}: rtl {got:#010x} golden {want:#010x}, cycles {edges} vs {model}")
        # an idle gap between commands, as between READRES and the next G_ACT
        await RisingEdge(dut.clk)
    assert not bad, "; ".join(bad[:5])


async def _train(dut: Any, commands: list[tuple[U16, U16]], spacing: int) -> list[tuple[int, int]]:
    """Stream several commands' beats back to back (``spacing`` apart, no gap between
    commands); return (result bits, edge count from the first beat) per command."""
    beats = [(a[j], b[j], j == a.shape[0] - 1) for a, b in commands for j in range(a.shape[0])]
    total = len(beats)
    limit = unit_cycles(total, LANES, spacing) * 2 + 16

    def drive(edge: int) -> None:
        j, rem = divmod(edge, spacing)
        if rem == 0 and j < total:
            a, b, last = beats[j]
            dut.a_bus.value = _pack(a)
            dut.b_bus.value = _pack(b)
            dut.in_valid.value = 1
            dut.in_last.value = int(last)
        else:
            dut.in_valid.value = 0
            dut.in_last.value = 0

    drive(0)
    out: list[tuple[int, int]] = []
    edges = 0
    while len(out) < len(commands):
        await RisingEdge(dut.clk)
        edges += 1
        drive(edges)
        await ReadOnly()
        if dut.res_valid.value == 1:
            out.append((int(dut.res.value), edges))
        assert edges < limit, f"only {len(out)} results after {edges} edges"
    return out


def _f16(values: npt.ArrayLike) -> U16:
    return np.asarray(values, dtype=np.float16).view(np.uint16)


@cocotb.test()
async def test_random_patterns(dut: Any) -> None:
    """Random operand bits (fp16: every finite pattern incl. subnormals; int8: upper byte junk)."""
    await _reset(dut)
    rng = np.random.default_rng(11 + LANES)
    cases = []
    for i, beats in enumerate((1, 2, 3, 5, 8, 13, 32)):
        shape = (beats, LANES)
        a = rng.integers(0, 1 << 16, size=shape, dtype=np.uint16)
        b = rng.integers(0, 1 << 16, size=shape, dtype=np.uint16)
        if FP16:  # keep finite values here: exponent 31 is covered by the corner cases
            a = np.where((a & 0x7C00) == 0x7C00, a & 0xBFFF, a).astype(np.uint16)
            b = np.where((b & 0x7C00) == 0x7C00, b & 0xBFFF, b).astype(np.uint16)
        cases.append((f"random#{i}", a, b, 1 + i % 3))
    await _check(dut, "test_random_patterns", cases)


@cocotb.test(skip=not FP16)
async def test_real_values(dut: Any) -> None:
    """Attention-like data: q.k over d_k = 128 (8 beats of 16) and softmax-weighted sums."""
    await _reset(dut)
    rng = np.random.default_rng(5)
    cases = []
    for i in range(6):
        beats = max(1, 128 // LANES)
        q = rng.normal(0, 1, size=(beats, LANES))
        k = rng.normal(0, 1 + 10 * i, size=(beats, LANES))
        cases.append((f"qk#{i}", _f16(q), _f16(k), 2))
    p = rng.dirichlet(np.ones(LANES * 4)).reshape(4, LANES)
    v = rng.normal(0, 3, size=(4, LANES))
    cases.append(("softmax.v", _f16(p), _f16(v), 1))
    await _check(dut, "test_real_values", cases)


@cocotb.test(skip=not FP16)
async def test_fp16_corners(dut: Any) -> None:
    """inf/NaN policy, max magnitudes, cancellation, subnormals, absorption, ties to even."""
    await _reset(dut)
    n = LANES
    ones = np.ones((1, n))
    zeros = np.zeros((1, n))
    inf_a = ones.copy()
    inf_a[0, 0] = np.inf
    inf_zero = ones.copy()
    inf_zero[0, 0] = 0.0        # lane 0: 0 x inf
    nan_a = _f16(ones)
    nan_a[0, n - 1] = 0x7E01  # NaN with a payload: result must be the canonical NaN
    pos_neg_inf = ones.copy()
    pos_neg_inf[0, 0], pos_neg_inf[0, 1] = np.inf, -np.inf
    cancel = np.tile(np.array([3.5, -3.5]), (2, n // 2))
    big = np.full((3, n), 65504.0)
    subn = np.full((2, n), 2.0**-24)  # smallest subnormal: products 2^-48
    mixed_sub = np.tile(np.array([2.0**-24, 6.0e-5]), (1, n // 2))  # subnormal x normal
    absorb_a = np.concatenate([np.full((1, n), 65504.0), np.full((1, n), 2.0**-12)])
    ties_a = np.zeros((2, n))
    ties_a[0, 0] = 1.0          # 1 + 2^-24 is halfway between 1 and 1 + 2^-23: even is 1
    ties_a[1, 0] = 2.0**-12
    ties_b = np.zeros((2, n))
    ties_b[0, 0] = 1.0
    ties_b[1, 0] = 2.0**-12
    odd_a = ties_a.copy()
    odd_a[0, 1], odd_b = 2.0**-11, ties_b.copy()
    odd_b[0, 1] = 2.0**-12      # 1 + 2^-23 + 2^-24: halfway, rounds up to even 1 + 2^-22
    neg_zero = -np.zeros((2, n))
    rng = np.random.default_rng(3)
    near = rng.normal(0, 1, size=(4, n))
    near_b = np.tile(np.array([1.0, -1.0]), (4, n // 2))
    near[:, 1::2] = near[:, 0::2] * (1 + rng.normal(0, 1e-3, size=(4, n // 2)))
    cases = [
        ("inf*1", _f16(inf_a), _f16(ones), 1),
        ("inf*0", _f16(inf_zero), _f16(inf_a), 1),
        ("nan-payload", nan_a, _f16(ones), 1),
        ("inf-inf", _f16(pos_neg_inf), _f16(ones), 1),
        ("inf-then-finite", _f16(np.concatenate([inf_a, ones])),
         _f16(np.concatenate([ones, ones])), 2),
        ("cancellation", _f16(cancel), _f16(np.ones((2, n))), 1),
        ("max-magnitude", _f16(big), _f16(big), 1),
        ("max-neg-magnitude", _f16(big), _f16(-big), 2),
        ("subnormal^2", _f16(subn), _f16(subn), 1),
        ("subnormal*normal", _f16(mixed_sub), _f16(-mixed_sub), 1),
        ("absorption", _f16(absorb_a), _f16(absorb_a), 1),
        ("tie-to-even-down", _f16(ties_a), _f16(ties_b), 1),
        ("tie-to-even-up", _f16(odd_a), _f16(odd_b), 1),
        ("neg-zero", _f16(neg_zero), _f16(np.ones((2, n))), 1),
        ("zeros", _f16(zeros), _f16(zeros), 1),
        ("near-cancellation", _f16(near), _f16(near_b), 1),
    ]
    await _check(dut, "test_fp16_corners", cases)


@cocotb.test(skip=FP16)
async def test_int8_extremes_and_wrap(dut: Any) -> None:
    """-128 x -128 in every lane, mixed signs, and enough beats to wrap the int32 accumulator."""
    await _reset(dut)
    lo = np.full((4, LANES), 0x80, dtype=np.uint16)
    hi = np.full((4, LANES), 0x7F, dtype=np.uint16)
    alt = np.tile(np.array([0x80, 0x7F], dtype=np.uint16), (3, LANES // 2))
    # (-128)^2 * LANES per beat; 2^31 / (16384 * LANES) beats reach the int32 limit.
    wrap_beats = (1 << 31) // (16384 * LANES) + 3
    wrap = np.full((wrap_beats, LANES), 0xFF80, dtype=np.uint16)  # junk in the upper byte
    cases = [("all-128", lo, lo, 1), ("127x-128", hi, lo, 2), ("alternating", alt, alt[::-1], 1),
             ("wrap", wrap, wrap, 1)]
    await _check(dut, "test_int8_extremes_and_wrap", cases)


@cocotb.test()
async def test_back_to_back_trains(dut: Any) -> None:
    """Fused heads streamed without gaps, as a PIM tile issues them (K.q: 4 heads of 8 beats;
    S.V: one head of 32; short heads below the pipeline depth; spacing 1-3)."""
    await _reset(dut)
    rng = np.random.default_rng(23 + LANES)
    bad = []
    for name, heads, beats, spacing in (("qk-tile", 4, 8, 2), ("sv-tile", 1, 32, 2),
                                        ("short-heads", 5, 2, 1), ("mixed", 3, 6, 3)):
        cmds = []
        for _ in range(heads):
            a = rng.integers(0, 1 << 16, size=(beats, LANES), dtype=np.uint16)
            b = rng.integers(0, 1 << 16, size=(beats, LANES), dtype=np.uint16)
            if FP16:
                a = np.where((a & 0x7C00) == 0x7C00, a & 0xBFFF, a).astype(np.uint16)
                b = np.where((b & 0x7C00) == 0x7C00, b & 0xBFFF, b).astype(np.uint16)
            cmds.append((a, b))
        got = await _train(dut, cmds, spacing)
        for j, ((a, b), (bits, edges)) in enumerate(zip(cmds, got, strict=True)):
            want = _golden(a, b)
            model = unit_cycles((j + 1) * beats, LANES, spacing)
            ok = bits == want and edges == model
            _report({"test": "test_back_to_back_trains", "case": f"{name}#{j}", "beats": beats,
                     "spacing": spacing, "rtl": bits, "golden": want, "rtl_cycles": edges,
                     "model_cycles": model, "ok": ok})
            if not ok:
                bad.append(f"{name}#{j}: rtl {bits:#010x} golden {want:#010x}, cycles {edges} "
                           f"vs {model}")
        for _ in range(4):
            await RisingEdge(dut.clk)
    assert not bad, "; ".join(bad[:5])
