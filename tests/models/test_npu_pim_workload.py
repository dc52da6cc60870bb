"""llm_decode generator: shapes per device, seeded distributions, CSV input, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.npu_pim.workload import llm_decode, sample_context_lengths
from sim.workload.trace import AttentionOp, GemmOp, Trace


def test_gpt3_175b_shapes_per_device() -> None:
    t = llm_decode("gpt3-175b", 8, layers=2)
    gemms = {op.name: op for op in t.ops if isinstance(op, GemmOp)}
    # TP 8: QKV 12288 -> 3*12288/8 = 4608 columns; FFN 4*12288/8 = 6144.
    assert (gemms["L0.qkv"].k, gemms["L0.qkv"].n) == (12288, 4608)
    assert (gemms["L1.ffn1"].n, gemms["L1.ffn2"].k, gemms["L1.ffn2"].n) == (6144, 6144, 12288)
    attn = [op for op in t.ops if isinstance(op, AttentionOp)]
    assert len(attn) == 2 * 8 and {op.heads for op in attn} == {12}
    assert len(t.ops) == 2 * (9 + 8)
    d = t.provenance.details
    assert (d["tp"], d["pp"], d["layers"], d["model_layers"]) == (8, 4, 2, 96)


def test_llama_gated_ffn() -> None:
    t = llm_decode("llama2-7b", 4, layers=1)
    ffn1 = next(op for op in t.ops if op.name == "L0.ffn1")
    assert isinstance(ffn1, GemmOp) and ffn1.n == 2 * 11008 // 4


def test_distributions_match_reference_statistics() -> None:
    s = sample_context_lengths("sharegpt", 50_000, seed=3)
    assert 280 < s.mean() < 330 and 199 <= np.median(s) <= 235 and s.max() <= 2048
    a = sample_context_lengths("alpaca", 50_000, seed=3)
    assert 60 < a.mean() < 72 and 45 <= np.median(a) <= 57
    assert np.array_equal(sample_context_lengths("sharegpt", 64, 9),
                          sample_context_lengths("sharegpt", 64, 9))
    assert not np.array_equal(sample_context_lengths("sharegpt", 64, 9),
                              sample_context_lengths("sharegpt", 64, 10))


def test_csv_requests(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text("seq_len,ch_idx\n10,0\n2000,5\n7,1\n")
    t = llm_decode("gpt3-7b", 3, requests=str(path), layers=1)
    attn = [op for op in t.ops if isinstance(op, AttentionOp)]
    assert [op.kv_len for op in attn] == [10, 2000, 7]
    assert [op.channel for op in attn] == [0, 5, 1]
    with pytest.raises(SimError, match="fewer than batch"):
        llm_decode("gpt3-7b", 4, requests=str(path), layers=1)
    again = Trace.model_validate(t.model_dump(mode="json"))
    assert [op.channel for op in again.ops if isinstance(op, AttentionOp)] == [0, 5, 1]
    plain = tmp_path / "plain.csv"
    plain.write_text("seq_len\n10\n")
    assert [op.channel for op in llm_decode("gpt3-7b", 1, requests=str(plain), layers=1).ops
            if isinstance(op, AttentionOp)] == [None]
    # Unplaced requests serialise without the field (content hashes of old traces unchanged).
    unplaced = llm_decode("gpt3-7b", 1, requests=str(plain), layers=1).model_dump(mode="json")
    assert all("channel" not in op for op in unplaced["ops"])


@pytest.mark.parametrize(("rows", "match"), [
    ("seq_len,ch_idx\n10,0\nabc,1\n", "line 3, field seq_len: 'abc' is not an integer"),
    ("seq_len,ch_idx\n10,-1\n", "line 2, field ch_idx: must be >= 0"),
    ("seq_len,ch_idx\n0,1\n", "line 2, field seq_len: must be >= 1"),
])
def test_bad_request_csv_names_line_and_field(tmp_path: Path, rows: str, match: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    with pytest.raises(SimError, match=match):
        llm_decode("gpt3-7b", rows.count("\n") - 1, requests=str(path), layers=1)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"model": "gpt5"}, "unknown LLM"),
    ({"model": "gpt3-7b", "tp": 3}, "tensor parallelism"),
    ({"model": "gpt3-7b", "pp": 5}, "pipeline parallelism"),
    ({"model": "gpt3-7b", "requests": "lmsys"}, "unknown request distribution"),
    ({"model": "gpt3-7b", "layers": 99}, "layers must be"),
])
def test_bad_generator_arguments(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SimError, match=match):
        llm_decode(batch=4, **kwargs)
