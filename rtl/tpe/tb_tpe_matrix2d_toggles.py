"""cocotb bench: bit toggles of the 2D-matrix MAC and OPT2 arrays of rtl/tpe/tpe_arrays.sv on
a stream of tiles (trace, sparse trace, random, zeros).

After the start-up flush, one zero tile flagged first/last/valid clears the accumulators (they have
no reset) and the pipeline drains; then the tiles of one output block are applied right after each
rising edge (as a register would), followed by idle cycles, and at every falling edge the bench
reads the tile registers (a_r, b_r; OPT2 also b_r2 and the registered EN-T codes), the PE
accumulators and nets (MAC: dot products; OPT2: encoder outputs, 10-bit PPs, every row of the
3:2 chain, the read-out adder), counting changed bits per group of
``sim.models.tpe.activity.MATRIX_GROUPS`` (the MAC's individual products live inside an
always_comb block and cannot be read). One $SIM_RTL_REPORT line per stream.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench
from cocotb.triggers import FallingEdge, RisingEdge

from sim.models.tpe.activity import matrix_tiles, trace_gemms
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

P = tpe_bench.params({"MT": 2, "NT": 2, "KT": 4})
MT, NT, KT = P["MT"], P["NT"], P["KT"]


def _nets(dut: Any, unit: str) -> dict[str, list[tuple[Any, int]]]:
    top = getattr(dut, f"u_{unit}")
    if unit == "mac":
        pes = [top.g_mac.g_i[i].g_j[j] for i in range(MT) for j in range(NT)]
        return {"reg_operand": [(top.a_r, MT * KT * 8), (top.b_r, KT * NT * 8)],
                "reg_acc": [(top.acc, MT * NT * 32)],
                "cpa": [(pe.dot, 32) for pe in pes]}
    blk = top.g_opt2
    pes = [blk.g_i[i].g_j[j] for i in range(MT) for j in range(NT)]
    n = 4 * KT + 2
    chain = [pe.u_csa.st[t + 1][n - t - 3 + x] for pe in pes for t in range(n - 2)
             for x in (0, 1)]
    return {"reg_operand": [(top.a_r, MT * KT * 8), (top.b_r, KT * NT * 8),
                            (top.b_r2, KT * NT * 8)]
            + [(blk.sel_r[i][q], 8) for i in range(MT) for q in range(KT)]
            + [(blk.nz_r[i][q], 4) for i in range(MT) for q in range(KT)],
            "reg_acc": [(h, 32) for pe in pes for h in (pe.s, pe.c)],
            "enc": [(blk.sel_c[i][q], 8) for i in range(MT) for q in range(KT)]
            + [(blk.nz_c[i][q], 4) for i in range(MT) for q in range(KT)],
            "ppg": [(pe.g_q[q].g_d[d].pp, 10) for pe in pes for q in range(KT) for d in range(4)],
            "csa": [(h, 32) for h in chain],
            "cpa": [(top.acc, MT * NT * 32)]}


async def _drive(dut: Any, a: Any, b: Any, first: int, last: int, tvld: int) -> None:
    dut.a_tile.value = tpe_bench.pack(np.asarray(a).reshape(-1), 8)
    dut.b_tile.value = tpe_bench.pack(np.asarray(b).reshape(-1), 8)
    dut.first.value, dut.last.value, dut.tvld.value = first, last, tvld


async def _stream(dut: Any, case: str, a: np.ndarray, b: np.ndarray) -> None:
    await FallingEdge(dut.clk)  # warm-up: a zero tile clears the accumulators
    await _drive(dut, np.zeros((MT, KT)), np.zeros((KT, NT)), 1, 1, 1)
    await RisingEdge(dut.clk)
    await _drive(dut, np.zeros((MT, KT)), np.zeros((KT, NT)), 0, 0, 0)
    for _ in range(5):
        await RisingEdge(dut.clk)
    tiles = matrix_tiles(a, b, MT, NT, KT)
    nets = {u: _nets(dut, u) for u in ("mac", "opt2")}
    counts = {u: dict.fromkeys(nets[u], 0) for u in nets}
    await FallingEdge(dut.clk)
    prev = {u: read_nets(n) for u, n in nets.items()}
    for e in range(tiles.a.shape[0]):
        if e:
            await RisingEdge(dut.clk)
        await _drive(dut, tiles.a[e], tiles.b[e], int(tiles.first[e]), int(tiles.last[e]),
                     int(tiles.tvld[e]))
        await FallingEdge(dut.clk)
        for u, n in nets.items():
            now = read_nets(n)
            add_changed_bits(counts[u], now, prev[u])
            prev[u] = now
    append_report({"test": "matrix_toggles", "case": case, "a": a.tolist(),
                   "b": b.tolist(), "rtl": counts})


@cocotb.test()
async def matrix_toggles(dut: Any) -> None:
    """Trace block (activations x weights, 6 K tiles), sparse, random, zeros."""
    await tpe_bench.start(dut, 8, a_tile=0, b_tile=0, first=0, last=0, tvld=0)
    act, w = trace_gemms()["attention.self.query"]
    k = 6 * KT
    a, b = act[4:4 + MT, :k], w[:k, 30:30 + NT]
    rng = np.random.default_rng(24)
    cases = {"trace": (a, b), "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), b),
             "random": (rng.integers(-128, 128, (MT, k)), rng.integers(-128, 128, (k, NT))),
             "zeros": (np.zeros((MT, k), dtype=np.int64), np.zeros((k, NT), dtype=np.int64))}
    for case, (x, y) in cases.items():
        await _stream(dut, case, x, y)
