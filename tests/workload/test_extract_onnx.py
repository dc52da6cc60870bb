"""ONNX extraction: Silero VAD from the installed package, synthetic graphs, errors."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.models
onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sim import api  # noqa: E402
from sim.core.errors import SimError  # noqa: E402
from sim.workload.extract_onnx import extract_onnx  # noqa: E402
from sim.workload.load import load_trace_file  # noqa: E402


def silero_file() -> Path:
    try:
        dist = importlib.metadata.distribution("silero-vad")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("silero-vad is not installed")
    return Path(str(dist.locate_file("silero_vad/data/silero_vad_16k_sequence.onnx")))


def test_silero_ops_match_the_graph_weights(tmp_path: Path) -> None:
    path = silero_file()
    out = api.trace_silero(tmp_path / "vad.yaml", chunks=8)
    trace = load_trace_file(out.path)
    weights = {t.name: tuple(t.dims) for t in onnx.load(str(path)).graph.initializer}
    convs = [op for op in trace.ops if op.kind == "conv2d"]
    conv_weights = [v for k, v in weights.items() if len(v) == 3 and "LSTM" not in k]
    assert [(op.out_ch, op.in_ch, op.kernel_w) for op in convs] == \
        [(w[0], w[1], w[2]) for w in conv_weights]
    assert all(op.batch == 8 for op in convs[:5])            # one row per chunk
    lstm_r = next(v for k, v in weights.items() if "LSTM" in k and len(v) == 3)
    steps = [op for op in trace.ops if op.kind == "gemv"]
    assert len(steps) == 8 and {(op.n, op.k) for op in steps} == {(lstm_r[1], lstm_r[2])}
    assert [op.deps for op in steps[1:]] == [[s.name] for s in steps[:-1]]


def test_committed_silero_regenerates_byte_identically() -> None:
    silero_file()
    rows = api.trace_regen(check=True, only=["silero-vad.yaml"])
    assert rows[0][2]


def tiny_graph(extra: list[Any] | None = None) -> Any:
    """x (N, 3, 8, 8) -> Conv 3x3 s2 p1 -> Relu -> Reshape (N, 64) -> MatMul (64, 10) -> Gemm."""
    import numpy as np

    inits = [numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w"),
             numpy_helper.from_array(np.array([-1, 64], np.int64), "shape"),
             numpy_helper.from_array(np.zeros((64, 10), np.float32), "w2"),
             numpy_helper.from_array(np.zeros((5, 10), np.float32), "w3")]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1],
                              strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Reshape", ["r", "shape"], ["f"]),
             helper.make_node("MatMul", ["f", "w2"], ["m"], name="fc1"),
             helper.make_node("Gemm", ["m", "w3"], ["y"], name="fc2", transB=1),
             *(extra or [])]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_synthetic_graph(tmp_path: Path) -> None:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_graph(), str(path))
    ops = {op["name"]: op for op in extract_onnx(path, {"N": 2}).ops}
    assert list(ops) == ["conv", "fc1", "fc2"]
    assert {k: ops["conv"][k] for k in ("batch", "in_ch", "out_ch", "in_h", "stride",
                                        "padding")} == \
        {"batch": 2, "in_ch": 3, "out_ch": 4, "in_h": 8, "stride": 2, "padding": 1}
    assert (ops["fc1"]["m"], ops["fc1"]["n"], ops["fc1"]["k"]) == (2, 10, 64)
    assert (ops["fc2"]["m"], ops["fc2"]["n"], ops["fc2"]["k"]) == (2, 5, 10)
    assert ops["fc1"]["deps"] == ["conv"] and ops["fc2"]["deps"] == ["fc1"]


def test_onnx_errors(tmp_path: Path, sim_cli: Callable[..., Any]) -> None:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_graph(), str(path))
    with pytest.raises(SimError, match="dimension 'N' is symbolic; give its size"):
        extract_onnx(path, {})
    branch = helper.make_graph([], "b", [], [])
    with_if = tiny_graph([helper.make_node("If", ["m"], [], name="ctl", then_branch=branch,
                                           else_branch=branch)])
    with_if_path = tmp_path / "if.onnx"
    onnx.save(with_if, str(with_if_path))
    with pytest.raises(SimError, match="ONNX node 'ctl' of type If is not supported"):
        extract_onnx(with_if_path, {"N": 1})
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(path.read_bytes()[:40])
    outcome = sim_cli("trace", "onnx", str(bad), "-o", str(tmp_path / "t.yaml"), "--dim", "N=1")
    assert outcome.code == 2 and outcome.stderr.count("\n") == 1
    assert "bad.onnx: not a valid ONNX file" in outcome.stderr
    outcome = sim_cli("trace", "onnx", str(path), "-o", str(tmp_path / "t.yaml"), "--dim", "N=x")
    assert outcome.code == 2 and "size must be a positive integer" in outcome.stderr
