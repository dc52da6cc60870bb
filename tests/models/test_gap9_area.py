"""Analytic inventory of the NE16-style engine (sim.models.gap9.area)."""

from __future__ import annotations

import pytest

from sim.models.gap9 import area
from sim.tech import area_um2 as analytic_area_um2
from sim.tech import load_tables


def test_adder_tree_is_carry_save_rows_plus_one_carry_propagate_adder() -> None:
    assert area.adder_tree(1, 8) == {}
    assert area.adder_tree(2, 8) == {"add_int9": 1.0}
    assert area.adder_tree(9, 8) == {"fa": 56.0, "add_int12": 1.0}  # 7 rows, 8 + ceil(log2 9)


def test_every_component_has_a_45nm_area_row() -> None:
    for geometry in ((2, 8, 8), (3, 16, 32)):  # a missing row would raise SimError
        assert analytic_area_um2(area.engine_inventory(*geometry), load_tables(45)) > 0


def test_columns_and_accumulators_scale_with_geometry() -> None:
    small = area.engine_inventory(2, 8, 8)
    wide = area.engine_inventory(3, 8, 8)
    column = area.column_inventory(8, 8)
    assert wide["fa"] - small["fa"] == pytest.approx(5 * column["fa"])  # 9 - 4 columns
    deep = area.engine_inventory(2, 8, 16)
    assert deep["reg"] - small["reg"] == pytest.approx(4 * 8 * 32)  # 4 columns x 8 channels
