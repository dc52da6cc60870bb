"""Fixtures for sweep tests: a tiny workload (inline arch, two GEMMs) and sweep files over it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

WORKLOAD = """\
version: 1
name: tiny
arch:
  version: 1
  family: systolic
  rows: 8
  cols: 8
  dataflow: WS
trace:
  version: 1
  name: two gemms
  ops:
{ops}
seed: 0
"""


def write_workload(folder: Path, ops: int = 2) -> Path:
    """A tiny systolic workload with ``ops`` GEMMs; returns its path."""
    lines = "\n".join(f"    - {{name: g{i}, kind: gemm, m: {32 + i}, n: 48, k: 40}}"
                      for i in range(ops))
    path = folder / "tiny.yaml"
    path.write_text(WORKLOAD.format(ops=lines), encoding="utf-8")
    return path


@pytest.fixture
def make_sweep(tmp_path: Path) -> Callable[..., Path]:
    """``make_sweep(body, ops=2)`` writes tiny.yaml and a sweep file ``s.sweep.yaml`` whose
    text is ``version: 1`` + ``base: tiny.yaml`` + ``body``."""

    def make(body: str, ops: int = 2, name: str = "s.sweep.yaml") -> Path:
        write_workload(tmp_path, ops)
        path = tmp_path / name
        path.write_text("version: 1\nbase: tiny.yaml\n" + body, encoding="utf-8")
        return path

    return make
