"""HBM controller checked against timings derived by hand from the JEDEC-style constraints.

Default preset HBM2_8Gb_x128: CL 14, CWL 4, tRCDRD/WR 14, tRP 14, tRAS 34, tRC 48, BL4 (burst
2 cycles), tCCD_S/L 1/2, tRRD_S/L 4/6, tFAW 30, tWTR_L 8, tRTP_L 6, tRFC 260, tREFI 3900.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.hw.dram import decode, encode, make_config, replay
from sim.hw.dram.stream import sequential_stream

CFG = make_config()
ORG = CFG.org


def _run(reqs: list[tuple[int, int, bool]], cfg=CFG):  # type: ignore[no-untyped-def]
    cycles = [r[0] for r in reqs]
    addrs = [r[1] for r in reqs]
    writes = [r[2] for r in reqs]
    return replay(cfg, cycles, addrs, writes, log=True)


def _cmds(stats) -> list[tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    return [(c.cycle, c.kind, c.bank) for c in stats.commands]


def test_row_miss_on_closed_bank() -> None:
    # ACT at 0, RD at tRCDRD = 14, data ends at 14 + CL 14 + burst 2 = 30.
    s = _run([(0, encode(ORG, row=3), False)])
    assert _cmds(s) == [(0, "ACT", 0), (14, "RD", 0)]
    assert s.latency.tolist() == [30]
    assert s.row_hit.tolist() == [False]
    # energy inputs: one ACT, one RD, background over 30 ns on all 32 channels
    assert (s.ledger["hbm.act"], s.ledger["hbm.rd"]) == (1, 1)
    assert s.ledger["hbm.background_ns"] == 30 * 32


def test_row_hit_follows_at_tccd_l() -> None:
    # Same row: second RD at 14 + max(tCCD_L 2, burst 2) = 16, done 32.
    s = _run([(0, encode(ORG, row=3, column=0), False), (0, encode(ORG, row=3, column=1), False)])
    assert s.issue.tolist() == [14, 16]
    assert s.latency.tolist() == [30, 32]
    assert s.row_hit.tolist() == [False, True]
    assert s.row_hit_rate == 0.5


def test_bank_conflict() -> None:
    # Different row, same bank: PRE at max(ACT + tRAS = 34, RD 14 + tRTP_L 6 = 20) = 34,
    # ACT at 34 + tRP 14 = 48 (= tRC), RD at 48 + 14 = 62, done 62 + 16 = 78.
    s = _run([(0, encode(ORG, row=3), False), (0, encode(ORG, row=9), False)])
    assert _cmds(s) == [(0, "ACT", 0), (14, "RD", 0), (34, "PRE", 0), (48, "ACT", 0),
                        (62, "RD", 0)]
    assert s.latency.tolist() == [30, 78]


def test_fr_fcfs_serves_younger_hit_before_older_conflict() -> None:
    # r0 opens row 3; r1 (row 9, older) conflicts; r2 (row 3, younger) hits and goes first.
    s = _run([(0, encode(ORG, row=3, column=0), False), (1, encode(ORG, row=9), False),
              (2, encode(ORG, row=3, column=1), False)])
    assert s.issue.tolist() == [14, 62, 16]


def test_tfaw_window() -> None:
    # Five banks in one rank: bg0..bg3 bank 0, then bg0 bank 1. ACTs at 0, 4, 8, 12 (tRRD_S);
    # the fifth waits for tFAW: max(12 + 4, 0 + tRRD_L 6, 0 + tFAW 30) = 30, its RD at 44.
    addrs = [encode(ORG, bankgroup=g, row=1) for g in range(4)]
    addrs.append(encode(ORG, bankgroup=0, bank=1, row=1))
    s = _run([(0, a, False) for a in addrs])
    acts = [c for c, k, _ in _cmds(s) if k == "ACT"]
    assert acts == [0, 4, 8, 12, 30]
    assert s.done.tolist() == [30, 34, 38, 42, 60]


def test_tfaw_off_gives_trrd_only() -> None:
    cfg = make_config(timing={"tFAW": 0})
    addrs = [encode(ORG, bankgroup=g, row=1) for g in range(4)]
    addrs.append(encode(ORG, bankgroup=0, bank=1, row=1))
    s = _run([(0, a, False) for a in addrs], cfg)
    assert [c for c, k, _ in _cmds(s) if k == "ACT"] == [0, 4, 8, 12, 16]


def test_write_to_read_turnaround() -> None:
    # WR at tRCDWR 14, its data ends at 14 + CWL 4 + 2 = 20; RD same bank group waits
    # tWTR_L 8 -> 28, done 28 + 16 = 44.
    s = _run([(0, encode(ORG, row=2, column=0), True), (0, encode(ORG, row=2, column=1), False)])
    assert s.issue.tolist() == [14, 28]
    assert s.done.tolist() == [20, 44]


def test_write_recovery_before_precharge() -> None:
    # WR at 14, data end 20, PRE at max(tRAS 34, 20 + tWR 16 = 36) = 36, ACT 50, RD 64, done 80.
    s = _run([(0, encode(ORG, row=2), True), (0, encode(ORG, row=5), False)])
    assert (36, "PRE", 0) in _cmds(s)
    assert s.done.tolist() == [20, 80]


def test_refresh_blocks_rank_for_trfc() -> None:
    # One rank. A at 3850 opens row 1 (ACT 3850, RD 3864). Refresh is due at tREFI 3900:
    # PRE at max(3900, 3850 + tRAS 34, 3864 + tRTP_L 6) = 3900, REF at 3900 + tRP = 3914;
    # B (same row, arrives 3901) must re-open it: ACT 3914 + tRFC 260 = 4174, RD 4188, done 4204.
    cfg = make_config(org={"ranks": 1})
    org = cfg.org
    s = _run([(3850, encode(org, row=1, column=0), False),
              (3901, encode(org, row=1, column=1), False)], cfg)
    assert _cmds(s) == [(3850, "ACT", 0), (3864, "RD", 0), (3900, "PRE", 0), (3914, "REF", 0),
                        (4174, "ACT", 0), (4188, "RD", 0)]
    assert s.latency.tolist() == [30, 303]
    assert s.row_hit.tolist() == [False, False]
    assert s.ledger["hbm.ref"] == 1


def test_sequential_stream_is_burst_limited() -> None:
    # Without refresh, bank interleaving hides ACT/PRE: data flows back to back after the first
    # access (tRCDRD + CL = 28), one burst (2 cycles) per request, plus tRTRS = 1 each time the
    # stream crosses from one rank to the other (every 16 banks x 16 bursts = 256 requests).
    cfg = make_config(timing={"tREFI": 10**9})
    n = 1000
    s = sequential_stream(cfg, n)
    assert s.cycles == 28 + 2 * n + (n - 1) // 256
    # One ACT per 16-burst row: hit rate 15/16.
    assert s.row_hit_rate == pytest.approx(1 - 63 / n)


def test_idle_time_is_skipped_not_stepped() -> None:
    # Two requests 10^8 cycles apart: 10^8 / 3900 x 2 ranks refreshes happen in between;
    # stepping every cycle in Python would take minutes.
    t0 = time.perf_counter()
    s = _run([(0, encode(ORG, row=1), False), (10**8, encode(ORG, row=2), False)])
    assert time.perf_counter() - t0 < 20
    assert s.ledger["hbm.ref"] == 2 * (10**8 // 3900)
    # The second access finds its bank closed (refresh) : ACT + RD, latency >= 30.
    assert s.latency[1] >= 30


def test_bandwidth_and_channels_are_independent() -> None:
    a = [encode(ORG, channel=c, row=1) for c in range(4)]
    s = _run([(0, x, False) for x in a])
    assert s.latency.tolist() == [30, 30, 30, 30]
    assert s.bandwidth_bytes_per_s == pytest.approx(4 * 64 * 1e9 / 30)


def test_address_roundtrip() -> None:
    rng = np.random.default_rng(1)
    fields = dict(channel=int(rng.integers(32)), rank=1, bankgroup=3, bank=2,
                  row=int(rng.integers(32768)), column=int(rng.integers(16)))
    d = decode([encode(ORG, **fields)], ORG)
    assert (d.channel[0], d.rank[0], d.bankgroup[0], d.bank[0], d.row[0], d.column[0]) == (
        fields["channel"], 1, 3, 2, fields["row"], fields["column"])
    # rorabgbachco: consecutive bursts walk the columns of one row first.
    d2 = decode(np.arange(17) * 64, ORG)
    assert d2.column.tolist()[:16] == list(range(16)) and d2.channel[16] == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"preset": "DDR9"}, "unknown HBM preset"),
    ({"org": {"channels": 3}}, "power of two"),
    ({"org": {"address_mapping": "rorabgbachch"}}, "name each field once"),
    ({"timing": {"tXYZ": 1}}, "unknown hbm timing"),
    ({"timing": {"CL": -1}}, ">= 0"),
])
def test_bad_parameters_are_sim_errors(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SimError, match=match):
        make_config(**kwargs)


def test_bad_trace_is_sim_error() -> None:
    with pytest.raises(SimError, match="equal lengths"):
        replay(CFG, [0, 1], [0], [False, False])
