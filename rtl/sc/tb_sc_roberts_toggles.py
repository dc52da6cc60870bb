"""cocotb bench: bit toggles of rtl/sc/sc_roberts.sv (input, LFSR, counter, control and output
registers; the SNG comparator bits, the select and y) on windows of a camera crop, the same with
half the pixels zeroed, random pixels and zeros, streamed back to back.

After reset the bench drives pixel 0 with in_valid; the edge that accepts it is E0. At the falling
edge after every edge from E0 on it reads the registers and the sc_core ports, then drives the
pixel the next edge may accept; after the last pixel three idle edges follow. Changed bits are
counted per group of ``sim.models.stochastic.activity.SC_GROUPS`` (``xor`` is not readable).
One $SIM_RTL_REPORT line per stream; tests/rtl/test_sc_toggles.py compares the model.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from sim.models.stochastic.activity import toggle_cases
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS", '{"N": 256}'))
N: int = int(PARAMS.get("N", 256))
CW = N.bit_length()
TW = max(1, (N - 1).bit_length())


def _nets(dut: Any) -> dict[str, list[tuple[Any, int]]]:
    core = dut.u_core
    return {"reg_input": [(dut.ra, 8), (dut.rb, 8), (dut.rc, 8), (dut.rd, 8)],
            "reg_lfsr": [(dut.u_ad.state, 8), (dut.u_bc.state, 8), (dut.u_s.state, 8)],
            "reg_count": [(dut.cnt, CW), (dut.t, TW)],
            "reg_ctrl": [(dut.busy, 1), (dut.out_valid, 1)], "reg_out": [(dut.out_count, CW)],
            "sng": [(core.a, 1), (core.b, 1), (core.c, 1), (core.d, 1), (core.sel, 1)],
            "core": [(core.y, 1)]}


async def _stream(dut: Any, case: str, px: Any) -> None:
    dut.rst.value = 1
    dut.in_valid.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    pixels = px.shape[0]

    def drive(k: int) -> None:
        """Inputs for edge E_k: pixel k // N (accepted when k is a multiple of N)."""
        p = k // N
        if p < pixels:
            dut.a.value, dut.b.value, dut.c.value, dut.d.value = (int(v) for v in px[p])
        dut.in_valid.value = int(p < pixels)

    drive(0)
    await FallingEdge(dut.clk)  # E0 accepts pixel 0
    nets = _nets(dut)
    counts = dict.fromkeys(nets, 0)
    prev = read_nets(nets)
    for k in range(1, pixels * N + 4):
        drive(k)
        await FallingEdge(dut.clk)
        now = read_nets(nets)
        add_changed_bits(counts, now, prev)
        prev = now
    append_report({"test": "sc_toggles", "case": case, "pixels": px.tolist(),
                   "rtl": counts})


@cocotb.test()
async def sc_toggles(dut: Any) -> None:
    """Six windows (3x4 crop) per stream: camera, half zeroed, random, zeros."""
    Clock(dut.clk, 10, unit="ns").start()  # cocotb 2: runs its own task
    for case, px in toggle_cases(3, 4).items():
        await _stream(dut, case, px)
