"""cocotb bench of the 2D-Matrix in rtl/tpe/tpe_arrays.sv (MAC and OPT2 PEs).

The GEMM is cut into MT x KT x NT tile products, streamed one per clock (for each output block all
its K tiles in a row, flagged first/last); every (i, j) output's block results are collected when
its ``vld`` bit pulses. Results must equal ``arith.mac_gemm`` (32-bit) and the edge of the last
pulse must equal ``designs.gemm_cycles_dense`` for the matrix2d design.
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

PARAMS: dict[str, Any] = json.loads(os.environ.get("SIM_RTL_PARAMS", '{"MT": 2, "NT": 2, "KT": 4}'))
X, Z, Y = int(PARAMS["MT"]), int(PARAMS["NT"]), int(PARAMS["KT"])
UNITS = ("mac", "opt2")


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
    for sig in (dut.a_tile, dut.b_tile, dut.first, dut.last, dut.tvld):
        sig.value = 0
    for _ in range(X + Y + Z + 4):
        await RisingEdge(dut.clk)


async def _gemm(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    m, k = a.shape
    n = b.shape[1]
    mb, kb, nb = -(-m // X), -(-k // Y), -(-n // Z)
    ap = np.zeros((mb * X, kb * Y), dtype=np.int64)
    ap[:m, :k] = a
    bp = np.zeros((kb * Y, nb * Z), dtype=np.int64)
    bp[:k, :n] = b
    tiles = [(bi, bj, kt) for bi in range(mb) for bj in range(nb) for kt in range(kb)]
    blocks = [(bi, bj) for bi in range(mb) for bj in range(nb)]
    got = {u: np.zeros((mb * X, nb * Z), dtype=np.int64) for u in UNITS}
    count = {u: np.zeros((X, Z), dtype=int) for u in UNITS}
    last_edge = dict.fromkeys(UNITS, 0)
    await FallingEdge(dut.clk)
    for edge in range(1, len(tiles) + X + Y + Z + 4):
        if edge <= len(tiles):
            bi, bj, kt = tiles[edge - 1]
            dut.a_tile.value = _pack(ap[bi * X:(bi + 1) * X, kt * Y:(kt + 1) * Y].reshape(-1)
                                     .tolist(), 8)
            dut.b_tile.value = _pack(bp[kt * Y:(kt + 1) * Y, bj * Z:(bj + 1) * Z].reshape(-1)
                                     .tolist(), 8)
            dut.first.value = int(kt == 0)
            dut.last.value = int(kt == kb - 1)
            dut.tvld.value = 1
        else:
            dut.tvld.value = 0
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        for u in UNITS:
            vld = int(getattr(dut, f"{u}_vld").value)
            if not vld:
                continue
            acc = _unpack(int(getattr(dut, f"{u}_acc").value), X * Z, 32)
            for i in range(X):
                for j in range(Z):
                    if vld >> (i * Z + j) & 1:
                        bi, bj = blocks[count[u][i, j]]
                        got[u][bi * X + i, bj * Z + j] = acc[i * Z + j]
                        count[u][i, j] += 1
                        last_edge[u] = edge
    golden = arith.mac_gemm(a, b, 32)
    for u in UNITS:
        model = gemm_cycles_dense(build_design("matrix2d", u, (X, Z, Y)), m, n, k)
        ok = bool(np.array_equal(got[u][:m, :n], golden))
        _report({"test": name, "gemm": f"{u} {m}x{k}x{n}", "ok": ok,
                 "rtl_cycles": last_edge[u], "model_cycles": model})
        assert ok, f"{u}: rtl {got[u][:m, :n].tolist()} != golden {golden.tolist()}"
        assert last_edge[u] == model, f"{u}: rtl cycles {last_edge[u]} != model {model}"


@cocotb.test()
async def random_gemms(dut: Any) -> None:
    """Random INT8 GEMMs, including ragged edges."""
    await _start(dut)
    rng = np.random.default_rng(8)
    for m, n, k in ((2, 2, 2), (4, 4, 6), (3, 5, 7)):
        await _gemm(dut, "random_gemms", rng.integers(-128, 128, (m, k)),
                    rng.integers(-128, 128, (k, n)))


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128, all 127, alternating signs (K = 8)."""
    await _start(dut)
    alt = np.where(np.arange(8) % 2, 127, -128)
    await _gemm(dut, "corners", np.full((4, 8), -128), np.full((8, 4), -128))
    await _gemm(dut, "corners", np.full((4, 8), 127), np.full((8, 4), 127))
    await _gemm(dut, "corners", np.tile(alt, (4, 1)), np.tile(alt[:, None], (1, 4)))


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Real MiniLM INT8 weights x activations, 4 x 10 x 4."""
    await _start(dut)
    s = load_sample()
    await _gemm(dut, "real_minilm", s["a_q0"][:4, :10].astype(np.int64),
                s["b_x"][:10, :4].astype(np.int64))
