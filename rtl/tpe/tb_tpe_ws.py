"""cocotb bench of rtl/tpe/tpe_arrays.sv: weight-stationary R x C arrays, MAC and OPT1 PEs.

A GEMM C[M, N] = A[M, K] B[K, N] maps K to array rows, N to columns and streams M (<= T_MAX):
``ceil(K/R) * ceil(N/C)`` folds, each fed the previous K fold's outputs as partial sums, edge
folds zero-padded. Outputs must equal ``arith.mac_gemm`` (32-bit) and the summed edge counts
``designs.gemm_cycles_dense`` for the systolic_ws design.
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
                                                   '{"R": 4, "C": 4, "T_MAX": 8}'))
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
    for sig in (dut.t_len, dut.a_mat, dut.w_mat, dut.p_mat):
        sig.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)


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
        await FallingEdge(dut.clk)
        dut.a_mat.value = _pack(ap.reshape(-1).tolist(), 8)
        dut.w_mat.value = _pack(wp.reshape(-1).tolist(), 8)
        dut.p_mat.value = _pack(pp.reshape(-1).tolist(), 32)
        dut.t_len.value = t
        dut.start.value = 1
        await RisingEdge(dut.clk)  # E0
        await FallingEdge(dut.clk)
        dut.start.value = 0
        edges = -1
        for edge in range(1, 4 * (R + C + T_MAX)):
            await RisingEdge(dut.clk)
            await FallingEdge(dut.clk)
            if int(getattr(dut, f"{u}_done").value):
                edges = edge
                break
        tile = np.array(_unpack(int(getattr(dut, f"{u}_out").value), T_MAX * C, 32))
        out[u] = (edges, tile.reshape(T_MAX, C))
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
    golden = arith.mac_gemm(a, b, 32)
    for u in UNITS:
        model = gemm_cycles_dense(build_design("systolic_ws", u, (R, C)), m, n, k)
        ok = bool(np.array_equal(got[u], golden))
        _report({"test": name, "gemm": f"{u} {m}x{k}x{n}", "ok": ok, "rtl_cycles": cycles[u],
                 "model_cycles": model})
        assert ok, f"{u}: rtl {got[u].tolist()} != golden {golden.tolist()}"
        assert cycles[u] == model, f"{u}: rtl cycles {cycles[u]} != model {model}"


@cocotb.test()
async def random_gemms(dut: Any) -> None:
    """Random INT8 GEMMs: one fold, K folds with psum chaining, ragged N."""
    await _start(dut)
    rng = np.random.default_rng(4)
    for m, n, k in ((8, 4, 4), (5, 6, 10), (1, 3, 7)):
        await _gemm(dut, "random_gemms", rng.integers(-128, 128, (m, k)),
                    rng.integers(-128, 128, (k, n)))


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128 (K = 12), all 127, alternating signs."""
    await _start(dut)
    k = 12
    alt = np.where(np.arange(k) % 2, 127, -128)
    await _gemm(dut, "corners", np.full((T_MAX, k), -128), np.full((k, C), -128))
    await _gemm(dut, "corners", np.full((T_MAX, k), 127), np.full((k, C), 127))
    await _gemm(dut, "corners", np.tile(alt, (T_MAX, 1)), np.tile(alt[:, None], (1, C)))


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights x activations, 8 x 12 x 5."""
    await _start(dut)
    s = load_sample()
    await _gemm(dut, "real_minilm", s["a_q0"][:T_MAX, :12].astype(np.int64),
                s["b_x"][:12, :5].astype(np.int64))
