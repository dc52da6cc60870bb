"""A one-GEMM `sim run --no-figures` imports only what it uses (start-up time of a small run).

The run happens in a fresh interpreter; the test reads back which modules it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

NOT_NEEDED = (
    "numpy", "numba", "pandas", "scipy", "matplotlib", "dask",
    "sim.models.gap9", "sim.models.npu_pim", "sim.models.stochastic", "sim.models.tpe",
    "sim.hw.dram.controller", "sim.hw.dram.replay", "sim.hw.dram.stream",
    "sim.workload.model_configs", "sim.sweep",
)
"""Modules (and their submodules) an ideal-memory systolic GEMM run has no use for."""

CHILD = """import json, sys
from sim.cli import main
sys.argv = ['sim', 'run', *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(sys.modules)))
"""


def loaded_modules(tmp_path: Path, repo: Path, memory: str) -> set[str]:
    """Run a one-GEMM workload with ``memory`` mode in a new interpreter; its loaded modules."""
    workload = tmp_path / "one.yaml"
    workload.write_text(f"version: 1\nname: one gemm\narch: {repo}/arch/systolic-16x16.yaml\n"
                        "trace:\n  version: 1\n  name: g\n  ops:\n"
                        "    - {name: g, kind: gemm, m: 128, n: 128, k: 128}\n")
    out = tmp_path / memory
    args = [str(workload), "--no-figures", "-o", str(out), "--set", f"arch.memory.mode={memory}"]
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "ops.csv").exists()
    return set(json.loads(done.stdout.splitlines()[-1]))


def unneeded(modules: set[str]) -> list[str]:
    """The loaded modules that are (or are inside) a NOT_NEEDED package."""
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_NEEDED))


def test_ideal_gemm_run_imports_only_what_it_uses(tmp_path: Path, repo: Path) -> None:
    modules = loaded_modules(tmp_path, repo, "ideal")
    assert "sim.models.systolic.model" in modules  # the run did load its family
    assert unneeded(modules) == []


def test_memory_in_the_loop_does_load_the_controller(tmp_path: Path, repo: Path) -> None:
    """Negative control: the same check sees the DRAM controller (and numpy) that a fast-memory
    run really uses, so an eager import on the ideal path would be caught."""
    found = unneeded(loaded_modules(tmp_path, repo, "fast"))
    assert "numpy" in found
    assert "sim.hw.dram.stream" in found
