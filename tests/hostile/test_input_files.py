"""Hostile input files beyond YAML: .npz headers checked against the memory budget before any
array is read, request logs and tables that are not regular files, paths written in YAML."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.spec import inputs
from sim.workload import tensors
from tests.hostile.test_yaml_limits import one_line_error

TRACE = """\
version: 1
name: t
tensors: t.npz
ops:
  - {name: g, kind: gemm, m: 4, n: 4, k: 4, tensors: {a: a}}
"""


def npy_member(header: str, payload: bytes = b"") -> bytes:
    """A .npy (format 1.0) with a literal header dict text."""
    text = header.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload


def write_npz(path: Path, members: dict[str, bytes], deflate: bool = False) -> None:
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, blob in members.items():
            archive.writestr(name, blob)


def huge_shape(path: Path) -> None:
    write_npz(path, {"a.npy": npy_member(
        "{'descr': '|i1', 'fortran_order': False, 'shape': (1099511627776,), }")})


def malformed(path: Path) -> None:
    write_npz(path, {"a.npy": npy_member("{'descr': '|i1', 'fortran_order': False, 'shape': (")})


def bomb(path: Path) -> None:
    """A compressed member that inflates past the budget (written in chunks: little memory)."""
    budget = tensors.ARRAY_MAX_BYTES  # the test lowers it to 16 MiB to stay fast
    size = budget + 4096
    header = npy_member(f"{{'descr': '|u1', 'fortran_order': False, 'shape': ({size},), }}")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open("a.npy", "w", force_zip64=True) as member:
        member.write(header)
        chunk = bytes(1 << 22)
        for _ in range((budget + 4096) // len(chunk) + 1):
            member.write(chunk)


def object_array(path: Path) -> None:
    write_npz(path, {"a.npy": npy_member(
        "{'descr': '|O', 'fortran_order': False, 'shape': (4, 4), }", b"\0" * 128)})


def truncated(path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((4, 4), np.int8))
    write_npz(path, {"a.npy": buffer.getvalue()[:-5]})


@pytest.mark.parametrize("make", [huge_shape, malformed, bomb, object_array, truncated])
def test_hostile_npz(make: Callable[[Path], None], tmp_path: Path,
                     sim_cli: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tensors, "ARRAY_MAX_BYTES", 16 * inputs.MIB)
    (tmp_path / "t.yaml").write_text(TRACE, encoding="utf-8")
    make(tmp_path / "t.npz")
    line = one_line_error(sim_cli("validate", str(tmp_path / "t.yaml")))
    assert "t.npz" in line


def test_valid_npz_still_accepted(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    """Negative control for the header checks: a well-formed archive validates."""
    (tmp_path / "t.yaml").write_text(TRACE, encoding="utf-8")
    np.savez(tmp_path / "t.npz", a=np.ones((4, 4), np.int8))
    outcome = sim_cli("validate", str(tmp_path / "t.yaml"))
    assert outcome.code == 0, outcome.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize("tensors", ["/dev/zero", "fifo.npz", "a\\0b.npz", "x" * 5000])
def test_tensor_paths(tensors: str, tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    if tensors == "fifo.npz":
        os.mkfifo(tmp_path / tensors)
    (tmp_path / "t.yaml").write_text(TRACE.replace("t.npz", f'"{tensors}"'), encoding="utf-8")
    one_line_error(sim_cli("validate", str(tmp_path / "t.yaml")))
