"""Generators for published architectures whose weights we do not ship (shapes only).

``transformer``: prefill or batched decode of a transformer config (GPT-3, LLaMA-2, OPT, BERT,
MiniLM); decode context lengths come from a fixed value, a seeded ShareGPT-/Alpaca-like
distribution (:mod:`sim.workload.serving`) or a request-log CSV. ``cnn``: the conv layers (and the
classifier / recurrent GEMMs) of ResNet, MobileNetV2 and CRNN configs. Only MAC-bearing ops are
emitted unless ``eltwise: true``; tensor-parallel splits (``tp``) divide heads and FFN widths.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import Field

from sim.core.errors import SimError
from sim.spec.base import Bits, Count, Dim, Layers, StrictModel
from sim.spec.inputs import check_op_count
from sim.workload.builder import OpList, make_trace
from sim.workload.generators import Generator
from sim.workload.lowering import conv_output_size
from sim.workload.model_configs import (
    CrnnConfig,
    MobileNetV2Config,
    ResNetConfig,
    TransformerConfig,
    load_model_config,
)
from sim.workload.serving import DATASETS, load_request_csv, sample_context_lengths
from sim.workload.trace import Trace


class TransformerParams(StrictModel):
    """Parameters of the ``transformer`` generator."""

    model: str = Field(min_length=1)
    """Config name in ``workloads/models`` (e.g. ``gpt3-13b``) or a YAML path."""
    phase: Literal["prefill", "decode"] = "decode"
    batch: Count = 1
    seq_len: Dim = 128
    """Prefill: tokens per request."""
    requests: str | None = None
    """Decode: ``sharegpt``/``alpaca`` (seeded draw) or a request-log CSV path."""
    context: Dim | None = None
    """Decode: one context length for every request (instead of ``requests``)."""
    layers: Layers | None = None
    """Layers to emit (default: all of the config's)."""
    tp: Count = 1
    """Tensor-parallel degree: heads and FFN width per device = total / tp."""
    bits: Bits = 16
    lm_head: bool = False
    eltwise: bool = False
    """Also emit the element-wise ops (norms, softmax, activation, residual adds)."""


def decode_lengths(params: TransformerParams, seed: int) -> tuple[list[int], str]:
    """Per-request context lengths of a decode batch and a description of where they came from."""
    if params.context is not None:
        return [params.context] * params.batch, f"fixed context {params.context}"
    if params.requests is None:
        raise SimError("decode needs 'requests' (a distribution or CSV) or 'context'",
                       accepted=", ".join(sorted(DATASETS)) + ", path/to/requests.csv")
    if params.requests in DATASETS:
        lengths = sample_context_lengths(params.requests, params.batch, seed)
        return lengths, f"{params.requests}-like lengths, batch {params.batch}, seed {seed}"
    rows = load_request_csv(Path(params.requests))
    return [r[0] for r in rows], f"request log {Path(params.requests).name} ({len(rows)} requests)"


def _split(total: int, tp: int, what: str) -> int:
    """``total / tp``; a SimError when it does not divide."""
    if total % tp:
        raise SimError(f"tp {tp} does not divide {what} {total}")
    return total // tp


def transformer_layer(ops: OpList, cfg: TransformerConfig, p: TransformerParams, layer: int,
                      tokens: int, attn: list[tuple[int, int, int]]) -> None:
    """One layer; ``attn`` rows are (batch, q_len, kv_len) groups of requests."""
    heads, kv_heads = _split(cfg.heads, p.tp, "heads"), max(1, cfg.kv_heads // p.tp)
    ffn, d, hd, pre = _split(cfg.ffn, p.tp, "ffn"), cfg.d_model, cfg.head_dim, f"l{layer}."
    if p.eltwise:
        ops.add(pre + "norm1", "eltwise", elements=tokens * d, function="layernorm")
    ops.add(pre + "qkv", "gemm", m=tokens, n=(heads + 2 * kv_heads) * hd, k=d)
    qkv, names = ops.last, []
    for batch, q_len, kv_len in attn:
        suffix = f".kv{kv_len}" if len(attn) > 1 else ""
        names.append(ops.add(pre + "attn" + suffix, "attention", deps=qkv, batch=batch,
                             heads=heads, q_len=q_len, kv_len=kv_len, head_dim=hd))
    ops.last = names
    ops.add(pre + "out_proj", "gemm", m=tokens, n=d, k=heads * hd)
    if p.eltwise:
        ops.add(pre + "residual1", "eltwise", elements=tokens * d, function="add")
        ops.add(pre + "norm2", "eltwise", elements=tokens * d, function="layernorm")
    up = 2 * ffn if cfg.ffn_kind == "swiglu" else ffn
    ops.add(pre + ("ffn_gate_up" if cfg.ffn_kind == "swiglu" else "ffn_up"), "gemm",
            m=tokens, n=up, k=d)
    if p.eltwise:
        ops.add(pre + "act", "eltwise", elements=tokens * ffn,
                function="silu_mul" if cfg.ffn_kind == "swiglu" else cfg.ffn_kind)
    ops.add(pre + "ffn_down", "gemm", m=tokens, n=d, k=ffn)
    if p.eltwise:
        ops.add(pre + "residual2", "eltwise", elements=tokens * d, function="add")


def build_transformer(p: TransformerParams, seed: int) -> Trace:
    """Trace of a transformer config in prefill or decode."""
    cfg = load_model_config(p.model)
    if not isinstance(cfg, TransformerConfig):
        raise SimError(f"model {p.model!r} is a {cfg.arch}, not a transformer",
                       accepted="a transformer config (gpt3-*, llama2-*, opt-*, bert-base, ...)")
    if p.phase == "decode" and not cfg.decoder:
        raise SimError(f"model {cfg.name!r} is an encoder; it has no decode phase",
                       accepted="phase: prefill")
    if p.phase == "prefill":
        tokens, attn = p.batch * p.seq_len, [(p.batch, p.seq_len, p.seq_len)]
        what = f"prefill, batch {p.batch}, {p.seq_len} tokens"
    else:
        lengths, what = decode_lengths(p, seed)
        tokens = len(lengths)
        attn = [(count, 1, length) for length, count in sorted(Counter(lengths).items())]
    ops = OpList(p.bits)
    layers = p.layers or cfg.layers
    for layer in range(layers):
        transformer_layer(ops, cfg, p, layer, tokens, attn)
        if layer == 0:
            check_op_count(len(ops.ops), layers, "generator 'transformer'")
    if p.lm_head:
        rows = p.batch if p.phase == "prefill" else tokens
        ops.add("lm_head", "gemm", m=rows, n=_split(cfg.vocab, p.tp, "vocab"), k=cfg.d_model)
    details: dict[str, str | int | float] = {
        "model": cfg.name, "phase": p.phase, "requests": what, "layers": layers,
        "model_layers": cfg.layers, "tp": p.tp, "bits": p.bits}
    return make_trace(f"{cfg.name} {p.phase} ({what}, {layers} of {cfg.layers} layers, tp {p.tp})",
                      ops, cfg.source, "sim.workload.arch_generators: transformer", seed, details)


class CnnParams(StrictModel):
    """Parameters of the ``cnn`` generator."""

    model: str = Field(min_length=1)
    batch: Count = 1
    bits: Bits = 8
    classifier: bool = True
    """Emit the final fully-connected layer (a GEMM)."""


class Spatial:
    """Tracks the feature map (channels, height, width) while emitting convs."""

    def __init__(self, ops: OpList, batch: int, ch: int, h: int, w: int) -> None:
        self.ops, self.batch, self.ch, self.h, self.w = ops, batch, ch, h, w

    def conv(self, name: str, out_ch: int, kernel: int, stride: int = 1, padding: int = 0,
             groups: int = 1, deps: list[str] | None = None) -> str:
        """Emit a conv on the current map and move to its output."""
        op = self.ops.add(name, "conv2d", deps=deps, batch=self.batch, in_ch=self.ch,
                          out_ch=out_ch, in_h=self.h, in_w=self.w, kernel_h=kernel,
                          kernel_w=kernel, stride=stride, padding=padding, groups=groups)
        self.ch, self.h = out_ch, conv_output_size(self.h, kernel, stride, padding)
        self.w = conv_output_size(self.w, kernel, stride, padding)
        return op


def build_resnet(cfg: ResNetConfig, p: CnnParams, ops: OpList) -> None:
    """Stem, bottleneck stages (projection shortcut in each stage's first block), classifier."""
    s = Spatial(ops, p.batch, cfg.input.channels, cfg.input.height, cfg.input.width)
    s.conv("conv1", cfg.stem.out_ch, cfg.stem.kernel, cfg.stem.stride, cfg.stem.padding)
    s.h = conv_output_size(s.h, cfg.stem.pool_kernel, cfg.stem.pool_stride, cfg.stem.pool_padding)
    s.w = conv_output_size(s.w, cfg.stem.pool_kernel, cfg.stem.pool_stride, cfg.stem.pool_padding)
    for i, stage in enumerate(cfg.stages, start=1):
        for b in range(stage.blocks):
            pre, stride, block_in = f"layer{i}.{b}.", stage.stride if b == 0 else 1, ops.last
            in_map = (s.ch, s.h, s.w)
            s.conv(pre + "conv1", stage.width, 1)
            s.conv(pre + "conv2", stage.width, 3, stride, 1)
            out = [s.conv(pre + "conv3", stage.width * cfg.expansion, 1)]
            if b == 0:
                main = (s.ch, s.h, s.w)
                s.ch, s.h, s.w = in_map
                out.append(s.conv(pre + "downsample", stage.width * cfg.expansion, 1, stride,
                                  deps=block_in))
                s.ch, s.h, s.w = main
            ops.last = out
    if p.classifier:
        ops.add("fc", "gemm", m=p.batch, n=cfg.classes, k=s.ch)


def build_mobilenetv2(cfg: MobileNetV2Config, p: CnnParams, ops: OpList) -> None:
    """Stem, inverted-residual bottlenecks (Table 2 rows t, c, n, s), 1x1 head, classifier."""
    s = Spatial(ops, p.batch, cfg.input.channels, cfg.input.height, cfg.input.width)
    s.conv("stem", cfg.stem.out_ch, cfg.stem.kernel, cfg.stem.stride, cfg.stem.padding)
    block = 0
    for t, c, n, first_stride in cfg.bottlenecks:
        for i in range(n):
            pre, block_in, in_ch = f"block{block}.", ops.last, s.ch
            if t != 1:
                s.conv(pre + "expand", in_ch * t, 1)
            s.conv(pre + "depthwise", s.ch, 3, first_stride if i == 0 else 1, 1, groups=s.ch)
            project = s.conv(pre + "project", c, 1)
            residual = i > 0 and in_ch == c
            ops.last = [project, *block_in] if residual else [project]
            block += 1
    s.conv("head", cfg.head_ch, 1)
    if p.classifier:
        ops.add("fc", "gemm", m=p.batch, n=cfg.classes, k=s.ch)


def build_crnn(cfg: CrnnConfig, p: CnnParams, ops: OpList) -> None:
    """Same-padded convs with frequency pooling, recurrent layers over time, per-frame output."""
    s = Spatial(ops, p.batch, cfg.input.channels, cfg.input.height, cfg.input.width)
    for i, conv in enumerate(cfg.convs):
        s.conv(f"conv{i}", conv.out_ch, conv.kernel, 1, conv.kernel // 2)
        s.h //= conv.pool_h
    steps, features = s.w, s.ch * s.h
    gates = 3 if cfg.rnn.cell == "gru" else 4
    directions = 2 if cfg.rnn.bidirectional else 1
    for layer in range(cfg.rnn.layers):
        layer_in, outs = ops.last, []
        for d in range(directions):
            pre = f"rnn{layer}.{'rev' if d else 'fwd'}."
            ops.add(pre + "input", "gemm", deps=layer_in, m=p.batch * steps,
                    n=gates * cfg.rnn.hidden, k=features)
            for t in range(steps):
                ops.add(pre + f"step{t}", "gemv", n=gates * cfg.rnn.hidden, k=cfg.rnn.hidden,
                        batch=p.batch)
            outs += ops.last
        ops.last, features = outs, directions * cfg.rnn.hidden
    if p.classifier:
        ops.add("fc", "gemm", m=p.batch * steps, n=cfg.classes, k=features)


def build_cnn(p: CnnParams, seed: int) -> Trace:
    """Trace of a ResNet, MobileNetV2 or CRNN config (seed unused: no randomness)."""
    cfg = load_model_config(p.model)
    ops = OpList(p.bits)
    if isinstance(cfg, ResNetConfig):
        build_resnet(cfg, p, ops)
    elif isinstance(cfg, MobileNetV2Config):
        build_mobilenetv2(cfg, p, ops)
    elif isinstance(cfg, CrnnConfig):
        build_crnn(cfg, p, ops)
    else:
        raise SimError(f"model {p.model!r} is a {cfg.arch}, not a CNN",
                       accepted="resnet, mobilenetv2 or crnn configs")
    details: dict[str, str | int | float] = {"model": cfg.name, "batch": p.batch, "bits": p.bits}
    return make_trace(f"{cfg.name} conv layers, batch {p.batch}", ops, cfg.source,
                      "sim.workload.arch_generators: cnn", None, details)


TRANSFORMER = Generator("transformer", TransformerParams, build_transformer,
                        path_fields=frozenset({"requests"}))
CNN = Generator("cnn", CnnParams, build_cnn)
