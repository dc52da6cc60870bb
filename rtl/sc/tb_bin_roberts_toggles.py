"""cocotb bench: bit toggles of rtl/sc/bin_roberts.sv (input ports, the two subtractors, the two
absolute values, the adder and the output registers) on windows of a camera crop, the same with
half the pixels zeroed, random pixels and zeros.

After reset (zero inputs) the bench drives one window per clock at a falling edge and reads every
net of bin_core and the registers at the next falling edge (after the edge that registered it),
then two idle clocks with zero inputs; changed bits are counted per group of
``sim.models.stochastic.activity.BIN_GROUPS``. One $SIM_RTL_REPORT line per stream.
"""

from __future__ import annotations

from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from sim.models.stochastic.activity import toggle_cases
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets


def _nets(dut: Any) -> dict[str, list[tuple[Any, int]]]:
    core = dut.u_core
    return {"in": [(dut.a, 8), (dut.b, 8), (dut.c, 8), (dut.d, 8)],
            "sub": [(core.diff_ad, 9), (core.diff_bc, 9)],
            "abs": [(core.abs_ad, 8), (core.abs_bc, 8)], "add": [(core.g, 9)],
            "reg_out": [(dut.out_g, 9), (dut.out_valid, 1)]}


async def _stream(dut: Any, case: str, px: Any) -> None:
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.a.value = dut.b.value = dut.c.value = dut.d.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    nets = _nets(dut)
    counts = dict.fromkeys(nets, 0)
    prev = read_nets(nets)
    for k in range(px.shape[0] + 2):
        window = [int(v) for v in px[k]] if k < px.shape[0] else [0, 0, 0, 0]
        dut.a.value, dut.b.value, dut.c.value, dut.d.value = window
        dut.in_valid.value = int(k < px.shape[0])
        await FallingEdge(dut.clk)
        now = read_nets(nets)
        add_changed_bits(counts, now, prev)
        prev = now
    append_report({"test": "bin_toggles", "case": case, "pixels": px.tolist(),
                   "rtl": counts})


@cocotb.test()
async def bin_toggles(dut: Any) -> None:
    """49 windows (8x8 crop) per stream: camera, half zeroed, random, zeros."""
    Clock(dut.clk, 10, unit="ns").start()  # cocotb 2: runs its own task
    for case, px in toggle_cases(8, 8).items():
        await _stream(dut, case, px)
