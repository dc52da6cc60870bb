"""Optional dependencies (the ``models`` extra: torch, onnx, transformers, tokenizers)."""

from __future__ import annotations

import importlib.util

from sim.core.errors import SimError


def require(module: str, what: str) -> None:
    """SimError naming the extra when ``module`` is not importable."""
    if importlib.util.find_spec(module) is None:
        raise SimError(f"{what} needs the Python package {module!r} (the 'models' extra)",
                       accepted="pip install -e '.[models]'")
