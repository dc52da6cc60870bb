"""cocotb bench of rtl/tpe/tpe_bitslice.sv: OPT3, OPT4C and OPT4E bit-slice columns.

Each GEMM loads A[M, K] and B[K, N], pulses ``start`` and counts the rising edges until each
instance's ``done`` reads 1. Outputs must equal ``arith.bitserial_gemm`` (and the exact product),
and the counts must equal the model's data-dependent cycles
(``designs.bitslice_cycles`` on a 1-column design of N PEs: sum over rows of
``sum_j sum_g max(1, nnz)`` + latency; OPT4E takes the max over 4 groups side by side).
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench

from sim.models.tpe import arith
from sim.models.tpe.designs import bitslice_cycles, build_design

P = tpe_bench.params({"M": 4, "K": 16, "N": 4})
M, K, N = P["M"], P["K"], P["N"]
UNITS = ("opt3", "opt4c", "opt4e")
TIMEOUT = 4 * 4 * K * M + 50


async def _start(dut: Any) -> None:
    await tpe_bench.start(dut, 3, start=0, a_mat=0, b_mat=0)


async def _gemm(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    await tpe_bench.pulse_start(dut, a_mat=tpe_bench.pack(a.reshape(-1), 8),
                                b_mat=tpe_bench.pack(b.reshape(-1), 8))
    finished = await tpe_bench.edges_until_done(dut, UNITS, TIMEOUT)
    golden = arith.bitserial_gemm(a, b)
    exact = a.astype(np.int64) @ b.astype(np.int64)
    assert np.array_equal(golden, exact)
    for u in UNITS:
        model = bitslice_cycles(build_design("bitslice", u, (1, N)), a, N)
        got = np.array(tpe_bench.read(dut, f"{u}_out", M * N, 32)).reshape(M, N)
        tpe_bench.check(name, u, f"{M}x{K}x{N}", finished[u], model, ("golden", got, golden))


@cocotb.test()
async def random_data(dut: Any) -> None:
    """Uniform random INT8 and sparse (mostly small) INT8 operands."""
    await _start(dut)
    rng = np.random.default_rng(5)
    for a, b in tpe_bench.random_operands(rng, [(M, N, K)] * 3):
        await _gemm(dut, "random_data", a, b)
    small = np.clip(np.rint(rng.normal(0, 6, (M, K))), -128, 127).astype(np.int64)
    await _gemm(dut, "random_data", small, rng.integers(-128, 128, (K, N)))


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128, all 127, alternating, all zero (1 cycle per group), dense 85 (4 digits)."""
    await _start(dut)
    alt = np.where(np.arange(K) % 2, 127, -128)
    rows = {
        "all_-128": np.full((M, K), -128), "all_127": np.full((M, K), 127),
        "alternating": np.tile(alt, (M, 1)), "zeros": np.zeros((M, K), dtype=np.int64),
        "dense_85": np.full((M, K), 85),
    }
    for a in rows.values():
        await _gemm(dut, "corners", a, np.full((K, N), -128))
    await _gemm(dut, "corners", np.full((M, K), -128), np.tile(alt[:, None], (1, N)))


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights (A) and activations (B)."""
    await _start(dut)
    for off in (0, 100):
        await _gemm(dut, "real_minilm", *tpe_bench.minilm(slice(off, off + M), slice(0, K),
                                                          slice(off % 8, off % 8 + N)))
