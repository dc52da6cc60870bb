"""cocotb bench: bit toggles of the multiplier-adder tree columns of rtl/tpe/tpe_opt2.sv (baseline
MAC, OPT2 at the 13-bit public and the safe intermediate width) on a GEMM stream (trace, sparse
trace, random, zeros).

After the start-up flush (every register zero), one sample per clock: at a falling edge the bench
drives the row, the fold's weights and the valid flag; the next rising edge samples them; at the
falling edge after it the bench reads every register (a_r, v, products / codes and PPs, l1, l2,
dot) and the readable nets (OPT2's encoder and PP-selector outputs) before driving the next sample,
and counts changed bits per group of ``sim.models.tpe.tree_activity.TREE_GROUPS`` (the groups in
``MODEL_ONLY`` are not readable). The stream is ``tree_stream`` (ends with idle zero samples, so
the pipeline is empty again). One $SIM_RTL_REPORT line per stream.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench
from cocotb.triggers import FallingEdge

from sim.models.tpe.activity import trace_gemms
from sim.models.tpe.tree_activity import tree_stream
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

P = tpe_bench.params({"K": 16, "N": 4})
K, N = P["K"], P["N"]
Q = K // 4
UNITS = {"mac": "u_mac", "narrow": "u_narrow", "safe": "u_safe"}
IW = {"narrow": 13, "safe": (K * 256).bit_length() + 1}


def _nets(dut: Any, unit: str) -> dict[str, list[tuple[Any, int]]]:
    top = getattr(dut, UNITS[unit])
    if unit == "mac":
        return {"reg_operand": [(top.a_r, K * 8)], "reg_valid": [(top.v, 4)],
                "reg_prod": [(top.prod[n][k], 16) for n in range(N) for k in range(K)],
                "reg_sum": [(top.l1[n][q], 18) for n in range(N) for q in range(Q)]
                + [(top.dot, N * 20)]}
    iw = IW[unit]
    idx = [(n, k, j) for n in range(N) for k in range(K) for j in range(4)]
    return {"reg_operand": [(top.a_r, K * 8)], "reg_valid": [(top.v, 6)],
            "reg_code": [(top.sel_r[k], 8) for k in range(K)] + [(top.nz_r[k], 4)
                                                                  for k in range(K)],
            "reg_pp": [(top.pp_r[n][k][j], 10) for n, k, j in idx],
            "reg_sum": [(top.l1[n][j][q], iw) for n in range(N) for j in range(4)
                        for q in range(Q)]
            + [(top.l2[n][j], iw) for n in range(N) for j in range(4)] + [(top.dot, N * 20)],
            "enc": [(top.sel_c[k], 8) for k in range(K)] + [(top.nz_c[k], 4) for k in range(K)],
            "ppg": [(top.pp_c[n][k][j], 10) for n, k, j in idx]}


async def _stream(dut: Any, case: str, a: np.ndarray, b: np.ndarray) -> None:
    s = tree_stream(a, b, K, N)
    nets = {u: _nets(dut, u) for u in UNITS}
    counts = {u: dict.fromkeys(nets[u], 0) for u in nets}
    zero_w = np.zeros((K, N), dtype=np.int64)
    await FallingEdge(dut.clk)
    prev = {u: read_nets(n) for u, n in nets.items()}
    for t in range(s.a.shape[0]):
        w = s.w[s.fold[t]] if s.fold[t] >= 0 else zero_w
        dut.a_row.value = tpe_bench.pack(s.a[t], 8)
        dut.w.value = tpe_bench.pack([int(w[k, n]) for n in range(N) for k in range(K)], 8)
        dut.vld.value = int(s.vld[t])
        await FallingEdge(dut.clk)
        for u, n in nets.items():
            now = read_nets(n)
            add_changed_bits(counts[u], now, prev[u])
            prev[u] = now
    append_report({"test": "tree_toggles", "case": case, "a": a.tolist(),
                   "b": b.tolist(), "iw": IW, "rtl": counts})


@cocotb.test()
async def tree_toggles(dut: Any) -> None:
    """Trace rows x weights (2 K folds x 2 N folds), sparse trace, random, zeros."""
    await tpe_bench.start(dut, 8, vld=0, a_row=0, w=0)
    act, w = trace_gemms()["attention.self.query"]
    a, b = act[4:10, :2 * K], w[:2 * K, 30:30 + 2 * N]
    rng = np.random.default_rng(18)
    cases = {"trace": (a, b), "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), b),
             "random": (rng.integers(-128, 128, a.shape), rng.integers(-128, 128, b.shape)),
             "zeros": (np.zeros(a.shape, dtype=np.int64), np.zeros(b.shape, dtype=np.int64))}
    for case, (x, y) in cases.items():
        await _stream(dut, case, x, y)
