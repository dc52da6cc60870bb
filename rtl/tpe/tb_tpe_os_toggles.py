"""cocotb bench: bit toggles of every PE of the output-stationary MAC and OPT1 arrays of
rtl/tpe/tpe_arrays.sv over one fold, on trace, sparse, random and all-zero tiles.

After the start edge the bench reads, at the falling edge after every stream and drain edge, each
PE's registers (``a_reg``, ``b_reg``, ``s_acc``, ``c_acc``) and combinational nets (MAC: product
and adder output; OPT1: the four PPs and the 3:2 outputs) and counts the bits that changed since
the previous cycle, per group of ``sim.models.tpe.activity``. One $SIM_RTL_REPORT line per tile
holds the tile and the counts; tests/rtl/test_tpe_toggles.py runs
``activity.os_array_toggles`` on the same tile and compares.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench

from sim.models.tpe.activity import trace_gemms
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

P = tpe_bench.params({"R": 4, "C": 4, "T_MAX": 16})
R, C, T_MAX = P["R"], P["C"], P["T_MAX"]


def _pe_nets(dut: Any, unit: str, i: int, j: int) -> dict[str, list[tuple[Any, int]]]:
    top = getattr(dut, f"u_{unit}")
    regs = {"reg_operand": [(top.a_reg[i][j], 8), (top.b_reg[i][j], 8)],
            "reg_acc": [(top.s_acc[i][j], 32), (top.c_acc[i][j], 32)]}
    gen = top.g_r[i].g_c[j]
    if unit == "mac":
        return {**regs, "mult": [(gen.g_mac.prod, 16)], "cpa": [(top.s_nxt[i][j], 32)]}
    blk = gen.g_opt1
    csa = [getattr(blk, n) for n in ("s1", "c1", "s2", "c2", "s3", "c3")]
    return {**regs, "ppg": [(blk.pp[q], 32) for q in range(4)],
            "csa": [(h, 32) for h in csa] + [(top.s_nxt[i][j], 32), (top.c_nxt[i][j], 32)]}


async def _fold(dut: Any, case: str, a: np.ndarray, b: np.ndarray) -> None:
    t = a.shape[1]
    ap = np.zeros((R, T_MAX), dtype=np.int64)
    ap[:, :t] = a
    bp = np.zeros((T_MAX, C), dtype=np.int64)
    bp[:t] = b
    await tpe_bench.pulse_start(dut, a_mat=tpe_bench.pack(ap.reshape(-1), 8),
                                b_mat=tpe_bench.pack(bp.reshape(-1), 8), t_len=t)
    nets = {(u, i, j): _pe_nets(dut, u, i, j) for u in ("mac", "opt1") for i in range(R)
            for j in range(C)}
    prev = {key: read_nets(n) for key, n in nets.items()}
    counts = {u: dict.fromkeys(["reg_operand", "reg_acc",
                                *(("mult", "cpa") if u == "mac" else ("ppg", "csa"))], 0)
              for u in ("mac", "opt1")}
    for _ in range(t + 2 * R + C - 2):
        await tpe_bench.step(dut)
        for key, n in nets.items():
            now = read_nets(n)
            add_changed_bits(counts[key[0]], now, prev[key])
            prev[key] = now
    for _ in range(4):  # let both arrays finish (OPT1's fuse edge) before the next start
        await tpe_bench.step(dut)
    append_report({"test": "os_toggles", "case": case, "a": a.tolist(),
                   "b": b.tolist(), "rtl": counts})


@cocotb.test()
async def os_toggles(dut: Any) -> None:
    """Trace tile (activations x weights), the same with half the activations zeroed, random,
    all zeros."""
    await tpe_bench.start(dut, 3, start=0, t_len=0, a_mat=0, b_mat=0)
    act, w = trace_gemms()["attention.self.query"]
    a, b = act[8:8 + R, :T_MAX], w[:T_MAX, 100:100 + C]
    rng = np.random.default_rng(19)
    cases = {"trace": (a, b), "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), b),
             "random": (rng.integers(-128, 128, (R, T_MAX)), rng.integers(-128, 128, (T_MAX, C))),
             "zeros": (np.zeros((R, T_MAX), dtype=np.int64), np.zeros((T_MAX, C), dtype=np.int64))}
    for case, (x, y) in cases.items():
        await _fold(dut, case, x, y)
