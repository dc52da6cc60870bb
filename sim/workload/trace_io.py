"""Writing traces and tensor files deterministically (byte-identical on regeneration).

A trace file is YAML: a comment header (what made it and its content hash), then the fields, one
op per line as a flow mapping (JSON syntax, which YAML reads). Tensor files are ``.npz`` archives
written with fixed member order, fixed timestamps and no compression, so equal arrays give equal
bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.hashing import bytes_hash
from sim.workload.trace import OPERAND_FIELDS, Trace

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` archive of ``arrays`` (sorted by name, stored, fixed timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[name], order="C"),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def _scalar(value: Any) -> str:
    """A scalar or container in JSON syntax (valid YAML); floats keep their shortest repr."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def trace_text(trace: Trace, header: list[str]) -> str:
    """YAML text of ``trace`` with ``header`` comment lines."""
    data = trace.model_dump(mode="json", exclude_defaults=True)
    lines = [f"# {line}" for line in header]
    lines += [f"version: {data['version']}", f"name: {_scalar(data['name'])}"]
    if trace.tensors is not None:
        lines.append(f"tensors: {_scalar(trace.tensors)}")
    prov = trace.provenance.model_dump(mode="json")
    lines.append("provenance:")
    for key in ("source", "method", "seed"):
        lines.append(f"  {key}: {_scalar(prov[key])}")
    lines.append("  details:" if prov["details"] else "  details: {}")
    lines += [f"    {_scalar(k)}: {_scalar(v)}" for k, v in sorted(prov["details"].items())]
    lines.append("ops:")
    for op in trace.ops:
        fields = op.model_dump(mode="json", exclude_defaults=True)
        bits = {k: fields.pop(k) for k in OPERAND_FIELDS if k in fields}
        fields = {"name": fields.pop("name"), "kind": op.kind, **fields, **bits}
        lines.append("  - " + json.dumps(fields, ensure_ascii=True))
    return "\n".join(lines) + "\n"


def write_trace(trace: Trace, path: Path, arrays: dict[str, np.ndarray] | None = None,
                command: str = "") -> str:
    """Write ``trace`` (and its ``.npz`` beside it when ``arrays`` is given); returns the hash.

    The trace's ``tensors`` field must name the ``.npz`` relative to ``path`` when arrays are given.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tensor_hash = ""
    if arrays is not None:
        if trace.tensors is None:
            raise ValueError("trace.tensors must name the .npz when arrays are given")
        blob = npz_bytes(arrays)
        (path.parent / trace.tensors).write_bytes(blob)
        tensor_hash = bytes_hash(blob)
    content_hash = trace.content_hash(tensor_hash)
    header = [trace.name, "Generated; do not edit. Regenerate with:",
              f"  {command or 'sim trace regen'}",
              f"content_hash: {content_hash} (sim.workload.load.trace_hash of this file and its "
              "tensors)"]
    path.write_text(trace_text(trace, header), encoding="utf-8")
    return content_hash
