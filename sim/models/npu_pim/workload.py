"""``llm_decode``: one decode iteration of a batched LLM (GPT-3 / LLaMA-2), per device.

The trace holds every decoder layer of the model for one device of a TP x PP group: GEMM
shapes are the per-device slices (tensor parallelism splits heads and FFN columns), and the
whole batch's attention is one ``attention`` op per request (q_len 1, kv_len = that request's
context). Context lengths are drawn (seeded) from ShareGPT-like or Alpaca-like log-normal fits
of the reference statistics, or read from a CSV with a ``seq_len`` column.

Op order per layer (names ``L<layer>.<stage>``): ln1, qkv, attn.r<i> (one per request),
proj, res1, ln2, ffn1, act, ffn2, res2. Ops run in trace order; a model may split the batch
into sub-batches (GEMMs by rows, attention by request).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.spec.base import Bits, Count, Layers, StrictModel
from sim.spec.inputs import CSV_MAX_BYTES, check_op_count, read_text_limited
from sim.workload.generators import Generator
from sim.workload.trace import AttentionOp, EltwiseOp, GemmOp, Op, Trace, TraceProvenance

MAX_SEQ = 2048


@dataclass(frozen=True)
class LlmShape:
    """Decoder shape: hidden size, heads, layers, FFN width, FFN style, default TP / PP."""

    d_model: int
    heads: int
    layers: int
    ffn: int
    gated_ffn: bool
    tp: int
    pp: int
    head_dim: int = 128


MODELS: dict[str, LlmShape] = {
    # GPT-3 family (reference section 7): FFN = 4 d_model, GELU, TP/PP as in NeuPIMs.
    "gpt3-7b": LlmShape(4096, 32, 32, 4 * 4096, False, 4, 1),
    "gpt3-13b": LlmShape(5120, 40, 40, 4 * 5120, False, 4, 1),
    "gpt3-30b": LlmShape(7168, 56, 48, 4 * 7168, False, 4, 2),
    "gpt3-175b": LlmShape(12288, 96, 96, 4 * 12288, False, 8, 4),
    # LLaMA-2 (Touvron et al. 2023): SwiGLU FFN (gate + up + down). 70B's grouped-query attention
    # is modelled as full multi-head attention (an over-estimate of its KV traffic).
    "llama2-7b": LlmShape(4096, 32, 32, 11008, True, 4, 1),
    "llama2-13b": LlmShape(5120, 40, 40, 13824, True, 4, 1),
    "llama2-70b": LlmShape(8192, 64, 80, 28672, True, 8, 2),
}

# Log-normal fits of the reference's steady-state context-length statistics:
# ShareGPT median ~215, p90 ~630 (mean ~305); Alpaca median ~51, p90 ~128 (mean ~66).
DISTRIBUTIONS: dict[str, tuple[float, float, int]] = {
    "sharegpt": (215.0, 630.0, MAX_SEQ),
    "alpaca": (51.0, 128.0, 1104),
}
Z90 = 1.2815515655446004  # standard-normal 90th percentile


def sample_context_lengths(dist: str, batch: int, seed: int) -> npt.NDArray[np.int64]:
    """Seeded context lengths (tokens) for ``batch`` requests from a named distribution."""
    if dist not in DISTRIBUTIONS:
        raise SimError(f"unknown request distribution {dist!r}",
                       accepted=", ".join(sorted(DISTRIBUTIONS)) + ", or a .csv path")
    median, p90, cap = DISTRIBUTIONS[dist]
    sigma = math.log(p90 / median) / Z90
    rng = np.random.default_rng(seed)
    draws = rng.lognormal(math.log(median), sigma, size=batch)
    return np.clip(np.rint(draws), 1, cap).astype(np.int64)


def read_requests(path: str | Path, batch: int
                  ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None]:
    """First ``batch`` rows of a request CSV (NeuPIMs trace format ``seq_len,ch_idx``): context
    lengths, and the KV-cache channels if the file has a ``ch_idx`` column."""
    text = read_text_limited(path, "request CSV", CSV_MAX_BYTES)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if not rows or "seq_len" not in rows[0]:
        raise SimError(f"request CSV {path} needs a 'seq_len' column")
    if len(rows) < batch:
        raise SimError(f"request CSV {path} has {len(rows)} rows, fewer than batch {batch}")
    lengths = _column(path, rows[:batch], "seq_len")
    if lengths.min() < 1:
        bad = int(np.argmin(lengths)) + 2
        raise SimError(f"request CSV {path}, line {bad}, field seq_len: must be >= 1")
    channels = _column(path, rows[:batch], "ch_idx") if "ch_idx" in rows[0] else None
    if channels is not None and channels.min() < 0:
        bad = int(np.argmin(channels)) + 2
        raise SimError(f"request CSV {path}, line {bad}, field ch_idx: must be >= 0")
    return lengths, channels


CSV_INT_MAX = 2**31
"""Largest accepted value of a request-CSV cell (tokens or channel index)."""


def _column(path: str | Path, rows: list[dict[str, str]], name: str) -> npt.NDArray[np.int64]:
    """One integer column; a bad value is an error naming its line (the header is line 1)."""
    out = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        try:
            value = int(row[name])
        except (TypeError, ValueError):
            raise SimError(f"request CSV {path}, line {i + 2}, field {name}: "
                           f"{str(row[name])[:40]!r} is not an integer") from None
        if abs(value) > CSV_INT_MAX:
            raise SimError(f"request CSV {path}, line {i + 2}, field {name}: {value} is out of "
                           f"range", accepted=f"at most {CSV_INT_MAX}")
        out[i] = value
    return out


def _gemm(name: str, m: int, k: int, n: int, bits: int) -> GemmOp:
    return GemmOp(kind="gemm", name=name, m=m, k=k, n=n, a_bits=bits, b_bits=bits, out_bits=bits)


def _elt(name: str, elements: int, function: str, bits: int) -> EltwiseOp:
    return EltwiseOp(kind="eltwise", name=name, elements=elements, function=function, a_bits=bits)


def _layer_ops(layer: int, shape: LlmShape, batch: int, tp: int,
               lengths: npt.NDArray[np.int64], channels: npt.NDArray[np.int64] | None,
               bits: int) -> list[Op]:
    e, f = shape.d_model, shape.ffn
    p = f"L{layer}."
    ops: list[Op] = [_elt(p + "ln1", batch * e, "layernorm", bits),
                     _gemm(p + "qkv", batch, e, 3 * e // tp, bits)]
    heads = shape.heads // tp
    ops += [AttentionOp(kind="attention", name=f"{p}attn.r{i}", heads=heads, q_len=1,
                        kv_len=int(n), head_dim=shape.head_dim, a_bits=bits, b_bits=bits,
                        out_bits=bits, channel=None if channels is None else int(channels[i]))
            for i, n in enumerate(lengths)]
    ffn_up = 2 * f // tp if shape.gated_ffn else f // tp
    ops += [
        _gemm(p + "proj", batch, e // tp, e, bits),
        _elt(p + "res1", batch * e, "add", bits),
        _elt(p + "ln2", batch * e, "layernorm", bits),
        _gemm(p + "ffn1", batch, e, ffn_up, bits),
        _elt(p + "act", batch * f // tp, "silu_mul" if shape.gated_ffn else "gelu", bits),
        _gemm(p + "ffn2", batch, f // tp, e, bits),
        _elt(p + "res2", batch * e, "add", bits),
    ]
    return ops


def llm_decode(model: str, batch: int, requests: str = "sharegpt", seed: int = 0,
               tp: int | None = None, pp: int | None = None, layers: int | None = None,
               bits: int = 16) -> Trace:
    """One decode iteration of ``model`` for ``batch`` requests, per device of a TP x PP group.

    ``layers`` (default: all of the model's layers) limits how many decoder layers are emitted;
    ``tp``/``pp`` default to the model's NeuPIMs split. Provenance details record model, batch,
    tp, pp, model layers and the request source so a model can turn cycles into tokens/s.
    """
    if model not in MODELS:
        raise SimError(f"unknown LLM {model!r}", accepted=", ".join(sorted(MODELS)))
    shape = MODELS[model]
    tp = shape.tp if tp is None else tp
    pp = shape.pp if pp is None else pp
    n_layers = shape.layers if layers is None else layers
    if not 1 <= batch <= 65536:
        raise SimError(f"batch must be in 1..65536, got {batch}")
    if tp < 1 or shape.heads % tp or shape.ffn % tp:
        raise SimError(f"tensor parallelism {tp} must divide heads {shape.heads} and FFN "
                       f"{shape.ffn} of {model}")
    if pp < 1 or shape.layers % pp:
        raise SimError(f"pipeline parallelism {pp} must divide the {shape.layers} layers of "
                       f"{model}")
    if not 1 <= n_layers <= shape.layers:
        raise SimError(f"layers must be in 1..{shape.layers}, got {n_layers}")
    channels = None
    if requests.endswith(".csv"):
        lengths, channels = read_requests(requests, batch)
    else:
        lengths = sample_context_lengths(requests, batch, seed)
    ops: list[Op] = []
    for layer in range(n_layers):
        ops += _layer_ops(layer, shape, batch, tp, lengths, channels, bits)
        if layer == 0:
            check_op_count(len(ops), n_layers, "generator 'llm_decode'")
    details: dict[str, str | int | float] = {
        "model": model, "batch": batch, "tp": tp, "pp": pp, "layers": n_layers,
        "model_layers": shape.layers, "requests": requests, "d_model": shape.d_model,
        "heads": shape.heads, "mean_context": float(lengths.mean()),
    }
    return Trace(version=1, name=f"{model} decode b{batch} {Path(requests).stem}", ops=ops,
                 provenance=TraceProvenance(source=model, method="llm_decode generator",
                                            seed=seed, details=details))


class LlmDecodeParams(StrictModel):
    """Parameters of the ``llm_decode`` generator (see :func:`llm_decode`)."""

    model: Literal["gpt3-7b", "gpt3-13b", "gpt3-30b", "gpt3-175b",
                   "llama2-7b", "llama2-13b", "llama2-70b"]
    batch: Count
    requests: str = "sharegpt"
    """``sharegpt``/``alpaca`` (seeded log-normal draw) or a CSV with a ``seq_len`` column (and
    optionally ``ch_idx``, the channel of each request's KV cache), relative to the workload
    file."""
    tp: Count | None = None
    """Tensor-parallel degree (default: the model's NeuPIMs split)."""
    pp: Count | None = None
    """Pipeline-parallel degree (default: the model's NeuPIMs split)."""
    layers: Layers | None = None
    """Decoder layers to emit (default: all)."""
    bits: Bits = 16


def _build(params: LlmDecodeParams, seed: int) -> Trace:
    return llm_decode(params.model, params.batch, requests=params.requests, seed=seed,
                      tp=params.tp, pp=params.pp, layers=params.layers, bits=params.bits)


LLM_DECODE = Generator("llm_decode", LlmDecodeParams, _build, path_fields=frozenset({"requests"}))
