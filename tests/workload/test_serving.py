"""Request-length distributions against the published statistics; the request-log CSV format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.workload.serving import (
    load_request_csv,
    parse_request_csv,
    sample_context_lengths,
    write_request_csv,
)


def pooled(dataset: str) -> np.ndarray:
    """20 batches of 512, as the 20 published ShareGPT trace files (NPU-PIM reference s.8)."""
    return np.array([v for seed in range(20) for v in sample_context_lengths(dataset, 512, seed)])


def test_sharegpt_matches_published_trace_statistics() -> None:
    lengths = pooled("sharegpt")
    mean, median, p90 = lengths.mean(), np.median(lengths), np.percentile(lengths, 90)
    print(f"sharegpt: mean {mean:.1f} median {median:.0f} p90 {p90:.0f}")
    # Published (reference s.8): mean 286-326, median 199-235, p90 566-689, range 1-2048.
    assert 286 <= mean <= 326
    assert 199 <= median <= 235
    assert 566 <= p90 <= 689
    assert lengths.min() >= 1 and lengths.max() <= 2048


def test_alpaca_matches_modelled_statistics() -> None:
    lengths = pooled("alpaca")
    mean, median, p90 = lengths.mean(), np.median(lengths), np.percentile(lengths, 90)
    print(f"alpaca: mean {mean:.1f} median {median:.0f} p90 {p90:.0f}")
    # Reference s.8 (a modelling estimate): mean ~66, median ~51, p90 ~128, max ~1000 + 99.
    assert mean == pytest.approx(66, rel=0.15)
    assert median == pytest.approx(51, rel=0.2)
    assert p90 == pytest.approx(128, rel=0.2)
    assert lengths.max() <= 1005 + 99


def test_draws_are_seeded() -> None:
    assert sample_context_lengths("sharegpt", 64, 7) == sample_context_lengths("sharegpt", 64, 7)
    assert sample_context_lengths("sharegpt", 64, 7) != sample_context_lengths("sharegpt", 64, 8)


def test_unknown_distribution() -> None:
    with pytest.raises(SimError, match=r"unknown request distribution 'lmsys'.*alpaca, sharegpt"):
        sample_context_lengths("lmsys", 4, 0)


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(write_request_csv([5, 700, 3], channels=2))
    assert load_request_csv(path) == [(5, 0), (700, 1), (3, 0)]
    assert parse_request_csv("seq_len\n9\n\n10\n", path) == [(9, None), (10, None)]


@pytest.mark.parametrize(("text", "pattern"), [
    ("", r"r\.csv:1: empty request log"),
    ("len,ch_idx\n4,0\n", r"r\.csv:1: header: bad header column 'len'"),
    ("ch_idx\n4\n", r"r\.csv:1: header: bad header column 'seq_len'"),
    ("seq_len,ch_idx\n4,0\n5\n", r"r\.csv:3: expected 2 values, got 1"),
    ("seq_len\n4\nfour\n", r"r\.csv:3: seq_len: not an integer: 'four'"),
    ("seq_len,ch_idx\n0,1\n", r"r\.csv:2: seq_len: 0 out of range"),
    ("seq_len,ch_idx\n3,-1\n", r"r\.csv:2: ch_idx: -1 out of range"),
    ("seq_len\n", r"r\.csv:1: request log has no requests"),
])
def test_csv_errors_are_one_line(text: str, pattern: str, tmp_path: Path) -> None:
    with pytest.raises(SimError, match=pattern) as info:
        parse_request_csv(text, tmp_path / "r.csv")
    assert "\n" not in str(info.value)


def test_missing_csv(tmp_path: Path) -> None:
    with pytest.raises(SimError, match="request log not found"):
        load_request_csv(tmp_path / "none.csv")
