"""cocotb bench of rtl/tpe/tpe_arrays.sv: output-stationary R x C arrays, MAC and OPT1 PEs.

Whole GEMMs are split into the model's folds (``ceil(M/R) * ceil(N/C)``, K <= T_MAX streamed,
edge folds zero-padded); every fold is loaded, started, and its edges counted until each
array's ``done``. The assembled C must equal ``arith.mac_gemm`` (32-bit wrap) for both arrays and
the summed counts must equal ``designs.gemm_cycles_dense`` for the systolic_os design.
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

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS",
                                                   '{"R": 4, "C": 4, "T_MAX": 16}'))
R, C, T_MAX = int(PARAMS["R"]), int(PARAMS["C"]), int(PARAMS["T_MAX"])
UNITS = ("mac", "opt1")


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
    dut.start.value = 0
    dut.t_len.value = 0
    dut.a_mat.value = 0
    dut.b_mat.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)


async def _fold(dut: Any, a: np.ndarray, b: np.ndarray) -> dict[str, tuple[int, np.ndarray]]:
    """One fold: A tile [R, T], B tile [T, C] (zero-padded); returns per unit (edges, C tile)."""
    t = a.shape[1]
    ap = np.zeros((R, T_MAX), dtype=np.int64)
    ap[: a.shape[0], :t] = a
    bp = np.zeros((T_MAX, C), dtype=np.int64)
    bp[:t, : b.shape[1]] = b
    await FallingEdge(dut.clk)
    dut.a_mat.value = _pack(ap.reshape(-1).tolist(), 8)
    dut.b_mat.value = _pack(bp.reshape(-1).tolist(), 8)
    dut.t_len.value = t
    dut.start.value = 1
    await RisingEdge(dut.clk)  # E0
    await FallingEdge(dut.clk)
    dut.start.value = 0
    edges: dict[str, int] = {}
    for edge in range(1, 4 * (R + C + T_MAX)):
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        for u in UNITS:
            if u not in edges and int(getattr(dut, f"{u}_done").value):
                edges[u] = edge
        if len(edges) == len(UNITS):
            break
    out = {}
    for u in UNITS:
        tile = np.array(_unpack(int(getattr(dut, f"{u}_out").value), R * C, 32)).reshape(R, C)
        out[u] = (edges.get(u, -1), tile)
    return out


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
    golden = arith.mac_gemm(a, b, 32)
    for u in UNITS:
        model = gemm_cycles_dense(build_design("systolic_os", u, (R, C)), m, n, k)
        ok = bool(np.array_equal(got[u], golden))
        _report({"test": name, "gemm": f"{u} {m}x{k}x{n}", "ok": ok, "rtl_cycles": cycles[u],
                 "model_cycles": model})
        assert ok, f"{u}: rtl {got[u].tolist()} != golden {golden.tolist()}"
        assert cycles[u] == model, f"{u}: rtl cycles {cycles[u]} != model {model}"


@cocotb.test()
async def random_gemms(dut: Any) -> None:
    """Random INT8 GEMMs, one fold and several folds with ragged edges."""
    await _start(dut)
    rng = np.random.default_rng(3)
    for m, n, k in ((4, 4, 16), (6, 5, 9), (3, 8, 1)):
        await _gemm(dut, "random_gemms", rng.integers(-128, 128, (m, k)),
                    rng.integers(-128, 128, (k, n)))


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128, all 127, alternating signs."""
    await _start(dut)
    alt = np.where(np.arange(T_MAX) % 2, 127, -128)
    await _gemm(dut, "corners", np.full((R, T_MAX), -128), np.full((T_MAX, C), -128))
    await _gemm(dut, "corners", np.full((R, T_MAX), 127), np.full((T_MAX, C), 127))
    await _gemm(dut, "corners", np.tile(alt, (R, 1)), np.tile(alt[:, None], (1, C)))


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights x activations, 6 x 16 x 6 (4 folds)."""
    await _start(dut)
    s = load_sample()
    await _gemm(dut, "real_minilm", s["a_q0"][:6, :T_MAX].astype(np.int64),
                s["b_x"][:T_MAX, :6].astype(np.int64))
