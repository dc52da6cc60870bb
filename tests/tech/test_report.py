"""Cost report: energy by component and action, area by component, efficiency figures."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from sim.core.errors import SimError
from sim.core.ledger import Ledger
from sim.core.result import OpRecord, Result
from sim.tech import cost, load_tables, print_report, report


def make_result(ledger: dict[str, float], inventory: dict[str, float]) -> Result:
    ops = [OpRecord("g", "gemm", "array", 0, 1000, 4000, {})]
    return Result.new(name="r", cycles=1000, freq_hz=1e9, ops=ops, ledger=Ledger(ledger),
                      inventory=inventory, utilisation={})


def test_breakdown_by_component_and_action() -> None:
    result = make_result({"array.mac_int8.mac": 4000, "npu.sram.read_bit": 640,
                          "npu.sram.write_bit": 64}, {"array.mac_int8": 4, "npu.sram": 8192})
    rep = report(result, load_tables(45))
    lines = {x.key: x for x in rep.energy}
    assert lines["array.mac_int8.mac"].total == pytest.approx(4000 * 0.3)
    assert lines["npu.sram.read_bit"].total == pytest.approx(640 * 10 / 64)
    by_comp = cost(result, load_tables(45)).energy_by_component()
    assert by_comp["npu.sram"] == pytest.approx((640 + 64) * 10 / 64)
    areas = {x.key: x.total for x in rep.area}
    assert areas == pytest.approx({"array.mac_int8": 4 * 419, "npu.sram": 8192 * 0.346})


def test_efficiency_figures_follow_from_totals() -> None:
    result = make_result({"array.mac_int8.mac": 4000}, {"array.mac_int8": 4})
    rep = report(result, load_tables(45))
    energy_pj, ops, seconds = 4000 * 0.3, 8000, 1e-6
    assert rep.efficiency["pj_per_mac"] == pytest.approx(2 * energy_pj / ops)
    assert rep.efficiency["gops"] == pytest.approx(ops / seconds / 1e9)
    assert rep.efficiency["gops_per_w"] == pytest.approx(ops / (energy_pj * 1e-12) / 1e9)
    assert rep.efficiency["gops_per_mm2"] == pytest.approx(8.0 / (4 * 419e-6))


def test_report_matches_costing_totals_at_another_node() -> None:
    from sim.tech import cost

    result = make_result({"array.mac_int8.mac": 10, "reg.write_bit": 7}, {"reg": 48})
    table = load_tables(22)
    rep, costing = report(result, table), cost(result, table)
    assert rep.energy_pj == pytest.approx(costing.total_energy_pj)
    assert rep.area_um2 == pytest.approx(costing.total_area_um2)


def test_missing_row_fails_naming_it() -> None:
    result = make_result({"array.flux.capacitate": 1}, {})
    with pytest.raises(SimError, match=r"no energy entry for 'array.flux.capacitate' at 40 nm"):
        report(result, load_tables(40))
    result = make_result({}, {"array.flux": 1})
    with pytest.raises(SimError, match=r"no area entry for 'array.flux' at 40 nm"):
        report(result, load_tables(40))


def test_print_report_renders_every_component() -> None:
    result = make_result({"array.mac_int8.mac": 4000}, {"array.mac_int8": 4, "reg": 10})
    buf = io.StringIO()
    print_report(report(result, load_tables(28)), Console(file=buf, width=200))
    text = buf.getvalue()
    assert "array.mac_int8" in text and "reg" in text and "GOPS/W" in text


def test_cli_tech_report_recosts_at_another_node(sim_cli: object, repo: object) -> None:
    from pathlib import Path

    workload = str(Path(str(repo)) / "workloads" / "quickstart.yaml")
    at28 = sim_cli("tech", "report", workload)  # type: ignore[operator]
    at45 = sim_cli("tech", "report", workload, "--node", "45")  # type: ignore[operator]
    assert at28.code == 0 and at45.code == 0, at28.stderr + at45.stderr
    assert "at 28 nm" in at28.stdout and "at 45 nm" in at45.stdout and "GOPS/W" in at45.stdout
