"""PyTorch module -> trace, by running a real forward pass (imports torch: the ``models`` extra).

Every torch function call of the forward pass is seen through a ``TorchFunctionMode``; module
forward hooks keep a stack of qualified module names so each op is named after the module that made
it (``encoder.layer.0.attention.self.query``). MAC-bearing calls become ops:

=============================================  ====================================================
torch call                                     op
=============================================  ====================================================
``linear``                                     ``gemm`` (m = all leading dims, n = out, k = in)
``matmul``/``mm``/``bmm``/``@``                ``gemm`` per batch element (``gemv`` for vectors)
``conv1d``/``conv2d``                          ``conv2d`` (1-D as height 1)
``scaled_dot_product_attention``               ``attention`` (batch, heads, q_len, kv_len, head_dim)
=============================================  ====================================================

Other MAC-bearing calls (``lstm``, ``gru``, ``einsum``, ``conv3d``, transposed convs, ...) are a
SimError naming the call and module, never skipped. Dependencies follow the data: each tensor
carries the set of ops it was computed from, through every non-MAC call (adds, norms, views).

With ``int8`` selecting some ``linear`` ops, their operands are quantised by the recipe of
:mod:`sim.workload.quantize` (input per tensor, weight per output channel) and returned as arrays
``<op>.a`` (M, K) int8, ``<op>.b`` (K, N) int8, ``<op>.a_scale`` (), ``<op>.b_scale`` (N,),
``<op>.bias`` (N,) float32, named in the op's ``tensors``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

from sim.core.errors import SimError
from sim.workload.builder import OpList, conv_op, matmul_ops
from sim.workload.quantize import int8_linear, quantise_per_channel, quantise_per_tensor, sqnr_db

MATMULS = ("matmul", "mm", "bmm", "__matmul__", "__rmatmul__")
UNSUPPORTED = ("lstm", "gru", "rnn_tanh", "rnn_relu", "einsum", "conv3d", "conv_transpose1d",
               "conv_transpose2d", "conv_transpose3d", "baddbmm", "addbmm", "addmm", "addmv",
               "mv", "bilinear", "multi_head_attention_forward", "convolution", "_convolution")


@dataclass
class QuantisedLayer:
    """The float reference of one quantised linear op and its int8 SQNR."""

    op: str
    module: str
    output: np.ndarray
    sqnr_db: float


@dataclass
class Extraction:
    """What a forward pass produced: ops, int8 arrays for selected ops, their float references."""

    ops: OpList
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    quantised: list[QuantisedLayer] = field(default_factory=list)


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, key: str,
         default: Any) -> Any:
    """Positional-or-keyword argument of a torch call."""
    if len(args) > index:
        return args[index]
    return kwargs.get(key, default)


def _pair(value: Any, n: int) -> tuple[int, ...]:
    """An int or sequence as an n-tuple of ints."""
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


class Recorder(TorchFunctionMode):
    """Records MAC-bearing torch calls as trace ops, with data-flow dependencies."""

    def __init__(self, ops: OpList, int8: Callable[[str], bool] | None) -> None:
        super().__init__()
        self.ops = ops
        self.int8 = int8
        self.extraction = Extraction(ops)
        self.modules: list[str] = []
        self.origin: dict[int, tuple[frozenset[str], Any]] = {}

    def enter_hook(self, qualified: str) -> Callable[..., None]:
        """Forward pre-hook that pushes a module's qualified name."""

        def hook(_module: Any, _args: Any) -> None:
            self.modules.append(qualified)

        return hook

    def exit_hook(self, _module: Any, _args: Any, _output: Any) -> None:
        """Forward hook that pops the module name (returns None: the output is unchanged)."""
        self.modules.pop()

    def where(self, func_name: str) -> str:
        """Name for an op made by ``func_name`` in the current module."""
        module = self.modules[-1] if self.modules else ""
        if func_name in ("linear", "conv1d", "conv2d") and module:
            return module  # the layer module itself (nn.Linear, nn.Conv2d, ...)
        return ".".join(p for p in (module, func_name.strip("_")) if p)

    def deps_of(self, values: list[Any]) -> list[str]:
        """Ops that the tensors in ``values`` were computed from (sorted by first appearance)."""
        names: set[str] = set()
        for value in values:
            if isinstance(value, torch.Tensor) and id(value) in self.origin:
                names |= self.origin[id(value)][0]
        order = {op["name"]: i for i, op in enumerate(self.ops.ops)}
        return sorted(names, key=lambda n: order.get(n, -1))

    def mark(self, result: Any, origin: frozenset[str]) -> None:
        """Remember which ops the output tensors of a call came from."""
        if not origin:
            return
        for value in tree_flatten(result)[0]:
            if isinstance(value, torch.Tensor):
                self.origin[id(value)] = (origin, value)

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in UNSUPPORTED:
            raise SimError(f"torch call {name!r} in module {self.where('')!r} is not supported "
                           "by the extractor", accepted="linear, matmul, conv1d, conv2d, "
                           "scaled_dot_product_attention")
        inputs = tree_flatten((args, kwargs))[0]
        deps = self.deps_of(inputs)
        result = func(*args, **kwargs)
        made = self.record(name, args, kwargs, deps, result)
        self.mark(result, frozenset(made) if made is not None else frozenset(deps))
        return result

    def record(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], deps: list[str],
               result: Any) -> list[str] | None:
        """Add the op(s) of a MAC-bearing call; None for other calls."""
        if name == "linear":
            return [self.linear(args, kwargs, deps, result)]
        if name in MATMULS:
            a, b = args[0], args[1]
            return matmul_ops(self.ops, self.where("matmul"), tuple(a.shape), tuple(b.shape),
                              deps)
        if name in ("conv1d", "conv2d"):
            return [self.conv(name, args, kwargs, deps)]
        if name == "scaled_dot_product_attention":
            q, k = args[0], args[1]
            return [self.ops.add(self.ops.unique(self.where("sdpa")), "attention", deps=deps,
                                 batch=math.prod(q.shape[:-3]) or 1, heads=q.shape[-3],
                                 q_len=q.shape[-2], kv_len=k.shape[-2], head_dim=q.shape[-1])]
        return None

    def linear(self, args: tuple[Any, ...], kwargs: dict[str, Any], deps: list[str],
               result: Any) -> str:
        """A linear layer as a GEMM; quantised operands when selected."""
        x, weight = args[0], args[1]
        bias = _arg(args, kwargs, 2, "bias", None)
        op = self.ops.unique(self.where("linear"))
        m, (n, k) = math.prod(x.shape[:-1]), tuple(weight.shape)
        tensors: dict[str, str] = {}
        if self.int8 is not None and self.int8(op):
            tensors = self.quantise(op, x, weight, bias, result)
        return self.ops.add(op, "gemm", deps=deps, m=m, n=n, k=k, tensors=tensors)

    def quantise(self, op: str, x: Any, weight: Any, bias: Any, result: Any) -> dict[str, str]:
        """int8 operands of one linear op; records its float output and SQNR."""
        xf = x.detach().reshape(-1, x.shape[-1]).double().numpy()
        wf = weight.detach().double().numpy()
        qx, qw = quantise_per_tensor(xf), quantise_per_channel(wf)
        bf = None if bias is None else bias.detach().float().numpy()
        ref = result.detach().reshape(-1, weight.shape[0]).float().numpy()
        sqnr = sqnr_db(ref, int8_linear(qx, qw, bf))
        arrays: dict[str, np.ndarray] = {"a": qx.values, "b": np.ascontiguousarray(qw.values.T),
                  "a_scale": qx.scale, "b_scale": qw.scale}
        if bf is not None:
            arrays["bias"] = bf.astype(np.float32)
        names = {role: f"{op}.{role}" for role in arrays}
        self.extraction.arrays.update({names[r]: v for r, v in arrays.items()})
        module = self.modules[-1] if self.modules else ""
        self.extraction.quantised.append(QuantisedLayer(op, module, ref, sqnr))
        return names

    def conv(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
             deps: list[str]) -> str:
        """conv1d/conv2d as a conv2d op."""
        x, weight = args[0], args[1]
        spatial = weight.dim() - 2
        padding = _arg(args, kwargs, 4, "padding", 0)
        if isinstance(padding, str):
            raise SimError(f"torch call {name!r} in module {self.where('')!r}: padding "
                           f"{padding!r} is not supported by the extractor",
                           accepted="integer padding")
        pads = _pair(padding, spatial)
        return conv_op(self.ops, self.where(name), tuple(x.shape), tuple(weight.shape),
                       _pair(_arg(args, kwargs, 3, "stride", 1), spatial), pads + pads,
                       _pair(_arg(args, kwargs, 5, "dilation", 1), spatial),
                       int(_arg(args, kwargs, 6, "groups", 1)), deps)


def extract(module: Any, call: Callable[[Any], Any], bits: int = 8,
            int8: Callable[[str], bool] | None = None) -> Extraction:
    """Run ``call(module)`` under the recorder (no grad, one thread, deterministic)."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    ops = OpList(bits)
    recorder = Recorder(ops, int8)
    handles = []
    for qualified, sub in module.named_modules():
        handles.append(sub.register_forward_pre_hook(recorder.enter_hook(qualified)))
        handles.append(sub.register_forward_hook(recorder.exit_hook))
    try:
        with torch.no_grad(), recorder:
            call(module)
    finally:
        for handle in handles:
            handle.remove()
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    if not ops.ops:
        raise SimError("the forward pass made no linear, matmul, conv or attention calls")
    return recorder.extraction
