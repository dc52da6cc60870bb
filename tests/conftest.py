"""Shared fixtures: the repository root and a CLI runner that keeps stdout and stderr apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

REPO = Path(__file__).resolve().parents[1]


@dataclass
class CliOutcome:
    """Exit code and the two output streams of one ``sim`` invocation."""

    code: int
    stdout: str
    stderr: str


@pytest.fixture
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture
def sim_cli() -> object:
    """Call ``sim`` in-process: ``sim_cli("run", "x.yaml")`` -> CliOutcome."""
    runner = CliRunner()

    def call(*args: str) -> CliOutcome:
        result = runner.invoke(app, list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliOutcome(result.exit_code, result.stdout, result.stderr)

    return call


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


def write_tiny_workload(folder: Path, ops: int = 2) -> Path:
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
        write_tiny_workload(tmp_path, ops)
        path = tmp_path / name
        path.write_text("version: 1\nbase: tiny.yaml\n" + body, encoding="utf-8")
        return path

    return make


@pytest.fixture(scope="session")
def tiny_workload() -> Callable[..., Path]:
    """``tiny_workload(folder, ops=2)`` writes ``folder/tiny.yaml``: a small systolic workload
    (inline 8 x 8 WS arch, ``ops`` GEMMs) that sweep and report tests vary."""
    return write_tiny_workload
