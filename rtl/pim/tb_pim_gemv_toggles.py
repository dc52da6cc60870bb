"""cocotb bench: bit toggles of every register of rtl/pim/pim_gemv.sv (product registers, adder
tree levels, accumulator, result, valid shift registers) on streams of back-to-back COMPS_READRES
commands: MiniLM trace operands, the same with half the activations zeroed, random words, all
zeros (and, in the fp16 build, special values: NaN, infinities, subnormals, signed zeros).

After a reset (every register zero), one beat per clock: at a falling edge the bench drives the
beat, the next rising edge samples it, and at the falling edge after it the bench reads every
register before driving the next beat, counting changed bits per group of
``sim.models.npu_pim.activity.GROUPS``. One $SIM_RTL_REPORT line per stream;
tests/rtl/test_pim_toggles.py compares the model's counts.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from sim.models.npu_pim.activity import beat_stream, trace_commands
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS", '{"LANES": 16, "FP16": 1}'))
LANES: int = int(PARAMS["LANES"])
FP16: bool = bool(int(PARAMS["FP16"]))
LEVELS = LANES.bit_length() - 1
SPECIALS = np.array([0x7E00, 0x7C00, 0xFC00, 0x0001, 0x03FF, 0x8000, 0x0000, 0x3C00],
                    dtype=np.uint16)


def _nets(dut: Any) -> dict[str, list[tuple[Any, int]]]:
    return {"reg_mult": [(dut.lvl[0][i], 32) for i in range(LANES)],
            "reg_tree": [(dut.lvl[k][i], 32) for k in range(1, LEVELS + 1)
                         for i in range(LANES >> k)],
            "reg_acc": [(dut.acc, 32)], "reg_out": [(dut.res, 32), (dut.res_valid, 1)],
            "reg_ctrl": [(dut.v, LEVELS + 1), (dut.l, LEVELS + 1)]}


def _pack(words: np.ndarray) -> int:
    out = 0
    for lane, w in enumerate(words.tolist()):
        out |= (int(w) & 0xFFFF) << (16 * lane)
    return out


async def _reset(dut: Any) -> None:
    """Reset with zero inputs long enough to clear every register (the tree has no reset: it
    takes zero products through all its levels)."""
    dut.rst_n.value = 0
    dut.in_valid.value = dut.in_last.value = dut.a_bus.value = dut.b_bus.value = 0
    for _ in range(LEVELS + 3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1


async def _stream(dut: Any, case: str, commands: list[tuple[np.ndarray, np.ndarray]]) -> None:
    s = beat_stream(commands, LANES)
    nets = _nets(dut)
    counts = dict.fromkeys(nets, 0)
    await _reset(dut)
    await FallingEdge(dut.clk)
    prev = read_nets(nets)
    for t in range(s.a.shape[0]):
        dut.a_bus.value = _pack(s.a[t])
        dut.b_bus.value = _pack(s.b[t])
        dut.in_valid.value = int(s.vld[t])
        dut.in_last.value = int(s.last[t])
        await FallingEdge(dut.clk)
        now = read_nets(nets)
        add_changed_bits(counts, now, prev)
        prev = now
    append_report({"test": "gemv_toggles", "case": case, "fp16": FP16,
                   "commands": [[a.tolist(), b.tolist()] for a, b in commands],
                   "rtl": counts})


def _random(rng: np.random.Generator, beats: int) -> tuple[np.ndarray, np.ndarray]:
    if FP16:
        return tuple(rng.normal(0, 1, (beats, LANES)).astype(np.float16).view(np.uint16)
                     for _ in range(2))  # type: ignore[return-value]
    return tuple(rng.integers(0, 1 << 16, (beats, LANES), dtype=np.uint16)
                 for _ in range(2))  # type: ignore[return-value]


@cocotb.test()
async def gemv_toggles(dut: Any) -> None:
    """Three 4-beat commands and one 1-beat command per stream, back to back."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    rng = np.random.default_rng(18)
    trace = trace_commands(LANES, 4, 4, FP16)
    trace[3] = (trace[3][0][:1], trace[3][1][:1])
    half = [(np.where(rng.random(a.shape) < 0.5, a, 0).astype(np.uint16), b) for a, b in trace]
    cases = {"trace": trace, "trace_half_zero": half,
             "random": [_random(rng, n) for n in (4, 4, 4, 1)],
             "zeros": [(np.zeros((n, LANES), np.uint16),) * 2 for n in (4, 4, 4, 1)]}
    if FP16:
        cases["specials"] = [(rng.choice(SPECIALS, (4, LANES)), rng.choice(SPECIALS, (4, LANES)))
                             for _ in range(3)]
    for case, commands in cases.items():
        await _stream(dut, case, commands)  # type: ignore[arg-type]
