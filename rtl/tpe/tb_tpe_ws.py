"""cocotb bench of rtl/tpe/tpe_arrays.sv: weight-stationary R x C arrays, MAC and OPT1 PEs.

A GEMM C[M, N] = A[M, K] B[K, N] maps K to array rows, N to columns and streams M (<= T_MAX):
``ceil(K/R) * ceil(N/C)`` folds, each fed the previous K fold's outputs as partial sums, edge
folds zero-padded. Outputs must equal ``arith.mac_gemm`` (32-bit) and the summed edge counts
``designs.gemm_cycles_dense`` for the systolic_ws design.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench

P = tpe_bench.params({"R": 4, "C": 4, "T_MAX": 8})
R, C, T_MAX = P["R"], P["C"], P["T_MAX"]
UNITS = ("mac", "opt1")


async def _start(dut: Any) -> None:
    await tpe_bench.start(dut, 3, start=0, t_len=0, a_mat=0, w_mat=0, p_mat=0)


async def _fold(dut: Any, a: np.ndarray, w: np.ndarray,
                p: dict[str, np.ndarray]) -> dict[str, tuple[int, np.ndarray]]:
    """One fold per unit (each unit gets its own partial sums): returns (edges, C tile)."""
    t = a.shape[0]
    ap = np.zeros((T_MAX, R), dtype=np.int64)
    ap[:t, : a.shape[1]] = a
    wp = np.zeros((R, C), dtype=np.int64)
    wp[: w.shape[0], : w.shape[1]] = w
    out: dict[str, tuple[int, np.ndarray]] = {}
    for u in UNITS:  # the two arrays get different psum inputs: run them one after the other
        pp = np.zeros((T_MAX, C), dtype=np.int64)
        pp[:t, : p[u].shape[1]] = p[u]
        await tpe_bench.pulse_start(dut, a_mat=tpe_bench.pack(ap.reshape(-1), 8),
                                    w_mat=tpe_bench.pack(wp.reshape(-1), 8),
                                    p_mat=tpe_bench.pack(pp.reshape(-1), 32), t_len=t)
        edges = await tpe_bench.edges_until_done(dut, (u,), 4 * (R + C + T_MAX))
        tile = np.array(tpe_bench.read(dut, f"{u}_out", T_MAX * C, 32))
        out[u] = (edges[u], tile.reshape(T_MAX, C))
    return out


async def _gemm(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    m, k = a.shape
    n = b.shape[1]
    assert m <= T_MAX
    got = {u: np.zeros((m, n), dtype=np.int64) for u in UNITS}
    cycles = dict.fromkeys(UNITS, 0)
    for n0 in range(0, n, C):
        cols = min(C, n - n0)
        psum = {u: np.zeros((m, cols), dtype=np.int64) for u in UNITS}
        for k0 in range(0, k, R):
            res = await _fold(dut, a[:, k0:k0 + R], b[k0:k0 + R, n0:n0 + C], psum)
            for u in UNITS:
                edges, tile = res[u]
                cycles[u] += edges
                psum[u] = tile[:m, :cols]
        for u in UNITS:
            got[u][:, n0:n0 + cols] = psum[u]
    tpe_bench.check_dense(name, "systolic_ws", (R, C), a, b, got, cycles)


@cocotb.test()
async def random_gemms(dut: Any) -> None:
    """Random INT8 GEMMs: one fold, K folds with psum chaining, ragged N."""
    await _start(dut)
    rng = np.random.default_rng(4)
    for a, b in tpe_bench.random_operands(rng, ((8, 4, 4), (5, 6, 10), (1, 3, 7))):
        await _gemm(dut, "random_gemms", a, b)


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128 (K = 12), all 127, alternating signs."""
    await _start(dut)
    for a, b in tpe_bench.corner_operands(T_MAX, 12, C):
        await _gemm(dut, "corners", a, b)


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights x activations, 8 x 12 x 5."""
    await _start(dut)
    await _gemm(dut, "real_minilm", *tpe_bench.minilm(slice(0, T_MAX), slice(0, 12), slice(0, 5)))
