"""Calibration fit: recovers constants from consistent data, reports errors, writes a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.tech import load_tables
from sim.tech.calibrate import Sample, fit, leave_one_out_errors, write_table


def test_fit_recovers_constants_of_consistent_synthesis() -> None:
    table = load_tables(45)
    fa, dff = table.lookup("fa", "area").value, table.lookup("dff", "area").value
    truth = {"fa": 1.5 * fa, "dff": 0.8 * dff}
    samples = [Sample(f"s{i}", inv, sum(n * truth[c] for c, n in inv.items()))
               for i, inv in enumerate([{"fa": 10, "dff": 2}, {"fa": 3, "dff": 40},
                                        {"fa": 50, "dff": 50}, {"fa": 1, "dff": 9}])]
    cal = fit(samples, table, ridge=1e-9)
    assert cal.fitted_um2["fa"] == pytest.approx(truth["fa"], rel=1e-4)
    assert cal.fitted_um2["dff"] == pytest.approx(truth["dff"], rel=1e-4)
    assert cal.rms_error(True) < 1e-4 < cal.rms_error(False)
    assert max(abs(e) for e in leave_one_out_errors(cal, ridge=1e-9)) < 1e-3


def test_ridge_keeps_unconstrained_components_at_published_values() -> None:
    table = load_tables(45)
    fa = table.lookup("fa", "area").value
    cal = fit([Sample("only-fa", {"fa": 10, "mux2": 0}, 20 * fa)], table)
    assert "mux2" not in cal.fitted_um2  # zero count: nothing to fit
    assert fa < cal.fitted_um2["fa"] < 2 * fa  # pulled towards published by the ridge


def test_written_table_loads_and_overrides(tmp_path: Path) -> None:
    table = load_tables(45)
    fa = table.lookup("fa", "area").value
    cal = fit([Sample("a", {"fa": 10}, 12 * fa), Sample("b", {"fa": 5}, 6 * fa)], table,
              ridge=1e-9)
    path = write_table(cal, tmp_path / "cal.yaml")
    value = load_tables(45, [path]).lookup("fa", "area")
    assert value.value == pytest.approx(1.2 * fa, rel=1e-4)
    assert "sim tech calibrate" in value.source and "a, b" in value.source
