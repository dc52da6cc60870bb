"""Every module of ``sim`` imports on its own (``python -c "import sim.x.y"``), so no module
depends on another having been imported first, and no import cycle hides behind import order."""

from __future__ import annotations

import importlib.util
import pkgutil
import subprocess
import sys

import sim

OPTIONAL = {"torch": "sim.workload.extract_torch", "onnx": "sim.workload.extract_onnx"}
"""Modules that need an optional extra at import time (skipped when it is not installed)."""

CHECK = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "sim" or m.startswith("sim.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_every_module_imports_in_a_fresh_interpreter_state() -> None:
    names = [m.name for m in pkgutil.walk_packages(sim.__path__, "sim.")]
    missing = {mod for extra, mod in OPTIONAL.items() if importlib.util.find_spec(extra) is None}
    chosen = [n for n in names if n not in missing]
    assert len(chosen) > 100
    out = subprocess.run([sys.executable, "-c", CHECK, *chosen], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip() == ""
