"""Serving traces: per-request context lengths of a batch of in-flight decode requests.

Two length models follow the generation procedure of the NPU-PIM reference (section 8,
steady-state continuous batching): every slot holds a request whose (input, output) token counts
are drawn from a dataset-like distribution; a request is seen at a uniformly random point of its
generation, and a slot is more likely to hold a long-running request (length-biased sampling, weight
proportional to its output length); ``seq_len = min(input + generated, max_len)``.

Token-count distributions are log-normal, fitted to the published dataset statistics (reference,
section 8): ShareGPT input median 17 / mean 80, output median 261 / p90 576; Alpaca input mean 12
(max 99), output median 40 / mean 56 (max 1005). The resulting batch statistics are checked in
``tests/workload/test_serving.py`` against the published trace statistics (ShareGPT mean 286-326,
median 199-235, p90 566-689; Alpaca mean about 66).

User request logs are CSV (``REQUEST_CSV_COLUMNS``), the format of the published traces: a header
line ``seq_len,ch_idx`` (``ch_idx`` optional) and one row per in-flight request.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.core.errors import Location, SimError
from sim.spec.inputs import CSV_MAX_BYTES
from sim.spec.yamlio import read_text

MAX_LEN = 2048
REQUEST_CSV_COLUMNS = ("seq_len", "ch_idx")


@dataclass(frozen=True)
class LogNormal:
    """Token counts ``clip(round(exp(N(ln median, sigma^2))), lo, hi)``."""

    median: float
    sigma: float
    lo: int
    hi: int

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` integer samples."""
        x = rng.lognormal(math.log(self.median), self.sigma, n)
        return np.clip(np.rint(x), self.lo, self.hi).astype(np.int64)


def sigma_from_median_mean(median: float, mean: float) -> float:
    """Log-normal sigma with the given median and mean: mean = median * exp(sigma^2 / 2)."""
    return math.sqrt(2.0 * math.log(mean / median))


def sigma_from_median_p90(median: float, p90: float) -> float:
    """Log-normal sigma with the given median and 90th percentile (z_0.9 = 1.2816)."""
    return math.log(p90 / median) / 1.2815516


@dataclass(frozen=True)
class Dataset:
    """Input and output token-count distributions of a request dataset."""

    name: str
    source: str
    input: LogNormal
    output: LogNormal


DATASETS: dict[str, Dataset] = {
    "sharegpt": Dataset(
        "sharegpt", "NPU-PIM reference s.8: ShareGPT input median 17 mean 80; output median 261 "
        "p90 576", LogNormal(17, sigma_from_median_mean(17, 80), 1, MAX_LEN),
        LogNormal(261, sigma_from_median_p90(261, 576), 1, MAX_LEN)),
    "alpaca": Dataset(
        "alpaca", "NPU-PIM reference s.8: Alpaca input mean 12 max 99; output median 40 mean 56 "
        "max 1005", LogNormal(9, sigma_from_median_mean(9, 12), 1, 99),
        LogNormal(40, sigma_from_median_mean(40, 56), 1, 1005)),
}


def sample_context_lengths(dataset: str, batch: int, seed: int,
                           max_len: int = MAX_LEN) -> list[int]:
    """Context lengths of ``batch`` in-flight requests in steady state (seeded, deterministic)."""
    if dataset not in DATASETS:
        raise SimError(f"unknown request distribution {dataset!r}",
                       accepted=", ".join(sorted(DATASETS)))
    spec = DATASETS[dataset]
    rng = np.random.default_rng(seed)
    pool = 64 * batch + 4096
    inputs = spec.input.sample(rng, pool)
    outputs = spec.output.sample(rng, pool)
    weights = outputs / outputs.sum()
    pick = rng.choice(pool, size=batch, replace=True, p=weights)
    generated = np.floor(rng.random(batch) * outputs[pick]).astype(np.int64)
    lengths = np.minimum(inputs[pick] + generated, max_len)
    return [int(v) for v in np.maximum(lengths, 1)]


def parse_request_csv(text: str, path: Path) -> list[tuple[int, int | None]]:
    """Parse a request log (``seq_len[,ch_idx]`` rows) into (seq_len, ch_idx or None) pairs."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise SimError("empty request log; expected a header line", Location(path, 1),
                       accepted="columns " + ", ".join(REQUEST_CSV_COLUMNS))
    columns = [c.strip() for c in header]
    unknown = [c for c in columns if c not in REQUEST_CSV_COLUMNS]
    if unknown or "seq_len" not in columns or len(set(columns)) != len(columns):
        bad = unknown[0] if unknown else "seq_len"
        raise SimError(f"bad header column {bad!r}", Location(path, 1, "header"),
                       accepted="seq_len (required), ch_idx (optional)")
    rows: list[tuple[int, int | None]] = []
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise SimError(f"expected {len(columns)} values, got {len(row)}",
                           Location(path, line_no))
        values = dict(zip(columns, row, strict=True))
        seq_len = _csv_int(values["seq_len"], path, line_no, "seq_len", 1)
        ch = values.get("ch_idx")
        rows.append((seq_len, None if ch is None else _csv_int(ch, path, line_no, "ch_idx", 0)))
    if not rows:
        raise SimError("request log has no requests", Location(path, 1))
    return rows


def _csv_int(text: str, path: Path, line: int, column: str, minimum: int) -> int:
    """One integer cell >= ``minimum``; anything else is a SimError at file:line: column."""
    try:
        value = int(text.strip())
    except ValueError:
        raise SimError(f"not an integer: {text.strip()!r}", Location(path, line, column)) from None
    if value < minimum or value > 2**31:
        raise SimError(f"{value} out of range", Location(path, line, column),
                       accepted=f"{minimum} .. {2**31}")
    return value


def load_request_csv(path: Path) -> list[tuple[int, int | None]]:
    """Read and parse a request-log CSV file."""
    return parse_request_csv(read_text(path, "request log", CSV_MAX_BYTES), path)


def write_request_csv(lengths: list[int], channels: int | None = None) -> str:
    """CSV text of a batch: ``seq_len,ch_idx`` with round-robin channels, or ``seq_len`` only."""
    lines = ["seq_len,ch_idx" if channels else "seq_len"]
    for i, length in enumerate(lengths):
        lines.append(f"{length},{i % channels}" if channels else str(length))
    return "\n".join(lines) + "\n"
