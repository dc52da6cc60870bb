"""sim.models.npu_pim.activity: the PIM GEMV unit's toggle model follows the data, rejects
streams it cannot mirror, and its tech rows price random data at the published per-op energies
(the RTL comparison is tests/rtl/test_pim_toggles.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.npu_pim import activity as act
from sim.tech import energy_pj, load_tables

LANES = 16


def _random(rng: np.random.Generator, beats: int, fp16: bool) -> tuple[np.ndarray, np.ndarray]:
    if fp16:
        a, b = (rng.normal(0, 1, (beats, LANES)).astype(np.float16).view(np.uint16)
                for _ in range(2))
    else:
        a, b = (rng.integers(0, 256, (beats, LANES)).astype(np.uint16) for _ in range(2))
    return a, b


@pytest.mark.parametrize("fp16", [False, True])
def test_rows_price_random_data_at_the_published_per_op_energy(fp16: bool) -> None:
    """On fresh random operands the multiplier and tree-adder toggles priced with the rows give
    Horowitz's per-op energies (FP16 mult 1.1 / FP32 add 0.9 pJ; int8 mult 0.2 / int32 add
    0.1 pJ) within 2 %."""
    beats = 4000
    toggles = act.gemv_toggles(act.beat_stream([_random(np.random.default_rng(5), beats, fp16)],
                                               LANES), fp16)
    table = load_tables(45)
    mode, acc = ("fp16", "fp32") if fp16 else ("int8", "int32")
    mult = energy_pj({f"pim.mult_{mode}.toggle_bit": toggles["reg_mult"]}, table)
    add = energy_pj({f"pim.add_{acc}.toggle_bit": toggles["reg_tree"]}, table)
    want = (1.1, 0.9) if fp16 else (0.2, 0.1)
    assert mult / (beats * LANES) == pytest.approx(want[0], rel=0.02)
    assert add / (beats * (LANES - 1)) == pytest.approx(want[1], rel=0.02)


@pytest.mark.parametrize("fp16", [False, True])
def test_energy_follows_data(fp16: bool) -> None:
    """Zeros toggle only the valid/last shift registers and res_valid; trace < random; the
    ledger charges every flop each cycle."""
    trace = act.trace_commands(LANES, 8, 6, fp16)
    rng = np.random.default_rng(2)
    runs = {"zeros": [(np.zeros_like(a), np.zeros_like(b)) for a, b in trace], "trace": trace,
            "random": [_random(rng, 8, fp16) for _ in trace]}
    table = load_tables(28)
    energy = {}
    for name, commands in runs.items():
        s = act.beat_stream(commands, LANES)
        toggles = act.gemv_toggles(s, fp16)
        if name == "zeros":
            assert {g: v for g, v in toggles.items() if g not in ("reg_ctrl", "reg_out")} == {
                "reg_mult": 0, "reg_tree": 0, "reg_acc": 0}
            assert toggles["reg_out"] == 2 * len(commands)
        ledger = act.toggle_ledger(toggles, act.flops(LANES) * len(s.vld), fp16)
        assert ledger[act.CLOCK_ACTION] == act.flops(LANES) * len(s.vld)
        energy[name] = energy_pj(ledger, table)
    assert energy["zeros"] < energy["trace"] < energy["random"]


def test_streams_it_cannot_mirror_are_errors() -> None:
    a, b = _random(np.random.default_rng(1), 4, True)
    s = act.beat_stream([(a, b)], LANES)
    with pytest.raises(SimError, match="idle zero samples"):
        act.gemv_toggles(act.BeatStream(s.a[:-1], s.b[:-1], s.vld[:-1], s.last[:-1]), True)
    with pytest.raises(SimError, match="last beat"):
        act.gemv_toggles(act.BeatStream(s.a, s.b, s.vld, np.zeros_like(s.last)), True)
