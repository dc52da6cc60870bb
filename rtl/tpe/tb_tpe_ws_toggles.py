"""cocotb bench: bit toggles of every PE of the weight-stationary MAC and OPT1 arrays of
rtl/tpe/tpe_arrays.sv, fold by fold, on trace, sparse, random and all-zero tiles.

A first fold of zero weights sets the weight registers (they have no reset). Each following fold
is started on both arrays at once (same A, weights and partial sums); from the start edge on, the
bench reads after every edge each PE's registers (``a_reg``, ``w_reg``, ``ps_reg``, ``pc_reg``)
and nets (MAC: product and adder output; OPT1: the four PPs and the 3:2 outputs) until both
arrays are done, counting changed bits per group. One $SIM_RTL_REPORT line per fold holds the
fold (with the weights left by the fold before) and the counts; tests/rtl/test_tpe_toggles.py
runs ``activity.ws_array_toggles`` on it and compares.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench

from sim.models.tpe.activity import trace_gemms
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

P = tpe_bench.params({"R": 4, "C": 4, "T_MAX": 8})
R, C, T_MAX = P["R"], P["C"], P["T_MAX"]


def _pe_nets(dut: Any, unit: str, i: int, j: int) -> dict[str, list[tuple[Any, int]]]:
    top = getattr(dut, f"u_{unit}")
    regs = {"reg_operand": [(top.a_reg[i][j], 8), (top.w_reg[i][j], 8)],
            "reg_acc": [(top.ps_reg[i][j], 32), (top.pc_reg[i][j], 32)]}
    gen = top.g_r[i].g_c[j]
    if unit == "mac":
        return {**regs, "mult": [(gen.g_mac.prod, 16)], "cpa": [(top.s_nxt[i][j], 32)]}
    blk = gen.g_opt1
    csa = [getattr(blk, n) for n in ("s1", "c1", "s2", "c2", "s3", "c3")]
    return {**regs, "ppg": [(blk.pp[q], 32) for q in range(4)],
            "csa": [(h, 32) for h in csa] + [(top.s_nxt[i][j], 32), (top.c_nxt[i][j], 32)]}


async def _fold(dut: Any, a: np.ndarray, w: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    t = a.shape[0]
    ap = np.zeros((T_MAX, R), dtype=np.int64)
    ap[:t] = a
    pp = np.zeros((T_MAX, C), dtype=np.int64)
    pp[:t] = p
    await tpe_bench.pulse_start(dut, a_mat=tpe_bench.pack(ap.reshape(-1), 8),
                                w_mat=tpe_bench.pack(w.reshape(-1), 8),
                                p_mat=tpe_bench.pack(pp.reshape(-1), 32), t_len=t)
    nets = {(u, i, j): _pe_nets(dut, u, i, j) for u in ("mac", "opt1") for i in range(R)
            for j in range(C)}
    prev = {key: read_nets(n) for key, n in nets.items()}
    counts = {u: dict.fromkeys(["reg_operand", "reg_acc",
                                *(("mult", "cpa") if u == "mac" else ("ppg", "csa"))], 0)
              for u in ("mac", "opt1")}
    for _ in range(2 * R + C + t + 2):  # both arrays done (OPT1 one edge after the MAC)
        await tpe_bench.step(dut)
        for key, n in nets.items():
            now = read_nets(n)
            add_changed_bits(counts[key[0]], now, prev[key])
            prev[key] = now
    return counts


@cocotb.test()
async def ws_toggles(dut: Any) -> None:
    """Zero-weight warm-up fold, then trace, sparse trace, random, all-zero folds."""
    await tpe_bench.start(dut, 3, start=0, t_len=0, a_mat=0, w_mat=0, p_mat=0)
    zero_w = np.zeros((R, C), dtype=np.int64)
    await _fold(dut, np.zeros((T_MAX, R), dtype=np.int64), zero_w,
                np.zeros((T_MAX, C), dtype=np.int64))
    act, wts = trace_gemms()["attention.self.query"]
    a, w = act[:T_MAX, 20:20 + R], wts[20:20 + R, 50:50 + C]
    p = act[:T_MAX, :20] @ wts[:20, 50:50 + C]  # partial sums of the K rows before this fold
    rng = np.random.default_rng(20)
    cases = {"trace": (a, w, p),
             "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), w, p),
             "random": (rng.integers(-128, 128, (T_MAX, R)), rng.integers(-128, 128, (R, C)),
                        rng.integers(-(1 << 20), 1 << 20, (T_MAX, C))),
             "zeros": (np.zeros((T_MAX, R), dtype=np.int64), zero_w,
                       np.zeros((T_MAX, C), dtype=np.int64))}
    prev_w = zero_w
    for case, (x, y, z) in cases.items():
        counts = await _fold(dut, x, y, z)
        append_report({"test": "ws_toggles", "case": case, "a": x.tolist(), "w": y.tolist(),
                       "p": z.tolist(), "prev_w": prev_w.tolist(), "rtl": counts})
        prev_w = y
