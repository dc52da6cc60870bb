"""cocotb bench: bit toggles of every PE of rtl/systolic (systolic_os.sv / systolic_ws.sv) over
one fold, on a MiniLM trace tile, the same with half its activations zeroed, random and all-zero
tiles.

The arrays are the same hardware as the tpe family's MAC arrays (OS: skewed feeds, operands
forwarded right/down, R drain edges; WS: R preload edges shifting the weights in, A moving right,
partial sums down); after the start edge the bench reads, at the falling edge after every edge
until ``done``, each PE's operand registers (OS ``a_reg``, ``b_reg``; WS ``a_reg``, ``w_reg``), its
accumulator / partial sum register and adder output, and counts the changed bits per group. One
$SIM_RTL_REPORT line per tile; tests/rtl/test_systolic_toggles.py compares with the array mirrors
of ``sim.models.tpe.activity``. (The product is a variable inside an always_comb block, not a net
the bench can read.)
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge
from tb_systolic import ROWS, SystolicDriver

from sim.models.tpe.activity import trace_gemms
from sim.rtlcheck.toggles import add_changed_bits, append_report, read_nets

COLS = ROWS


def _nets(arr: Any, i: int, j: int, ws: bool) -> dict[str, list[tuple[Any, int]]]:
    if ws:
        return {"reg_operand": [(arr.a_reg[i][j], 8), (arr.w_reg[i][j], 8)],
                "reg_acc": [(arr.p_reg[i][j], 32)], "cpa": [(arr.sum[i][j], 32)]}
    return {"reg_operand": [(arr.a_reg[i][j], 8), (arr.b_reg[i][j], 8)],
            "reg_acc": [(arr.acc[i][j], 32)], "cpa": [(arr.mac[i][j], 32)]}


async def _fold(drv: SystolicDriver, a: np.ndarray, b: np.ndarray,
                p: np.ndarray | None = None) -> dict[str, int]:
    """OS: A tile [R, T], B tile [T, C]. WS (``p`` given): A [T, R], weights [R, C], psums."""
    dut = drv.dut
    ws = p is not None
    t = a.shape[0] if ws else a.shape[1]
    if p is not None:
        await drv._write("b", b, 8)
        await drv._write("a", a, 8)
        await drv._write("p", p, 32)
    else:
        await drv._write("a", a.T, 8)
        await drv._write("b", b, 8)
    await FallingEdge(dut.clk)
    dut.t_len.value = t
    dut.start.value = 1
    await RisingEdge(dut.clk)  # E0
    await FallingEdge(dut.clk)
    dut.start.value = 0
    arr = dut.g_ws.u_array if ws else dut.g_os.u_array
    nets = {(i, j): _nets(arr, i, j, ws) for i in range(ROWS) for j in range(COLS)}
    prev = {key: read_nets(n) for key, n in nets.items()}
    counts = {"reg_operand": 0, "reg_acc": 0, "cpa": 0}
    for _ in range(t + 2 * ROWS + COLS - 1):  # until done (one idle edge more)
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        for key, n in nets.items():
            now = read_nets(n)
            add_changed_bits(counts, now, prev[key])
            prev[key] = now
    for _ in range(2):
        await RisingEdge(dut.clk)
    return counts


@cocotb.test()
async def toggles(dut: Any) -> None:
    """Trace, sparse trace, random, zeros on the parameter set's dataflow."""
    drv = SystolicDriver(dut)
    if json.loads(os.environ.get("SIM_RTL_PARAMS", "{}")).get("DATAFLOW") == "WS":
        await _ws_cases(drv)
        return
    await drv.reset()
    act, w = trace_gemms()["attention.self.query"]
    t = 16
    a, b = act[8:8 + ROWS, :t], w[:t, 100:100 + COLS]
    rng = np.random.default_rng(21)
    cases = {"trace": (a, b), "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), b),
             "random": (rng.integers(-128, 128, (ROWS, t)), rng.integers(-128, 128, (t, COLS))),
             "zeros": (np.zeros((ROWS, t), dtype=np.int64), np.zeros((t, COLS), dtype=np.int64))}
    for case, (x, y) in cases.items():
        counts = await _fold(drv, x, y)
        append_report({"test": "toggles", "case": case, "a": x.tolist(), "b": y.tolist(),
                       "rtl": counts})


async def _ws_cases(drv: SystolicDriver) -> None:
    """WS folds after reset (weights 0), each after the one before (its weights stay)."""
    await drv.reset()
    act, w = trace_gemms()["attention.self.query"]
    t = 8
    a, wt = act[:t, 20:20 + ROWS], w[20:20 + ROWS, 50:50 + COLS]
    p = act[:t, :20] @ w[:20, 50:50 + COLS]
    rng = np.random.default_rng(22)
    zero_w = np.zeros((ROWS, COLS), dtype=np.int64)
    cases = {"trace": (a, wt, p),
             "trace_half_zero": (np.where(rng.random(a.shape) < 0.5, a, 0), wt, p),
             "random": (rng.integers(-128, 128, (t, ROWS)), rng.integers(-128, 128, (ROWS, COLS)),
                        rng.integers(-(1 << 20), 1 << 20, (t, COLS))),
             "zeros": (np.zeros((t, ROWS), dtype=np.int64), zero_w,
                       np.zeros((t, COLS), dtype=np.int64))}
    prev = zero_w
    for case, (x, y, z) in cases.items():
        counts = await _fold(drv, x, y, z)
        append_report({"test": "toggles", "case": case, "a": x.tolist(), "w": y.tolist(),
                       "p": z.tolist(), "prev_w": prev.tolist(), "rtl": counts})
        prev = y
