"""PIM tiles beside normal traffic on the event-driven channel (dual and blocked row buffers),
hand-derived; with no normal traffic, the same command cycles as the PIM timing model on random
programs; the dual-mode stream loss; DRAM trace CSV reading. (PIM-only programs and the family's
closed form: tests/unit/test_pim_commands.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.hw.dram import pim_channel
from sim.hw.dram.address import decode, encode
from sim.hw.dram.config import HbmConfig, make_config
from sim.hw.dram.pim_channel import (
    PimTile,
    program_stream_loss,
    replay_with_pim,
)
from sim.hw.dram.pim_commands import PimOp, run_program
from sim.hw.dram.replay import replay
from sim.hw.dram.trace import read_trace_csv
from sim.models.npu_pim import pim

CFG = make_config()
ORG = CFG.org
QK = PimTile(0, 4, 8, 2, 20)  # 4 heads x 8 beats 2 cycles apart, result 20 after the command
GACTS = [0, 1, 30, 31, 60, 61, 90, 91]


def test_tile_alone() -> None:
    # First tile: no PIM row is open, so no precharge; the header takes cycle 0. G_ACTs rank 0 /
    # rank 1 interleaved from 1, a rank's next one tFAW = 30 after its last (its window is
    # full); COMPS_READRES from 92 + tRCDRD 14 = 106, 8 beats x 2 + a READRES slot of 2 = 18
    # apart; the tile ends with the last head's result, 160 + 20 = 180.
    r = replay_with_pim(CFG, [], [], [], [QK], 2, log=True)
    cmds = [(c.cycle, c.kind) for c in r.commands]
    assert cmds == ([(0, "P_HEADER")] + [(1 + c, "G_ACT") for c in GACTS]
                    + [(c, "COMPS_READRES") for c in (106, 124, 142, 160)])
    assert (r.tile_start, r.tile_end) == ([0], [180])


def test_next_tile_precharges_every_bank_one_command_each() -> None:
    # The second tile finds all 32 PIM rows open: 32 PIM_PREs, one per bank, on consecutive
    # cycles from the last head's last beat (160 + 7 x 2 = 174) + tRTP 5 = 179 (179..210), the
    # header at 211, then G_ACTs as in the first tile from 212 (each group's precharges are more
    # than tRP earlier): COMPS 303 + 14 = 317 ... 371, end 371 + 20 = 391.
    r = replay_with_pim(CFG, [], [], [], [QK] * 2, 2, log=True)
    pres = [(c.cycle, c.bank) for c in r.commands if c.kind == "PIM_PRE"]
    assert pres == [(179 + b, b) for b in range(ORG.banks_per_channel)]
    second = [c.cycle for c in r.commands if c.kind == "G_ACT"][8:]
    assert second == [212 + c for c in GACTS]
    assert (r.tile_start, r.tile_end) == ([0, 179], [180, 391])
    # With the simulator's release rule the precharges start tRTP after the last COMPS_READRES
    # issues (165), 7 beats x 2 cycles earlier.
    early = replay_with_pim(CFG, [], [], [], [QK] * 2, 2, log=True, release_at_issue=True)
    assert min(c.cycle for c in early.commands if c.kind == "PIM_PRE") == 160 + 5


def test_dual_mode_read_waits_for_gacts_not_for_tile() -> None:
    # Read to bank 0 (rank 0) in the trace at 1 (accepted 2). Every G_ACT of rank 0 refills
    # its tFAW window and the next one wins the cycle its window opens (PIM first), so the
    # normal ACT waits for the last one (91) + tFAW = 121; RD 135 (its data 149..151 clears the
    # result bursts of the heads at 106 and 124, on the bus at 136 and 154), done 151: latency
    # 150. The tile is unchanged, and the read does not wait for its end (blocked mode: below).
    r = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [QK], 2, log=True)
    cmds = [(c.cycle, c.kind) for c in r.commands]
    assert (121, "ACT") in cmds and (135, "RD") in cmds
    assert r.latency.tolist() == [150] and r.tile_end == [180]


def test_blocked_mode_read_waits_for_tile() -> None:
    # Single row buffer: the read (arrived after the tile) waits for the tile end 180, then
    # the PIM row must close (tRP 14): ACT 194, RD 208, done 224 -> latency 223.
    r = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [QK], 1, log=True)
    assert r.latency.tolist() == [223] and r.tile_end == [180]


def test_blocked_mode_tile_waits_for_older_reads_and_closes_rows() -> None:
    # Read at 0 (accepted 1), tile at 1: ACT 2, RD 16, done 32. The tile precharges the one open
    # row: PRE at max(ACT + tRAS = 36, RD + tRTP = 21) = 36, header 37; G_ACTs start 36 + 14 =
    # 50, the first head at 141 + 14 = 155, the last at 155 + 3 x 18 = 209, its result 20 later.
    r = replay_with_pim(CFG, [0], [encode(ORG, row=3)], [False], [PimTile(1, 4, 8, 2, 20)], 1,
                        log=True)
    assert r.latency.tolist() == [32]
    assert [(c.cycle, c.kind, c.bank) for c in r.commands if c.kind == "PIM_PRE"] == \
        [(36, "PIM_PRE", 0)]
    assert r.tile_start == [36] and r.tile_end == [209 + 20]


def _pim_and_normal_in_one_cycle(cfg: HbmConfig) -> int:
    """Cycles in which a PIM command and a normal command issue together (a read stream of
    one channel beside two tiles)."""
    n = 600
    addrs = np.arange(n * cfg.org.channels, dtype=np.int64) * cfg.org.request_bytes
    ch0 = addrs[decode(addrs, cfg.org).channel == 0][:n]
    r = replay_with_pim(cfg, np.zeros(n, np.int64), ch0, np.zeros(n, bool), [QK] * 2, 2,
                        log=True)
    pim = {c.cycle for c in r.commands
           if c.kind in ("PIM_PRE", "P_HEADER", "G_ACT", "COMPS_READRES")}
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
    # Lower bound: from the second tile on, each tile holds the command slot for 32 PIM_PREs and
    # the header in a row; reads issued before the run still fill the data bus for CL + burst
    # cycles, so each tile period (~211 cycles between tiles here) leaves at least 33 - 16
    # data-bus cycles unused. Negative control: with dual issue (reads beside row commands) the
    # loss is smaller.
    loss = program_stream_loss(CFG, (QK,) * 6)
    floor = (ORG.banks_per_channel + 1 - CFG.timing.CL - ORG.burst_cycles) / 211
    assert floor < loss < 0.9
    assert program_stream_loss(make_config(controller={"dual_issue": True}), (QK,) * 6) < loss


def test_gwrite_holds_bank_zero_only() -> None:
    # A GWRITE on an idle channel: ACT of bank 0's normal row at 0, GWRITE tRCDRD = 14 later,
    # the copy takes (tCCD_S + tCCD_L) x columns / 2 = 3 x 32 = 96 cycles: ends at 110, and
    # the PIM queue holds until then: the next tile's header issues at 110. A read to bank 0
    # (arrived at 1) waits for that end: PRE 110 + tRTP = 115 (bank 0 holds the GWRITE row),
    # ACT 129, RD 143, data 143 + CL + burst = 159, latency 158. Negative control: a read to
    # bank 1 does not wait for the GWRITE.
    gw = PimTile(0, gwrite=True)
    r = replay_with_pim(CFG, [], [], [], [gw, QK], 2, log=True)
    assert [(c.cycle, c.kind) for c in r.commands][:4] == [(0, "GW_ACT"), (14, "GWRITE"),
                                                           (110, "P_HEADER"), (111, "G_ACT")]
    assert (r.tile_start, r.tile_end[0]) == ([0, 110], 110)
    bank0 = replay_with_pim(CFG, [1], [encode(ORG, row=3)], [False], [gw], 2, log=True)
    assert [(c.cycle, c.kind) for c in bank0.commands][2:] == [(115, "PRE"), (129, "ACT"),
                                                              (143, "RD")]
    assert bank0.latency.tolist() == [158]
    bank1 = replay_with_pim(CFG, [1], [encode(ORG, row=3, bank=1)], [False], [gw], 2)
    assert bank1.latency[0] < 110


def test_gwrites_dilute_the_stream_loss_of_tiles() -> None:
    # During a GWRITE the stream keeps every bank but bank 0 and all but three command slots,
    # so tiles with GWRITEs between them cost the stream less per cycle than tiles alone
    # (negative control), yet more than nothing.
    gw = PimTile(0, gwrite=True)
    mixed = program_stream_loss(CFG, (gw, QK, QK) * 3)
    assert 0 < mixed < program_stream_loss(CFG, (QK,) * 6)


NO_REFRESH = make_config(timing={"tREFI": 1 << 20})  # programs here end long before a refresh
SIM_NAMES = {"PRE": "PIM_PRE", "ACT_N": "GW_ACT"}  # pim_commands name -> channel log name


def _program_agrees(seed: int, flip_release: bool = False) -> bool:
    """Random fused dual-buffer program, no normal traffic: does the event-driven channel give
    every PIM command at the cycle the PIM timing model (pim_commands) gives it?"""
    rng = np.random.default_rng(seed)
    params = pim.PimParams(lanes=int(rng.choice([8, 16, 32])), refresh=False,
                           release_at_issue=bool(rng.integers(2)))
    spec = pim.design(NO_REFRESH, params)
    prog = [PimOp("gwrite") if rng.random() < 0.25 else
            PimOp("tile", int(rng.integers(1, 6)), int(rng.integers(1, 40)))
            for _ in range(int(rng.integers(2, 30)))]
    arrivals = np.cumsum(rng.integers(0, 300, len(prog)))
    want = run_program(NO_REFRESH, spec, prog, arrivals)
    tiles = [PimTile.of(op, spec, int(a)) for op, a in zip(prog, arrivals, strict=True)]
    got = replay_with_pim(NO_REFRESH, [], [], [], tiles, 2, log=True,
                          release_at_issue=params.release_at_issue != flip_release)
    return ([(c.cycle, SIM_NAMES.get(c.name, c.name)) for c in want.commands]
            == [(c.cycle, c.kind) for c in got.commands]
            and (want.start, want.end) == (got.tile_start, got.tile_end))


@pytest.mark.parametrize("seed", range(8))
def test_pim_only_replay_matches_the_pim_timing_model(seed: int) -> None:
    assert _program_agrees(seed)


def test_pim_only_replay_control_detects_one_changed_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative controls: the other release rule, or heads without their READRES slot, give
    other cycles."""
    assert not any(_program_agrees(seed, flip_release=True) for seed in range(8))
    monkeypatch.setattr(pim_channel, "column_slot", lambda cfg: 0)
    assert not any(_program_agrees(seed) for seed in range(8))


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
