"""cocotb bench of rtl/tpe/tpe_bitslice.sv: OPT3, OPT4C and OPT4E bit-slice columns.

Each GEMM loads A[M, K] and B[K, N], pulses ``start`` and counts the rising edges until each
instance's ``done`` reads 1. Outputs must equal ``arith.bitserial_gemm`` (and the exact product),
and the counts must equal the model's data-dependent cycles
(``designs.bitslice_cycles`` on a 1-column design of N PEs: sum over rows of
``sum_j sum_g max(1, nnz)`` + latency; OPT4E takes the max over 4 groups side by side).
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
from sim.models.tpe.designs import bitslice_cycles, build_design
from sim.models.tpe.realdata import load_sample

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS",
                                                   '{"M": 4, "K": 16, "N": 4}'))
M, K, N = int(PARAMS["M"]), int(PARAMS["K"]), int(PARAMS["N"])
UNITS = ("opt3", "opt4c", "opt4e")
TIMEOUT = 4 * 4 * K * M + 50


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
    dut.a_mat.value = 0
    dut.b_mat.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)


async def _gemm(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    await FallingEdge(dut.clk)
    dut.a_mat.value = _pack([int(x) for x in a.reshape(-1)], 8)
    dut.b_mat.value = _pack([int(x) for x in b.reshape(-1)], 8)
    dut.start.value = 1
    await RisingEdge(dut.clk)  # E0: start sampled
    await FallingEdge(dut.clk)
    dut.start.value = 0
    finished: dict[str, int] = {}
    for edge in range(1, TIMEOUT):
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        for u in UNITS:
            if u not in finished and int(getattr(dut, f"{u}_done").value):
                finished[u] = edge
        if len(finished) == len(UNITS):
            break
    golden = arith.bitserial_gemm(a, b)
    exact = a.astype(np.int64) @ b.astype(np.int64)
    assert np.array_equal(golden, exact)
    for u in UNITS:
        model = bitslice_cycles(build_design("bitslice", u, (1, N)), a, N)
        got = np.array(_unpack(int(getattr(dut, f"{u}_out").value), M * N, 32)).reshape(M, N)
        rtl = finished.get(u, -1)
        ok = bool(np.array_equal(got, golden))
        _report({"test": name, "gemm": f"{u} {M}x{K}x{N}", "ok": ok, "rtl_cycles": rtl,
                 "model_cycles": model})
        assert ok, f"{u}: rtl {got.tolist()} != golden {golden.tolist()}"
        assert rtl == model, f"{u}: rtl cycles {rtl} != model {model}"


@cocotb.test()
async def random_data(dut: Any) -> None:
    """Uniform random INT8 and sparse (mostly small) INT8 operands."""
    await _start(dut)
    rng = np.random.default_rng(5)
    for _ in range(3):
        await _gemm(dut, "random_data", rng.integers(-128, 128, (M, K)),
                    rng.integers(-128, 128, (K, N)))
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
    s = load_sample()
    for off in (0, 100):
        await _gemm(dut, "real_minilm", s["a_q0"][off:off + M, :K].astype(np.int64),
                    s["b_x"][:K, off % 8:off % 8 + N].astype(np.int64))
