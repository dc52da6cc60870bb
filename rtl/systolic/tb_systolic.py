"""cocotb 2.x benches for rtl/systolic: whole GEMMs, bit-exact and cycle-exact vs sim.hw.systolic.

Run through ``sim.rtlcheck.run_bench("systolic", params, "tb_systolic")``; the parameter set
arrives as JSON in $SIM_RTL_PARAMS (DATAFLOW, ROWS, COLS, T_MAX) and one JSON line per GEMM is
appended to $SIM_RTL_REPORT.

The bench is the SRAM-side driver: for every fold of the model's decomposition
(``ceil(Sr/R) * ceil(Sc/C)`` folds, edge folds zero-padded) it loads the fold's operand buffers,
starts the fold, counts clock edges until ``done`` and reads the outputs back. For WS the partial
sums read back after one K fold are loaded as the psum input of the next, so accumulation over K
happens in the RTL.

Cycle measurement (exact): the bench drives ``start`` = 1 and waits for the rising edge E0 at
which the RTL samples it. It then counts rising edges E1, E2, ... and, in the read-only phase
after each, looks at ``done``; the fold's count is n for the first edge En after which ``done``
reads 1. Loading operands and reading results happen outside [E0, En] and are not counted (in
hardware they overlap with the previous fold through double buffering). The GEMM's cycle count is
the sum of its folds' counts and must equal ``gemm_cycles(GemmShape(m, n, k), R, C, dataflow)``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
import numpy as np
import numpy.typing as npt
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from sim.core.shapes import GemmShape, ceil_div
from sim.hw.systolic import (
    Dataflow,
    fold_counts,
    fold_cycles,
    gemm_cycles,
    golden_gemm,
)

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]

PARAMS: dict[str, Any] = json.loads(
    os.environ.get("SIM_RTL_PARAMS", '{"DATAFLOW": "WS", "ROWS": 4, "COLS": 4, "T_MAX": 64}')
)
DATAFLOW: Dataflow = PARAMS["DATAFLOW"]
ROWS: int = int(PARAMS["ROWS"])
COLS: int = int(PARAMS["COLS"])
T_MAX: int = int(PARAMS["T_MAX"])
OVERLAP: bool = bool(PARAMS.get("OVERLAP_DRAIN", 0))
CLOCK_NS = 10


def _pack(values: npt.NDArray[Any], bits: int) -> int:
    """Lane x of the packed bus is bits [x*bits +: bits]."""
    mask = (1 << bits) - 1
    word = 0
    for lane, value in enumerate(values.tolist()):
        word |= (int(value) & mask) << (lane * bits)
    return word


def _unpack_i32(word: int, lanes: int) -> I32:
    raw = np.array([(word >> (32 * lane)) & 0xFFFFFFFF for lane in range(lanes)], dtype=np.uint32)
    return raw.view(np.int32)


def _pad(tile: npt.NDArray[Any], rows: int, cols: int) -> npt.NDArray[Any]:
    out = np.zeros((rows, cols), dtype=tile.dtype)
    out[: tile.shape[0], : tile.shape[1]] = tile
    return out


class SystolicDriver:
    """Drives the fold engine through its buffer ports and counts the edges of each fold."""

    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.folds = 0
        self.starts_during_drain = 0
        """Folds of the current GEMM started while the previous fold's shadow drain ran."""

    async def reset(self) -> None:
        dut = self.dut
        for name in ("start", "t_len", "a_we", "a_addr", "a_data", "b_we", "b_addr", "b_data",
                     "p_we", "p_addr", "p_data", "c_rd_addr"):
            getattr(dut, name).value = 0
        dut.rst.value = 1
        Clock(dut.clk, CLOCK_NS, unit="ns").start()  # cocotb 2: runs its own task
        for _ in range(3):
            await RisingEdge(dut.clk)
        dut.rst.value = 0
        await RisingEdge(dut.clk)

    async def _write(self, port: str, rows: npt.NDArray[Any], bits: int) -> None:
        """Write rows[t] to buffer `port` at address t, one row per rising edge."""
        we, addr, data = (getattr(self.dut, f"{port}_{s}") for s in ("we", "addr", "data"))
        we.value = 1
        for t, row in enumerate(rows):
            addr.value = t
            data.value = _pack(row, bits)
            await RisingEdge(self.dut.clk)
        we.value = 0

    async def run_fold(self, temporal: int) -> int:
        """Start one fold streaming `temporal` beats; return edges from E0 to `done` high."""
        dut = self.dut
        if not 1 <= temporal <= T_MAX:
            raise ValueError(f"fold needs T={temporal} beats; the RTL was built with T_MAX={T_MAX}")
        limit = 4 * fold_cycles(ROWS, COLS, temporal) + 16
        dut.t_len.value = temporal
        dut.start.value = 1
        await RisingEdge(dut.clk)  # E0: start sampled
        dut.start.value = 0
        await ReadOnly()
        assert dut.busy.value == 1 and dut.done.value == 0, "fold did not start at E0"
        count = 0
        while True:
            await RisingEdge(dut.clk)
            count += 1
            await ReadOnly()
            if dut.done.value == 1:
                break
            assert count < limit, f"done never rose within {limit} cycles (T={temporal})"
        self.folds += 1
        await FallingEdge(dut.clk)  # leave the read-only phase before driving again
        return count

    async def read_c(self, rows: int) -> I32:
        """Read output-buffer rows 0..rows-1 through the combinational read port."""
        out = np.zeros((rows, COLS), dtype=np.int32)
        for t in range(rows):
            self.dut.c_rd_addr.value = t
            await FallingEdge(self.dut.clk)
            out[t] = _unpack_i32(self.dut.c_rd_data.value.to_unsigned(), COLS)
        return out

    async def ws_fold(self, a_tile: I8, w_tile: I8, psum: I32) -> tuple[I32, int]:
        """WS fold: C[T, C] = psum + A[T, R] @ W[R, C]."""
        await self._write("b", w_tile, 8)
        await self._write("a", a_tile, 8)
        await self._write("p", psum, 32)
        cycles = await self.run_fold(a_tile.shape[0])
        return await self.read_c(a_tile.shape[0]), cycles

    async def os_fold(self, a_tile: I8, b_tile: I8) -> tuple[I32, int]:
        """OS fold: C[R, C] = A[R, T] @ B[T, C]; beat k carries A[:, k] and B[k, :]."""
        await self._write("a", a_tile.T, 8)
        await self._write("b", b_tile, 8)
        cycles = await self.run_fold(a_tile.shape[1])
        return await self.read_c(ROWS), cycles

    async def read_after_drain(self) -> I32:
        """Wait (uncounted) until the shadow drain has written the output buffer, then read
        it; runs concurrently with the loading and running of the next fold."""
        while self.dut.draining.value == 1:
            await FallingEdge(self.dut.clk)
        return await self.read_c(ROWS)

    async def os_overlapped(self, a: I8, b: I8, out: I32) -> int:
        """OS with shadow accumulators: each fold counts R + C + T - 2 edges; the next fold is
        loaded and started while the previous one drains (its outputs are read meanwhile); the
        last drain (R edges from the last done until ``draining`` falls) is counted."""
        m, k = a.shape
        n = b.shape[1]
        total = 0
        pending: list[tuple[Any, slice, slice]] = []
        for mf in range(ceil_div(m, ROWS)):
            rows = slice(mf * ROWS, (mf + 1) * ROWS)
            for nf in range(ceil_div(n, COLS)):
                cols = slice(nf * COLS, (nf + 1) * COLS)
                await self._write("a", _pad(a[rows, :], ROWS, k).T, 8)
                await self._write("b", _pad(b[:, cols], k, COLS), 8)
                self.starts_during_drain += int(self.dut.draining.value == 1)
                total += await self.run_fold(k)
                if pending:
                    await self._place(out, *pending.pop())
                pending.append((cocotb.start_soon(self.read_after_drain()), rows, cols))
        drain = 0
        while True:
            await RisingEdge(self.dut.clk)
            drain += 1
            await ReadOnly()
            if self.dut.draining.value == 0:
                break
            assert drain <= ROWS, "shadow drain longer than R cycles"
        await FallingEdge(self.dut.clk)
        await self._place(out, *pending.pop())
        return total + drain

    @staticmethod
    async def _place(out: I32, task: Any, rows: slice, cols: slice) -> None:
        """Join a reader task (normally finished already) and store its tile."""
        tile = await task
        view = out[rows, cols]
        view[:, :] = tile[: view.shape[0], : view.shape[1]]

    async def ws_folds(self, a: I8, b: I8) -> tuple[I32, int]:
        """C = A @ B as weight-stationary folds (rows <- K, columns <- N, time <- M), column
        folds outer; returns (C, RTL cycles summed over folds)."""
        m, k = a.shape
        n = b.shape[1]
        out = np.zeros((m, n), dtype=np.int32)
        total = 0
        for nf in range(ceil_div(n, COLS)):
            cols = slice(nf * COLS, (nf + 1) * COLS)
            psum = np.zeros((m, COLS), dtype=np.int32)
            for kf in range(ceil_div(k, ROWS)):
                ks = slice(kf * ROWS, (kf + 1) * ROWS)
                psum, cycles = await self.ws_fold(
                    _pad(a[:, ks], m, ROWS), _pad(b[ks, cols], ROWS, COLS), psum)
                total += cycles
            out[:, cols] = psum[:, : out[:, cols].shape[1]]
        return out, total

    async def gemm(self, a: I8, b: I8) -> tuple[I32, int]:
        """Whole GEMM as the model's folds; returns (C, RTL cycles summed over folds)."""
        self.starts_during_drain = 0
        m, k = a.shape
        n = b.shape[1]
        if DATAFLOW == "WS":
            return await self.ws_folds(a, b)
        if DATAFLOW == "IS":  # rows <- K, columns <- M, time <- N: C^T = B^T @ A^T on WS folds
            out_t, total = await self.ws_folds(b.T, a.T)
            return out_t.T, total
        out = np.zeros((m, n), dtype=np.int32)
        total = 0
        if DATAFLOW == "OS" and OVERLAP:
            total = await self.os_overlapped(a, b, out)
        elif DATAFLOW == "OS":  # rows <- M, columns <- N, time <- K
            for mf in range(ceil_div(m, ROWS)):
                rows = slice(mf * ROWS, (mf + 1) * ROWS)
                for nf in range(ceil_div(n, COLS)):
                    cols = slice(nf * COLS, (nf + 1) * COLS)
                    tile, cycles = await self.os_fold(
                        _pad(a[rows, :], ROWS, k), _pad(b[:, cols], k, COLS))
                    total += cycles
                    view = out[rows, cols]
                    view[:, :] = tile[: view.shape[0], : view.shape[1]]
        else:
            raise ValueError(f"unsupported DATAFLOW {DATAFLOW!r}; accepted: WS, OS, IS")
        return out, total


def _report(record: dict[str, Any]) -> None:
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


def _mismatch_text(got: I32, want: I32) -> str:
    bad = np.argwhere(got != want)
    i, j = (int(x) for x in bad[0])
    return (f"{len(bad)} of {want.size} outputs differ; first C[{i},{j}]: "
            f"rtl {int(got[i, j])} != golden {int(want[i, j])}")


async def check_gemm(drv: SystolicDriver, test: str, label: str, a: I8, b: I8) -> list[str]:
    """Run one GEMM on the RTL; return the failure lines (empty if bit- and cycle-exact)."""
    m, k = a.shape
    n = b.shape[1]
    shape = GemmShape(m, n, k)
    got, rtl_cycles = await drv.gemm(a, b)
    want = golden_gemm(a, b)
    model_cycles = gemm_cycles(shape, ROWS, COLS, DATAFLOW, overlap_drain=OVERLAP)
    row_folds, col_folds = fold_counts(shape, ROWS, COLS, DATAFLOW)
    name = f"{DATAFLOW} {ROWS}x{COLS} {label} M={m} N={n} K={k}"
    errors = []
    if not np.array_equal(got, want):
        errors.append(f"{name}: {_mismatch_text(got, want)}")
    if rtl_cycles != model_cycles:
        errors.append(f"{name}: cycles rtl {rtl_cycles} != model {model_cycles} "
                      f"({row_folds}x{col_folds} folds)")
    drv.dut._log.info("%s: %d folds, cycles rtl %d model %d, %s", name, row_folds * col_folds,
                      rtl_cycles, model_cycles, "bit-exact" if not errors else "MISMATCH")
    _report({"test": test, "gemm": label, "m": m, "n": n, "k": k,
             "folds": row_folds * col_folds, "rtl_cycles": rtl_cycles,
             "model_cycles": model_cycles, "ok": not errors,
             "starts_during_drain": drv.starts_during_drain})
    return errors


async def _run_cases(dut: Any, test: str, cases: list[tuple[str, I8, I8]]) -> None:
    drv = SystolicDriver(dut)
    await drv.reset()
    errors: list[str] = []
    for label, a, b in cases:
        errors += await check_gemm(drv, test, label, a, b)
    if errors:
        raise AssertionError("; ".join(errors))


def _shapes() -> list[tuple[int, int, int]]:
    """(M, N, K): exact multiples, ragged edges in every dimension, degenerate 1s.

    A full-size tile comes first: right after power-up every PE's output is used, so state that is
    not cleared by reset/start (random under --x-initial unique) shows up as a mismatch.
    The last two have a K so short that, with the OS shadow drain, the next fold is loaded and
    started while the previous one still drains.
    """
    r, c = ROWS, COLS
    return [(2 * r + 1, c + 3, 2 * r + 3), (r, c, r), (1, 1, 1), (3, 2 * c - 1, r - 1),
            (c + 2, 1, 3 * r + 2), (2 * r, 2 * c, 2 * r), (2 * r, 2 * c, 1), (r + 1, 2 * c + 1, 2)]


@cocotb.test()
async def test_random_gemms(dut: Any) -> None:
    """Seeded random int8 GEMMs over full and ragged shapes."""
    rng = np.random.default_rng(1000 + 10 * ROWS + COLS)
    cases: list[tuple[str, I8, I8]] = []
    for m, n, k in _shapes():
        a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
        b = rng.integers(-128, 128, size=(k, n), dtype=np.int8)
        cases.append((f"random#{len(cases)}", a, b))
    await _run_cases(dut, "test_random_gemms", cases)


@cocotb.test()
async def test_extremes(dut: Any) -> None:
    """All -128 (largest product, +16384 each), all 127, and -128 x 127 mixes, ragged shape."""
    m, n, k = ROWS + 1, COLS + 1, 2 * ROWS + 1
    lo = np.full((m, k), -128, dtype=np.int8)
    hi = np.full((m, k), 127, dtype=np.int8)
    cases = [("all-128", lo, np.full((k, n), -128, dtype=np.int8)),
             ("all127", hi, np.full((k, n), 127, dtype=np.int8)),
             ("-128x127", lo, np.full((k, n), 127, dtype=np.int8))]
    await _run_cases(dut, "test_extremes", cases)


@cocotb.test()
async def test_alternating_signs(dut: Any) -> None:
    """Checkerboards of 127 / -128 so the partial sums swing between signs."""
    m, n, k = 2 * ROWS - 1, COLS + 2, ROWS + 3
    ia, ka = np.indices((m, k))
    kb, jb = np.indices((k, n))
    a = np.where((ia + ka) % 2 == 0, 127, -128).astype(np.int8)
    b = np.where((kb + jb) % 2 == 0, -128, 127).astype(np.int8)
    b_rows = np.where(kb % 2 == 0, 127, -128).astype(np.int8)
    await _run_cases(dut, "test_alternating_signs",
                     [("checkerboard", a, b), ("alternating-rows", a, b_rows)])


@cocotb.test(skip=DATAFLOW not in ("WS", "IS"))
async def test_psum_wraps(dut: Any) -> None:
    """WS / IS psum input near the int32 limits: the column sums must wrap at 32 bits."""
    drv = SystolicDriver(dut)
    await drv.reset()
    rng = np.random.default_rng(7)
    t = 5
    a = np.full((t, ROWS), -128, dtype=np.int8)
    a[1::2] = 127
    w = np.full((ROWS, COLS), -128, dtype=np.int8)
    w[:, 1::2] = 127
    psum = rng.choice(np.array([2**31 - 1, 2**31 - 5000, -(2**31), -(2**31) + 7], np.int64),
                      size=(t, COLS))
    want = (psum + a.astype(np.int64) @ w.astype(np.int64)).astype(np.uint64)
    want32 = want.astype(np.uint32).view(np.int32)
    got, cycles = await drv.ws_fold(a, w, psum.astype(np.uint64).astype(np.uint32).view(np.int32))
    model = fold_cycles(ROWS, COLS, t)
    _report({"test": "test_psum_wraps", "gemm": "psum-wrap fold", "m": t, "n": COLS, "k": ROWS,
             "folds": 1, "rtl_cycles": cycles, "model_cycles": model,
             "ok": bool(np.array_equal(got, want32)) and cycles == model})
    if not np.array_equal(got, want32):
        raise AssertionError(f"psum wrap: {_mismatch_text(got, want32)}")
    if cycles != model:
        raise AssertionError(f"psum wrap fold: cycles rtl {cycles} != model {model}")
