"""cocotb bench: bit toggles of the bit-slice columns of rtl/tpe/tpe_bitslice.sv (OPT3, OPT4C,
OPT4E) on one job each of trace operands, the same with half the activations zeroed, random and
all-zero data.

A flush job on zeros first leaves every register known (the RTL has no reset). Then, at a
falling edge, the bench reads everything, drives A, B and start; at the falling edge after each
rising edge it reads the issue registers (of every issue unit), the encoder outputs, every PE's
PPs, 3:2 rows, (sum, carry), fuse adder and shifted result, and the pass-fuse, result and output
registers, counting changed bits per group of ``sim.models.tpe.bitslice_activity.GROUPS``, until
every unit is done plus three edges. One $SIM_RTL_REPORT line per job (with the edge count).
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench
from cocotb.triggers import FallingEdge

from sim.models.tpe.activity import trace_gemms
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

P = tpe_bench.params({"M": 4, "K": 16, "N": 4})
M, K, N = P["M"], P["K"], P["N"]
UNITS = {"opt3": (1, False), "opt4c": (1, True), "opt4e": (4, True)}


def _nets(dut: Any, unit: str) -> dict[str, list[tuple[Any, int]]]:
    top = getattr(dut, f"u_{unit}")
    ways, shared = UNITS[unit]
    issues = [top.g_issue[e].u_issue for e in range(1 if shared else N)]
    pes = [top.g_pe[n] for n in range(N)]
    rows = [(pe.u_pe.st[t + 1][ways + 2 - t - 3 + x], 26) for pe in pes for t in range(ways)
            for x in (0, 1)]
    return {
        "reg_issue": [(h, w) for u in issues for h, w in (
            (u.busy, 1), (u.fresh, 1), (u.m, 8), (u.j, 2), (u.s, 8), (u.i_vld, ways),
            (u.i_sel, 2 * ways), (u.i_k, 8 * ways), (u.i_first, 1), (u.i_last, 1), (u.i_j, 2),
            (u.i_m, 8), (u.i_go, 1), *((u.rem[w], 4) for w in range(ways)))],
        "enc": [(h, w) for u in issues for k in range(K) for h, w in ((u.sel_c[k], 8),
                                                                      (u.nz_c[k], 4))],
        "ppg": [(pe.u_pe.g_pp[w].pp, 10) for pe in pes for w in range(ways)],
        "csa": rows,
        "reg_acc": [(h, 26) for pe in pes for h in (pe.u_pe.sum, pe.u_pe.carry)],
        "cpa": [(h, w) for pe in pes for h, w in ((pe.f26, 26), (pe.fused, 32))],
        "reg_out": [(top.p_last, 1), (top.p_j, 2), (top.p_m, 8), (top.done, 1)]
        + [(pe.res, 32) for pe in pes] + [(pe.outr[mm], 32) for pe in pes for mm in range(M)]}


def _busy(dut: Any) -> bool:
    return any(int(getattr(dut, f"{u}_done").value) == 0 for u in UNITS)


async def _job(dut: Any, a: np.ndarray, b: np.ndarray,
               nets: dict[str, Any] | None) -> tuple[int, dict[str, dict[str, int]]]:
    """One job; returns its edge count and (with ``nets``) the toggles per unit and group."""
    await FallingEdge(dut.clk)
    prev = {u: read_nets(n) for u, n in nets.items()} if nets else {}
    counts = {u: dict.fromkeys(n, 0) for u, n in (nets or {}).items()}
    dut.a_mat.value = tpe_bench.pack(a.reshape(-1), 8)
    dut.b_mat.value = tpe_bench.pack(b.reshape(-1), 8)
    dut.start.value = 1
    edges, tail = 0, 3
    while tail:
        await FallingEdge(dut.clk)
        dut.start.value = 0
        edges += 1
        for u, n in (nets or {}).items():
            now = read_nets(n)
            add_changed_bits(counts[u], now, prev[u])
            prev[u] = now
        if edges > 2 and not _busy(dut):
            tail -= 1
    return edges, counts


@cocotb.test()
async def bitslice_toggles(dut: Any) -> None:
    """Trace tile (activations x weights), sparse, random, zeros; a zero flush job before each."""
    await tpe_bench.start(dut, 3, start=0, a_mat=0, b_mat=0)
    act, w = trace_gemms()["attention.self.query"]
    a, b = act[4:4 + M, :K], w[:K, 30:30 + N]
    rng = np.random.default_rng(18)
    cases = {"trace": (a, b), "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), b),
             "random": (rng.integers(-128, 128, (M, K)), rng.integers(-128, 128, (K, N))),
             "zeros": (np.zeros((M, K), dtype=np.int64), np.zeros((K, N), dtype=np.int64))}
    nets = {u: _nets(dut, u) for u in UNITS}
    for case, (x, y) in cases.items():
        await _job(dut, np.zeros_like(x), np.zeros_like(y), None)
        edges, counts = await _job(dut, np.asarray(x), np.asarray(y), nets)
        append_report({"test": "bitslice_toggles", "case": case,
                       "a": np.asarray(x).tolist(), "b": np.asarray(y).tolist(),
                       "edges": edges, "rtl": counts})
