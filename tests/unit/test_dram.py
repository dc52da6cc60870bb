"""HBM controller checked against timelines derived by hand from its mechanisms.

Preset dramsim3_hbm2_8ch: CL 14, CWL 4, tRCDRD/WR 14, tRP 14, tRAS 34, BL4 (burst 2 cycles, so
a READ's data returns CL + 2 = 16 cycles after it), tCCD_S/L 1/2, tRRD_S/L 4/6, tFAW 30, tRTP 5,
tRFC 260, tREFI 3900, 8 channels x 1 rank. A request in the trace at cycle i is accepted at i + 1
(one per cycle), moves to its bank queue in that cycle and can take a command the cycle after.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.hw.dram.address import decode, encode
from sim.hw.dram.config import make_config
from sim.hw.dram.replay import replay

CFG = make_config("dramsim3_hbm2_8ch")
ORG = CFG.org


def _run(reqs: list[tuple[int, int, bool]], cfg=CFG):  # type: ignore[no-untyped-def]
    return replay(cfg, [r[0] for r in reqs], [r[1] for r in reqs], [r[2] for r in reqs],
                  path="reference", log=True)


def _cmds(stats, kinds=("ACT", "PRE", "RD", "WR")):  # type: ignore[no-untyped-def]
    return [(c.cycle, c.kind) for c in stats.commands if c.kind in kinds]


def test_unloaded_latencies() -> None:
    # closed bank: accepted 1, ACT 2, RD 2 + 14 = 16, data 32 -> 31 from acceptance
    s = _run([(0, encode(ORG, row=3), False)])
    assert _cmds(s) == [(2, "ACT"), (16, "RD")] and s.read_latency.tolist() == [31]
    # row hit long after: accepted 101, RD 102, data 118 -> 17
    s = _run([(0, encode(ORG, row=3), False), (100, encode(ORG, row=3, column=1), False)])
    assert s.read_latency.tolist() == [31, 17] and s.row_hit_rate == 0.5
    # row conflict: PRE 102 (tRAS since ACT 2 is over), ACT 116, RD 130, data 146 -> 45
    s = _run([(0, encode(ORG, row=3), False), (100, encode(ORG, row=4), False)])
    assert _cmds(s)[2:] == [(102, "PRE"), (116, "ACT"), (130, "RD")]
    assert s.read_latency.tolist() == [31, 45]


def test_write_to_read_forwarding_and_read_merging() -> None:
    a, b = encode(ORG, row=1), encode(ORG, row=2, bank=1)
    # a read of an address with a pending write returns from the write buffer a cycle later
    s = _run([(0, a, True), (1, a, False)])
    assert s.latency.tolist()[1] == 1 and s.issue.tolist()[1] == -1
    assert s.counts["rd"] == 0 and s.counts["wr"] == 1
    # two pending reads of one address: one READ serves both
    s = _run([(0, b, False), (1, b, False)])
    assert s.counts["rd"] == 1 and s.issue.tolist() == [16, 16]
    assert s.latency.tolist() == [31, 30]


def test_write_drain_starts_above_eight_writes() -> None:
    # Writes wait in the buffer until more than 8 are there (bank queues empty) or the trace is
    # over. Nine writes to one row: the 9th is accepted at 9 and draining starts in cycle 9:
    # W0 moves at 9, ACT 10, WRITEs from 10 + tRCDWR = 24 every tCCD_L = 2 cycles.
    nine = [(i, encode(ORG, row=7, column=i), True) for i in range(9)]
    s = _run([*nine, (1000, encode(ORG, row=9, bank=2), False)])
    assert [c for c, k in _cmds(s, ("WR",))] == list(range(24, 42, 2))
    # Eight writes stay until the trace's last request is accepted (1001): the drain then goes
    # first, ACT 1002 for the writes' bank (the read's bank comes next in round-robin order).
    s = _run([*nine[:8], (1000, encode(ORG, row=9, bank=2), False)])
    first_wr = min(c for c, k in _cmds(s, ("WR",)))
    assert first_wr == 1002 + 14


def test_queue_limits_back_pressure() -> None:
    # read queue 4, bank queue 2; twelve reads of one row all in the trace at cycle 0.
    # Accepted 1..6 (queue: req 0, 1 move at 1, 2 into the bank queue; 2..5 wait); then full
    # until each READ frees a bank-queue slot: RD(k) = 16 + 2k, and at RD(k-2) request k moves
    # and request k+4 is accepted the cycle after: accepted 2k + 5 for k >= 6.
    cfg = make_config("dramsim3_hbm2_8ch", controller={"read_queue": 4, "bank_queue": 2})
    s = _run([(0, encode(cfg.org, row=1, column=k), False) for k in range(12)], cfg)
    assert s.accepted.tolist() == [1, 2, 3, 4, 5, 6] + [2 * k + 5 for k in range(6, 12)]
    assert s.issue.tolist() == [16 + 2 * k for k in range(12)]
    assert s.latency_from_arrival.tolist() == [32 + 2 * k for k in range(12)]
    # the same trace with the default queues: nothing is refused
    s = _run([(0, encode(ORG, row=1, column=k), False) for k in range(12)])
    assert s.accepted.tolist() == list(range(1, 13))


def test_refresh_and_standby_on_idle_channels() -> None:
    # One read on channel 0 at 10000: accepted 10001, ACT 10002, data 10032 = cycles to finish.
    # Every channel, idle or not, refreshes at 3900 and 7800 and spends the whole window in a
    # power state: channel 0 in active standby from its ACT on (30 cycles), all else precharged.
    s = _run([(10_000, encode(ORG, channel=0, row=5), False)])
    assert s.cycles == 10_032
    assert s.channel_counts[:, 4].tolist() == [2] * 8
    assert [c.cycle for c in s.commands if c.kind == "REF"] == [3900] * 8 + [7800] * 8
    assert s.standby[:, 0, 0].tolist() == [30] + [0] * 7
    assert s.standby.sum() == 8 * 10_032
    led = s.ledger()
    assert (led["hbm.ref"], led["hbm.act_stb_ns"], led["hbm.pre_stb_ns"]) == (16, 30, 8 * 10_032
                                                                            - 30)


def test_refresh_precharges_then_blocks_for_trfc() -> None:
    # Row 1 opened at 3872 (trace 3870); refresh due at 3900: PRE 3906 (tRAS), REF 3920 (tRP).
    # A hit arriving at 3901 is frozen with the rank and re-opens the row: ACT 3920 + tRFC.
    s = _run([(3870, encode(ORG, row=1), False), (3901, encode(ORG, row=1, column=1), False)])
    cmds = [(c.cycle, c.kind) for c in s.commands if c.channel == 0]
    assert cmds == [(3872, "ACT"), (3886, "RD"), (3906, "PRE"), (3920, "REF"), (4180, "ACT"),
                    (4194, "RD")]


def test_four_activate_window_and_hit_cap() -> None:
    # Five banks of one channel: ACTs every tRRD_S = 4 from 2, the fifth waits for tFAW.
    addrs = [encode(ORG, bankgroup=g, row=1) for g in range(4)]
    addrs.append(encode(ORG, bankgroup=0, bank=1, row=1))
    s = _run([(0, a, False) for a in addrs])
    assert [c for c, k in _cmds(s, ("ACT",))] == [2, 6, 10, 14, 32]


@pytest.mark.parametrize("scheduler", ["rr", "frfcfs"])
def test_hit_cap_only_in_round_robin(scheduler: str) -> None:
    # One bank: row 1 opened at 2 (READ 16), a miss (row 2) next in the queue, then hits to row
    # 1 every 5 cycles from 30 (READs 32, 37, 42, ...). Each READ holds the PRE off for tRTP = 5,
    # so it is ready exactly when the next hit is queued (37, 42, 47...). Round-robin lets it
    # pre-empt once the row has served 4 column commands (16, 32, 37, 42: PRE 47); FR-FCFS
    # serves every queued hit first (1 + 7 READs).
    cfg = make_config("dramsim3_hbm2_8ch", controller={"scheduler": scheduler})
    first = [(0, encode(cfg.org, row=1, column=0), False), (1, encode(cfg.org, row=2), False)]
    hits = [(30 + 5 * k, encode(cfg.org, row=1, column=1 + k), False) for k in range(7)]
    s = _run(first + hits, cfg)
    kinds = [k for _, k in _cmds(s)]
    assert kinds.index("PRE") - kinds.index("ACT") - 1 == (4 if scheduler == "rr" else 8)


def test_address_roundtrip() -> None:
    rng = np.random.default_rng(1)
    fields = dict(channel=int(rng.integers(8)), rank=0, bankgroup=3, bank=2,
                  row=int(rng.integers(32768)), column=int(rng.integers(32)))
    d = decode([encode(ORG, **fields)], ORG)
    assert (d.channel[0], d.rank[0], d.bankgroup[0], d.bank[0], d.row[0], d.column[0]) == (
        fields["channel"], 0, 3, 2, fields["row"], fields["column"])
    # the reference's map: bits [10:6] column, [13:11] channel, [15:14] bank, [17:16] group
    d2 = decode([0x40, 0x800, 0x4000, 0x10000, 0x40000], ORG)
    assert d2.column[0] == 1 and d2.channel[1] == 1 and d2.bank[2] == 1
    assert d2.bankgroup[3] == 1 and d2.row[4] == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"preset": "HBM2_8Gb_x128"}, "unknown HBM preset"),
    ({"org": {"channels": 3}}, "power of two"),
    ({"org": {"address_mapping": "rorabgbachch"}}, "name each field once"),
    ({"timing": {"tXYZ": 1}}, "unknown hbm timing"),
    ({"timing": {"CL": -1}}, "integer in 0\\.\\."),
    ({"timing": {"tREFI": 0}}, "integer in 1\\.\\."),
    ({"controller": {"scheduler": "fifo"}}, "not a known policy"),
    ({"controller": {"bank_queue": 0}}, ">= 1"),
])
def test_bad_parameters_are_sim_errors(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SimError, match=match):
        make_config(**kwargs)


def test_bad_trace_is_sim_error() -> None:
    with pytest.raises(SimError, match="equal lengths"):
        replay(CFG, [0, 1], [0], [False, False])
    with pytest.raises(SimError, match="unknown DRAM replay path"):
        replay(CFG, [0], [0], [False], path="slow")
