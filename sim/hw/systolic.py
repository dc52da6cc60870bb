"""Systolic GEMM engine: exact closed-form cycles, traffic and action counts; numpy golden model.

An R x C array computes C[M, N] = A[M, K] @ B[K, N] (int8 x int8 -> int32, wrapping) in folds.
Each dataflow maps the GEMM onto the array's rows (``Sr``), columns (``Sc``) and time (``T``):

========  ======  ======  ======  =====================================
dataflow  Sr      Sc      T       stationary operand
========  ======  ======  ======  =====================================
OS        M       N       K       outputs C (each PE owns C[i][j])
WS        K       N       M       weights B
IS        K       M       N       inputs A
========  ======  ======  ======  =====================================

Every fold takes ``2R + C + T - 2`` cycles (R to preload the stationary operand or drain the
outputs, T streaming beats, R + C - 2 cycles of skew fill/drain) and folds run back to back:
``cycles = ceil(Sr / R) * ceil(Sc / C) * (2R + C + T - 2)``. Edge folds are zero-padded, so
they take as long as full ones. This is the timing the RTL in ``rtl/systolic/`` implements and
the cocotb benches check cycle for cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sim.core.shapes import GemmShape, ceil_div

if TYPE_CHECKING:  # numpy only for the golden model, imported when it is called
    import numpy as np
    import numpy.typing as npt

Dataflow = Literal["OS", "WS", "IS"]
DATAFLOWS: tuple[Dataflow, ...] = ("OS", "WS", "IS")

OPERAND_BITS = 8
ACCUMULATOR_BITS = 32
# Each MAC latches the operand it forwards and the partial sum it produces.
REG_BITS_PER_MAC = OPERAND_BITS + ACCUMULATOR_BITS


def mapping(shape: GemmShape, dataflow: Dataflow) -> tuple[int, int, int]:
    """(Sr, Sc, T): the GEMM dimensions mapped to array rows, array columns and time."""
    if dataflow == "OS":
        return shape.m, shape.n, shape.k
    if dataflow == "WS":
        return shape.k, shape.n, shape.m
    if dataflow == "IS":
        return shape.k, shape.m, shape.n
    raise ValueError(f"unknown dataflow {dataflow!r}; accepted: {', '.join(DATAFLOWS)}")


def fold_cycles(rows: int, cols: int, temporal: int) -> int:
    """Cycles of one fold on an R x C array streaming T beats: 2R + C + T - 2."""
    return 2 * rows + cols + temporal - 2


def fold_counts(shape: GemmShape, rows: int, cols: int, dataflow: Dataflow) -> tuple[int, int]:
    """(row folds, column folds) = (ceil(Sr / R), ceil(Sc / C))."""
    sr, sc, _ = mapping(shape, dataflow)
    return ceil_div(sr, rows), ceil_div(sc, cols)


def gemm_cycles(shape: GemmShape, rows: int, cols: int, dataflow: Dataflow,
                overlap_drain: bool = False) -> int:
    """Total cycles of a GEMM: folds x (2R + C + T - 2), folds back to back.

    ``overlap_drain`` (OS only): shadow accumulators take each fold's sums as its last MAC
    completes and shift them out while the next fold runs, so a fold costs ``R + C + T - 2``
    and only the last drain (R cycles) is exposed: ``folds x (R + C + T - 2) + R``.
    """
    _, _, temporal = mapping(shape, dataflow)
    row_folds, col_folds = fold_counts(shape, rows, cols, dataflow)
    if overlap_drain and dataflow == "OS":
        return row_folds * col_folds * (rows + cols + temporal - 2) + rows
    return row_folds * col_folds * fold_cycles(rows, cols, temporal)


@dataclass(frozen=True)
class Traffic:
    """Elements moved between the array and its operand SRAMs, per operand (A, B, C)."""

    a_reads: int
    b_reads: int
    c_writes: int
    c_reads: int


def sram_traffic(shape: GemmShape, rows: int, cols: int, dataflow: Dataflow) -> Traffic:
    """Operand elements read from / written to the array's SRAM buffers for one GEMM.

    The stationary operand is read once; a streamed operand is re-read once per fold of the
    other mapped dimension; when K is spread over array rows (WS, IS), every row fold after the
    first reads back and rewrites the partial sums.
    """
    m, n, k = shape.m, shape.n, shape.k
    row_folds, col_folds = fold_counts(shape, rows, cols, dataflow)
    if dataflow == "OS":
        return Traffic(m * k * col_folds, k * n * row_folds, m * n, 0)
    psum_rounds = row_folds  # K folds
    if dataflow == "WS":
        a_reads, b_reads = m * k * col_folds, k * n
    else:  # IS: A stationary, B streamed once per M fold (columns hold M)
        a_reads, b_reads = m * k, k * n * col_folds
    return Traffic(a_reads, b_reads, m * n * psum_rounds, m * n * (psum_rounds - 1))


def golden_gemm(a: npt.NDArray[np.integer], b: npt.NDArray[np.integer]) -> npt.NDArray[np.int32]:
    """Bit-exact reference: int8 A[M, K] @ int8 B[K, N] accumulated and wrapped to int32."""
    import numpy as np

    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"GEMM operand shapes do not match: A{a.shape} @ B{b.shape}")
    wide = a.astype(np.int64) @ b.astype(np.int64)
    return wide.astype(np.uint64).astype(np.uint32).view(np.int32)
