"""Command-line basics: --version, shell completion, -q / -v, --json summaries, plain help."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sim
from sim import cli
from tests.cli.test_quickstart import sim_script
from tests.conftest import write_tiny_workload


@pytest.fixture(autouse=True)
def default_verbosity() -> Any:
    yield
    cli.VERBOSITY["level"] = 1  # the in-process runner keeps module state between calls


def test_version_and_completion(sim_cli: Any) -> None:
    done = sim_cli("--version")
    assert done.code == 0 and done.stdout.strip() == f"sim (accel-sim) {sim.__version__}"
    help_text = sim_cli("--help").stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text
    assert "<bool>" not in help_text and "-q, --quiet" in help_text


def test_completion_script_through_the_console_script(tmp_path: Path) -> None:
    # The completion variable asks for bash's script directly: `--show-completion` would detect
    # the shell from the parent processes, which a test run need not have.
    done = subprocess.run([sim_script()], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "_SIM_COMPLETE": "source_bash"})
    assert done.returncode == 0, done.stderr
    assert "_sim_completion()" in done.stdout and "complete_bash" in done.stdout


def test_quiet_verbose_and_json(sim_cli: Any, tmp_path: Path) -> None:
    path = str(write_tiny_workload(tmp_path))
    normal = sim_cli("run", path, "-o", str(tmp_path / "a"))
    assert "cycles" in normal.stdout and "wrote" in normal.stdout and "arch " not in normal.stdout
    quiet = sim_cli("-q", "run", path, "-o", str(tmp_path / "a"))
    assert quiet.code == 0 and quiet.stdout == ""
    loud = sim_cli("-v", "run", path, "-o", str(tmp_path / "a"))
    assert "tool " in loud.stdout and ", trace " in loud.stdout and " s" in loud.stdout
    data = json.loads(sim_cli("run", path, "-o", str(tmp_path / "a"), "--json").stdout)
    record = json.loads((tmp_path / "a/result.json").read_text(encoding="utf-8"))
    assert data["cycles"] == record["cycles"]
    assert data["metrics"]["energy_pj"] == record["metrics"]["energy_pj"]  # full precision
    assert data["config"]["arch"]["rows"] == 8 and data["family"] == "systolic"


def test_sweep_json(sim_cli: Any, make_sweep: Callable[..., Path], tmp_path: Path) -> None:
    path = make_sweep("vary:\n  arch.rows: [4, 0]\n")
    done = sim_cli("sweep", str(path), "-o", str(tmp_path / "o"), "--executor", "inline",
                   "--no-report", "--json")
    data = json.loads(done.stdout)
    assert done.code == 1
    assert data["points"] == 2 and data["counts"] == {"failed": 1, "ok": 1}
    assert data["errors"][0]["points"] == 1 and "rows" in data["errors"][0]["error"]
