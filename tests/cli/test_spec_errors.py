"""Malformed input: one line naming file, line and field; exit 2; never a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

ARCH = """version: 1
family: systolic
rows: 4
cols: 4
dataflow: WS
"""
TRACE = """  version: 1
  name: t
  ops:
    - {name: g, kind: gemm, m: 8, n: 8, k: 8}
"""


def workload(tmp_path: Path, arch: str = ARCH, trace: str = TRACE) -> Path:
    (tmp_path / "arch.yaml").write_text(arch, encoding="utf-8")
    path = tmp_path / "w.yaml"
    path.write_text(f"version: 1\nname: w\narch: arch.yaml\ntrace:\n{trace}", encoding="utf-8")
    return path


def assert_one_line_error(outcome: object, pattern: str) -> None:
    assert outcome.code == 2, outcome.stdout + outcome.stderr  # type: ignore[attr-defined]
    lines = outcome.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, outcome.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in outcome.stderr  # type: ignore[attr-defined]
    assert re.search(pattern, lines[0]), lines[0]


CASES = {
    "bad indentation": (ARCH.replace("rows: 4", "rows: 4\n   cols: 4"), TRACE,
                        r"arch\.yaml:\d+: invalid YAML"),
    "unknown key": (ARCH + "colums: 4\n", TRACE,
                    r"arch\.yaml:6: colums: unknown field \(accepted: .*cols.*\)"),
    "wrong type": (ARCH.replace("rows: 4", "rows: four"), TRACE,
                   r"arch\.yaml:3: rows: input should be a valid integer, got 'four'"),
    "unknown family": (ARCH.replace("systolic", "warp"), TRACE,
                       r"arch\.yaml:2: family: unknown family 'warp' \(accepted: .*systolic"),
    "negative size": (ARCH.replace("cols: 4", "cols: -4"), TRACE,
                      r"arch\.yaml:4: cols: input should be greater than or equal to 1"),
    "huge number": (ARCH.replace("cols: 4", "cols: 1" + "0" * 40), TRACE,
                    r"arch\.yaml:4: cols: input should be less than or equal to 4096"),
    "bad dataflow": (ARCH.replace("WS", "XS"), TRACE,
                     r"arch\.yaml:5: dataflow: input should be 'OS', 'WS' or 'IS'"),
    "duplicate key": (ARCH + "rows: 8\n", TRACE, r"arch\.yaml:6: rows: duplicate key 'rows'"),
    "missing field": (ARCH.replace("cols: 4\n", ""), TRACE,
                      r"arch\.yaml:\d+: cols: required field is missing"),
    "unknown op kind": (ARCH, TRACE.replace("kind: gemm", "kind: fft"),
                        r"w\.yaml:8: trace\.ops\[0\]\.kind: unknown kind 'fft' "
                        r"\(accepted: gemm, gemv"),
    "op field wrong type": (ARCH, TRACE.replace("m: 8", "m: 8.5"),
                            r"w\.yaml:8: trace\.ops\[0\]\.m: input should be a valid integer"),
    "bad dependency": (ARCH, TRACE.replace("k: 8}", "k: 8, deps: [later]}"),
                       r"w\.yaml:8: trace\.ops\[0\]\.deps\[0\]: dependency 'later' does not"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_workload(case: str, tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    arch, trace, pattern = CASES[case]
    path = workload(tmp_path, arch, trace)
    assert_one_line_error(sim_cli("run", str(path), "--out", str(tmp_path / "r")), pattern)
    assert not (tmp_path / "r").exists()


def test_missing_arch_file(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(f"version: 1\nname: w\narch: nowhere.yaml\ntrace:\n{TRACE}", encoding="utf-8")
    assert_one_line_error(sim_cli("run", str(path)),
                          r"w\.yaml:3: arch: file 'nowhere.yaml' not found")


def test_missing_workload_file(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    assert_one_line_error(sim_cli("run", str(tmp_path / "absent.yaml")),
                          r"absent\.yaml: file not found")


def test_wrong_version(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    path = workload(tmp_path)
    path.write_text(path.read_text().replace("version: 1", "version: 2", 1), encoding="utf-8")
    assert_one_line_error(sim_cli("run", str(path)), r"w\.yaml:1: version: input should be 1")


def test_unsupported_op_names_op_and_family(tmp_path: Path,
                                            sim_cli: Callable[..., object]) -> None:
    trace = TRACE.replace("{name: g, kind: gemm, m: 8, n: 8, k: 8}",
                          "{name: sm, kind: eltwise, elements: 64, function: softmax}")
    assert_one_line_error(sim_cli("run", str(workload(tmp_path, trace=trace))),
                          r"op 'sm' of kind 'eltwise' is not supported by family 'systolic'")


def test_validate_reports_kind(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    path = workload(tmp_path)
    outcome = sim_cli("validate", str(path), str(tmp_path / "arch.yaml"))
    assert outcome.code == 0, outcome.stderr  # type: ignore[attr-defined]
    assert "ok, workload (systolic, 1 ops)" in outcome.stdout  # type: ignore[attr-defined]
    assert "ok, arch (systolic)" in outcome.stdout  # type: ignore[attr-defined]
