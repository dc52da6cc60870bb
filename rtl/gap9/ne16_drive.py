"""Shared driving of rtl/gap9/ne16_slice.sv for its cocotb benches (not a bench itself)."""

from __future__ import annotations

from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from sim.models.gap9.rtlslice import MODE_CODE, OUT_CODE, SliceJob


async def start_clock_and_reset(dut: Any) -> None:
    """Start the 10 ns clock, hold every write/start input low and pulse ``rst_n`` low for
    three rising edges; returns with ``rst_n`` just released."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for sig in ("start", "x_we", "w_we", "p_we"):
        getattr(dut, sig).value = 0
    dut.rst_n.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1


async def load_and_start(dut: Any, job: SliceJob) -> None:
    """Write the slice's memories (one word per falling edge), set the job's configuration,
    drive ``start`` for the rising edge E0 that samples it and drop it at the next falling
    edge."""
    await FallingEdge(dut.clk)
    for i, word in enumerate(job.x_words):
        dut.x_we.value, dut.x_addr.value, dut.x_wdata.value = 1, i, word
        await FallingEdge(dut.clk)
    dut.x_we.value = 0
    for i, word in enumerate(job.w_words):
        dut.w_we.value, dut.w_addr.value, dut.w_wdata.value = 1, i, word
        await FallingEdge(dut.clk)
    dut.w_we.value = 0
    for i in range(job.k):
        dut.p_we.value, dut.p_addr.value = 1, i
        dut.p_scale.value, dut.p_bias.value = job.scale[i], job.bias[i] & 0xFFFFFFFF
        await FallingEdge(dut.clk)
    dut.p_we.value = 0
    nq = job.nq
    dut.mode.value, dut.qw.value, dut.k.value = MODE_CODE[job.mode], job.qw, job.k
    dut.n_in.value, dut.woff.value = job.n_in, job.woff & 0xFFFFFFFF
    dut.shift.value, dut.rounding.value = int(nq.shift), int(nq.rounding)  # type: ignore[arg-type]
    dut.relu.value, dut.out_sel.value = int(nq.relu), OUT_CODE[nq.out_bits]
    dut.norm_en.value, dut.bias_en.value = int(nq.enabled), int(nq.bias is not None)
    dut.start.value = 1
    await RisingEdge(dut.clk)  # E0 samples start
    await FallingEdge(dut.clk)
    dut.start.value = 0
