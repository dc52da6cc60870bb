"""NPU timing: systolic GEMMs with weights streamed from HBM, vector ops, per-request attention.

Two array timings are offered (``npu.timing``):

* ``onnxim`` (every shipped arch): the NeuPIMs/ONNXim weight-stationary tile pipeline, fed by
  HBM. The activations are the stationary operand: a tile of H rows of K by W batch rows is
  preloaded (H cycles, 2H - 1 into an empty pipeline), then the weight matrix streams through
  in chunks of W columns, each chunk split over the ``arrays`` arrays (max(ceil(W / arrays), 4)
  cycles; the last instruction drains in H + W - 2 more). Batch chunks of W rows run one after
  another. Weights arrive from HBM in the order the instructions use them; an instruction
  starts only once its weight chunk is on chip (double-buffered tiles: loads run ahead of the
  arrays as far as the bandwidth allows). Weights that fit in half the SRAM (the other half is
  the second buffer) stay on chip for the next batch chunk, so only the first chunk waits for
  HBM: a batch of 256 on 128-wide arrays streams the weights once, then computes the second
  chunk from SRAM.
* ``fold``: the foundation's RTL-checked fold model (:func:`sim.hw.systolic.gemm_cycles`),
  folds back to back; a GEMM takes max(compute, weight DMA).

Vector ops follow the reference's one-cycle-per-op formulas over ``cores x lanes`` lanes. With
``npu.activations: hbm`` (the op-by-op kernel model of NeuPIMs/ONNXim) every op reads its input
activations from HBM and writes its output back; with ``sram`` they stay on chip when the op's
inputs and outputs fit in the SRAM, and stream through HBM otherwise.

Attention on the NPU (``npu.attention``): ``per_request`` runs one fused kernel per request
with q_len rows of queries: per head the K.q GEMV (q stationary, K streamed), the softmax on
the vector unit, then the S.V GEMV (one stationary chunk of S per H tokens, V streamed). Each
step needs the previous one's result, so every GEMV starts on an empty array and drains
through it; the request's K and V load from HBM while the previous request computes.
``kv_stream`` is the ideal alternative: the KV caches stream over all channels at the
sustained bandwidth while the vector unit does the MACs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from sim.core.errors import UnsupportedOpError
from sim.core.shapes import GemmShape, ceil_div
from sim.hw.systolic import gemm_cycles, sram_traffic
from sim.models.npu_pim.arch import NpuSpec

# Element operations per input element (for energy) and cycles per lane-iteration.
VECTOR_FUNCTIONS: dict[str, tuple[int, int]] = {
    "layernorm": (5, 5), "softmax": (3, 3), "gelu": (1, 1), "add": (1, 1), "silu_mul": (2, 2),
    "mul": (1, 1), "relu": (1, 1), "exp": (1, 1),
}
# Input tensors of each element-wise function (an add or a gated product reads two).
VECTOR_INPUTS: dict[str, int] = {"add": 2, "mul": 2, "silu_mul": 2}
MIN_STREAM = 4  # a streamed instruction occupies the array input for at least 4 cycles (ONNXim)


@dataclass(frozen=True)
class GemmTiming:
    """Cycles of one GEMM on the NPU (compute only), its MACs and SRAM traffic (bits)."""

    cycles: int
    macs: int
    sram_read_bits: int
    sram_write_bits: int


@dataclass(frozen=True)
class GemmRun:
    """One GEMM with its HBM traffic: duration, array-only cycles, bytes (all NPU cycles)."""

    cycles: int
    compute_cycles: int
    read_bytes: float
    write_bytes: float


def gemm_timing(npu: NpuSpec, m: int, k: int, n: int, bits: int) -> GemmTiming:
    """Array cycles of C[m, n] = A[m, k] @ B[k, n] with all operands on chip."""
    rows, cols = npu.array
    if npu.timing == "onnxim":
        cycles = int(_pipeline(npu, m, k, n, None, 0.0, 0.0)[0])
    else:
        cycles = gemm_cycles(GemmShape(m, int(ceil_div(n, npu.arrays)), k), rows, cols,
                             npu.dataflow)
    shape = GemmShape(m, n, k)
    traffic = sram_traffic(shape, rows, cols, npu.dataflow)
    reads = (traffic.a_reads + traffic.b_reads) * bits + traffic.c_reads * 32
    writes = traffic.c_writes * 32
    return GemmTiming(cycles, shape.macs, reads, writes)


def _chunks(total: int, size: int) -> npt.NDArray[np.int64]:
    """Sizes of the ceil(total / size) chunks of ``total`` (the last may be short)."""
    full, rest = divmod(total, size)
    return np.array([size] * full + ([rest] if rest else []), dtype=np.int64)


def l2_tiles(m: int, k: int, n: int, elem_bytes: float, capacity: float,
             align: int) -> tuple[int, int, int]:
    """(m, k, n) of one SRAM tile: the largest dimension is halved until the tile's activations,
    weights and outputs (each dimension rounded up to ``align``) fit in ``capacity`` bytes."""
    dims = [m, k, n]

    def size() -> float:
        r = [-(-d // align) * align for d in dims]
        return (r[0] * r[1] + r[1] * r[2] + r[0] * r[2]) * elem_bytes

    while size() > capacity and max(dims) > align:
        i = dims.index(max(dims))
        dims[i] = -(-dims[i] // 2)
    return dims[0], dims[1], dims[2]


def _tile_program(npu: NpuSpec, m: int, k: int, n: int, elem_bytes: float,
                  with_weights: bool) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                               npt.NDArray[np.float64]]:
    """One SRAM tile's instructions in order (batch chunk, K chunk, N chunk): their streaming
    cycles, their issue offsets (a new stationary tile waits a preload of H cycles) and the HBM
    bytes each one needs first (weight chunks for the first batch chunk, one activation tile
    per stationary tile)."""
    h, w = npu.array
    mb, kb, nb = _chunks(m, w), _chunks(k, h), _chunks(n, w)
    n_b, n_k, n_n = len(mb), len(kb), len(nb)
    size = np.tile(np.maximum(-(-nb // npu.arrays), MIN_STREAM), n_b * n_k)
    offset = np.empty_like(size)
    offset[1:] = np.maximum(size[:-1], MIN_STREAM)
    first = np.arange(len(size)) % n_n == 0
    offset[first] = h
    need = np.zeros(len(size))
    if with_weights:
        need[:n_k * n_n] = np.outer(kb, nb).ravel() * elem_bytes
    need[first] += np.outer(mb, kb).ravel() * elem_bytes
    return size, offset, need


@lru_cache(maxsize=256)
def _pipeline(npu: NpuSpec, m: int, k: int, n: int, bytes_per_cycle: float | None,
              elem_bytes: float, capacity: float) -> tuple[float, float]:
    """(end, bytes read) of the ``onnxim`` pipeline; ``bytes_per_cycle`` None = no HBM.

    The GEMM is cut into SRAM tiles (:func:`l2_tiles`, M outermost, then N, then K); a tile's
    weights are streamed once and stay on chip for all its batch chunks. Two tiles are in
    flight (double buffering): a tile's loads start when the tile two before it has finished.
    Within a tile the recurrence start_i = max(start_{i-1} + offset_i, arrival_i) is evaluated
    in closed form as start = C + cummax(arrival - C), C the cumulative offsets.
    """
    h, w = npu.array
    tm, tk, tn = l2_tiles(m, k, n, elem_bytes, capacity, max(h, w))
    last_start = 0.0
    ends: list[float] = []
    stream_end = 0.0
    read = 0.0
    size_last = MIN_STREAM
    for m_t in _chunks(m, tm):
        for n_t in _chunks(n, tn):
            for k_t in _chunks(k, tk):
                size, offset, need = _tile_program(npu, int(m_t), int(k_t), int(n_t),
                                                   elem_bytes, True)
                offset[0] = h if ends else 2 * h - 1
                cum = last_start + np.cumsum(offset)
                if bytes_per_cycle is None:
                    start = cum
                else:
                    load = max(stream_end, ends[-2] if len(ends) > 1 else 0.0)
                    arrival = load + np.cumsum(need) / bytes_per_cycle
                    term = arrival - cum
                    if not ends:
                        term[0] += offset[0]  # the first preload starts when its data is in
                    start = cum + np.maximum.accumulate(np.maximum(term, 0.0))
                    stream_end = float(arrival[-1])
                    read += float(need.sum())
                last_start = float(start[-1])
                size_last = int(size[-1])
                ends.append(last_start + h + w - 2 + size_last)
    return max(ends[-1], stream_end), read


def stream_gemm(npu: NpuSpec, m: int, k: int, n: int, bits: int, bytes_per_cycle: float,
                sram_bytes: float, outputs_to_hbm: bool) -> GemmRun:
    """A GEMM whose weights (and, per ``outputs_to_hbm``, activations) move through HBM at
    ``bytes_per_cycle`` (NPU cycles); ``sram_bytes`` is the on-chip capacity."""
    elem = bits / 8
    compute = gemm_timing(npu, m, k, n, bits).cycles
    out_bytes = m * n * elem if outputs_to_hbm else 0.0
    if npu.timing == "onnxim":
        end, read = _pipeline(npu, m, k, n, bytes_per_cycle, elem, sram_bytes / 2)
        if not outputs_to_hbm:
            read -= m * k * elem  # inputs already on chip
            end = max(float(compute), read / bytes_per_cycle)
        cycles = max(end, (read + out_bytes) / bytes_per_cycle)
    else:
        read = k * n * elem + (m * k * elem if outputs_to_hbm else 0.0)
        cycles = max(float(compute), (read + out_bytes) / bytes_per_cycle)
    return GemmRun(math.ceil(cycles), compute, read, out_bytes)


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


def eltwise_bytes(function: str, elements: int, bits: int) -> tuple[float, float]:
    """(read, written) bytes of an element-wise op whose tensors live in HBM."""
    size = elements * bits / 8
    return VECTOR_INPUTS.get(function, 1) * size, size


def gemv_vector_cycles(npu: NpuSpec, macs: int) -> int:
    """Cycles of GEMV MACs on the vector unit (one MAC per lane per cycle)."""
    return int(ceil_div(macs, npu.vector.cores * npu.vector.lanes))


def dependent_gemv_cycles(npu: NpuSpec, tiles: int, rows: int) -> int:
    """Cycles of one GEMV on an empty array: ``tiles`` stationary tiles (2H - 1 for the first,
    H for each further one), the last streaming ``rows`` rows over the arrays, then the drain
    through H + W - 2 stages."""
    h, w = npu.array
    stream = max(int(ceil_div(rows, npu.arrays)), MIN_STREAM)
    return (2 * h - 1) + (tiles - 1) * h + h + w - 2 + stream


def attention_head_cycles(npu: NpuSpec, q_len: int, kv_len: int, head_dim: int) -> int:
    """One head of the per-request fused attention kernel: K.q, softmax, S.V (NPU cycles)."""
    h, w = npu.array
    col_tiles = int(ceil_div(q_len, w))
    qk = dependent_gemv_cycles(npu, int(ceil_div(head_dim, h)) * col_tiles, kv_len)
    soft = vector_cycles(npu, "softmax", q_len * kv_len)
    sv = dependent_gemv_cycles(npu, int(ceil_div(kv_len, h)) * col_tiles, head_dim)
    return qk + soft + sv
