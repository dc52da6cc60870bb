"""cocotb bench of rtl/tpe/tpe_opt2.sv: baseline tree, OPT2 (13-bit public width, safe width).

Streams the rows of A (one per clock) against stationary B[K, N] and collects every column's dot
product when its valid flag is set. Outputs must equal ``arith.mac_gemm(.., 20)`` (baseline),
``arith.same_bit_weight_gemm(.., inter_bits=13, dot_bits=20)`` (narrow) and the safe-width
version; the edge of the last valid output must equal the model's GEMM cycles
(``designs.gemm_cycles_dense`` on a tree of size (K, N)).
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench
from cocotb.triggers import FallingEdge

from sim.models.tpe import arith
from sim.models.tpe.designs import build_design, gemm_cycles_dense

P = tpe_bench.params({"K": 16, "N": 4})
K, N = P["K"], P["N"]
DW = 20
UNITS = ("mac", "narrow", "safe")


async def _start(dut: Any) -> None:
    await tpe_bench.start(dut, 8, vld=0, a_row=0, w=0)  # flush the pipelines' valid shift regs


async def _gemm(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    m = a.shape[0]
    await FallingEdge(dut.clk)
    dut.w.value = tpe_bench.pack([int(b[k, n]) for n in range(N) for k in range(K)], 8)
    got: dict[str, list[list[int]]] = {u: [] for u in UNITS}
    last: dict[str, int] = {u: 0 for u in UNITS}
    rows = [{"a_row": tpe_bench.pack(row, 8)} for row in a]
    async for edge in tpe_bench.stream(dut, rows, "vld", 11):
        for u in UNITS:
            if tpe_bench.flag(dut, f"{u}_vld"):
                got[u].append(tpe_bench.read(dut, f"{u}_dot", N, DW))
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
        tpe_bench.check(name, u, f"{m}x{K}x{N}", last[u], model, ("golden", rtl, golden[u]))


@cocotb.test()
async def random_rows(dut: Any) -> None:
    """Random INT8 A (several M) against random B."""
    await _start(dut)
    rng = np.random.default_rng(11)
    for a, b in tpe_bench.random_operands(rng, ((m, N, K) for m in (1, 3, 8))):
        await _gemm(dut, "random_rows", a, b)


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
    await _gemm(dut, "real_minilm", *tpe_bench.minilm(slice(0, 6), slice(32, 32 + K),
                                                      slice(0, N)))
