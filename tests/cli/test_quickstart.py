"""The README's main command, end to end, through the installed console script."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from sim.hw.systolic import GemmShape, gemm_cycles


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
    assert {p.name for p in folder.iterdir()} == {"result.json", "ops.csv", "summary.png"}
    result = json.loads((folder / "result.json").read_text())
    # The first op is a 128 x 1152 x 384 GEMM on the 16x16 WS array.
    rows = list(csv.DictReader((folder / "ops.csv").read_text().splitlines()))
    assert int(rows[0]["cycles"]) == gemm_cycles(GemmShape(128, 1152, 384), 16, 16, "WS")
    assert result["cycles"] == sum(int(r["cycles"]) for r in rows)
    assert result["metrics"]["energy_pj"] > 0 and result["metrics"]["area_mm2"] > 0
    assert "cycles" in done.stdout and "GOPS/W" in done.stdout
    assert (folder / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_console_script_error_exit_code(tmp_path: Path) -> None:
    exe = sim_script()
    done = subprocess.run([exe, "run", "missing.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: missing.yaml: file not found"
