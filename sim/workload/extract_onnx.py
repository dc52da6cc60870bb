"""ONNX graph -> trace, by shape inference with the ``onnx`` package (no onnxruntime).

Imports onnx (the ``models`` extra); callers check with :func:`sim.workload.extras.require`.

Symbolic input dimensions are fixed first (``dims``: name -> size, e.g. ``sequence_length=32``),
then ``onnx.shape_inference`` (with data propagation) gives every tensor's shape. MAC-bearing
nodes become ops:

========================  =========================================================================
ONNX node                 op
========================  =========================================================================
``Conv`` (1-D, 2-D)       ``conv2d`` (1-D as height 1; unequal pads folded into the input size)
``MatMul``, ``Gemm``      ``gemm`` (per batch element for batched operands; ``gemv`` for vectors)
``LSTM``, ``GRU``         per direction: one input ``gemm`` over all steps, then one recurrent
                          ``gemv`` per step (4 or 3 gates)
========================  =========================================================================

Control flow (``If``, ``Loop``, ``Scan``) and other MAC-bearing nodes (``ConvTranspose``,
``Einsum``, ``RNN``, ...) are a SimError naming the node; nothing is skipped silently. Dependencies
follow the data through every non-MAC node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference
from onnx.reference import ReferenceEvaluator

from sim.core.errors import Location, SimError
from sim.workload.builder import OpList, conv_op, matmul_ops, recurrent_ops

UNSUPPORTED = ("If", "Loop", "Scan", "ConvTranspose", "ConvInteger", "MatMulInteger", "QLinearConv",
               "QLinearMatMul", "Einsum", "RNN", "Attention", "MultiHeadAttention")
Shape = tuple[int, ...]
MAC_NODES = ("Conv", "MatMul", "Gemm", "LSTM", "GRU")
FOLD_LIMIT = 4096
"""Largest constant (elements) that folding materialises; shape arithmetic is far smaller."""


def load_model(path: Path) -> Any:
    """Read an ONNX file; unreadable or invalid files are a SimError."""
    try:
        return onnx.load(str(path))
    except FileNotFoundError:
        raise SimError("ONNX file not found", Location(path)) from None
    except Exception as exc:  # onnx raises DecodeError and others for corrupt files
        raise SimError(f"not a valid ONNX file ({type(exc).__name__})", Location(path)) from None


def fix_dims(model: Any, dims: dict[str, int], path: Path) -> None:
    """Replace symbolic graph-input dimensions by the sizes in ``dims``."""
    initializers = {t.name for t in model.graph.initializer}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        for i, dim in enumerate(value.type.tensor_type.shape.dim):
            if dim.HasField("dim_value"):
                continue
            label = dim.dim_param or f"{value.name}[{i}]"
            if label not in dims:
                raise SimError(f"input {value.name!r} dimension {label!r} is symbolic; give its "
                               f"size (--dim {label}=N)", Location(path))
            dim.Clear()
            dim.dim_value = dims[label]


def shapes_of(model: Any, path: Path) -> dict[str, Shape]:
    """Every tensor's shape after shape inference (only fully known shapes are kept)."""
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception as exc:  # onnx raises InferenceError, ValidationError, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SimError(f"ONNX shape inference failed: {first}", Location(path)) from None
    shapes: dict[str, Shape] = {}
    graph = inferred.graph
    for value in [*graph.input, *graph.value_info, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        if value.type.tensor_type.HasField("shape") and all(d.HasField("dim_value")
                                                            for d in dims):
            shapes[value.name] = tuple(int(d.dim_value) for d in dims)
    for tensor in graph.initializer:
        shapes[tensor.name] = tuple(int(d) for d in tensor.dims)
    return shapes


def fold_constants(model: Any, shapes: dict[str, Shape]) -> bool:
    """Evaluate small constant sub-graphs (pads, shapes, axes) with onnx's reference evaluator.

    Folded nodes are removed and their outputs become initializers, so that a second shape
    inference sees them as constants. Returns whether anything was folded.
    """
    graph = model.graph
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer
              if int(np.prod(t.dims)) <= FOLD_LIMIT}
    keep, folded = [], False
    for node in graph.node:
        outputs = fold_node(node, values, shapes)
        if outputs is None:
            keep.append(node)
            continue
        for name, value in zip(node.output, outputs, strict=False):
            values[name] = value
            graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
        folded = True
    if folded:
        del graph.node[:]
        graph.node.extend(keep)
    return folded


def fold_node(node: Any, values: dict[str, np.ndarray], shapes: dict[str, Shape]) -> Any:
    """Output values of a node whose inputs are all small constants; None if it cannot fold."""
    if node.op_type in MAC_NODES or node.op_type in UNSUPPORTED:
        return None
    if node.op_type == "Shape" and node.input[0] in shapes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        dims = shapes[node.input[0]][attrs.get("start", 0):attrs.get("end")]
        return [np.array(dims, dtype=np.int64)]
    inputs = [name for name in node.input if name]
    if node.op_type != "Constant" and not all(name in values for name in inputs):
        return None
    try:
        outputs = ReferenceEvaluator(node).run(None, {name: values[name] for name in inputs})
    except Exception:  # an op the reference evaluator cannot run: leave it to shape inference
        return None
    if any(np.asarray(v).size > FOLD_LIMIT for v in outputs):
        return None
    return outputs


class Walker:
    """Turns the nodes of one graph into ops, tracking data-flow dependencies."""

    def __init__(self, ops: OpList, shapes: dict[str, Shape], path: Path) -> None:
        self.ops, self.shapes, self.path = ops, shapes, path
        self.origin: dict[str, list[str]] = {}

    def shape(self, node: Any, tensor: str) -> Shape:
        """A tensor's inferred shape; unknown shapes are a SimError naming the node."""
        if tensor not in self.shapes:
            raise SimError(f"node {node.name or node.op_type!r} ({node.op_type}): shape of "
                           f"{tensor!r} is unknown after shape inference (fix more --dim sizes)",
                           Location(self.path))
        return self.shapes[tensor]

    def node(self, node: Any) -> None:
        """Emit the ops of one node and propagate dependencies to its outputs."""
        deps = sorted({d for name in node.input if name for d in self.origin.get(name, [])},
                      key=self.order)
        if node.op_type in UNSUPPORTED:
            raise SimError(f"ONNX node {node.name or node.op_type!r} of type {node.op_type} is "
                           "not supported by the extractor", Location(self.path),
                           accepted="Conv, MatMul, Gemm, LSTM, GRU and non-MAC nodes")
        made = self.mac_ops(node, deps)
        for name in node.output:
            if name:
                self.origin[name] = made if made is not None else deps

    def order(self, name: str) -> int:
        """Position of an op in the list (for stable dependency order)."""
        return next((i for i, op in enumerate(self.ops.ops) if op["name"] == name), -1)

    def mac_ops(self, node: Any, deps: list[str]) -> list[str] | None:
        """Ops for a MAC-bearing node; None for other nodes."""
        name = (node.name or node.op_type).strip("/").replace("/", ".")
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Conv":
            x, w = self.shape(node, node.input[0]), self.shape(node, node.input[1])
            spatial = len(w) - 2
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise SimError(f"node {name!r}: auto_pad is not supported by the extractor",
                               Location(self.path), accepted="explicit pads")
            return [conv_op(self.ops, name, x, w, tuple(attrs.get("strides", [1] * spatial)),
                            tuple(attrs.get("pads", [0] * 2 * spatial)),
                            tuple(attrs.get("dilations", [1] * spatial)),
                            int(attrs.get("group", 1)), deps)]
        if node.op_type == "MatMul":
            return matmul_ops(self.ops, name, self.shape(node, node.input[0]),
                              self.shape(node, node.input[1]), deps)
        if node.op_type == "Gemm":
            a, b = self.shape(node, node.input[0]), self.shape(node, node.input[1])
            m, k = (a[1], a[0]) if attrs.get("transA", 0) else a
            n = b[0] if attrs.get("transB", 0) else b[1]
            return [self.ops.add(self.ops.unique(name), "gemm", deps=deps, m=m, n=n, k=k)]
        if node.op_type in ("LSTM", "GRU"):
            return self.recurrent(node, name, attrs, deps)
        return None

    def recurrent(self, node: Any, name: str, attrs: dict[str, Any], deps: list[str]) -> list[str]:
        """LSTM/GRU: X is (seq, batch, input) (layout 0) or (batch, seq, input) (layout 1)."""
        x, w = self.shape(node, node.input[0]), self.shape(node, node.input[1])
        steps, batch = (x[1], x[0]) if attrs.get("layout", 0) else (x[0], x[1])
        gates = 4 if node.op_type == "LSTM" else 3
        return recurrent_ops(self.ops, name, steps, batch, x[2], int(attrs["hidden_size"]),
                             gates, w[0], deps)


def extract_onnx(path: Path, dims: dict[str, int], bits: int = 8) -> OpList:
    """Ops of an ONNX graph with the given input dimension sizes."""
    model = load_model(path)
    fix_dims(model, dims, path)
    shapes = shapes_of(model, path)
    for _ in range(8):
        if not fold_constants(model, shapes):
            break
        shapes = shapes_of(model, path)
    walker = Walker(OpList(bits), shapes, path)
    for node in model.graph.node:
        walker.node(node)
    if not walker.ops.ops:
        raise SimError("the graph has no Conv, MatMul, Gemm, LSTM or GRU nodes", Location(path))
    return walker.ops
