"""cocotb bench: bit toggles of every PE of the 3-D cube MAC and OPT1 arrays of
rtl/tpe/tpe_arrays.sv on a stream of tile products (trace, sparse trace, random, zeros).

After the start-up flush (all PE state zero) the bench applies one tile product per clock right
after each rising edge (as a register feeding the cube would), then zero tiles until the array is
empty, and reads at every falling edge each PE's registers (``a_reg``, ``b_reg``, ``ps``, ``pc``)
and nets (MAC: product and adder output; OPT1: the four PPs and the outputs of the four 3:2 rows
of ``tpe_csa_n``), counting changed bits per group. One $SIM_RTL_REPORT line per stream;
tests/rtl/test_tpe_toggles.py runs ``activity.cube_toggles`` on it and compares.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench
from cocotb.triggers import FallingEdge, RisingEdge

from sim.models.tpe.activity import trace_gemms
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

P = tpe_bench.params({"X": 2, "Y": 2, "Z": 2})
X, Y, Z = P["X"], P["Y"], P["Z"]
TILES = 12


def _pe_nets(dut: Any, unit: str, i: int, k: int, j: int) -> dict[str, list[tuple[Any, int]]]:
    top = getattr(dut, f"u_{unit}")
    regs = {"reg_operand": [(top.a_reg[i][k][j], 8), (top.b_reg[i][k][j], 8)],
            "reg_acc": [(top.ps[i][k][j], 32), (top.pc[i][k][j], 32)]}
    pe = top.g_x[i].g_y[k].g_z[j]
    if unit == "mac":
        return {**regs, "mult": [(pe.g_mac.prod, 16)], "cpa": [(pe.s_nxt, 32)]}
    st = pe.g_opt1.u_csa.st
    rows = [(st[t + 1][6 - t - 3], 32) for t in range(4)]
    carries = [(st[t + 1][6 - t - 2], 32) for t in range(4)]
    csa = [n for pair in zip(rows, carries, strict=True) for n in pair]
    return {**regs, "ppg": [(pe.g_opt1.pp[q], 32) for q in range(4)], "csa": csa}


async def _stream(dut: Any, case: str, xa: np.ndarray, xb: np.ndarray) -> None:
    nets = {(u, i, k, j): _pe_nets(dut, u, i, k, j) for u in ("mac", "opt1")
            for i in range(X) for k in range(Y) for j in range(Z)}
    counts = {u: dict.fromkeys(["reg_operand", "reg_acc",
                                *(("mult", "cpa") if u == "mac" else ("ppg", "csa"))], 0)
              for u in ("mac", "opt1")}
    await FallingEdge(dut.clk)
    prev = {key: read_nets(n) for key, n in nets.items()}
    for e in range(xa.shape[0]):
        if e:
            await RisingEdge(dut.clk)
        dut.a_tile.value = tpe_bench.pack(xa[e].reshape(-1), 8)
        dut.b_tile.value = tpe_bench.pack(xb[e].reshape(-1), 8)
        await FallingEdge(dut.clk)
        for key, n in nets.items():
            now = read_nets(n)
            add_changed_bits(counts[key[0]], now, prev[key])
            prev[key] = now
    append_report({"test": "cube_toggles", "case": case, "xa": xa.tolist(),
                   "xb": xb.tolist(), "rtl": counts})


def _tiles(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The K tiles of one output block, then zero tiles until the cube is empty."""
    kb = a.shape[1] // Y
    xa = np.zeros((kb + X + Y + Z + 2, X, Y), dtype=np.int64)
    xb = np.zeros((kb + X + Y + Z + 2, Y, Z), dtype=np.int64)
    for t in range(kb):
        xa[t] = a[:, t * Y:(t + 1) * Y]
        xb[t] = b[t * Y:(t + 1) * Y]
    return xa, xb


@cocotb.test()
async def cube_toggles(dut: Any) -> None:
    """Trace block (activations x weights), sparse, random and zero blocks."""
    await tpe_bench.start(dut, X + Y + Z + 4, a_tile=0, b_tile=0, first=0, last=0, tvld=0)
    act, w = trace_gemms()["attention.self.query"]
    k = TILES * Y
    a, b = act[4:4 + X, :k], w[:k, 30:30 + Z]
    rng = np.random.default_rng(23)
    cases = {"trace": (a, b), "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), b),
             "random": (rng.integers(-128, 128, (X, k)), rng.integers(-128, 128, (k, Z))),
             "zeros": (np.zeros((X, k), dtype=np.int64), np.zeros((k, Z), dtype=np.int64))}
    for case, (x, y) in cases.items():
        await _stream(dut, case, *_tiles(x, y))
