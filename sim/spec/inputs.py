"""Input limits and input-file checks, enforced before any work starts.

Every file the simulator reads on a user's behalf (workload, arch, trace, sweep, technology table,
request log, ``.npz`` tensors) goes through :func:`input_file` and :func:`read_limited`: the path
must be sane (no NUL byte, not over-long, no symlink loop), name a *regular* file (never a
device, FIFO, socket or folder) and be no larger than the limit for its kind. Problems are
one-line :class:`SimError`s naming the file. The limits are stated in the README.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.core.errors import Location, SimError
from sim.core.hashing import bytes_hash

MIB = 1 << 20

YAML_MAX_BYTES = 1 * MIB
"""Largest YAML/JSON input file (bytes)."""
YAML_MAX_DEPTH = 64
"""Deepest nesting of mappings and lists in a YAML file."""
YAML_MAX_ALIASES = 1000
"""Most alias uses (``*name``) in one YAML file."""
YAML_MAX_ALIAS_NODES = 100_000
"""Most values that alias expansion may add to a YAML file's data, in total."""
CSV_MAX_BYTES = 64 * MIB
"""Largest request log or other CSV input (bytes)."""
NPZ_MAX_BYTES = 256 * MIB
"""Largest ``.npz`` file on disk (bytes)."""
ARRAY_MAX_BYTES = 512 * MIB
"""Memory budget for the arrays of one ``.npz``, summed from their headers (bytes)."""
PATH_MAX_CHARS = 4096
"""Longest accepted path (characters)."""
TRACE_MAX_OPS = 100_000
"""Most ops in one trace (file or generated); GPT-3 175B decode at batch 512 (96 layers x 521
ops = 50,016, the npu_pim benchmark) must fit."""
OP_MAX_WORK = 2**50
"""Largest product of one op's size fields (e.g. M x N x K of a GEMM): keeps every count that
models derive from it inside 64-bit integers."""
GEN_MAX_LAYERS = 1024
"""Most layers a trace generator may emit."""
def check_op_count(per_layer: int, layers: int, what: str) -> None:
    """A generator about to emit ``per_layer`` ops for each of ``layers`` layers must stay
    within ``TRACE_MAX_OPS`` (checked after the first layer, before the rest are built)."""
    if per_layer * layers > TRACE_MAX_OPS:
        raise SimError(f"{what} would emit {per_layer:,} ops x {layers:,} layers, over the limit "
                       f"TRACE_MAX_OPS = {TRACE_MAX_OPS:,}")


SWEEP_MAX_POINTS = 100_000
"""Most design points in one sweep (and values in one range)."""


def checked_path(value: str | Path, where: Location | None = None) -> Path:
    """``value`` as a Path if it is a plausible path (no NUL byte, not over-long)."""
    text = str(value)
    if "\0" in text:
        raise SimError("path contains a NUL byte", where or Location())
    if len(text) > PATH_MAX_CHARS:
        raise SimError(f"path is {len(text)} characters long (limit {PATH_MAX_CHARS}, "
                       "PATH_MAX_CHARS)", where or Location())
    return Path(text)


def safe_resolve(path: Path, where: Location | None = None) -> Path:
    """``path`` made absolute with symlinks followed; a loop or bad path is a SimError."""
    checked_path(path, where)
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise SimError(f"cannot resolve path {str(path)[:200]!r}: {_reason(exc)}",
                       where or Location()) from None


def _reason(exc: BaseException) -> str:
    """Short one-line reason of an OS-level error."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def input_file(path: str | Path, what: str = "file", limit: int = YAML_MAX_BYTES,
               where: Location | None = None) -> Path:
    """Check that ``path`` names a regular file of at most ``limit`` bytes; returns it.

    ``what`` names the kind of file in messages (``trace``, ``request log``, ...); ``where`` is
    where the path was written (default: the file itself)."""
    path = checked_path(path, where)
    here = where or Location(_short(path))
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SimError(f"{what} not found", here) from None
    except (OSError, ValueError) as exc:
        raise SimError(f"cannot open {what}: {_reason(exc)}", here) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise SimError(f"{what} is {kind} (devices, FIFOs and sockets are refused)", here)
    if info.st_size > limit:
        raise SimError(f"{what} is {info.st_size:,} bytes, over the limit of {limit:,}", here)
    return path


def read_limited(path: str | Path, what: str = "file", limit: int = YAML_MAX_BYTES,
                 where: Location | None = None) -> bytes:
    """The bytes of a checked input file (:func:`input_file`), never more than ``limit``."""
    path = input_file(path, what, limit, where)
    here = where or Location(_short(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise SimError(f"{what} is not a regular file", here)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise SimError(f"cannot read {what}: {_reason(exc)}", here) from None
    if len(data) > limit:
        raise SimError(f"{what} is over the limit of {limit:,} bytes", here)
    for files in _RECORDERS:
        files[str(os.path.abspath(path))] = bytes_hash(data)
    return data


_RECORDERS: list[dict[str, str]] = []


@contextmanager
def recording_reads() -> Iterator[dict[str, str]]:
    """Collect ``{absolute path: content hash}`` of every input file read inside the block
    (sweeps put these in each point's key, so editing any input invalidates stored results)."""
    files: dict[str, str] = {}
    _RECORDERS.append(files)
    try:
        yield files
    finally:
        _RECORDERS.remove(files)


def file_hash(path: Path) -> str | None:
    """Content hash of ``path`` if it names a readable regular input file, else None."""
    try:
        return bytes_hash(read_limited(path, limit=NPZ_MAX_BYTES))
    except SimError:
        return None


def read_text_limited(path: str | Path, what: str = "file", limit: int = YAML_MAX_BYTES,
                      where: Location | None = None) -> str:
    """UTF-8 text of a checked input file; NUL bytes and bad UTF-8 are SimErrors."""
    data = read_limited(path, what, limit, where)
    here = where or Location(_short(Path(path)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SimError(f"{what} is not UTF-8 text (byte {exc.start})", here) from None
    if "\0" in text:
        raise SimError(f"{what} contains a NUL byte (not a text file)", here)
    return text


def _short(path: Path) -> str:
    """A path shortened for a one-line message."""
    text = str(path)
    return text if len(text) <= 200 else text[:100] + "..." + text[-60:]
