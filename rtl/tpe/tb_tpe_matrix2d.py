"""cocotb bench of the 2D-Matrix in rtl/tpe/tpe_arrays.sv (MAC and OPT2 PEs).

The GEMM is cut into MT x KT x NT tile products, streamed one per clock (for each output block all
its K tiles in a row, flagged first/last); every (i, j) output's block results are collected when
its ``vld`` bit pulses. Results must equal ``arith.mac_gemm`` (32-bit) and the edge of the last
pulse must equal ``designs.gemm_cycles_dense`` for the matrix2d design (``tpe_bench.TileStream``).
"""

from __future__ import annotations

from typing import Any

import cocotb
import tpe_bench

P = tpe_bench.params({"MT": 2, "NT": 2, "KT": 4})
MT, NT, KT = P["MT"], P["NT"], P["KT"]
MATRIX2D = tpe_bench.TileStream("matrix2d", ("mac", "opt2"), mt=MT, kt=KT, nt=NT,
                                size=(MT, NT, KT))


@cocotb.test()
async def random_gemms(dut: Any) -> None:
    """Random INT8 GEMMs, including ragged edges."""
    await MATRIX2D.random_gemms(dut)


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128, all 127, alternating signs (K = 8)."""
    await MATRIX2D.corners(dut)


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights x activations, 4 x 10 x 4."""
    await MATRIX2D.real_minilm(dut)
