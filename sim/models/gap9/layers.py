"""Trace ops -> GAP9 layers: which engine can run them, their shapes, MACs and weight footprint."""

from __future__ import annotations

from dataclasses import dataclass

from sim.core.errors import SimError, UnsupportedOpError
from sim.models.gap9.arith import weight_bytes
from sim.workload.lowering import conv_output_size
from sim.workload.trace import Conv2dOp, EltwiseOp, GemmOp

SUPPORTED_KINDS = ("conv2d", "gemm", "eltwise")


@dataclass(frozen=True)
class Layer:
    """One layer as GAP9 sees it (HWC activations, uint8 inputs).

    ``mode`` is the NE16 mode ("3x3", "1x1", "dw", "linear") or "" if only the cluster can run it
    ("eltwise" for element-wise ops). For linear layers ``h_out`` is the number of input rows
    (GEMM M) and ``w_out`` is 1.
    """

    name: str
    kind: str
    mode: str
    k_in: int
    k_out: int
    h_in: int
    w_in: int
    h_out: int
    w_out: int
    kernel: tuple[int, int]
    stride: int
    padding: int
    groups: int
    qw: int
    macs: int
    elements: int = 0

    @property
    def depthwise(self) -> bool:
        """Whether each output channel reads one input channel."""
        return self.groups > 1 and self.groups == self.k_in == self.k_out

    @property
    def ne16_ok(self) -> bool:
        """Whether NE16 can run this layer."""
        return self.mode in ("3x3", "1x1", "dw", "linear") and self.stride in (1, 2)

    def weight_bytes(self, qw: int | None = None) -> int:
        """Weight footprint (B) at ``qw`` bits: NE16 packing if NE16 can run the layer, else
        ``ceil(params * qw / 8)``."""
        q = self.qw if qw is None else qw
        if self.kind == "eltwise":
            return 0
        if self.ne16_ok:
            return weight_bytes(self.k_out, self.k_in, q, self.mode)  # type: ignore[arg-type]
        params = self.k_out * (self.k_in // self.groups) * self.kernel[0] * self.kernel[1]
        return -(-params * q // 8)

    @property
    def params(self) -> int:
        """Number of weights."""
        if self.kind == "eltwise":
            return 0
        return self.k_out * (self.k_in // self.groups) * self.kernel[0] * self.kernel[1]

    def in_bytes(self) -> int:
        """Input activation bytes (8 bit)."""
        if self.kind == "eltwise":
            return self.elements
        return self.h_in * self.w_in * self.k_in

    def out_bytes(self, out_bits: int = 8) -> int:
        """Output activation bytes."""
        if self.kind == "eltwise":
            return self.elements
        return self.h_out * self.w_out * self.k_out * out_bits // 8


def _bits(b: int, default: int) -> int:
    return b if 2 <= b <= 8 else default


def layer_from_op(op: object, default_bits: int = 8) -> Layer:
    """Convert a trace op (conv2d, gemm, eltwise) into a :class:`Layer`."""
    if isinstance(op, Conv2dOp):
        return _conv_layer(op, default_bits)
    if isinstance(op, GemmOp):
        return Layer(name=op.name, kind="gemm", mode="linear", k_in=op.k, k_out=op.n, h_in=op.m,
                     w_in=1, h_out=op.m, w_out=1, kernel=(1, 1), stride=1, padding=0, groups=1,
                     qw=_bits(op.b_bits, default_bits), macs=op.shape.macs)
    if isinstance(op, EltwiseOp):
        return Layer(name=op.name, kind="eltwise", mode="eltwise", k_in=1, k_out=1, h_in=1,
                     w_in=1, h_out=1, w_out=1, kernel=(1, 1), stride=1, padding=0, groups=1,
                     qw=8, macs=0, elements=op.elements)
    name = getattr(op, "name", "?")
    kind = getattr(op, "kind", "?")
    raise UnsupportedOpError(f"op {name!r} of kind {kind!r} is not supported by family gap9",
                             accepted=", ".join(SUPPORTED_KINDS))


def _conv_layer(op: Conv2dOp, default_bits: int) -> Layer:
    if op.batch != 1:
        raise SimError(f"op {op.name!r}: gap9 runs batch 1 only, got batch {op.batch}",
                       accepted="1")
    if op.in_ch % op.groups or op.out_ch % op.groups:
        raise SimError(f"op {op.name!r}: groups {op.groups} must divide in_ch and out_ch")
    h_out = conv_output_size(op.in_h, op.kernel_h, op.stride, op.padding)
    w_out = conv_output_size(op.in_w, op.kernel_w, op.stride, op.padding)
    if h_out < 1 or w_out < 1:
        raise SimError(f"op {op.name!r}: kernel larger than the padded input")
    ksq = (op.kernel_h, op.kernel_w)
    dw = op.groups > 1 and op.groups == op.in_ch == op.out_ch
    mode = ""
    if ksq == (3, 3) and op.groups == 1:
        mode = "3x3"
    elif ksq == (1, 1) and op.groups == 1:
        mode = "1x1"
    elif ksq == (3, 3) and dw:
        mode = "dw"
    macs = h_out * w_out * op.out_ch * (op.in_ch // op.groups) * op.kernel_h * op.kernel_w
    return Layer(name=op.name, kind="conv2d", mode=mode, k_in=op.in_ch, k_out=op.out_ch,
                 h_in=op.in_h, w_in=op.in_w, h_out=h_out, w_out=w_out, kernel=ksq,
                 stride=op.stride, padding=op.padding, groups=op.groups,
                 qw=_bits(op.b_bits, default_bits), macs=macs)
