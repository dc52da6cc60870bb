"""A run records what it ran (resolved arch, workload, overrides) and never silently replaces
another run: overrides get their own name and folder; a folder holding another run is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from sim.evaluation.run import run_config
from sim.evaluation.workload import load_workload
from tests.conftest import write_tiny_workload


def record(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "result.json").read_text(encoding="utf-8"))


def test_overrides_are_recorded_in_their_own_folder(sim_cli: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_tiny_workload(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert sim_cli("run", "tiny.yaml").code == 0
    base = record(tmp_path / "reports/tiny")
    assert sim_cli("run", "tiny.yaml", "--set", "arch.rows=32").code == 0
    assert record(tmp_path / "reports/tiny") == base  # the base run is untouched
    wide = record(tmp_path / "reports/tiny--arch.rows-32")
    assert wide["name"] == "tiny (arch.rows=32)"
    assert wide["config"]["overrides"] == {"arch.rows": 32}
    assert wide["config"]["arch"]["rows"] == 32 and base["config"]["arch"]["rows"] == 8
    assert base["config"]["overrides"] == {}
    assert wide["config"]["arch"]["cols"] == 8 and "dataflow" in wide["config"]["arch"]
    assert wide["config"]["workload_file"] == str((tmp_path / "tiny.yaml").resolve())


def test_another_run_is_not_replaced(sim_cli: Any, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_tiny_workload(tmp_path / "a")
    write_tiny_workload(tmp_path / "b", ops=3)
    out = str(tmp_path / "out")
    assert sim_cli("run", str(tmp_path / "a/tiny.yaml"), "-o", out).code == 0
    first = (tmp_path / "out/result.json").read_text(encoding="utf-8")
    assert sim_cli("run", str(tmp_path / "a/tiny.yaml"), "-o", out).code == 0  # same run: fine
    clash = sim_cli("run", str(tmp_path / "b/tiny.yaml"), "-o", out)
    assert clash.code == 2 and "holds another run" in clash.stderr
    assert json.loads((tmp_path / "out/result.json").read_text())["cycles"] == \
        json.loads(first)["cycles"]
    other = sim_cli("run", str(tmp_path / "a/tiny.yaml"), "-o", out, "--set", "arch.cols=16")
    assert other.code == 2  # same file, other overrides: another run too
    assert sim_cli("run", str(tmp_path / "b/tiny.yaml"), "-o", out, "--replace").code == 0
    assert len(record(tmp_path / "out")["ops"]) == 3


def test_generator_overrides_are_in_the_trace_record(repo: Path) -> None:
    """``--set trace.batch=64`` on a generated trace: the record shows batch 64, not the file's."""
    workload = load_workload(repo / "workloads/neupims-7b-bs256.yaml", {"trace.batch": 64})
    config = run_config(workload)
    assert config["trace"]["source"]["batch"] == 64
    assert config["arch_file"] == os.fspath((repo / "arch/neupims.yaml").resolve())
