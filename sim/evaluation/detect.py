"""``sim validate FILE``: recognise what kind of file it is and validate it fully (sweep files are
checked by :func:`sim.api.validate_file`, which sits above the sweep package)."""

from __future__ import annotations

from pathlib import Path

from sim.core.errors import SimError
from sim.evaluation.workload import Source, load_workload, resolve_arch
from sim.spec.yamlio import load_yaml
from sim.workload.load import tensor_file, trace_from_data

KINDS = ("workload (arch + trace), arch (family), trace (ops), sweep (base + vary), "
         "tech table (rows)")


def validate_any(path: Path) -> str:
    """Validate ``path`` as whatever it is; returns a short description such as ``"arch"``."""
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict):
        raise SimError("expected a mapping at the top of the file", doc.where(()), accepted=KINDS)
    if "arch" in data or "trace" in data:
        workload = load_workload(path)
        return f"workload ({workload.family.name}, {len(workload.trace.ops)} ops)"
    if "family" in data:
        family, _ = resolve_arch(Source(doc, ()), data)
        return f"arch ({family.name})"
    if "ops" in data:
        trace = trace_from_data(doc, (), data)
        tensor_file(trace, path.parent, doc.where(("tensors",)), doc)
        return f"trace ({len(trace.ops)} ops)"
    if "rows" in data:
        from sim.tech.table import TechTable

        TechTable(28).add_file(path, override=True)
        return "tech table"
    raise SimError("cannot tell what kind of file this is", doc.where(()), accepted=KINDS)
