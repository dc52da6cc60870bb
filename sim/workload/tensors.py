"""Checking a trace's ``.npz`` tensor file against its ops: names, shapes, dtypes, value ranges.

Roles with a fixed shape (anything else named by an op only has to exist):

==========  ================================================================================
op kind     role: shape
==========  ================================================================================
gemm        a: (m, k)   b: (k, n)   c: (m, n)   a_scale: () or (m,)   b_scale: () or (n,)
            bias: (n,)
gemv        w: (n, k)   x: (batch, k)   y: (batch, n)
conv2d      a: (batch, in_ch, in_h, in_w)   b: (out_ch, in_ch / groups, kernel_h, kernel_w)
attention   q: (batch, heads, q_len, head_dim)   k, v: (batch, heads, kv_len, head_dim)
==========  ================================================================================

Integer operands (``a``, ``b``, ``w``, ``x``, ``q``, ``k``, ``v``) of ops whose bit-width is at
most 8 must be int8 or uint8 and fit in that many bits. Every problem is a one-line SimError at
the op's line in the trace file.
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.errors import Location, SimError
from sim.spec.inputs import ARRAY_MAX_BYTES, NPZ_MAX_BYTES, read_limited
from sim.spec.yamlio import Document, FieldPath
from sim.workload.trace import AttentionOp, Conv2dOp, GemmOp, GemvOp, Op, Trace

Shape = tuple[int, ...]
NPY_MAX_HEADER = 10_000
"""Longest ``.npy`` header accepted (bytes); numpy's own default bound."""
INT_ROLES = {"a": "a_bits", "b": "b_bits", "w": "b_bits", "x": "a_bits", "q": "a_bits",
             "k": "b_bits", "v": "b_bits"}


def expected_shapes(op: Op) -> dict[str, list[Shape]]:
    """Accepted shapes of each role with a fixed shape, for this op."""
    if isinstance(op, GemmOp):
        return {"a": [(op.m, op.k)], "b": [(op.k, op.n)], "c": [(op.m, op.n)],
                "a_scale": [(), (op.m,)], "b_scale": [(), (op.n,)], "bias": [(op.n,)]}
    if isinstance(op, GemvOp):
        return {"w": [(op.n, op.k)], "x": [(op.batch, op.k)], "y": [(op.batch, op.n)]}
    if isinstance(op, Conv2dOp):
        return {"a": [(op.batch, op.in_ch, op.in_h, op.in_w)],
                "b": [(op.out_ch, op.in_ch // op.groups, op.kernel_h, op.kernel_w)]}
    if isinstance(op, AttentionOp):
        kv: list[Shape] = [(op.batch, op.heads, op.kv_len, op.head_dim)]
        return {"q": [(op.batch, op.heads, op.q_len, op.head_dim)], "k": kv, "v": kv}
    return {}


def open_npz(path: Path, where: Location) -> Any:
    """Open an ``.npz`` (lazily) after checking every array header against the memory budget
    (:func:`check_npz_headers`); a corrupt, truncated or oversized file is a SimError."""
    data = io.BytesIO(read_limited(path, f"tensor file {path.name}", NPZ_MAX_BYTES, where))
    if not zipfile.is_zipfile(data):
        raise SimError(f"tensor file {path.name} is not a valid .npz (not a complete zip "
                       "archive: truncated or corrupt)", where)
    check_npz_sizes(data, path, where)
    data.seek(0)
    try:
        archive = np.load(data, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise SimError(f"tensor file {path.name} is not a valid .npz ({_why(exc)})",
                       where) from None
    if not hasattr(archive, "files"):
        raise SimError(f"tensor file {path.name} holds one array, not an .npz archive", where)
    return archive


def check_npz_sizes(data: io.BytesIO, path: Path, where: Location) -> None:
    """The unpacked sizes the archive's directory declares must fit in ``ARRAY_MAX_BYTES`` in
    total (a member cannot unpack to more than it declares; see :func:`array_bytes`)."""
    try:
        with zipfile.ZipFile(data) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise SimError(f"tensor file {path.name} is not a valid .npz ({_why(exc)})",
                       where) from None
    if total > ARRAY_MAX_BYTES:
        raise SimError(f"tensor file {path.name} unpacks to {total:,} bytes, over the budget "
                       f"ARRAY_MAX_BYTES = {ARRAY_MAX_BYTES:,}", where)


def array_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo, bad: str,
                where: Location) -> int:
    """Bytes the array in one archive member needs, from its ``.npy`` header alone: the header
    must parse, describe a plain (non-object) array, and the array must fit the member's
    declared size (so nothing larger than the budget is ever unpacked). ``bad`` starts the
    message of a SimError."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, _, dtype = reader(member, max_header_size=NPY_MAX_HEADER)
        header = member.tell()
    if dtype.hasobject:
        raise SimError(f"{bad} (it holds Python objects)", where)
    need = math.prod(shape) * dtype.itemsize
    if header + need > info.file_size:
        raise SimError(f"{bad} (its header declares shape {shape}, {need:,} bytes, but the "
                       f"member holds {info.file_size - header:,})", where)
    return need


def _why(exc: BaseException) -> str:
    """First line of an exception's text."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_array(archive: Any, name: str, path: Path, where: Location) -> np.ndarray:
    """One array of an open archive; missing or unreadable arrays are SimErrors."""
    if name not in archive.files:
        shown = ", ".join(sorted(archive.files)[:8]) + (" ..." if len(archive.files) > 8 else "")
        raise SimError(f"array {name!r} is not in {path.name}", where, accepted=shown or "none")
    bad = f"array {name!r} in {path.name} is unreadable"
    try:
        names = set(archive.zip.namelist())
        member = f"{name}.npy" if f"{name}.npy" in names else name
        array_bytes(archive.zip, archive.zip.getinfo(member), bad, where)
        return np.asarray(archive[name])
    except SimError:
        raise
    except Exception as exc:  # numpy and zipfile raise many types on hostile headers
        raise SimError(f"array {name!r} in {path.name} is unreadable (truncated or corrupt: "
                       f"{_why(exc)})", where) from None


def check_array(op: Op, role: str, array: np.ndarray, name: str, where: Location) -> None:
    """Shape, dtype and value range of one operand."""
    shapes = expected_shapes(op).get(role)
    if shapes is not None and tuple(array.shape) not in shapes:
        want = " or ".join(str(s) for s in shapes)
        raise SimError(f"array {name!r} has shape {tuple(array.shape)}, expected {want} for "
                       f"role {role!r} of a {op.kind} op", where)
    bits = getattr(op, INT_ROLES.get(role, ""), None)
    if bits is None or bits > 8:
        return
    if array.dtype not in (np.int8, np.uint8):
        raise SimError(f"array {name!r} has dtype {array.dtype}, expected int8 or uint8 for a "
                       f"{bits}-bit operand", where)
    if array.size:
        lo, hi = int(array.min()), int(array.max())
        signed = array.dtype == np.int8
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        if lo < low or hi > high:
            raise SimError(f"array {name!r} holds values {lo}..{hi}, outside the {bits}-bit "
                           f"range {low}..{high}", where)


def check_tensors(trace: Trace, path: Path, doc: Document | None, at: FieldPath = ()) -> None:
    """Check every array an op names against the op (SimError at the op's line on failure)."""
    top = doc.where((*at, "tensors")) if doc else Location(path)
    archive = open_npz(path, top)
    with archive:
        for i, op in enumerate(trace.ops):
            for role, name in sorted(op.tensors.items()):
                where = doc.where((*at, "ops", i, "tensors", role)) if doc else \
                    Location(path, 0, f"ops[{i}].tensors.{role}")
                check_array(op, role, read_array(archive, name, path, where), name, where)
