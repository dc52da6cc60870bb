"""cocotb bench of the 3-D cube in rtl/tpe/tpe_arrays.sv (MAC and OPT1 PEs).

The GEMM is cut into X x Y x Z tile products, streamed one per clock (for each output block all
its K tiles in a row, flagged first/last); every (i, j) output's block results are collected when
its ``vld`` bit pulses. Results must equal ``arith.mac_gemm`` (32-bit) and the edge of the last
pulse must equal ``designs.gemm_cycles_dense`` for the cube design (``tpe_bench.TileStream``).
"""

from __future__ import annotations

from typing import Any

import cocotb
import tpe_bench

P = tpe_bench.params({"X": 2, "Y": 2, "Z": 2})
X, Y, Z = P["X"], P["Y"], P["Z"]
CUBE = tpe_bench.TileStream("cube", ("mac", "opt1"), mt=X, kt=Y, nt=Z, size=(X, Y, Z))


@cocotb.test()
async def random_gemms(dut: Any) -> None:
    """Random INT8 GEMMs, including ragged edges."""
    await CUBE.random_gemms(dut)


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128, all 127, alternating signs (K = 8)."""
    await CUBE.corners(dut)


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights x activations, 4 x 10 x 4."""
    await CUBE.real_minilm(dut)
