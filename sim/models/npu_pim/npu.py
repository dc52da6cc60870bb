"""NPU timing: systolic GEMMs (the foundation's fold model), vector ops, weight DMA from HBM.

A GEMM's output columns are split evenly over the arrays. Two array timings are offered:

* ``fold`` (default): the foundation's RTL-checked model :func:`sim.hw.systolic.gemm_cycles`,
  folds back to back, each 2R + C + T - 2 cycles (no overlap of preload and streaming);
* ``onnxim``: the NeuPIMs/ONNXim pipelined tile model (reference section 6): per weight tile
  a preload of H cycles (2H - 1 for the first, pipeline empty) and max(M, 4) streaming cycles,
  plus one H + W - 2 drain at the end.
 Weights stream from HBM while the arrays compute (double
buffered), so a GEMM takes max(compute, weight DMA). Vector ops follow the reference's
one-cycle-per-op formulas over ``cores x lanes`` lanes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.core.errors import UnsupportedOpError
from sim.core.shapes import GemmShape, ceil_div
from sim.hw.systolic import gemm_cycles, sram_traffic
from sim.models.npu_pim.arch import NpuSpec

# Element operations per input element (for energy) and cycles per lane-iteration.
VECTOR_FUNCTIONS: dict[str, tuple[int, int]] = {
    "layernorm": (5, 5), "softmax": (3, 3), "gelu": (1, 1), "add": (1, 1), "silu_mul": (2, 2),
    "mul": (1, 1), "relu": (1, 1), "exp": (1, 1),
}


@dataclass(frozen=True)
class GemmTiming:
    """Cycles of one GEMM on the NPU (compute only), its MACs and SRAM traffic (bits)."""

    cycles: int
    macs: int
    sram_read_bits: int
    sram_write_bits: int


def gemm_timing(npu: NpuSpec, m: int, k: int, n: int, bits: int) -> GemmTiming:
    """Compute cycles of C[m, n] = A[m, k] @ B[k, n] with columns split over the arrays."""
    rows, cols = npu.array
    per_array = GemmShape(m, int(ceil_div(n, npu.arrays)), k)
    if npu.timing == "onnxim":
        cycles = onnxim_gemm_cycles(per_array, rows, cols)
    else:
        cycles = gemm_cycles(per_array, rows, cols, npu.dataflow)
    shape = GemmShape(m, n, k)
    traffic = sram_traffic(shape, rows, cols, npu.dataflow)
    reads = (traffic.a_reads + traffic.b_reads) * bits + traffic.c_reads * 32
    writes = traffic.c_writes * 32
    return GemmTiming(cycles, shape.macs, reads, writes)


def onnxim_gemm_cycles(shape: GemmShape, rows: int, cols: int) -> int:
    """Weight-stationary GEMM cycles in ONNXim's pipelined tile model (see module docstring)."""
    tiles = int(ceil_div(shape.k, rows)) * int(ceil_div(shape.n, cols))
    stream = max(shape.m, 4)
    return (2 * rows - 1) + (tiles - 1) * rows + tiles * stream + rows + cols - 2


def vector_cycles(npu: NpuSpec, function: str, elements: int) -> int:
    """Cycles of an element-wise function over ``elements`` values (reductions add a tree)."""
    if function not in VECTOR_FUNCTIONS:
        raise UnsupportedOpError(f"eltwise function {function!r} is not supported by family "
                                 "npu_pim", accepted=", ".join(sorted(VECTOR_FUNCTIONS)))
    lanes = npu.vector.cores * npu.vector.lanes
    iters = int(ceil_div(elements, lanes))
    tree = math.ceil(math.log2(npu.vector.lanes)) if npu.vector.lanes > 1 else 0
    _, per_iter = VECTOR_FUNCTIONS[function]
    reductions = {"layernorm": 2 * tree + 3, "softmax": 2 * tree}.get(function, 0)
    return iters * per_iter + reductions


def vector_ops(function: str, elements: int) -> int:
    """Element operations (for the ledger) of a vector function."""
    return VECTOR_FUNCTIONS[function][0] * elements


def gemv_vector_cycles(npu: NpuSpec, macs: int) -> int:
    """Cycles of GEMV MACs on the vector unit (one MAC per lane per cycle)."""
    return int(ceil_div(macs, npu.vector.cores * npu.vector.lanes))
