"""Building traces op by op: unique names, default bit-widths, data-flow dependencies."""

from __future__ import annotations

import math
from typing import Any

from sim.core.errors import SimError
from sim.workload.trace import Trace, TraceProvenance

MAC_KINDS = ("gemm", "gemv", "conv2d", "attention")


class OpList:
    """Collects op mappings with unique names; ``last`` names the most recent op."""

    def __init__(self, bits: int) -> None:
        self.ops: list[dict[str, Any]] = []
        self.bits = bits
        self.last: list[str] = []
        self._names: set[str] = set()

    def unique(self, name: str) -> str:
        """``name``, or ``name#2``, ``name#3``, ... when it is taken (modules called twice)."""
        candidate, n = name, 1
        while candidate in self._names:
            n += 1
            candidate = f"{name}#{n}"
        return candidate

    def add(self, name: str, kind: str, deps: list[str] | None = None, **fields: Any) -> str:
        """Append an op (bit-widths default to the list's ``bits``); returns its name."""
        op: dict[str, Any] = {"name": name, "kind": kind,
                              "deps": list(self.last if deps is None else deps), **fields}
        if kind in MAC_KINDS:
            op.setdefault("a_bits", self.bits)
            op.setdefault("b_bits", self.bits)
        elif kind == "eltwise":
            op.setdefault("a_bits", self.bits)
        self.ops.append(op)
        self._names.add(name)
        self.last = [name]
        return name


def make_trace(name: str, ops: OpList, source: str, method: str, seed: int | None,
               details: dict[str, str | int | float]) -> Trace:
    """Validate the collected ops into a Trace."""
    return Trace.model_validate({
        "version": 1, "name": name, "ops": ops.ops,
        "provenance": TraceProvenance(source=source, method=method, seed=seed,
                                      details=details).model_dump()})


Shape = tuple[int, ...]
MAX_BATCHED_GEMMS = 4096


def matmul_ops(ops: OpList, name: str, a: Shape, b: Shape, deps: list[str]) -> list[str]:
    """``a @ b`` with numpy broadcasting: one GEMM (or GEMV) per distinct batch element.

    A 2-D (or 1-D) right operand is shared, so the left operand's batch folds into M.
    """
    if len(a) == 0 or len(b) == 0:
        raise SimError(f"op {name!r}: matmul of a scalar has no GEMM form")
    if len(b) == 1:
        return [ops.add(ops.unique(name), "gemv", deps=deps, n=math.prod(a[:-1]) or 1,
                        k=a[-1], batch=1)]
    if len(a) == 1:
        return [ops.add(ops.unique(name), "gemv", deps=deps, n=b[-1], k=a[0],
                        batch=math.prod(b[:-2]) or 1)]
    m, k, n = math.prod(a[:-1]), a[-1], b[-1]
    if len(b) == 2:
        return [ops.add(ops.unique(name), "gemm", deps=deps, m=m, n=n, k=k)]
    batch = math.prod(_broadcast(a[:-2], b[:-2], name))
    if batch > MAX_BATCHED_GEMMS:
        raise SimError(f"op {name!r}: batched matmul of {batch} GEMMs is too large to list",
                       accepted=f"at most {MAX_BATCHED_GEMMS}")
    base = ops.unique(name)
    return [ops.add(f"{base}.{i}" if batch > 1 else base, "gemm", deps=deps, m=a[-2], n=n, k=k)
            for i in range(batch)]


def _broadcast(a: Shape, b: Shape, name: str) -> Shape:
    """Broadcast batch shapes like numpy."""
    out = []
    for x, y in zip(((1,) * (len(b) - len(a)) + a), ((1,) * (len(a) - len(b)) + b), strict=True):
        if x != y and 1 not in (x, y):
            raise SimError(f"op {name!r}: batch shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(out)


def conv_op(ops: OpList, name: str, x: Shape, w: Shape, stride: Shape, pads: Shape,
            dilation: Shape, groups: int, deps: list[str]) -> str:
    """A 1-D or 2-D convolution as a ``conv2d`` op (NCHW; 1-D as height 1).

    ``pads`` is (begin..., end...) per spatial axis, as in ONNX. Unequal padding is folded into the
    input size with ``padding: 0``, which keeps the output size and the MAC count exact.
    """
    spatial = len(w) - 2
    if spatial not in (1, 2) or len(x) not in (spatial + 1, spatial + 2):
        raise SimError(f"op {name!r}: only 1-D and 2-D convolutions are supported "
                       f"(input {x}, weight {w})")
    if any(d != 1 for d in dilation):
        raise SimError(f"op {name!r}: dilated convolution (dilation {tuple(dilation)}) has no "
                       "conv2d form", accepted="dilation 1")
    batch = x[0] if len(x) == spatial + 2 else 1
    size, kernel = list(x[-spatial:]), list(w[2:])
    strides, begin, end = list(stride), list(pads[:spatial]), list(pads[spatial:])
    if spatial == 1:
        size, kernel, strides, begin, end = [1, *size], [1, *kernel], [1, *strides], \
            [0, *begin], [0, *end]
    if spatial == 2 and strides[0] != strides[1]:
        raise SimError(f"op {name!r}: unequal strides {tuple(strides)} have no conv2d form",
                       accepted="equal strides")
    stride_ = strides[-1]
    padding = begin[0] if len(set(begin + end)) == 1 else 0
    if padding == 0:
        size = [s + b + e for s, b, e in zip(size, begin, end, strict=True)]
    return ops.add(ops.unique(name), "conv2d", deps=deps, batch=batch, in_ch=x[-spatial - 1],
                   out_ch=w[0], in_h=size[0], in_w=size[1], kernel_h=kernel[0],
                   kernel_w=kernel[1], stride=stride_, padding=padding, groups=groups)


def recurrent_ops(ops: OpList, name: str, steps: int, batch: int, inputs: int, hidden: int,
                  gates: int, directions: int, deps: list[str]) -> list[str]:
    """An LSTM (4 gates) or GRU (3 gates) layer: one input GEMM over all steps per direction,
    then one GEMV per time step (the recurrent h -> gates product), in sequence."""
    outs: list[str] = []
    for d in range(directions):
        pre = ops.unique(f"{name}.{'rev' if d else 'fwd'}")
        ops.add(pre + ".input", "gemm", deps=deps, m=steps * batch, n=gates * hidden, k=inputs)
        for t in range(steps):
            ops.add(f"{pre}.step{t}", "gemv", n=gates * hidden, k=hidden, batch=batch)
        outs += ops.last
    ops.last = outs
    return outs
