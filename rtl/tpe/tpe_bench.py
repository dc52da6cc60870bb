"""Shared plumbing of the rtl/tpe cocotb benches (``tb_tpe_*.py``).

Parameters, bus packing, clock/reset, the start pulse, edge counting, the operand sets every bench
uses, and :func:`check`, which writes one $SIM_RTL_REPORT line per GEMM and then asserts its output
bits and its RTL cycle count against the Python model. :class:`TileStream` is the whole bench of
the tile-streaming arrays (3-D cube, 2D-Matrix), which differ only in design name and tile shape.

Not a test module: it defines no cocotb tests and its name does not start with ``tb_``/``test_``.
The benches import it from the bench folder, which the runner puts on PYTHONPATH
(``sim.rtlcheck.bench.run_bench``).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from sim.models.tpe import arith
from sim.models.tpe.designs import build_design, gemm_cycles_dense
from sim.models.tpe.realdata import load_sample

Operands = tuple[np.ndarray, np.ndarray]


# --------------------------------------------------------------------------- parameters, buses


def params(default: Mapping[str, int]) -> dict[str, int]:
    """This run's parameter set ($SIM_RTL_PARAMS, JSON), else ``default``; values as ints."""
    raw = os.environ.get("SIM_RTL_PARAMS")
    chosen: Mapping[str, Any] = default if raw is None else json.loads(raw)
    return {name: int(value) for name, value in chosen.items()}


def pack(values: Iterable[Any], bits: int) -> int:
    """Lane i of the bus word holds ``values[i]`` (two's complement, ``bits`` wide)."""
    word = 0
    for lane, value in enumerate(values):
        word |= (int(value) & ((1 << bits) - 1)) << (lane * bits)
    return word


def signed(value: int, bits: int) -> int:
    """The low ``bits`` of ``value`` read as a two's-complement number."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def unpack(word: int, lanes: int, bits: int) -> list[int]:
    """Inverse of :func:`pack`: ``lanes`` signed values of ``bits`` each."""
    return [signed(word >> (lane * bits), bits) for lane in range(lanes)]


def read(dut: Any, name: str, lanes: int, bits: int) -> list[int]:
    """The signed lanes of output bus ``name``."""
    return unpack(int(getattr(dut, name).value), lanes, bits)


def flag(dut: Any, name: str) -> int:
    """The value of (single- or multi-bit) output ``name`` as an int."""
    return int(getattr(dut, name).value)


# --------------------------------------------------------------------------- clock and edges


async def start(dut: Any, edges: int, **inputs: int) -> None:
    """Start the 10 ns clock, drive ``inputs`` (name=value) and let ``edges`` rising edges pass."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for name, value in inputs.items():
        getattr(dut, name).value = value
    for _ in range(edges):
        await RisingEdge(dut.clk)


async def step(dut: Any) -> None:
    """One clock: the next rising edge, then the falling edge after it (outputs settled)."""
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)


async def pulse_start(dut: Any, **inputs: int) -> None:
    """At a falling edge drive ``inputs`` with start=1; start is sampled at edge E0, then dropped.

    Returns at the falling edge after E0: edge 1 is the next rising edge.
    """
    await FallingEdge(dut.clk)
    for name, value in inputs.items():
        getattr(dut, name).value = value
    dut.start.value = 1
    await RisingEdge(dut.clk)  # E0
    await FallingEdge(dut.clk)
    dut.start.value = 0


async def edges_until_done(dut: Any, units: Sequence[str], timeout: int) -> dict[str, int]:
    """Per unit, the first edge (1 .. timeout-1 after :func:`pulse_start`) after which
    ``<unit>_done`` reads 1; -1 for a unit not done by then."""
    edges: dict[str, int] = {}
    for edge in range(1, timeout):
        await step(dut)
        for u in units:
            if u not in edges and flag(dut, f"{u}_done"):
                edges[u] = edge
        if len(edges) == len(units):
            break
    return {u: edges.get(u, -1) for u in units}


async def stream(dut: Any, beats: Sequence[Mapping[str, int]], valid: str,
                 idle: int) -> AsyncIterator[int]:
    """From a falling edge: one beat per clock (its inputs and ``valid`` = 1), then ``idle`` clocks
    with ``valid`` = 0; yields each edge number (1, 2, ...) at the falling edge after it."""
    for edge in range(1, len(beats) + idle + 1):
        if edge <= len(beats):
            for name, value in beats[edge - 1].items():
                getattr(dut, name).value = value
            getattr(dut, valid).value = 1
        else:
            getattr(dut, valid).value = 0
        await step(dut)
        yield edge


# --------------------------------------------------------------------------- stimulus


def random_operands(rng: np.random.Generator,
                    shapes: Iterable[tuple[int, int, int]]) -> Iterator[Operands]:
    """Random INT8 A[m, k], B[k, n] for each (m, n, k), drawn in that order (A, then B)."""
    for m, n, k in shapes:
        yield rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))


def corner_operands(m: int, k: int, n: int) -> list[Operands]:
    """A[m, k] x B[k, n]: all -128, all 127, and alternating signs along K (A rows = B columns)."""
    alt = np.where(np.arange(k) % 2, 127, -128)
    return [(np.full((m, k), -128), np.full((k, n), -128)),
            (np.full((m, k), 127), np.full((k, n), 127)),
            (np.tile(alt, (m, 1)), np.tile(alt[:, None], (1, n)))]


@functools.cache
def _sample() -> dict[str, np.ndarray]:
    return load_sample()


def minilm(rows: slice | int, ks: slice, cols: slice | int) -> Operands:
    """Real MiniLM INT8 weights ``a_q0[rows, ks]``, activations ``b_x[ks, cols]`` (int64 copies)."""
    s = _sample()
    return s["a_q0"][rows, ks].astype(np.int64), s["b_x"][ks, cols].astype(np.int64)


# --------------------------------------------------------------------------- the check


def _same(got: Any, want: Any) -> bool:
    return bool(np.array_equal(np.asarray(got), np.asarray(want)))


def _text(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


def report(rec: Mapping[str, Any]) -> None:
    """Append one JSON line to $SIM_RTL_REPORT (read by ``sim.rtlcheck.read_results``)."""
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(rec, sort_keys=True) + "\n")


def check(test: str, unit: str, size: str, rtl_cycles: int, model_cycles: int,
          *expected: tuple[str, Any, Any], **extra: Any) -> None:
    """Report one GEMM of ``unit``, then assert it bit- and cycle-exact.

    ``expected`` holds (what, rtl value, expected value) triples, compared element by element
    (shapes included); the report line's ``ok`` is true only if all are equal. Then the RTL edge
    count must equal the model's. ``extra`` adds fields to the report line.
    """
    same = [_same(got, want) for _, got, want in expected]
    report({"test": test, "gemm": f"{unit} {size}", "ok": all(same), "rtl_cycles": rtl_cycles,
            "model_cycles": model_cycles, **extra})
    for equal, (what, got, want) in zip(same, expected, strict=True):
        assert equal, f"{unit}: rtl {_text(got)} != {what} {_text(want)}"
    assert rtl_cycles == model_cycles, f"{unit}: rtl cycles {rtl_cycles} != model {model_cycles}"


def check_dense(test: str, design: str, size: tuple[int, ...], a: np.ndarray, b: np.ndarray,
                got: Mapping[str, np.ndarray], cycles: Mapping[str, int]) -> None:
    """:func:`check` each unit's C = A B (``got[unit]``, M x N) against the 32-bit
    ``arith.mac_gemm`` and its edge count against ``designs.gemm_cycles_dense`` of
    ``build_design(design, unit, size)``."""
    m, k = a.shape
    n = b.shape[1]
    golden = arith.mac_gemm(a, b, 32)
    for u, c in got.items():
        model = gemm_cycles_dense(build_design(design, u, size), m, n, k)
        check(test, u, f"{m}x{k}x{n}", cycles[u], model, ("golden", c, golden))


# --------------------------------------------------------------------------- tile-stream arrays


@dataclass(frozen=True)
class TileStream:
    """Bench of a tile-streaming array of ``tpe_arrays.sv`` (3-D cube, 2D-Matrix).

    The GEMM is cut into (mt x kt) x (kt x nt) tile products, streamed one per clock (for each
    output block all its K tiles in a row, flagged first/last); every (i, j) output's block results
    are collected when its ``<unit>_vld`` bit pulses. Results must equal ``arith.mac_gemm``
    (32-bit) and the edge of the last pulse ``designs.gemm_cycles_dense`` of
    ``build_design(design, unit, size)``.
    """

    design: str
    units: tuple[str, ...]
    mt: int
    kt: int
    nt: int
    size: tuple[int, ...]

    async def start(self, dut: Any) -> None:
        """Clock on, inputs idle, and enough edges to flush the array."""
        await start(dut, self.mt + self.kt + self.nt + 4,
                    a_tile=0, b_tile=0, first=0, last=0, tvld=0)

    def _beats(self, ap: np.ndarray, bp: np.ndarray, mb: int, kb: int,
               nb: int) -> list[dict[str, int]]:
        mt, kt, nt = self.mt, self.kt, self.nt
        return [{"a_tile": pack(ap[bi * mt:(bi + 1) * mt, t * kt:(t + 1) * kt].reshape(-1), 8),
                 "b_tile": pack(bp[t * kt:(t + 1) * kt, bj * nt:(bj + 1) * nt].reshape(-1), 8),
                 "first": int(t == 0), "last": int(t == kb - 1)}
                for bi in range(mb) for bj in range(nb) for t in range(kb)]

    async def gemm(self, dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
        """Stream C = A B through the array and check every output and the last edge."""
        mt, kt, nt = self.mt, self.kt, self.nt
        m, k = a.shape
        n = b.shape[1]
        mb, kb, nb = -(-m // mt), -(-k // kt), -(-n // nt)
        ap = np.zeros((mb * mt, kb * kt), dtype=np.int64)
        ap[:m, :k] = a
        bp = np.zeros((kb * kt, nb * nt), dtype=np.int64)
        bp[:k, :n] = b
        blocks = [(bi, bj) for bi in range(mb) for bj in range(nb)]
        got = {u: np.zeros((mb * mt, nb * nt), dtype=np.int64) for u in self.units}
        count = {u: np.zeros((mt, nt), dtype=int) for u in self.units}
        last_edge = dict.fromkeys(self.units, 0)
        await FallingEdge(dut.clk)
        async for edge in stream(dut, self._beats(ap, bp, mb, kb, nb), "tvld", mt + kt + nt + 3):
            for u in self.units:
                vld = flag(dut, f"{u}_vld")
                if not vld:
                    continue
                acc = read(dut, f"{u}_acc", mt * nt, 32)
                for i in range(mt):
                    for j in range(nt):
                        if vld >> (i * nt + j) & 1:
                            bi, bj = blocks[count[u][i, j]]
                            got[u][bi * mt + i, bj * nt + j] = acc[i * nt + j]
                            count[u][i, j] += 1
                            last_edge[u] = edge
        check_dense(name, self.design, self.size, a, b,
                    {u: got[u][:m, :n] for u in self.units}, last_edge)

    async def random_gemms(self, dut: Any) -> None:
        """Random INT8 GEMMs, including ragged edges."""
        await self.start(dut)
        rng = np.random.default_rng(8)
        for a, b in random_operands(rng, ((2, 2, 2), (4, 4, 6), (3, 5, 7))):
            await self.gemm(dut, "random_gemms", a, b)

    async def corners(self, dut: Any) -> None:
        """All -128, all 127, alternating signs (4 x 8 x 4)."""
        await self.start(dut)
        for a, b in corner_operands(4, 8, 4):
            await self.gemm(dut, "corners", a, b)

    async def real_minilm(self, dut: Any) -> None:
        """Real MiniLM INT8 weights x activations, 4 x 10 x 4."""
        await self.start(dut)
        await self.gemm(dut, "real_minilm", *minilm(slice(0, 4), slice(0, 10), slice(0, 4)))
