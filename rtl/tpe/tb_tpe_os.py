"""cocotb bench of rtl/tpe/tpe_arrays.sv: output-stationary R x C arrays, MAC and OPT1 PEs.

Whole GEMMs are split into the model's folds (``ceil(M/R) * ceil(N/C)``, K <= T_MAX streamed,
edge folds zero-padded); every fold is loaded, started, and its edges counted until each
array's ``done``. The assembled C must equal ``arith.mac_gemm`` (32-bit wrap) for both arrays and
the summed counts must equal ``designs.gemm_cycles_dense`` for the systolic_os design.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench

P = tpe_bench.params({"R": 4, "C": 4, "T_MAX": 16})
R, C, T_MAX = P["R"], P["C"], P["T_MAX"]
UNITS = ("mac", "opt1")


async def _start(dut: Any) -> None:
    await tpe_bench.start(dut, 3, start=0, t_len=0, a_mat=0, b_mat=0)


async def _fold(dut: Any, a: np.ndarray, b: np.ndarray) -> dict[str, tuple[int, np.ndarray]]:
    """One fold: A tile [R, T], B tile [T, C] (zero-padded); returns per unit (edges, C tile)."""
    t = a.shape[1]
    ap = np.zeros((R, T_MAX), dtype=np.int64)
    ap[: a.shape[0], :t] = a
    bp = np.zeros((T_MAX, C), dtype=np.int64)
    bp[:t, : b.shape[1]] = b
    await tpe_bench.pulse_start(dut, a_mat=tpe_bench.pack(ap.reshape(-1), 8),
                                b_mat=tpe_bench.pack(bp.reshape(-1), 8), t_len=t)
    edges = await tpe_bench.edges_until_done(dut, UNITS, 4 * (R + C + T_MAX))
    return {u: (edges[u], np.array(tpe_bench.read(dut, f"{u}_out", R * C, 32)).reshape(R, C))
            for u in UNITS}


async def _gemm(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    m, k = a.shape
    n = b.shape[1]
    assert k <= T_MAX
    got = {u: np.zeros((m, n), dtype=np.int64) for u in UNITS}
    cycles = dict.fromkeys(UNITS, 0)
    for i0 in range(0, m, R):
        for j0 in range(0, n, C):
            res = await _fold(dut, a[i0:i0 + R], b[:, j0:j0 + C])
            for u in UNITS:
                edges, tile = res[u]
                cycles[u] += edges
                got[u][i0:i0 + R, j0:j0 + C] = tile[: min(R, m - i0), : min(C, n - j0)]
    tpe_bench.check_dense(name, "systolic_os", (R, C), a, b, got, cycles)


@cocotb.test()
async def random_gemms(dut: Any) -> None:
    """Random INT8 GEMMs, one fold and several folds with ragged edges."""
    await _start(dut)
    rng = np.random.default_rng(3)
    for a, b in tpe_bench.random_operands(rng, ((4, 4, 16), (6, 5, 9), (3, 8, 1))):
        await _gemm(dut, "random_gemms", a, b)


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128, all 127, alternating signs."""
    await _start(dut)
    for a, b in tpe_bench.corner_operands(R, T_MAX, C):
        await _gemm(dut, "corners", a, b)


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights x activations, 6 x 16 x 6 (4 folds)."""
    await _start(dut)
    await _gemm(dut, "real_minilm", *tpe_bench.minilm(slice(0, 6), slice(0, T_MAX), slice(0, 6)))
