"""The README's main command, end to end, through the installed console script."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sim.core.shapes import GemmShape
from sim.hw.systolic import gemm_cycles


def sim_script() -> str:
    """The installed ``sim`` console script of the running environment."""
    beside = Path(sys.executable).with_name("sim")
    exe = str(beside) if beside.exists() else shutil.which("sim")
    assert exe, "the 'sim' console script is not installed"
    return exe


def test_console_script_runs_quickstart(repo: Path, tmp_path: Path) -> None:
    exe = sim_script()
    done = subprocess.run([exe, "run", str(repo / "workloads/quickstart.yaml")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "reports/quickstart-minilm-layer-on-systolic-16x16"
    assert {p.name for p in folder.iterdir()} == {"result.json", "ops.csv", "summary.png",
                                                  "compute_report.csv", "bandwidth_report.csv",
                                                  "timeline.png"}
    result = json.loads((folder / "result.json").read_text())
    # The first op is a 128 x 1152 x 384 GEMM on the 16x16 WS array.
    rows = list(csv.DictReader((folder / "ops.csv").read_text().splitlines()))
    assert int(rows[0]["cycles"]) == gemm_cycles(GemmShape(128, 1152, 384), 16, 16, "WS")
    assert result["cycles"] == sum(int(r["cycles"]) for r in rows)
    assert result["metrics"]["energy_pj"] > 0 and result["metrics"]["area_mm2"] > 0
    assert "cycles" in done.stdout and "GOPS/W" in done.stdout
    assert (folder / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    compute = list(csv.DictReader((folder / "compute_report.csv").read_text().splitlines()))
    assert [r["total_cycles"] for r in compute] == [r["cycles"] for r in rows]
    assert all(int(r["stall_cycles"]) == 0 for r in compute)  # ideal memory: no stalls


def test_no_figures_skips_png_and_matplotlib(repo: Path, tmp_path: Path) -> None:
    code = ("import sys; from sim.cli import main; sys.argv = ['sim', 'run', sys.argv[1], "
            "'--no-figures', '-o', sys.argv[2]]\ntry:\n    main()\nexcept SystemExit: pass\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    done = subprocess.run([sys.executable, "-c", code, str(repo / "workloads/quickstart.yaml"),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "out/summary.png").exists()
    assert (tmp_path / "out/ops.csv").exists()


def test_console_script_error_exit_code(tmp_path: Path) -> None:
    exe = sim_script()
    done = subprocess.run([exe, "run", "missing.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: missing.yaml: file not found"


def test_set_overrides_a_field(sim_cli: Any, repo: Path, tmp_path: Path) -> None:
    """``--set arch.rows=32`` changes the design point: a 32-row WS array needs fewer cycles."""
    base = sim_cli("run", str(repo / "workloads/quickstart.yaml"), "-o", str(tmp_path / "a"))
    wide = sim_cli("run", str(repo / "workloads/quickstart.yaml"), "-o", str(tmp_path / "b"),
                   "--set", "arch.rows=32")
    assert base.code == wide.code == 0
    cycles = [json.loads((tmp_path / d / "result.json").read_text())["cycles"] for d in "ab"]
    assert cycles[1] < cycles[0]


@pytest.mark.parametrize("item, message", [
    ("arch.rows", "expected FIELD=VALUE"),
    ("arch.rows=[", "not valid YAML"),
    ("arch.rows=abc", "rows: input should be a valid integer"),
])
def test_bad_set_is_one_line_exit_2(sim_cli: Any, repo: Path, tmp_path: Path, item: str,
                                    message: str) -> None:
    """A malformed or invalid ``--set`` is a one-line error with exit status 2."""
    outcome = sim_cli("run", str(repo / "workloads/quickstart.yaml"), "-o", str(tmp_path),
                      "--set", item)
    assert outcome.code == 2
    assert message in outcome.stderr and outcome.stderr.count("\n") == 1
