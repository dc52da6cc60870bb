"""Sub-batch interference: an NPU op beside PIM work advances at the pace of the channel that
loses most (its stream is spread over every channel and an instruction waits for all of them),
over the part of the PIM work the op actually overlaps; each attention phase has its own loss.
Hand-derived, with mean-channel and GWRITE-free negative controls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.hw.dram.pim_channel import PimTile, program_stream_loss
from sim.hw.dram.pim_commands import PimOp
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.pim import attend_program, design, logit_program
from sim.models.npu_pim.system import Interference, SystemModel, leading_blocks
from sim.models.npu_pim.workload import llm_decode
from sim.spec.yamlio import load_yaml
from sim.workload.trace import EltwiseOp

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = 32
LOSS = 0.25
# A residual add over 2**22 fp16 values: 16 MiB read and 8 MiB written through HBM, far more
# cycles of streaming than of vector work, so its time is bytes / bandwidth.
ADD = EltwiseOp(name="add", kind="eltwise", elements=1 << 22, function="add")


def model(**over: object) -> SystemModel:
    data = load_yaml(ROOT / "arch" / "npu_pim_neupims.yaml").data
    return SystemModel(NpuPimArch.model_validate({**data, **over}))


def spans(rows: list[tuple[float, float, int]], loss: float = LOSS) -> Interference:
    arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return Interference(arr, np.full(len(arr), loss), CHANNELS)


def add_cycles(m: SystemModel, start: int, beside: Interference | None) -> int:
    rec, _ = m.op_beside(ADD, 1, 1, start, beside)
    return rec.end


def test_lost_cycles_are_the_most_hindered_channels() -> None:
    # Channel 0 busy [0, 100), channel 1 busy [0, 40) and [60, 100), loss 0.25 each:
    # over [0, 100) channel 0 loses 25 cycles, channel 1 20; over [50, 150) 12.5 and 10.
    beside = spans([(0, 100, 0), (0, 40, 1), (60, 100, 1)])
    assert beside.lost(0, 100) == pytest.approx(25.0)
    assert beside.lost(50, 150) == pytest.approx(12.5)
    assert beside.lost(100, 200) == 0.0 and beside.end == 100.0


def test_op_is_paced_by_the_busiest_channel_not_the_mean() -> None:
    m = model()
    alone = add_cycles(m, 0, None)
    far = 100 * alone
    # One channel runs PIM work all the time: the op's stream waits for that channel, which
    # serves its share at (1 - loss) of its bandwidth: alone / (1 - loss) cycles (+1 rounding).
    one = add_cycles(m, 0, spans([(0, far, 0)]))
    assert one == pytest.approx(alone / (1 - LOSS), abs=2)
    # Negative control: as much PIM work per cycle (one channel's worth) spread over all
    # channels in turns of 16 cycles hinders each channel 1/32 of the time: the op slows to
    # alone / (1 - loss / 32), give or take one turn (the mean model would give both cases
    # the same time).
    turn = 16
    spread = add_cycles(m, 0, spans([(k * turn, (k + 1) * turn, k % CHANNELS)
                                     for k in range(2 * alone // turn)]))
    assert spread == pytest.approx(alone / (1 - LOSS / CHANNELS), abs=LOSS * turn + 2)
    assert spread + 1000 < one


def test_only_the_overlapped_part_of_the_pim_work_counts() -> None:
    m = model()
    alone = add_cycles(m, 0, None)
    beside = spans([(0, alone, 0)])
    assert add_cycles(m, alone, beside) == alone  # starts when the PIM work is over
    # Starting half-way through: the channel is busy for the first alone / 2 cycles of the op,
    # so the op takes D with D - loss * alone / 2 = alone (its stream's own cycles).
    half = add_cycles(m, alone // 2, beside)
    assert half == pytest.approx(alone + LOSS * (alone - alone // 2), abs=2)
    assert alone < half < add_cycles(m, 0, beside)


def requests(tmp_path: Path) -> str:
    """Eight requests of KV length 300, one per channel."""
    path = tmp_path / "requests.csv"
    path.write_text("seq_len,ch_idx\n" + "".join(f"300,{c}\n" for c in range(8)))
    return str(path)


def test_each_phase_has_its_own_loss_measured_on_its_program(tmp_path: Path) -> None:
    # TP 32: one head per device, so a request's K.q is a GWRITE and 10 tiles of 8 COMPs, its
    # S.V a GWRITE and 4 tiles of ceil(300 / 16) = 19 COMPs.
    m = model()
    trace = llm_decode("gpt3-7b", 8, requests(tmp_path), tp=32, layers=1)
    loss = m._stream_loss(trace, 2)
    assert set(loss) == {"logit", "attend"} and loss["logit"] != loss["attend"]
    spec = design(m.hbm, m.pim)
    for name, build in (("logit", logit_program), ("attend", attend_program)):
        tiles = tuple(PimTile.of(op, spec)
                      for op in build(m.hbm, m.pim, 300, 1, 128) if op.kind == "tile")
        assert len(tiles) == {"logit": 10, "attend": 4}[name]
        # Negative control: the same tiles without the GWRITE, measured the same way (steady
        # state after a warm-up copy), lose more (during a GWRITE the stream keeps every bank
        # but one).
        alone = program_stream_loss(m.hbm, tiles * 2, m.pim.release_at_issue, len(tiles))
        assert 0 < loss[name] < alone


def test_no_interference_without_sub_batches_or_with_one_row_buffer(tmp_path: Path) -> None:
    trace = llm_decode("gpt3-7b", 8, requests(tmp_path), tp=32, layers=1)
    assert model()._stream_loss(trace, 1) == {}
    blocked = model(memory={**load_yaml(ROOT / "arch" / "npu_pim_neupims.yaml")
                            .data["memory"], "pim": {"row_buffers": 1}})
    assert blocked._stream_loss(trace, 2) == {}


def test_loss_is_measured_on_the_leading_whole_blocks() -> None:
    g, t = PimOp("gwrite"), PimOp("tile", 1, 8)
    block = [g, t, t, t]
    assert leading_blocks(block * 5) == block * 4  # 16 operations: four whole blocks
    assert leading_blocks(block * 5, 10) == block * 2  # never a partial block
    long = [g] + [t] * 20
    assert leading_blocks(long * 3) == long  # at least one block, however long
    assert leading_blocks(block) == block


def test_phase_loss_is_the_steady_state_not_the_start_up() -> None:
    """The stream and the PIM work start in step, so the first block of a phase shows a
    start-up transient. Measured after a warm-up copy of the block, the loss is the same for 2
    or 4 copies; counted from the start (negative control) it is inflated and depends on how
    many copies are replayed."""
    m = model()  # the NeuPIMs preset: fused heads release their row at issue
    spec = design(m.hbm, m.pim)
    block = tuple(PimTile.of(op, spec) for op in attend_program(m.hbm, m.pim, 300, 1, 128))
    steady = [program_stream_loss(m.hbm, block * k, True, warmup=len(block)) for k in (2, 4)]
    assert steady[0] == pytest.approx(steady[1], abs=0.01)
    raw = [program_stream_loss(m.hbm, block * k, True) for k in (1, 4)]
    assert raw[0] > raw[1] > steady[1] + 0.03
