"""Errors caught where they belong: a sweep with failed points exits non-zero with a summary;
misspelt objective/constraint metrics fail at load; ``sim validate`` makes every check ``sim
run`` makes, reports every file and tells each kind of file; the wrong command for a file says
which one to use; ``--set`` takes ``1e3``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.api import parse_overrides
from tests.conftest import write_tiny_workload


def test_failed_points_make_the_sweep_exit_1(sim_cli: Any, make_sweep: Callable[..., Path],
                                             tmp_path: Path) -> None:
    path = make_sweep("vary:\n  arch.rows: [8, 0, -1]\n")
    done = sim_cli("sweep", str(path), "-o", str(tmp_path / "o"), "--no-report",
                   "--executor", "inline")
    assert done.code == 1
    assert "2 of 3 points failed" in done.stderr
    assert "1 x " in done.stderr and "rows: input should be greater than or equal to 1" in \
        done.stderr
    ok = make_sweep("vary:\n  arch.rows: [4, 8]\n", name="ok.sweep.yaml")
    assert sim_cli("sweep", str(ok), "-o", str(tmp_path / "p"), "--no-report", "--executor",
                   "inline").code == 0


def test_misspelt_metrics_fail_when_the_sweep_loads(sim_cli: Any,
                                                    make_sweep: Callable[..., Path]) -> None:
    bad = make_sweep("vary:\n  arch.rows: [4, 8]\nobjectives: {secs: min}\n")
    done = sim_cli("sweep", str(bad))
    assert done.code == 2
    assert "s.sweep.yaml:5: objectives.secs: 'secs' is not a metric of family systolic; " \
           "did you mean seconds?" in done.stderr
    constraint = make_sweep("vary:\n  arch.rows: [4, 8]\nconstraints: ['area <= 5']\n",
                            name="c.sweep.yaml")
    done = sim_cli("validate", str(constraint))
    assert done.code == 2 and "'area' is not a metric" in done.stderr
    good = make_sweep("vary:\n  arch.rows: [4, 8]\nobjectives: {seconds: min, gops_per_w: max}\n"
                      "constraints: ['energy_per_token_j < 1']\n", name="g.sweep.yaml")
    assert sim_cli("validate", str(good)).code == 0  # energy_per_*_j is a generic pattern


def test_validate_runs_the_checks_of_run_and_reports_every_file(sim_cli: Any, repo: Path,
                                                                tmp_path: Path) -> None:
    fp16 = repo / "workloads/gpt3-13b-decode-systolic.yaml"
    run = sim_cli("run", str(fp16), "-o", str(tmp_path / "r"))
    good = write_tiny_workload(tmp_path)
    done = sim_cli("validate", str(fp16), str(good), str(repo / "workloads/models/opt-125m.yaml"))
    assert run.code == done.code == 2
    assert "op 'l0.qkv' has operands wider than 8 bits" in run.stderr
    assert "op 'l0.qkv' has operands wider than 8 bits" in done.stderr
    assert f"{good}: ok, workload (systolic, 2 ops)" in done.stdout  # after the bad one
    assert "opt-125m.yaml: ok, model config (transformer opt-125m" in done.stdout
    assert "1 of 3 files failed" in done.stderr


def test_validate_checks_the_tech_tables(sim_cli: Any, tmp_path: Path) -> None:
    path = write_tiny_workload(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "  dataflow: WS\n", "  dataflow: WS\n  tech: {tables: [missing.yaml]}\n")
    path.write_text(text, encoding="utf-8")
    done = sim_cli("validate", str(path))
    assert done.code == 2 and "technology table 'missing.yaml' not found" in done.stderr
    assert sim_cli("run", str(path), "-o", str(tmp_path / "o")).code == 2


def test_wrong_command_for_the_file(sim_cli: Any, repo: Path,
                                    make_sweep: Callable[..., Path]) -> None:
    done = sim_cli("sweep", str(repo / "workloads/quickstart.yaml"))
    assert done.code == 2 and "this is a workload, not a sweep file; use 'sim run'" in done.stderr
    sweep = make_sweep("vary:\n  arch.rows: [4]\n")
    done = sim_cli("run", str(sweep))
    assert done.code == 2 and "this is a sweep file, not a workload; use 'sim sweep'" in \
        done.stderr


def test_set_reads_exponent_numbers() -> None:
    assert parse_overrides(["arch.freq_mhz=1e3", "x=2E-9", "y=abc", "z=1.5"]) == {
        "arch.freq_mhz": 1000.0, "x": 2e-9, "y": "abc", "z": 1.5}
