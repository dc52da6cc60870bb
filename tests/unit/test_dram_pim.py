"""PIM tiles beside normal traffic on the event-driven channel (dual and blocked row buffers),
hand-derived; the dual-mode stream loss; DRAM trace CSV reading. (PIM-only programs and the
family's closed form: tests/unit/test_pim_commands.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.hw.dram.address import encode
from sim.hw.dram.config import make_config
from sim.hw.dram.pim_channel import PimTile, dual_mode_stream_loss, replay_with_pim
from sim.hw.dram.replay import replay
from sim.hw.dram.trace import read_trace_csv

CFG = make_config()
ORG = CFG.org
GACTS = [14, 15, 44, 45, 74, 75, 104, 105]


def test_tile_alone() -> None:
    # PIM_PRE 0; G_ACTs 14/15, +tFAW ... (see test_npu_pim); COMPS_READRES from 105 + 14 = 119,
    # every 2*8 + 2 = 18 cycles; the tile ends at 173 + 18 = 191.
    r = replay_with_pim(CFG, [], [], [], [PimTile(0, 4, 18)], 2, log=True)
    cmds = [(c.cycle, c.kind) for c in r.commands]
    assert cmds == ([(0, "PIM_PRE")] + [(c, "G_ACT") for c in GACTS]
                    + [(c, "COMPS_READRES") for c in (119, 137, 155, 173)])
    assert (r.tile_start, r.tile_end) == ([0], [191])


def test_dual_mode_read_proceeds_during_tile() -> None:
    # Read to bank 0 in the trace at 1: accepted at 2, moved to its bank queue in cycle 2, ACT
    # at 3 (the FAW window has room); the first G_ACT (same bank group) needs only
    # tRRD_L = 6 <= 14, so the tile is unchanged. RD at 3 + 14 = 17, done 17 + 16 = 33:
    # 32 cycles after the trace cycle (as with no PIM).
    r = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [PimTile(0, 4, 18)], 2,
                        log=True)
    assert (3, "ACT") in [(c.cycle, c.kind) for c in r.commands]
    assert r.latency.tolist() == [32] and r.tile_end == [191]


def test_blocked_mode_read_waits_for_tile() -> None:
    # Single row buffer: the read (arrived after the tile) waits for the tile end 191, then
    # the PIM row must close (tRP 14): ACT 205, RD 219, done 235 -> latency 234.
    r = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [PimTile(0, 4, 18)], 1,
                        log=True)
    assert r.latency.tolist() == [234] and r.tile_end == [191]


def test_blocked_mode_tile_waits_for_older_reads_and_closes_rows() -> None:
    # Read at 0 (accepted 1), tile at 1: ACT 2, RD 16, done 32. The tile's precharge closes the
    # open row: PRE-all at max(ACT + tRAS = 36, RD + tRTP 6 = 22) = 36; G_ACTs start 36 + 14.
    r = replay_with_pim(CFG, [0], [encode(ORG, row=3)], [False], [PimTile(1, 4, 18)], 1,
                        log=True)
    assert r.latency.tolist() == [32]
    assert r.tile_start == [36] and r.tile_end == [36 + 191]


def test_dual_mode_interference_is_partial() -> None:
    # G_ACTs fill the tFAW windows for ~105 of every 191 cycles: a normal stream slows down
    # but is not stopped (blocked mode would stop it completely); the controller's queues let
    # it open rows ahead, so the loss is small.
    loss = dual_mode_stream_loss(CFG, 4, 18)
    assert 0.01 < loss < 0.9


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
