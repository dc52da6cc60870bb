"""Architecture generators against published model sizes (parameters, MACs) and trace rules.

Expected numbers are the papers' and model cards', not the generator's: parameter counts from the
GPT-3, OPT, LLaMA-2, BERT, MobileNetV2 and ResNet papers; MACs from the MobileNetV2 paper and the
torchvision model table. Weights are counted from the trace (conv: out x in/groups x kh x kw;
gemm/gemv: n x k), so embeddings that are not a GEMM are added where the model has them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.family import get_generator
from sim.workload.arch_generators import CnnParams, TransformerParams, build_cnn, build_transformer
from sim.workload.lowering import to_gemms
from sim.workload.model_configs import load_model_config
from sim.workload.serving import sample_context_lengths
from sim.workload.trace import Trace


def weights(trace: Trace) -> int:
    """Weight elements of every MAC op in a trace."""
    total = 0
    for op in trace.ops:
        if op.kind == "conv2d":
            total += op.out_ch * op.in_ch // op.groups * op.kernel_h * op.kernel_w
        elif op.kind in ("gemm", "gemv"):
            total += op.n * op.k
    return total


def macs(trace: Trace) -> int:
    """Multiply-accumulates of a trace (lowered to GEMMs)."""
    return sum(s.macs * c for op in trace.ops for s, c in to_gemms(op))


# name: (published parameters, input-embedding elements not counted as a GEMM)
PUBLISHED_PARAMS = {
    "gpt3-7b": (6.7e9, 0), "gpt3-13b": (13.0e9, 0), "gpt3-175b": (175.0e9, 0),  # Brown Tab 2.1
    "gpt3-30b": (30.0e9, 0),                      # NeuPIMs' 30B shape (= OPT-30B)
    "opt-125m": (125e6, 0), "opt-1.3b": (1.3e9, 0), "opt-6.7b": (6.7e9, 0),      # Zhang Tab 1
    "opt-13b": (13e9, 0), "opt-30b": (30e9, 0), "opt-66b": (66e9, 0), "opt-175b": (175e9, 0),
    "llama2-7b": (6.74e9, 32000 * 4096),          # Touvron 2023 (untied input embedding)
    "llama2-13b": (13.0e9, 32000 * 5120), "llama2-70b": (69.0e9, 32000 * 8192),
}


@pytest.mark.parametrize("model", sorted(PUBLISHED_PARAMS))
def test_decoder_parameter_counts(model: str) -> None:
    published, embedding = PUBLISHED_PARAMS[model]
    trace = build_transformer(TransformerParams(model=model, context=1, lm_head=True), 0)
    assert weights(trace) + embedding == pytest.approx(published, rel=0.04)


@pytest.mark.parametrize(("model", "published"), [("bert-base", 110e6), ("minilm-l6", 22.7e6)])
def test_encoder_parameter_counts(model: str, published: float) -> None:
    # BERT-base: Devlin et al. 2019 (110M); all-MiniLM-L6-v2 model card (22.7M). The lm_head GEMM
    # stands in for the (tied) token embedding.
    trace = build_transformer(TransformerParams(model=model, phase="prefill", seq_len=1,
                                                lm_head=True), 0)
    assert weights(trace) == pytest.approx(published, rel=0.04)


def test_resnet50_published_size() -> None:
    trace = build_cnn(CnnParams(model="resnet-50"), 0)
    assert weights(trace) == pytest.approx(25.5e6, rel=0.01)   # He et al.; torchvision 25.6M
    assert macs(trace) == pytest.approx(4.09e9, rel=0.01)      # torchvision: 4.09 GFLOPS (MACs)
    main_path = [op for op in trace.ops if "downsample" not in op.name]
    assert len(main_path) == 50                                # "50-layer"
    assert Counter(op.kind for op in trace.ops) == {"conv2d": 53, "gemm": 1}


def test_mobilenetv2_published_size() -> None:
    trace = build_cnn(CnnParams(model="mobilenetv2"), 0)
    assert weights(trace) == pytest.approx(3.4e6, rel=0.03)    # Sandler et al. Table 4
    assert macs(trace) == pytest.approx(300e6, rel=0.01)       # 300M multiply-adds
    depthwise = [op for op in trace.ops if op.kind == "conv2d" and op.groups == op.in_ch > 1]
    assert len(depthwise) == 17                                # one per bottleneck (Table 2)


def test_sed_crnn_recurrence() -> None:
    trace = build_cnn(CnnParams(model="sed-crnn"), 0)
    steps = [op for op in trace.ops if op.kind == "gemv"]
    assert len(steps) == 256 * 2 * 2                          # frames x directions x layers
    assert {(op.n, op.k) for op in steps} == {(3 * 32, 32)}   # GRU: 3 gates of 32
    first = trace.ops[0]
    assert first.kind == "conv2d" and (first.in_h, first.in_w, first.out_ch) == (40, 256, 128)


def test_decode_attention_follows_the_drawn_lengths() -> None:
    params = TransformerParams(model="gpt3-13b", batch=64, requests="sharegpt", layers=2, tp=4)
    trace = build_transformer(params, 5)
    lengths = Counter(sample_context_lengths("sharegpt", 64, 5))
    attn = [op for op in trace.ops if op.kind == "attention" and op.name.startswith("l0.")]
    assert {op.kv_len: op.batch for op in attn} == dict(lengths)
    assert all(op.heads == 40 // 4 and op.q_len == 1 and op.head_dim == 128 for op in attn)
    qkv = trace.ops[0]
    assert qkv.kind == "gemm" and (qkv.m, qkv.n, qkv.k) == (64, 3 * 5120 // 4, 5120)
    assert sum(op.name.endswith("ffn_down") for op in trace.ops) == 2


def test_prefill_and_gqa_shapes() -> None:
    trace = build_transformer(TransformerParams(model="llama2-70b", phase="prefill", batch=2,
                                                seq_len=16, layers=1), 0)
    ops = {op.name: op for op in trace.ops}
    assert (ops["l0.qkv"].m, ops["l0.qkv"].n) == (32, (64 + 2 * 8) * 128)    # 8 KV heads
    assert (ops["l0.attn"].q_len, ops["l0.attn"].kv_len, ops["l0.attn"].batch) == (16, 16, 2)
    assert ops["l0.ffn_gate_up"].n == 2 * 28672


def test_decode_from_csv(tmp_path: Path) -> None:
    log = tmp_path / "req.csv"
    log.write_text("seq_len,ch_idx\n10,0\n10,1\n300,2\n")
    trace = build_transformer(TransformerParams(model="opt-125m", requests=str(log), layers=1), 0)
    attn = {op.kv_len: op.batch for op in trace.ops if op.kind == "attention"}
    assert attn == {10: 2, 300: 1}
    assert trace.ops[0].m == 3


@pytest.mark.parametrize(("params", "pattern"), [
    ({"model": "bert-base", "phase": "decode", "context": 4}, "encoder; it has no decode"),
    ({"model": "gpt3-13b", "tp": 3, "context": 4}, "tp 3 does not divide heads 40"),
    ({"model": "gpt3-13b"}, "decode needs 'requests'"),
    ({"model": "resnet-50", "context": 4}, "is a resnet, not a transformer"),
    ({"model": "nope"}, "unknown model 'nope'"),
])
def test_transformer_errors(params: dict[str, object], pattern: str) -> None:
    with pytest.raises(SimError, match=pattern):
        build_transformer(TransformerParams.model_validate(params), 0)


def test_generators_are_registered() -> None:
    assert get_generator("transformer").schema is TransformerParams
    assert get_generator("cnn").schema is CnnParams


def test_every_config_has_a_source() -> None:
    from sim.workload.model_configs import known_models

    names = known_models()
    assert {"gpt3-7b", "gpt3-13b", "gpt3-30b", "gpt3-175b", "llama2-7b", "llama2-13b",
            "llama2-70b", "bert-base", "resnet-50", "mobilenetv2", "sed-crnn"} <= set(names)
    for name in names:
        assert len(load_model_config(name).source) > 20


def test_bad_config_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("version: 1\nname: m\nsource: s\narch: transformer\ndecoder: true\n"
                    "d_model: 0\n")
    with pytest.raises(SimError, match=r"m\.yaml:6: d_model: input should be greater"):
        load_model_config(str(path))
