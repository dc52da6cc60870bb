"""Lowering rules: every op kind that reduces to GEMMs, in one place.

================  ==========================================================================
op                GEMMs (M, N, K) x count
================  ==========================================================================
gemm              (m, n, k) x 1
gemv              (batch, n, k) x 1: the batch of vectors is the GEMM's M
conv2d            im2col per group: (batch * out_h * out_w, out_ch / groups,
                  in_ch / groups * kernel_h * kernel_w) x groups
attention         per batch and head: Q K^T (q_len, kv_len, head_dim) and
                  S V (q_len, head_dim, kv_len), each x batch * heads
================  ==========================================================================

Ops with no GEMM form (``eltwise``, ``image_filter``) are not lowered: a family that cannot run
them natively raises :class:`~sim.core.errors.UnsupportedOpError`.

How extracted and generated traces map model layers onto these op kinds (so that every family
sees the same shapes; see the README, "Traces"):

- linear / ``MatMul`` / ``Gemm``: ``gemm`` with M = all leading dimensions; a batched matmul
  with two batched operands becomes one ``gemm`` per batch element; a matrix-vector product a
  ``gemv``.
- 1-D convolution: ``conv2d`` with ``in_h = kernel_h = 1``. Unequal padding (e.g. (1, 0), or
  1-D padding, which must not pad the unit height) is folded into ``in_h``/``in_w`` with
  ``padding: 0``: the output size and MAC count stay exact. Dilated convolutions are refused.
- scaled-dot-product attention: ``attention`` (Q K^T and S V, lowered above); decode batches
  group requests of equal context length into one op with ``batch`` = their count.
- LSTM / GRU: per direction one ``gemm`` for the input projection of all time steps
  (N = 4 or 3 gates x hidden), then one ``gemv`` per step (the recurrent product), in order.
"""

from __future__ import annotations

from sim.core.errors import SimError
from sim.core.shapes import GemmShape
from sim.workload.trace import AttentionOp, Conv2dOp, GemmOp, GemvOp, Op

LOWERABLE_KINDS = ("gemm", "gemv", "conv2d", "attention")


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output height or width of a convolution (elements)."""
    return (size + 2 * padding - kernel) // stride + 1


def lower_conv2d(op: Conv2dOp) -> list[tuple[GemmShape, int]]:
    """im2col: one GEMM per group."""
    if op.in_ch % op.groups or op.out_ch % op.groups:
        raise SimError(f"op {op.name!r}: in_ch {op.in_ch} and out_ch {op.out_ch} must be "
                       f"multiples of groups {op.groups}")
    out_h = conv_output_size(op.in_h, op.kernel_h, op.stride, op.padding)
    out_w = conv_output_size(op.in_w, op.kernel_w, op.stride, op.padding)
    if out_h < 1 or out_w < 1:
        raise SimError(f"op {op.name!r}: kernel {op.kernel_h}x{op.kernel_w} does not fit the "
                       f"{op.in_h}x{op.in_w} input with padding {op.padding}")
    k = op.in_ch // op.groups * op.kernel_h * op.kernel_w
    return [(GemmShape(op.batch * out_h * out_w, op.out_ch // op.groups, k), op.groups)]


def lower_attention(op: AttentionOp) -> list[tuple[GemmShape, int]]:
    """Q K^T then S V for every batch element and head."""
    count = op.batch * op.heads
    return [(GemmShape(op.q_len, op.kv_len, op.head_dim), count),
            (GemmShape(op.q_len, op.head_dim, op.kv_len), count)]


def to_gemms(op: Op) -> list[tuple[GemmShape, int]]:
    """GEMM shapes (with repeat counts) an op lowers to; SimError for ops with no GEMM form."""
    if isinstance(op, GemmOp):
        return [(op.shape, 1)]
    if isinstance(op, GemvOp):
        return [(GemmShape(op.batch, op.n, op.k), 1)]
    if isinstance(op, Conv2dOp):
        return lower_conv2d(op)
    if isinstance(op, AttentionOp):
        return lower_attention(op)
    raise SimError(f"op {op.name!r} of kind {op.kind!r} has no GEMM lowering",
                   accepted=", ".join(LOWERABLE_KINDS))
