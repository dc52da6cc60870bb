"""Shared fixtures: the repository root and a CLI runner that keeps stdout and stderr apart."""

from __future__ import annotations

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
