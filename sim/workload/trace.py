"""The trace schema (``version: 1``): a validated list of operations with provenance and hash.

Ops are discriminated by ``kind``. Every op names its operand bit-widths; tensor data for
data-dependent models may live beside the trace in a ``.npz`` whose arrays the op names.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from sim.core.hashing import stable_hash
from sim.core.shapes import GemmShape
from sim.spec.base import Bits, Count, Dim, Seed, StrictModel
from sim.spec.inputs import OP_MAX_WORK, TRACE_MAX_OPS


class OpBase(StrictModel):
    """Fields every op has."""

    name: str = Field(min_length=1)
    deps: list[str] = Field(default_factory=list)
    """Names of ops that must finish before this one starts."""
    tensors: dict[str, str] = Field(default_factory=dict)
    """Operand role (e.g. ``a``, ``b``) -> array name in the trace's ``.npz``."""
    SIZE_FIELDS: ClassVar[tuple[str, ...]] = ()
    """Fields whose product bounds the op's work (checked against ``OP_MAX_WORK``)."""

    @model_validator(mode="after")
    def _bounded_work(self) -> OpBase:
        """Refuse an op whose size product exceeds OP_MAX_WORK (counts stay in int64)."""
        work = math.prod(int(getattr(self, f)) for f in self.SIZE_FIELDS)
        if work > OP_MAX_WORK:
            raise ValueError(f"{' x '.join(self.SIZE_FIELDS)} = {work:.3g}, over the limit "
                             f"OP_MAX_WORK = 2**{OP_MAX_WORK.bit_length() - 1}")
        return self


class MatrixOperands(StrictModel):
    """Operand bit-widths of a matrix op: int8 operands, 32-bit results unless stated."""

    a_bits: Bits = 8
    b_bits: Bits = 8
    out_bits: Bits = 32


OPERAND_FIELDS = ("a_bits", "b_bits", "out_bits")
"""Bit-width fields; trace files list them after an op's shape."""


class GemmOp(MatrixOperands, OpBase):
    """C[M, N] = A[M, K] @ B[K, N]."""

    kind: Literal["gemm"]
    SIZE_FIELDS = ("m", "n", "k")
    m: Dim
    n: Dim
    k: Dim

    @property
    def shape(self) -> GemmShape:
        """The GEMM's M, N, K."""
        return GemmShape(self.m, self.n, self.k)


class GemvOp(MatrixOperands, OpBase):
    """y[N] = W[N, K] @ x[K], repeated for ``batch`` independent vectors."""

    kind: Literal["gemv"]
    SIZE_FIELDS = ("batch", "n", "k")
    n: Dim
    k: Dim
    batch: Count = 1


class Conv2dOp(MatrixOperands, OpBase):
    """2-D convolution, NCHW, with groups (groups == in_ch is depthwise)."""

    kind: Literal["conv2d"]
    SIZE_FIELDS = ("batch", "out_ch", "in_ch", "in_h", "in_w", "kernel_h", "kernel_w")
    batch: Count = 1
    in_ch: Dim
    out_ch: Dim
    in_h: Dim
    in_w: Dim
    kernel_h: Dim
    kernel_w: Dim
    stride: Count = 1
    padding: Annotated[int, Field(ge=0, le=2**16)] = 0
    groups: Count = 1


class AttentionOp(OpBase):
    """Scaled dot-product attention: per head, S = Q K^T over kv_len keys, then S V."""

    kind: Literal["attention"]
    SIZE_FIELDS = ("batch", "heads", "q_len", "kv_len", "head_dim")
    batch: Count = 1
    heads: Count
    q_len: Dim
    kv_len: Dim
    head_dim: Dim
    a_bits: Bits = 16
    b_bits: Bits = 16
    out_bits: Bits = 32
    channel: int | None = Field(default=None, ge=0, le=1 << 20)
    """Memory channel holding this request's KV cache, when the workload places it (None: the
    model places it)."""

    @model_serializer(mode="wrap")
    def _omit_unplaced_channel(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave ``channel`` out when unset, so traces without placement keep their content
        hash and file bytes."""
        data: dict[str, Any] = handler(self)
        if data.get("channel", 0) is None:
            del data["channel"]
        return data


class EltwiseOp(OpBase):
    """Element-wise function over ``elements`` values (softmax, layernorm, gelu, add, ...)."""

    kind: Literal["eltwise"]
    elements: Dim
    function: str = Field(min_length=1)
    a_bits: Bits = 16


class ImageFilterOp(OpBase):
    """A 2-D image filter (e.g. Roberts cross) over a height x width image."""

    kind: Literal["image_filter"]
    SIZE_FIELDS = ("height", "width")
    filter: str = Field(min_length=1)
    height: Dim
    width: Dim
    a_bits: Bits = 8


Op = Annotated[
    GemmOp | GemvOp | Conv2dOp | AttentionOp | EltwiseOp | ImageFilterOp,
    Field(discriminator="kind"),
]
OP_KINDS = ("gemm", "gemv", "conv2d", "attention", "eltwise", "image_filter")


class TraceProvenance(StrictModel):
    """Where a trace came from: source model/package and version, method, input, seed."""

    source: str = "hand-written"
    method: str = ""
    seed: Seed | None = None
    details: dict[str, str | int | float] = Field(default_factory=dict)


class Trace(StrictModel):
    """A workload trace."""

    version: Literal[1]
    name: str = Field(min_length=1)
    ops: list[Op] = Field(min_length=1, max_length=TRACE_MAX_OPS)
    tensors: str | None = None
    """Path of the ``.npz`` holding operand data, relative to the trace file."""
    provenance: TraceProvenance = Field(default_factory=TraceProvenance)

    def content_hash(self, tensor_hash: str = "") -> str:
        """Hash of the ops, provenance and (if given) the tensor file's hash."""
        return stable_hash({"trace": self.model_dump(mode="json"), "tensors": tensor_hash})

    def kinds(self) -> set[str]:
        """Op kinds used by this trace."""
        return {op.kind for op in self.ops}
