"""Generic technology library: width and size rules, scaling applied once, units, missing rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.tech import load_tables
from sim.tech.derive import interpolate_size, parse_size, parse_width
from sim.tech.scaling import factor
from sim.tech.table import builtin_files


def write_table(path: Path, rows: str) -> Path:
    path.write_text(f"version: 1\nname: user\nrows:\n{rows}", encoding="utf-8")
    return path


def test_every_builtin_row_names_a_source_and_loads_at_every_node() -> None:
    # All shipped tables (core and the families') load together at every supported node.
    for node in (45, 40, 32, 28, 22):
        table = load_tables(node)
        assert len(table.files) == len(builtin_files())


def test_published_widths_are_returned_unchanged() -> None:
    table = load_tables(45)
    assert table.lookup("add_int8.add", "energy").value == pytest.approx(0.03)
    assert table.lookup("mult_int32", "area").value == pytest.approx(3495)
    assert table.lookup("mult_fp16.mult", "energy").value == pytest.approx(1.1)


def test_adder_width_rule_is_linear_from_nearest_published_width() -> None:
    value = load_tables(45).lookup("add_int20.add", "energy")
    assert value.value == pytest.approx(0.05 * 20 / 16)  # nearest: 16-bit add, linear
    assert "width-scaled" in value.scaling and "add_int16.add" in value.scaling


def test_multiplier_width_rule_is_product_of_widths() -> None:
    table = load_tables(45)
    assert table.lookup("mult_int10.mult", "energy").value == pytest.approx(0.2 * (10 / 8) ** 2)
    # 16 bits is equally far (x4 in w^2) from 8 and 32: the tie goes to the larger anchor
    assert table.lookup("mult_int16.mult", "energy").value == pytest.approx(3.1 / 4)
    assert table.lookup("mult_int8x4", "area").value == pytest.approx(282 * 0.5)


def test_width_then_node_scaling_each_applied_once() -> None:
    at45 = load_tables(45).lookup("mult_int12.mult", "energy").value
    at32 = load_tables(32).lookup("mult_int12.mult", "energy")
    assert at45 == pytest.approx(0.2 * 2.25)
    assert at32.value == pytest.approx(0.2 * 2.25 * 0.641)  # not 2.25^2, not 0.641^2
    assert "width-scaled" in at32.scaling and "45->32" in at32.scaling


def test_unit_prefix_and_width_rule_combine() -> None:
    value = load_tables(45).lookup("pe.acc.add_int24.add", "energy").value
    assert value == pytest.approx(0.1 * 24 / 32)


def test_floating_point_widths_are_not_invented() -> None:
    with pytest.raises(SimError, match=r"no energy entry for 'mult_fp8.mult' at 45 nm"):
        load_tables(45).lookup("mult_fp8.mult", "energy")


def test_sram_energy_per_bit_grows_with_size_log_log() -> None:
    table = load_tables(45)
    e8 = table.lookup("sram_8KiB.read_bit", "energy").value
    e16 = table.lookup("sram_16KiB.read_bit", "energy")
    e32 = table.lookup("sram_32KiB.read_bit", "energy").value
    assert e8 == pytest.approx(10 / 64) and e32 == pytest.approx(20 / 64)
    assert e16.value == pytest.approx((e8 * e32) ** 0.5)  # geometric midpoint in log-log
    assert "interpolated" in e16.scaling


def test_sram_outside_published_sizes_is_labelled_extrapolated() -> None:
    value = load_tables(45).lookup("npu.sram_2KiB.read_bit", "energy")
    assert value.value == pytest.approx(10 / 64 * (2 / 8) ** 0.5)
    assert "extrapolated" in value.scaling


def test_sram_area_per_bit_is_size_independent_and_says_so() -> None:
    value = load_tables(45).lookup("sram_64KiB", "area")
    assert value.value == pytest.approx(0.346)
    assert "size-independent" in value.scaling


def test_user_rows_become_width_anchors(tmp_path: Path) -> None:
    user = write_table(tmp_path / "u.yaml",
                       "  - {key: mult_int16.mult, metric: energy, value: 0.5, unit: pJ,"
                       " node_nm: 45, source: my synthesis}\n")
    table = load_tables(45, [user])
    assert table.lookup("mult_int16.mult", "energy").value == pytest.approx(0.5)
    assert table.lookup("mult_int14.mult", "energy").value == pytest.approx(0.5 * (14 / 16) ** 2)


def test_units_are_converted_to_canonical_units(tmp_path: Path) -> None:
    user = write_table(tmp_path / "u.yaml",
                       "  - {key: blk.op, metric: energy, value: 2, unit: fJ, node_nm: 28,"
                       " source: test}\n"
                       "  - {key: blk, metric: area, value: 0.001, unit: mm2, node_nm: 28,"
                       " source: test}\n"
                       "  - {key: blk, metric: delay, value: 0.25, unit: ns, node_nm: 28,"
                       " source: test}\n"
                       "  - {key: blk, metric: power, value: 3, unit: uW, node_nm: 28,"
                       " source: test}\n")
    table = load_tables(28, [user])
    assert table.lookup("blk.op", "energy").value == pytest.approx(0.002)  # pJ
    assert table.lookup("blk", "area").value == pytest.approx(1000)  # um2
    assert table.lookup("blk", "delay").value == pytest.approx(250)  # ps
    assert table.lookup("blk", "power").value == pytest.approx(0.003)  # mW


def test_area_and_energy_use_their_own_published_factors() -> None:
    area = load_tables(32).lookup("fa", "area").value
    energy = load_tables(32).lookup("fa.add", "energy").value
    assert area == pytest.approx(4.256 * factor(45, 32, "area").value)
    assert energy == pytest.approx(0.003125 * 0.641)


def test_missing_entry_names_component_action_and_node() -> None:
    with pytest.raises(SimError) as info:
        load_tables(22).lookup("npu.warp_core.engage", "energy")
    text = str(info.value)
    assert "'npu.warp_core.engage'" in text and "22 nm" in text and "\n" not in text


def test_parse_helpers() -> None:
    assert parse_width("mult_int8x4") is not None
    assert parse_width("sram") is None
    assert parse_size("sram_1.5MiB") == ("sram", int(1.5 * 2**20))
    assert parse_size("sram_8") is None
    value, how = interpolate_size(4, {8: 1.0, 32: 2.0})
    assert value == pytest.approx(2 ** -0.5) and how == "extrapolated"
