"""Every shipped arch, workload and sweep file validates (the README promises each one runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_every_shipped_file_validates(sim_cli: Any, repo: Path) -> None:
    files = sorted([*(repo / "workloads").glob("*.yaml"), *(repo / "arch").glob("*.yaml")])
    assert len(files) > 30
    outcome = sim_cli("validate", *map(str, files))
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.count(": ok") == len(files)
    sweeps = len(list((repo / "workloads").glob("*.sweep.yaml")))
    assert sweeps >= 6 and outcome.stdout.count(", sweep (") == sweeps
