"""Every shipped arch, workload, sweep and model-config file validates (the README promises each
one runs), except the one workload kept to show an op a family cannot run, which ``sim validate``
refuses as ``sim run`` does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REFUSED = "gpt3-13b-decode-systolic.yaml"  # FP16 trace on the int8 systolic array


def test_every_shipped_file_validates(sim_cli: Any, repo: Path) -> None:
    files = sorted([*(repo / "workloads").glob("*.yaml"), *(repo / "arch").glob("*.yaml"),
                    *(repo / "workloads/models").glob("*.yaml")])
    good = [f for f in files if f.name != REFUSED]
    assert len(good) > 50 and len(good) == len(files) - 1
    outcome = sim_cli("validate", *map(str, files))
    assert outcome.code == 2
    assert outcome.stdout.count(": ok") == len(good)
    assert f"{REFUSED.removesuffix('.yaml')}" not in outcome.stdout
    assert "1 of" in outcome.stderr and "operands wider than 8 bits" in outcome.stderr
    sweeps = len(list((repo / "workloads").glob("*.sweep.yaml")))
    assert sweeps >= 6 and outcome.stdout.count(", sweep (") == sweeps
    models = len(list((repo / "workloads/models").glob("*.yaml")))
    assert outcome.stdout.count(", model config (") == models
