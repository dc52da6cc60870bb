"""Loading traces from files (YAML or JSON) or inline mappings, with dependency checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.core.errors import Location, SimError
from sim.core.hashing import bytes_hash
from sim.spec.inputs import NPZ_MAX_BYTES, checked_path, input_file, read_limited, safe_resolve
from sim.spec.validate import validate
from sim.spec.yamlio import Document, FieldPath, load_yaml
from sim.workload.trace import Trace


def check_deps(trace: Trace, doc: Document, at: FieldPath) -> None:
    """Every dependency must name an op listed earlier in the trace."""
    seen: set[str] = set()
    for i, op in enumerate(trace.ops):
        if op.name in seen:
            raise SimError(f"op name {op.name!r} is used twice", doc.where((*at, "ops", i, "name")))
        for j, dep in enumerate(op.deps):
            if dep not in seen:
                raise SimError(f"dependency {dep!r} does not name an earlier op",
                               doc.where((*at, "ops", i, "deps", j)))
        seen.add(op.name)


def trace_from_data(doc: Document, at: FieldPath, data: Any) -> Trace:
    """Validate an inline trace mapping found at ``at`` in ``doc``."""
    trace = validate(Trace, doc, at, data)
    check_deps(trace, doc, at)
    return trace


def load_trace_file(path: Path) -> Trace:
    """Load and validate a trace file (YAML or JSON)."""
    doc = load_yaml(path)
    return trace_from_data(doc, (), doc.data)


def tensor_file(trace: Trace, base_dir: Path, where: Location, doc: Document | None = None,
                at: FieldPath = ()) -> Path | None:
    """Path of the trace's ``.npz`` (relative to ``base_dir``); a missing file is a SimError.

    With ``doc`` (the document holding the trace at field path ``at``) the arrays are also
    checked against the ops (:func:`sim.workload.tensors.check_tensors`).
    """
    if trace.tensors is None:
        return None
    path = safe_resolve(base_dir / checked_path(trace.tensors, where), where)
    if not path.exists():
        raise SimError(f"tensor file {trace.tensors[:200]!r} not found (looked in {path.parent})",
                       where)
    input_file(path, "tensor file", NPZ_MAX_BYTES, where)
    if doc is not None:
        from sim.workload.tensors import check_tensors

        check_tensors(trace, path, doc, at)
    return path


def trace_hash(trace: Trace, tensors: Path | None) -> str:
    """Content hash of a trace and its tensor file."""
    blob = read_limited(tensors, "tensor file", NPZ_MAX_BYTES) if tensors else b""
    return trace.content_hash(bytes_hash(blob) if tensors else "")
