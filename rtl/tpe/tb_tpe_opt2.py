"""cocotb bench of rtl/tpe/tpe_opt2.sv: baseline tree, OPT2 (13-bit public width, safe width).

Streams the rows of A (one per clock) against stationary B[K, N] and collects every column's dot
product when its valid flag is set. Outputs must equal ``arith.mac_gemm(.., 20)`` (baseline),
``arith.same_bit_weight_gemm(.., inter_bits=13, dot_bits=20)`` (narrow) and the safe-width
version; the edge of the last valid output must equal the model's GEMM cycles
(``designs.gemm_cycles_dense`` on a tree of size (K, N)).
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from sim.models.tpe import arith
from sim.models.tpe.designs import build_design, gemm_cycles_dense
from sim.models.tpe.realdata import load_sample

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS", '{"K": 16, "N": 4}'))
K, N = int(PARAMS["K"]), int(PARAMS["N"])
DW = 20
UNITS = ("mac", "narrow", "safe")


def _pack(values: list[int], bits: int) -> int:
    word = 0
    for lane, value in enumerate(values):
        word |= (int(value) & ((1 << bits) - 1)) << (lane * bits)
    return word


def _unpack(word: int, lanes: int, bits: int) -> list[int]:
    out = []
    for lane in range(lanes):
        v = (word >> (lane * bits)) & ((1 << bits) - 1)
        out.append(v - (1 << bits) if v >> (bits - 1) else v)
    return out


def _report(rec: dict[str, Any]) -> None:
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(rec, sort_keys=True) + "\n")


async def _start(dut: Any) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.vld.value = 0
    dut.a_row.value = 0
    dut.w.value = 0
    for _ in range(8):  # flush the pipelines' valid shift registers
        await RisingEdge(dut.clk)


async def _gemm(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    m = a.shape[0]
    await FallingEdge(dut.clk)
    dut.w.value = _pack([int(b[k, n]) for n in range(N) for k in range(K)], 8)
    got: dict[str, list[list[int]]] = {u: [] for u in UNITS}
    last: dict[str, int] = {u: 0 for u in UNITS}
    for edge in range(1, m + 12):
        if edge <= m:
            dut.a_row.value = _pack([int(x) for x in a[edge - 1]], 8)
            dut.vld.value = 1
        else:
            dut.vld.value = 0
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        for u in UNITS:
            if int(getattr(dut, f"{u}_vld").value):
                got[u].append(_unpack(int(getattr(dut, f"{u}_dot").value), N, DW))
                last[u] = edge
    golden = {
        "mac": arith.mac_gemm(a, b, DW),
        "narrow": arith.same_bit_weight_gemm(a, b, group=K, inter_bits=13, dot_bits=DW),
        "safe": arith.same_bit_weight_gemm(a, b, group=K, dot_bits=DW),
    }
    for u in UNITS:
        pe = "mac" if u == "mac" else "opt2"
        model = gemm_cycles_dense(build_design("tree", pe, (K, N)), m, N, K)
        rtl = np.array(got[u], dtype=np.int64).reshape(-1, N)
        ok = rtl.shape == golden[u].shape and bool(np.array_equal(rtl, golden[u]))
        _report({"test": name, "gemm": f"{u} {m}x{K}x{N}", "ok": ok, "rtl_cycles": last[u],
                 "model_cycles": model})
        assert ok, f"{u}: rtl {rtl.tolist()} != golden {golden[u].tolist()}"
        assert last[u] == model, f"{u}: rtl cycles {last[u]} != model {model}"


@cocotb.test()
async def random_rows(dut: Any) -> None:
    """Random INT8 A (several M) against random B."""
    await _start(dut)
    rng = np.random.default_rng(11)
    for m in (1, 3, 8):
        await _gemm(dut, "random_rows", rng.integers(-128, 128, (m, K)),
                    rng.integers(-128, 128, (K, N)))


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128, all 127, alternating signs, and the 13-bit wrap (A = -2, B = -128)."""
    await _start(dut)
    alt = np.where(np.arange(K) % 2, 127, -128)
    alt2 = np.where(np.arange(K) % 2, -128, 127)
    a = np.stack([np.full(K, -128), np.full(K, 127), alt, np.full(K, -2), alt2])
    b = np.stack([np.full(K, -128), np.full(K, 127), alt, alt2], axis=1)
    await _gemm(dut, "corners", a, b)
    # the wrap: the narrow column must differ from the exact dot product here
    wrap = arith.same_bit_weight_gemm(a, b, group=K, inter_bits=13, dot_bits=DW)
    exact = arith.mac_gemm(a, b, DW)
    assert wrap[3, 0] == -4096 and exact[3, 0] == 4096


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights (A rows) against real activations (B columns)."""
    await _start(dut)
    s = load_sample()
    await _gemm(dut, "real_minilm", s["a_q0"][:6, 32:32 + K].astype(np.int64),
                s["b_x"][32:32 + K, :N].astype(np.int64))
