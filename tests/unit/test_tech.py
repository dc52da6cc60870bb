"""Technology tables: scaling applied once, unit conversion, overrides, missing entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.core.ledger import Ledger
from sim.core.result import Result
from sim.tech import cost, load_tables
from sim.tech.scaling import factor


def write_table(path: Path, rows: str) -> Path:
    path.write_text(f"version: 1\nname: user\nrows:\n{rows}", encoding="utf-8")
    return path


def test_published_anchor_is_used_exactly() -> None:
    # Stillmaker & Baas: 45 -> 32 nm area factor 0.46.
    assert factor(45, 32, "area").value == pytest.approx(0.46)
    assert "published" in factor(45, 32, "area").how


def test_scaling_is_applied_once() -> None:
    at45 = load_tables(45).lookup("mac_int8.mac", "energy").value
    at32 = load_tables(32).lookup("mac_int8.mac", "energy").value
    assert at45 == pytest.approx(0.3)  # the row's own value at its own node
    assert at32 == pytest.approx(0.3 * 0.641)  # one factor, not 0.641 squared


def test_interpolated_node_is_labelled() -> None:
    value = load_tables(28).lookup("mac_int8.mac", "energy")
    assert value.scaled and "interpolated" in value.scaling
    assert 0.3 * 0.238 < value.value < 0.3 * 0.641  # between the 20 nm and 32 nm anchors


def test_unscaled_rows_stay_put() -> None:
    assert load_tables(22).lookup("dram.read_bit", "energy").value == pytest.approx(20.3)


def test_user_table_converts_units_and_overrides(tmp_path: Path) -> None:
    user = write_table(tmp_path / "t.yaml",
                       "  - {key: mac_int8.mac, metric: energy, value: 0.0001, unit: nJ,"
                       " node_nm: 28, source: my synthesis}\n")
    value = load_tables(28, [user]).lookup("mac_int8.mac", "energy")
    assert value.value == pytest.approx(0.1)
    assert not value.scaled


def test_unit_that_does_not_fit_metric(tmp_path: Path) -> None:
    user = write_table(tmp_path / "t.yaml",
                       "  - {key: x.y, metric: energy, value: 1, unit: um2, node_nm: 28,"
                       " source: test}\n")
    with pytest.raises(SimError, match=r"t\.yaml:4: rows\[0\]\.unit: unit 'um2' does not fit"):
        load_tables(28, [user])


def test_missing_entry_names_key_and_node() -> None:
    result = Result.new(name="x", cycles=1, freq_hz=1e9, ops=[], ledger=Ledger({"warp.drive": 1}),
                        inventory={}, utilisation={})
    with pytest.raises(SimError, match=r"no energy entry for 'warp.drive' at 28 nm"):
        cost(result, load_tables(28))


def test_unit_prefix_falls_back_to_generic_row() -> None:
    result = Result.new(name="x", cycles=1, freq_hz=1e9, ops=[],
                        ledger=Ledger({"npu.sram.read_bit": 10}), inventory={"npu.sram": 8},
                        utilisation={})
    table = load_tables(45)
    costing = cost(result, table)
    assert costing.energy_pj["npu.sram.read_bit"] == pytest.approx(10 * 10 / 64)
    assert costing.area_um2["npu.sram"] == pytest.approx(8 * 0.346)
