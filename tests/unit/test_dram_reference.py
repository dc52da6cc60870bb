"""The HBM controller against DRAMsim3's published figures on HBM2_8Gb_x128, and the fast
path against the readable reference path.

Traces (a), (b), (e) are generated here from the reference's rule (SplitMix64, one draw per
request, address = (draw >> 38) << 6). Tolerances are the acceptance ones: cycles and bandwidth
2 %, mean read latency 5 %, p50/p99 10 %, ACT/PRE/RD/REF 1 %, energy 5 %.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from sim.evaluation.dram_replay import energy_pj
from sim.hw.dram.config import make_config
from sim.hw.dram.replay import DramStats, replay
from sim.hw.dram.trace import random_addresses
from sim.tech import load_tables

CFG = make_config("dramsim3_hbm2_8ch")
N = 200_000
# Published DRAMsim3 results (reference table): cycles, GB/s, mean, p50, p99, ACT, PRE, RD,
# REF, energy (uJ). Each published number lives here only.
PUBLISHED = {
    "a": (203_366, 62.94, 61.4, 48, 358, 6_365, 6_349, 200_000, 416, 296.7),
    "b": (209_174, 61.19, 352.3, 191, 2_100, 200_625, 200_498, 199_998, 424, 461.1),
    "e": (4_000_013, 3.20, 50.9, 45, 308, 200_778, 200_701, 200_000, 8_200, 2_894.5),
}
FIRST_ADDRESS_B = 0xFEC41DC0  # published first address of trace (b)
TOLERANCE = (0.02, 0.02, 0.05, 0.10, 0.10, 0.01, 0.01, 0.01, 0.01, 0.05)
Trace = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]


def trace(name: str, n: int = N) -> Trace:
    """Trace (a) sequential, (b) random, (e) random every 20 cycles: all reads."""
    i = np.arange(n, dtype=np.int64)
    reads = np.zeros(n, bool)
    if name == "a":
        return i, i * 64, reads
    if name == "b":
        return i, random_addresses(0xB0B00001, n), reads
    return 20 * i, random_addresses(0xE0E00005, n), reads


def figures(stats: DramStats) -> tuple[float, ...]:
    """The published columns, measured the same way (energy from the technology tables)."""
    c = stats.counts
    energy = sum(energy_pj(stats, CFG, load_tables(28)).values()) / 1e6
    return (stats.cycles, stats.bandwidth_bytes_per_s / 1e9, float(stats.read_latency.mean()),
            stats.read_percentile(50), stats.read_percentile(99), c["act"], c["pre"], c["rd"],
            c["ref"], energy)


def misses(measured: tuple[float, ...], published: tuple[float, ...]) -> list[int]:
    """Columns outside their tolerance."""
    return [k for k, (m, p, tol) in enumerate(zip(measured, published, TOLERANCE, strict=True))
            if abs(m - p) > tol * p]


def test_trace_rule_gives_the_published_first_address() -> None:
    assert int(trace("b", 1)[1][0]) == FIRST_ADDRESS_B


@pytest.mark.parametrize("name", ["a", "b", "e"])
def test_matches_dramsim3(name: str) -> None:
    measured = figures(replay(CFG, *trace(name)))
    assert misses(measured, PUBLISHED[name]) == [], (measured, PUBLISHED[name])


def test_negative_control_one_timing_parameter() -> None:
    # (b) is limited by the four-activate window; one cycle more of tFAW must fail the check.
    cfg = make_config("dramsim3_hbm2_8ch", timing={"tFAW": 31})
    stats = replay(cfg, *trace("b"))
    assert misses(figures(stats), PUBLISHED["b"])


def _streams(n: int) -> dict[str, Trace]:
    rng = np.random.default_rng(7)
    i = np.arange(n, dtype=np.int64)
    row = 1 << 18  # one row step of dramsim3_hbm2_8ch (same channel, bank and group)
    return {
        "a": trace("a", n), "b": trace("b", n), "e": trace("e", n),
        "mixed": (i, random_addresses(3, n) % (1 << 24), rng.random(n) < 0.3),
        "duplicates": (i, rng.integers(0, 64, n) * 64, rng.random(n) < 0.4),
        "row_stride": (2 * i, (i * row) % (1 << 30), rng.random(n) < 0.2),
        "same_bank": (i, rng.integers(0, 8, n) * row + rng.integers(0, 32, n) * 64,
                      rng.random(n) < 0.3),
        "bursty": ((i // 64) * 400, random_addresses(5, n) % (1 << 22), rng.random(n) < 0.5),
    }


STREAMS = _streams(1500)


@pytest.mark.parametrize(("preset", "scheduler"), [("dramsim3_hbm2_8ch", "rr"),
                                                   ("dramsim3_hbm2_8ch", "frfcfs"),
                                                   ("neupims_hbm2_32ch", "rr")])
@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_fast_path_equals_reference_path(preset: str, scheduler: str, stream: str) -> None:
    cfg = make_config(preset, controller={"scheduler": scheduler})
    fast = replay(cfg, *STREAMS[stream], path="fast")
    ref = replay(cfg, *STREAMS[stream], path="reference")
    assert fast.cycles == ref.cycles
    for name in ("accepted", "issue", "done", "channel_counts", "standby"):
        assert np.array_equal(getattr(fast, name), getattr(ref, name)), name
