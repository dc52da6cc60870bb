"""cocotb bench: bit toggles of every register of the NE16 engine (rtl/gap9/ne16_slice.sv): the
input window shift register, the accumulator rows, the control registers and the streamout word,
on the job sequences of ``sim.models.gap9.activity.bench_jobs`` (silero-sample uint8 activations
with 2/5/8-bit weights, random jobs, all-zero jobs).

Per case: a zero flush job first (the window and accumulators have no reset; the flush writes
them all), then the case's jobs back to back. A monitor reads every register at each falling
edge (after the rising edge has updated them) and counts changed bits per group of
``activity.GROUPS``, from the flush job's end to the case's end. Memory writes between jobs leave
the engine idle. One $SIM_RTL_REPORT line per case; tests/rtl/test_gap9_toggles.py compares them
with the model.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
from ne16_drive import load_and_start, start_clock_and_reset

from sim.models.gap9.activity import CTRL_BITS, GROUPS, Geometry, bench_jobs, flush_job
from sim.models.gap9.rtlslice import SliceJob
from sim.rtlcheck.toggles import add_changed_bits, append_report

PARAMS: dict[str, Any] = json.loads(
    os.environ.get("SIM_RTL_PARAMS", '{"SIDE": 2, "LANES": 8, "KMAX": 8, "NIN_MAX": 2}'))
GEOM = Geometry(int(PARAMS["SIDE"]), int(PARAMS["LANES"]), int(PARAMS["KMAX"]),
                int(PARAMS["NIN_MAX"]))


def _handles(dut: Any) -> dict[str, list[Any]]:
    eng = dut.u_engine
    return {"reg_xbuf": [eng.xbuf], "reg_acc": [eng.rows],
            "reg_ctrl": [getattr(eng, n) for n in CTRL_BITS], "reg_out": [eng.o_data]}


class _Monitor:
    """Counts register bit changes per group at every falling edge while ``on``."""

    def __init__(self, dut: Any) -> None:
        self.h = _handles(dut)
        self.on = False
        self.counts = dict.fromkeys(GROUPS, 0)
        self.prev = self._read()

    def _read(self) -> dict[str, list[int]]:
        return {g: [int(h.value) for h in hs] for g, hs in self.h.items()}

    async def run(self, dut: Any) -> None:
        while True:
            await FallingEdge(dut.clk)
            await ReadOnly()
            now = self._read()
            if self.on:
                add_changed_bits(self.counts, now, self.prev)
            self.prev = now


async def _job(dut: Any, job: SliceJob) -> None:
    """Write the memories, start, wait for done and one more edge (done falls)."""
    await load_and_start(dut, job)
    for _ in range(10 * job.cycles + 100):
        await RisingEdge(dut.clk)
        await ReadOnly()
        if int(dut.done.value):
            break
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)


@cocotb.test()
async def slice_toggles(dut: Any) -> None:
    """Every case of bench_jobs, each after a flush job."""
    await start_clock_and_reset(dut)
    mon = _Monitor(dut)
    cocotb.start_soon(mon.run(dut))
    for case, jobs in bench_jobs(GEOM).items():
        await _job(dut, flush_job(GEOM))
        mon.counts = dict.fromkeys(GROUPS, 0)
        mon.on = True
        for job in jobs:
            await _job(dut, job)
        mon.on = False
        append_report({"test": "slice_toggles", "case": case, "params": PARAMS,
                       "rtl": mon.counts})
