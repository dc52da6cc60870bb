"""Fixtures for report tests: one finished sweep over the tiny workload (tests/conftest.py),
with its report, shared by the whole session (reports take seconds)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

BODY = ("vary:\n  arch.rows: [4, 8, 0, 16]\n  arch.cols: {start: 4, stop: 16, step: 4}\n"
        "  arch.dataflow: [OS, WS]\n"
        "objectives: {seconds: min, energy_pj: min, area_mm2: min}\n"
        "constraints: ['area_mm2 <= 0.84']\n")
"""32 points: 8 fail (rows 0), some violate the area constraint."""


@pytest.fixture(scope="session")
def swept(tmp_path_factory: pytest.TempPathFactory, tiny_workload: Callable[..., Path]) -> Path:
    """The report folder of one finished sweep of ``BODY`` over the tiny workload."""
    from sim import api

    folder = tmp_path_factory.mktemp("swept")
    tiny_workload(folder)
    (folder / "s.sweep.yaml").write_text("version: 1\nbase: tiny.yaml\n" + BODY, encoding="utf-8")
    api.sweep(folder / "s.sweep.yaml", out_dir=folder / "report", executor="inline")
    return folder / "report"
