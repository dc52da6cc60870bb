"""Command-level PIM channel model (hand-derived timelines on HBM2_8Gb_x128) and the family's
closed form of it (exact on random programs); the simulator's tile timing is the RTL-checked
bank unit timing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.hw.dram.config import make_config
from sim.hw.dram.pim_commands import PimDesign, PimOp, gwrite_cycles, run_program
from sim.models.npu_pim import pim
from sim.models.npu_pim.arith import unit_cycles

CFG = make_config()
RTP = CFG.timing.tRTP  # 5: the NeuPIMs simulator's config reader default
DUAL = pim.PimParams(refresh=False, release_at_issue=True)  # the simulator's rule (timing.cc)
SINGLE = pim.PimParams(row_buffers=1, fused=False, refresh=False)
QK = PimOp("tile", 4, 8)  # K.q tile of GPT-3 7B: 4 heads x 128 / 16 lanes
SV = PimOp("tile", 1, 32)  # S.V tile: one head, 512 tokens / 16 lanes


def cmds(run: object, name: str) -> list[int]:
    return [c.cycle for c in run.commands if c.name == name]  # type: ignore[attr-defined]


def test_dual_fused_timeline_hand_derived() -> None:
    run = run_program(CFG, pim.design(CFG, DUAL), [PimOp("gwrite"), QK, QK])
    # GWRITE: ACT of bank 0's staging row at 0, GWRITE tRCDRD = 14 later, copy 96 cycles; the
    # PIM queue holds until the copy ends at 110.
    assert cmds(run, "ACT_N") == [0] and cmds(run, "GWRITE") == [14]
    assert gwrite_cycles(CFG) == (1 + 2) * 64 // 2 == 96
    # Tile 1: no open rows, so its header issues at once (110); G_ACTs (bank group outer, rank
    # inner) one per cycle from 111, each rank's next tFAW = 30 later.
    assert cmds(run, "P_HEADER")[0] == 110
    gacts = cmds(run, "G_ACT")
    assert gacts[:8] == [111, 112, 141, 142, 171, 172, 201, 202]
    # First COMPS_READRES tRCDRD after the last G_ACT; heads 8 beats x 2 cycles + a READRES
    # slot of 2 apart: 216, 234, 252, 270. The last head's result: unit_cycles(8) later.
    heads = cmds(run, "COMPS_READRES")
    assert heads[:4] == [216, 234, 252, 270]
    assert run.end[1] == 270 + unit_cycles(8, 16, 2) == 290
    # Tile 2: 32 precharges from the last COMPS_READRES's issue + tRTP, one per cycle, the
    # header, then the G_ACTs in the same pattern, the last 91 cycles after the first.
    pre = 270 + RTP
    assert cmds(run, "PRE") == list(range(pre, pre + 32))
    assert cmds(run, "P_HEADER")[1] == pre + 32
    assert gacts[8:] == [pre + 33 + d for d in (0, 1, 30, 31, 60, 61, 90, 91)]
    assert heads[4] == pre + 33 + 91 + 14
    # Tile period = 3 x 18 (heads) + tRTP + 32 (precharges) + 1 (header) + 91 + 14 = 197.
    assert heads[4] - heads[0] == 3 * 18 + RTP + 32 + 1 + 91 + 14 == 197
    # Controls: heads streamed back to back (16 apart) or precharges tRTP after the last beat
    # (last head + 7 x 2) would give other cycles.
    assert heads[1] - heads[0] != 8 * 2 and cmds(run, "PRE")[0] != 270 + 7 * 2 + RTP


def test_gwrite_holds_the_pim_queue_dual_and_single() -> None:
    prog = [PimOp("gwrite"), SV] * 6
    dual = run_program(CFG, pim.design(CFG, DUAL), prog)
    single = run_program(CFG, pim.design(CFG, replace(DUAL, row_buffers=1)), prog)
    # Dual: the staging row stays open, so a GWRITE is one command a column slot (2) after the
    # tile's COMPS_READRES; the next tile's precharges wait for the copy (96), then header,
    # G_ACTs, tRCDRD: a GWRITE + S.V tile pair takes 2 + 96 + 32 + 1 + 91 + 14 = 236.
    assert cmds(dual, "ACT_N") == [0]
    heads, gw = cmds(dual, "COMPS_READRES"), cmds(dual, "GWRITE")
    assert all(g == h + 2 for g, h in zip(gw[1:], heads, strict=False))
    pres = cmds(dual, "PRE")
    assert pres[0] == gw[1] + 96
    assert heads[-1] - heads[-2] == 2 + 96 + 32 + 1 + 91 + 14
    # Control: had the copy overlapped the precharges (no hold) they would start at the last
    # COMPS_READRES + tRTP.
    assert pres[0] != heads[0] + RTP
    # Single: bank 0 closes its PIM row (tRTP), reopens the staging row (tRP), reads it (tRCDRD,
    # copy 96); the precharges wait tRTP after the copy (bank 0's last column access).
    sh = cmds(single, "COMPS_READRES")
    assert sh[-1] - sh[-2] == RTP + 14 + 14 + 96 + RTP + 32 + 1 + 91 + 14


def test_fused_heads_release_the_row_after_their_last_beat_by_default() -> None:
    """Physical rule (default): the next tile's precharges wait tRTP after the last head's last
    beat has read the row, and a GWRITE a column slot after that beat. The simulator's rule
    (negative control) counts both from the COMPS_READRES issue, 7 beats x 2 cycles earlier."""
    prog = [PimOp("gwrite"), QK, PimOp("gwrite"), QK, QK]  # the first GWRITE opens the staging row
    starts = {}
    for at_issue in (False, True):
        run = run_program(CFG, pim.design(CFG, replace(DUAL, release_at_issue=at_issue)), prog)
        heads, pres, gws = cmds(run, "COMPS_READRES"), cmds(run, "PRE"), cmds(run, "GWRITE")
        release = heads[-1] if at_issue else heads[-1] + 7 * 2
        last_of_second = heads[7] + (0 if at_issue else 7 * 2)
        assert pres[-32] == last_of_second + RTP  # the fourth tile's first precharge
        assert gws[1] == heads[3] + (0 if at_issue else 7 * 2) + 2
        starts[at_issue] = release
    assert starts[False] - starts[True] > 7 * 2


def test_unfused_heads_wait_for_their_results() -> None:
    run = run_program(CFG, pim.design(CFG, SINGLE), [QK, QK])
    comps, readres = cmds(run, "COMP"), cmds(run, "READRES")
    assert len(comps) == 2 * 4 * 8 and len(readres) == 2 * 4
    # Per head: COMPs 2 apart from its first beat; READRES when the unit's result is out
    # (unit_cycles(8) = 7 * 2 + 6 = 20 after the first beat); next head 2 cycles later.
    first = comps[0]
    assert readres[:4] == [first + k * 22 + 20 for k in range(4)]
    assert comps[8] == readres[0] + 2


def test_refresh_waits_for_the_deadline_and_blocks_trfc() -> None:
    design = pim.design(CFG, pim.PimParams())
    prog = [PimOp("gwrite")] + [QK] * 60
    est = lambda op: pim.estimate(CFG, pim.PimParams(), op)  # noqa: E731
    with_ref = run_program(CFG, design, prog, estimate=est)
    without = run_program(CFG, design, prog)
    refs = [c for c in with_ref.commands if c.name == "REF"]
    t = CFG.timing
    # Rank 0 due at tREFI / 2 = 1950, rank 1 at 3900, rank 0 again at 5850, ...
    assert [c.rank for c in refs][:3] == [0, 1, 0] and refs[0].cycle >= 1950
    # No tile is cut by a refresh: every REF falls between two tiles.
    spans = list(zip(with_ref.start[1:], with_ref.end[1:], strict=True))
    assert all(not (s < r.cycle < e) for r in refs for s, e in spans)
    # The next G_ACT of a refreshed rank waits tRFC.
    first_ref = refs[0]
    after = [c.cycle for c in with_ref.commands if c.name == "G_ACT" and c.rank == first_ref.rank
             and c.cycle > first_ref.cycle]
    assert after[0] >= first_ref.cycle + t.tRFC
    assert with_ref.cycles > without.cycles + len(refs) * (t.tRFC - 100)


def test_refresh_check_uses_the_controllers_conservative_estimate() -> None:
    t = CFG.timing
    # Tile: tRTP per bank's precharge, tFAW per pair of G_ACTs after the first, tRCDRD, a
    # column slot (2) per header COMP (a power of two, at least 6) and per further head.
    assert pim.estimate(CFG, DUAL, QK) == 32 * RTP + 30 * 3 + 14 + 2 * 32 + 2 * 3 == 334
    assert pim.estimate(CFG, DUAL, SV) == 32 * RTP + 30 * 3 + 14 + 2 * 32 == 328
    assert pim.estimate(CFG, DUAL, PimOp("tile", 1, 20)) == 328  # header: 32 COMPs
    # GWRITE: the copy (staging row open); one row buffer: close, reopen, copy.
    assert pim.estimate(CFG, DUAL, PimOp("gwrite")) == 96
    assert pim.estimate(CFG, SINGLE, PimOp("gwrite")) == RTP + t.tRP + t.tRCDRD + 96
    prog = [PimOp("gwrite")] + [QK] * 12
    params = replace(DUAL, refresh=True)
    run = run_program(CFG, pim.design(CFG, params), prog,
                      estimate=lambda op: pim.estimate(CFG, params, op))
    ref = next(c.cycle for c in run.commands if c.name == "REF")
    last = max(c.cycle for c in run.commands if c.name == "COMPS_READRES" and c.cycle < ref)
    # The next tile is checked one cycle after the last COMPS_READRES: 1950 - 1650 = 300 cycles
    # of slack are not more than its estimate, so it waits for the refresh.
    slack = t.tREFI // 2 - (last + 1)
    assert slack == 300 and slack <= pim.estimate(CFG, DUAL, QK)
    # Control: the tile's real span up to its last result (precharges, header, G_ACTs, tRCDRD,
    # heads) would have fitted in that slack.
    assert 32 + 1 + 91 + 14 + 3 * 18 + unit_cycles(8, 16, 2) < slack


@pytest.mark.parametrize("seed", range(4))
def test_closed_form_matches_command_model_on_random_programs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        params = pim.PimParams(lanes=int(rng.choice([8, 16, 32])), fused=bool(rng.integers(2)),
                               row_buffers=int(rng.integers(1, 3)),
                               refresh=bool(rng.integers(2)),
                               release_at_issue=bool(rng.integers(2)))
        prog = [PimOp("gwrite") if rng.random() < 0.25 else
                PimOp("tile", int(rng.integers(1, 6)), int(rng.integers(1, 40)))
                for _ in range(int(rng.integers(1, 50)))]
        arrivals = np.cumsum(rng.integers(0, 300, len(prog)))
        est = (lambda op, p=params: pim.estimate(CFG, p, op)) if params.refresh else None
        want = run_program(CFG, pim.design(CFG, params), prog, arrivals, est)
        clock = pim.ChannelClock(CFG, params)
        got = [clock.run(op, int(a)) for op, a in zip(prog, arrivals, strict=True)]
        assert got == list(zip(want.start, want.end, strict=True)), (params, prog)


def test_closed_form_control_detects_a_one_cycle_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: the closed form with one more cycle of tRCDRD disagrees."""
    prog = [PimOp("gwrite"), QK, SV, QK]
    want = run_program(CFG, pim.design(CFG, DUAL), prog)
    late = CFG.__class__(CFG.org, CFG.timing.__class__(
        **{**CFG.timing.__dict__, "tRCDRD": CFG.timing.tRCDRD + 1}))
    clock = pim.ChannelClock(late, DUAL)
    got = [clock.run(op, 0) for op in prog]
    assert got != list(zip(want.start, want.end, strict=True))


def test_simulator_tiles_use_the_rtl_checked_unit_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tile timing calls arith.unit_cycles (the function the pim_gemv bench checks):
    perturbing it by one cycle moves every fused tile's result by one cycle."""
    base = pim.ChannelClock(CFG, DUAL)
    before = [base.run(op, 0)[1] for op in (QK, QK)]
    monkeypatch.setattr(pim, "unit_cycles", lambda b, lanes, s: unit_cycles(b, lanes, s) + 1)
    late = pim.ChannelClock(CFG, DUAL)
    after = [late.run(op, 0)[1] for op in (QK, QK)]
    assert after[0] == before[0] + 1
    assert pim.gemv_cycles(CFG, DUAL, 8) == unit_cycles(8, 16, 2) + 1


def test_bad_operations() -> None:
    with pytest.raises(SimError, match="unknown PIM operation"):
        PimOp("refresh")
    with pytest.raises(SimError, match="heads >= 1"):
        PimOp("tile", 0, 8)
    with pytest.raises(SimError, match="row_buffers"):
        PimDesign(3, True, 2, 6, lambda b: b)
