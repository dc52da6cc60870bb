"""cocotb bench: bit toggles of the MAC and OPT1 PEs of rtl/tpe/tpe_pe.sv on real and control data.

Each case clears the PEs, then drives one operand pair per clock (a per-edge window of a, b, vld,
clr) and reads every register and named combinational net of the four PEs at the falling edge
after each rising edge (settled values: no glitches). It counts the bits that differ from the
previous cycle per component group (the groups of ``sim.models.tpe.activity``) and writes one
$SIM_RTL_REPORT line per case with the window and the RTL counts; the pytest side
(tests/rtl/test_tpe_toggles.py) runs the model on the same window and compares.

Cases: a MiniLM layer-0 query dot product from the committed trace (activation row x weight
column), the same with half the activations zeroed (sparsity), uniform random INT8, all zeros.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench

from sim.models.tpe.activity import trace_gemms
from sim.rtlcheck.toggles import add_changed_bits, append_report

W1, W2 = 32, 20
K = 64
# PE instance -> (kind, width)
PES = {"u_mac": ("mac", W1), "u_opt1": ("opt1", W1), "u_mac_n": ("mac", W2),
       "u_opt1_n": ("opt1", W2)}
# kind -> group -> (net, width) list
NETS: dict[str, dict[str, list[tuple[str, int]]]] = {
    "mac": {"reg_operand": [("a_r", 8), ("b_r", 8)], "reg_valid": [("v_r", 1)],
            "reg_acc": [("acc", 0)], "mult": [("prod", 16)], "cpa": [("add_out", 0)]},
    "opt1": {"reg_operand": [("a_r", 8), ("b_r", 8)], "reg_valid": [("v_r", 1)],
             "reg_acc": [("sum", 0), ("carry", 0)],
             "ppg": [(f"g_pp[{i}].u_pp.pp", 0) for i in range(4)],
             "csa": [(f"{x}{i}", 0) for i in range(1, 5) for x in ("s", "c")]},
}


def _net(dut: Any, inst: str, path: str) -> Any:
    handle = getattr(dut, inst)
    for part in path.split("."):
        if part.endswith("]"):
            name, idx = part[:-1].split("[")
            handle = getattr(handle, name)[int(idx)]
        else:
            handle = getattr(handle, part)
    return handle


def _sample(dut: Any) -> dict[str, dict[str, list[int]]]:
    """Every net of every PE as unsigned ints."""
    out: dict[str, dict[str, list[int]]] = {}
    for inst, (kind, _) in PES.items():
        out[inst] = {g: [int(_net(dut, inst, n).value) for n, _ in nets]
                     for g, nets in NETS[kind].items()}
    return out


def _window(a: np.ndarray, b: np.ndarray) -> dict[str, list[int]]:
    """K beats (vld = 1), two idle edges, one clear edge."""
    k = a.size
    return {"a": [int(x) for x in a] + [0, 0, 0], "b": [int(x) for x in b] + [0, 0, 0],
            "vld": [1] * k + [0, 0, 0], "clr": [0] * (k + 2) + [1]}


async def _run(dut: Any, case: str, a: np.ndarray, b: np.ndarray) -> None:
    """Clear, then drive the window and count toggles per PE and group."""
    await tpe_bench.step(dut)
    dut.a.value, dut.b.value, dut.vld.value, dut.clr.value = 0, 0, 0, 1
    for _ in range(2):
        await tpe_bench.step(dut)
    dut.clr.value = 0
    await tpe_bench.step(dut)  # registers now all zero: the model's initial state
    win = _window(a, b)
    prev = _sample(dut)
    counts = {inst: dict.fromkeys(NETS[kind], 0) for inst, (kind, _) in PES.items()}
    for t in range(len(win["a"])):
        dut.a.value = win["a"][t] & 0xFF
        dut.b.value = win["b"][t] & 0xFF
        dut.vld.value = win["vld"][t]
        dut.clr.value = win["clr"][t]
        await tpe_bench.step(dut)
        now = _sample(dut)
        for inst in PES:
            add_changed_bits(counts[inst], now[inst], prev[inst])
        prev = now
    append_report({"test": "toggles", "case": case, "window": win,
                   "pes": {i: list(v) for i, v in PES.items()},
                   "rtl": counts})


@cocotb.test()
async def toggles(dut: Any) -> None:
    """Trace, sparse trace, random and all-zero windows."""
    await tpe_bench.start(dut, 1, clr=1, vld=0, a=0, b=0)
    a_act, b_w = trace_gemms()["attention.self.query"]
    real_a, real_b = a_act[5, :K], b_w[:K, 7]
    sparse_a = np.where(np.arange(K) % 2 == 0, real_a, 0)
    rng = np.random.default_rng(18)
    cases = {"trace": (real_a, real_b), "trace_half_zero": (sparse_a, real_b),
             "random": (rng.integers(-128, 128, K), rng.integers(-128, 128, K)),
             "zeros": (np.zeros(K, dtype=np.int64), np.zeros(K, dtype=np.int64))}
    for case, (a, b) in cases.items():
        await _run(dut, case, a, b)
