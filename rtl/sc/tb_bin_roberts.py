"""cocotb 2.x bench for rtl/sc/bin_roberts.sv: bit-exact and cycle-exact vs ``roberts_binary``.

One window per cycle (in_valid held high); window k is sampled at rising edge e0 + k and its
G = |a - d| + |b - c| is on out_g (out_valid = 1) after that edge; a tile of P windows takes
``op_cycles(P, N, 1, "binary")`` = P cycles from e0 to the last result edge inclusive.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from sim.models.stochastic.model import op_cycles
from sim.models.stochastic.roberts import roberts_binary, windows
from sim.models.stochastic.rtl import bench_tiles


def _report(record: dict[str, Any]) -> None:
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


@cocotb.test()
async def tiles_bit_and_cycle_exact(dut: Any) -> None:
    """Camera, random and extreme tiles: every G exact, one result per cycle, latency 1."""
    Clock(dut.clk, 10, unit="ns").start()  # cocotb 2: runs its own task
    dut.rst.value = 1
    dut.in_valid.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    failures: list[str] = []
    for name, tile in bench_tiles(17, 17).items():
        want = roberts_binary(tile).ravel().tolist()
        wa, wb, wc, wd = (w.ravel().tolist() for w in windows(tile))
        got: list[int] = []
        result_edges: list[int] = []
        await FallingEdge(dut.clk)
        for k in range(len(want) + 1):
            if k < len(want):
                dut.a.value, dut.b.value, dut.c.value, dut.d.value = wa[k], wb[k], wc[k], wd[k]
            dut.in_valid.value = int(k < len(want))
            await FallingEdge(dut.clk)
            edge = k + 1  # rising edges since window 0 was presented
            if int(dut.out_valid.value):
                got.append(int(dut.out_g.value))
                result_edges.append(edge)
        if got != want:
            bad = [i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w]
            failures.append(f"{name}: {len(bad)} of {len(want)} differ (got {len(got)})")
        if result_edges != list(range(1, len(want) + 1)):
            failures.append(f"{name}: results not one per cycle from edge 1")
        # window 0 is sampled at edge e0 = 1; cycles = last result edge - e0 + 1
        rtl_cycles = result_edges[-1] if result_edges else 0
        model_cycles = op_cycles(len(want), 1, 1, "binary")
        if rtl_cycles != model_cycles:
            failures.append(f"{name}: rtl {rtl_cycles} cycles != model {model_cycles}")
        _report({"test": "tiles_bit_and_cycle_exact", "tile": name, "pixels": len(want),
                 "rtl_cycles": rtl_cycles, "model_cycles": model_cycles})
        dut.in_valid.value = 0
    assert not failures, "; ".join(failures)
