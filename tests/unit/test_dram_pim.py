"""PIM tiles beside normal traffic on the event-driven channel (dual and blocked row buffers),
hand-derived; the dual-mode stream loss; DRAM trace CSV reading. (PIM-only programs and the
family's closed form: tests/unit/test_pim_commands.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.hw.dram.address import decode, encode
from sim.hw.dram.config import HbmConfig, make_config
from sim.hw.dram.pim_channel import (
    PimTile,
    program_stream_loss,
    replay_with_pim,
)
from sim.hw.dram.replay import replay
from sim.hw.dram.trace import read_trace_csv

CFG = make_config()
ORG = CFG.org
GACTS = [0, 1, 30, 31, 60, 61, 90, 91]


def test_tile_alone() -> None:
    # First tile: no PIM row is open, so no precharge. G_ACTs rank 0 / rank 1 interleaved, a
    # rank's next one tFAW = 30 after its last (its window is full); COMPS_READRES from
    # 91 + tRCDRD 14 = 105, every 18 cycles; the tile ends at 159 + 18 = 177.
    r = replay_with_pim(CFG, [], [], [], [PimTile(0, 4, 18)], 2, log=True)
    cmds = [(c.cycle, c.kind) for c in r.commands]
    assert cmds == ([(c, "G_ACT") for c in GACTS]
                    + [(c, "COMPS_READRES") for c in (105, 123, 141, 159)])
    assert (r.tile_start, r.tile_end) == ([0], [177])


def test_next_tile_precharges_every_bank_one_command_each() -> None:
    # The second tile finds all 32 PIM rows open: 32 PIM_PREs, one per bank, on consecutive
    # cycles from the first tile's end 177 (177..208); G_ACTs from the last + tRP = 222, then
    # as in the first tile shifted by 222: COMPS 313 + 14 = 327 ... 381, end 381 + 18 = 399.
    r = replay_with_pim(CFG, [], [], [], [PimTile(0, 4, 18)] * 2, 2, log=True)
    pres = [(c.cycle, c.bank) for c in r.commands if c.kind == "PIM_PRE"]
    assert pres == [(177 + b, b) for b in range(ORG.banks_per_channel)]
    second = [c.cycle for c in r.commands if c.kind == "G_ACT"][8:]
    assert second == [222 + c for c in GACTS]
    assert (r.tile_start, r.tile_end) == ([0, 177], [177, 399])


def test_dual_mode_read_waits_for_gacts_not_for_tile() -> None:
    # Read to bank 0 (rank 0) in the trace at 1 (accepted 2). Every G_ACT of rank 0 refills
    # its tFAW window and the next one wins the cycle its window opens (PIM first), so the
    # normal ACT waits for the last one (90) + tFAW = 120; RD 134 (its data 148..151 clears the
    # result bursts of the COMPS at 123 and 141), done 150: latency 149. The tile is unchanged,
    # and the read does not wait for its end (blocked mode: see below).
    r = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [PimTile(0, 4, 18)], 2,
                        log=True)
    cmds = [(c.cycle, c.kind) for c in r.commands]
    assert (120, "ACT") in cmds and (134, "RD") in cmds
    assert r.latency.tolist() == [149] and r.tile_end == [177]


def test_blocked_mode_read_waits_for_tile() -> None:
    # Single row buffer: the read (arrived after the tile) waits for the tile end 177, then
    # the PIM row must close (tRP 14): ACT 191, RD 205, done 221 -> latency 220.
    r = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [PimTile(0, 4, 18)], 1,
                        log=True)
    assert r.latency.tolist() == [220] and r.tile_end == [177]


def test_blocked_mode_tile_waits_for_older_reads_and_closes_rows() -> None:
    # Read at 0 (accepted 1), tile at 1: ACT 2, RD 16, done 32. The tile precharges the one open
    # row: PRE at max(ACT + tRAS = 36, RD + tRTP = 21) = 36; G_ACTs start 36 + 14 = 50.
    r = replay_with_pim(CFG, [0], [encode(ORG, row=3)], [False], [PimTile(1, 4, 18)], 1,
                        log=True)
    assert r.latency.tolist() == [32]
    assert [(c.cycle, c.kind, c.bank) for c in r.commands if c.kind == "PIM_PRE"] == \
        [(36, "PIM_PRE", 0)]
    assert r.tile_start == [36] and r.tile_end == [36 + 14 + 177]


def _pim_and_normal_in_one_cycle(cfg: HbmConfig) -> int:
    """Cycles in which a PIM command and a normal command issue together (a read stream of
    one channel beside two tiles)."""
    n = 600
    addrs = np.arange(n * cfg.org.channels, dtype=np.int64) * cfg.org.request_bytes
    ch0 = addrs[decode(addrs, cfg.org).channel == 0][:n]
    r = replay_with_pim(cfg, np.zeros(n, np.int64), ch0, np.zeros(n, bool),
                        [PimTile(0, 4, 18)] * 2, 2, log=True)
    pim = {c.cycle for c in r.commands if c.kind in ("PIM_PRE", "G_ACT", "COMPS_READRES")}
    normal = {c.cycle for c in r.commands if c.kind in ("ACT", "PRE", "RD", "WR")}
    return len(pim & normal)


def test_single_issue_pim_command_takes_the_cycle() -> None:
    # The NeuPIMs controller issues one command per cycle: a PIM command leaves no pins for a
    # normal one. Negative control: with dual issue, reads do share cycles with PIM
    # precharges / G_ACTs (row pins) during the same stream.
    assert not CFG.controller.dual_issue
    assert _pim_and_normal_in_one_cycle(CFG) == 0
    assert _pim_and_normal_in_one_cycle(make_config(controller={"dual_issue": True})) > 0


def test_stream_loss_from_command_slots() -> None:
    # Lower bound: from the second tile on, each tile holds the command slot for 32 PIM_PREs in
    # a row; reads issued before the run still fill the data bus for CL + burst cycles, so
    # each tile period (~222 cycles between tiles here) leaves at least 32 - 16 data-bus cycles
    # unused. Negative control: with dual issue (reads beside row commands) the loss is smaller.
    loss = program_stream_loss(CFG, (PimTile(0, 4, 18),) * 6)
    floor = (ORG.banks_per_channel - CFG.timing.CL - ORG.burst_cycles) / 222
    assert floor < loss < 0.9
    assert program_stream_loss(make_config(controller={"dual_issue": True}),
                               (PimTile(0, 4, 18),) * 6) < loss


def test_gwrite_holds_bank_zero_only() -> None:
    # A GWRITE on an idle channel: ACT of bank 0's normal row at 0, GWRITE tRCDRD = 14 later,
    # the copy takes (tCCD_S + tCCD_L) x columns / 2 = 3 x 32 = 96 cycles: ends at 110, and a
    # tile after it starts its G_ACTs there. A read to bank 0 (arrived at 1) waits for that
    # end: PRE 110 (bank 0 holds the GWRITE row), ACT 124, RD 138, data 138 + CL + burst =
    # 154, latency 153. Negative control: a read to bank 1 does not wait for the GWRITE.
    gw = PimTile(0, 0, 0, gwrite=True)
    r = replay_with_pim(CFG, [], [], [], [gw, PimTile(0, 4, 18)], 2, log=True)
    assert [(c.cycle, c.kind) for c in r.commands][:3] == [(0, "GW_ACT"), (14, "GWRITE"),
                                                           (110, "G_ACT")]
    assert (r.tile_start, r.tile_end[0]) == ([0, 110], 110)
    bank0 = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [gw], 2, log=True)
    assert [(c.cycle, c.kind) for c in bank0.commands][2:] == [(110, "PRE"), (124, "ACT"),
                                                              (138, "RD")]
    assert bank0.latency.tolist() == [153]
    bank1 = replay_with_pim(CFG, [1], [encode(ORG, row=3, bank=1)], [False], [gw], 2)
    assert bank1.latency[0] < 110


def test_gwrites_dilute_the_stream_loss_of_tiles() -> None:
    # During a GWRITE the stream keeps every bank but bank 0 and all but three command slots,
    # so tiles with GWRITEs between them cost the stream less per cycle than tiles alone
    # (negative control), yet more than nothing.
    tile, gw = PimTile(0, 4, 18), PimTile(0, 0, 0, gwrite=True)
    mixed = program_stream_loss(CFG, (gw, tile, tile) * 3)
    assert 0 < mixed < program_stream_loss(CFG, (tile,) * 6)


def test_trace_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("cycle,address,write\n0,0x0,R\n0,64,0\n5,0x100000,W\n")
    cycles, addrs, writes = read_trace_csv(path)
    assert cycles.tolist() == [0, 0, 5] and writes.tolist() == [False, False, True]
    stats = replay(CFG, cycles, addrs, writes)
    # from acceptance: closed bank 31; the row hit accepted a cycle later waits for tCCD: 32
    assert stats.latency[0] == 31 and stats.latency[1] == 32
    bad = tmp_path / "bad.csv"
    bad.write_text("cycle,address,write\n0,zz,R\n")
    with pytest.raises(SimError, match="bad DRAM trace row"):
        read_trace_csv(bad)
