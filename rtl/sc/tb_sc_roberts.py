"""cocotb 2.x bench for rtl/sc/sc_roberts.sv: bit-exact and cycle-exact vs the Python model.

Run through ``sim.rtlcheck.run_bench("sc_roberts", params, "tb_sc_roberts")``; the parameter set
(N, TAPS_*, SEED_*) arrives as JSON in $SIM_RTL_PARAMS.

For every tile, all (H-1) x (W-1) Roberts windows are streamed back to back (in_valid held high).
Inputs are written and outputs sampled at falling edges; rising edges are numbered from the first
one after the first window is presented. The bench checks that every counter value equals
``roberts_sc(tile, ScConfig(sng="lfsr", ...))`` exactly, that pixel k is accepted at edge
e0 + k N and its result appears after edge e0 + (k + 1) N, and that the whole tile takes
``op_cycles(pixels, N, 1, "stochastic")`` = pixels * N + 1 cycles.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from sim.models.stochastic.model import op_cycles
from sim.models.stochastic.roberts import LfsrConfig, ScConfig, roberts_sc, windows
from sim.models.stochastic.rtl import bench_tiles

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS", '{"N": 256}'))
N: int = int(PARAMS.get("N", 256))
LFSR = LfsrConfig(
    taps=(int(PARAMS.get("TAPS_AD", 0xB8)), int(PARAMS.get("TAPS_BC", 0xB4)),
          int(PARAMS.get("TAPS_S", 0x8E))),
    seeds=(int(PARAMS.get("SEED_AD", 0x01)), int(PARAMS.get("SEED_BC", 0x5A)),
           int(PARAMS.get("SEED_S", 0x81))),
)


def _report(record: dict[str, Any]) -> None:
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


async def _reset(dut: Any) -> None:
    Clock(dut.clk, 10, unit="ns").start()  # cocotb 2: runs its own task
    dut.rst.value = 1
    dut.in_valid.value = 0
    for port in (dut.a, dut.b, dut.c, dut.d):
        port.value = 0
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0


async def run_tile(dut: Any, tile: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Stream every window of ``tile``; return counts, accept edges and result edges."""
    wa, wb, wc, wd = (w.ravel().tolist() for w in windows(tile))
    pixels = len(wa)
    counts: list[int] = []
    accepts: list[int] = []
    results: list[int] = []
    nxt = 0

    def drive(k: int) -> None:
        dut.a.value, dut.b.value, dut.c.value, dut.d.value = wa[k], wb[k], wc[k], wd[k]

    await FallingEdge(dut.clk)
    drive(0)
    dut.in_valid.value = 1
    valid = True
    ready = int(dut.in_ready.value)
    edge = 0
    limit = (pixels + 2) * N + 10
    while len(counts) < pixels and edge < limit:
        await FallingEdge(dut.clk)
        edge += 1
        if valid and ready:
            accepts.append(edge)
            nxt += 1
        if int(dut.out_valid.value):
            counts.append(int(dut.out_count.value))
            results.append(edge)
        valid = nxt < pixels
        if valid:
            drive(nxt)
        dut.in_valid.value = int(valid)
        ready = int(dut.in_ready.value)
    return counts, accepts, results


@cocotb.test()
async def tiles_bit_and_cycle_exact(dut: Any) -> None:
    """Camera, random and extreme-value tiles: counts, accept/result edges, total cycles."""
    await _reset(dut)
    cfg = ScConfig(n_bits=N, sng="lfsr", lfsr=LFSR)
    failures: list[str] = []
    for name, tile in bench_tiles(8, 8).items():
        want = roberts_sc(tile, cfg).counts.ravel().tolist()
        counts, accepts, results = await run_tile(dut, tile)
        pixels = len(want)
        if counts != want:
            bad = [i for i, (g, w) in enumerate(zip(counts, want, strict=False)) if g != w]
            failures.append(f"{name}: {len(bad)} of {pixels} counts differ (got {len(counts)}); "
                            f"first at {bad[:1]}")
        e0 = accepts[0] if accepts else 0
        if accepts != [e0 + k * N for k in range(pixels)]:
            failures.append(f"{name}: accept edges {accepts[:3]}... not every {N} cycles")
        if results != [e0 + (k + 1) * N for k in range(pixels)]:
            failures.append(f"{name}: result edges {results[:3]}... not e0 + (k+1) N")
        rtl_cycles = (results[-1] - e0 + 1) if results else 0
        model_cycles = op_cycles(pixels, N, 1, "stochastic")
        if rtl_cycles != model_cycles:
            failures.append(f"{name}: rtl {rtl_cycles} cycles != model {model_cycles}")
        _report({"test": "tiles_bit_and_cycle_exact", "tile": name, "pixels": pixels,
                 "rtl_cycles": rtl_cycles, "model_cycles": model_cycles,
                 "matching_counts": sum(int(g == w) for g, w in zip(counts, want, strict=False))})
    assert not failures, "; ".join(failures)
