"""Executors: the same sweep gives identical result tables in-process, on local worker
processes and on a Dask LocalCluster of two workers (threads, to keep the test fast)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.sweep.executors import MAX_BATCH, TARGET_TASK_SECONDS, BatchSizer
from sim.sweep.runner import run_sweep
from sim.sweep.store import Outcome, Store, flat_table

TIMING = {"eval_s", "worker"}


def result_table(folder: Path) -> list[dict[str, Any]]:
    """Every stored column except timing and worker identity."""
    with Store(folder / "results.sqlite") as store:
        columns, table = flat_table(store.rows())
    return [{c: v for c, v in zip(columns, line, strict=True) if c not in TIMING}
            for line in table]


@pytest.fixture
def sweep_file(make_sweep: Callable[..., Path]) -> Path:
    return make_sweep("vary:\n  arch.rows: [4, 8, 0, 16]\n  arch.cols: [8, 16]\n"
                      "  arch.dataflow: [OS, WS, IS]\n")


def test_local_and_dask_give_identical_tables(sweep_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    inline = run_sweep(sweep_file, out_dir=tmp_path / "inline", executor="inline")
    local = run_sweep(sweep_file, out_dir=tmp_path / "local", executor="local", workers=2,
                      batch=5)
    dask = run_sweep(sweep_file, out_dir=tmp_path / "dask", executor="dask", workers=2,
                     batch=5, dask_processes=False)
    assert inline.counts == local.counts == dask.counts == {"ok": 18, "failed": 6}
    reference = result_table(tmp_path / "inline")
    assert len(reference) == 24
    assert result_table(tmp_path / "local") == reference
    assert result_table(tmp_path / "dask") == reference


def outcomes(n: int, seconds: float) -> list[Outcome]:
    return [Outcome(f"k{i}", "ok", seconds=seconds) for i in range(n)]


def test_batches_are_sized_by_time() -> None:
    sizer = BatchSizer(workers=2)
    assert sizer.size(1000) == 1  # nothing measured yet
    sizer.observe(outcomes(4, 0.001))  # cheap points: many per task, at most MAX_BATCH
    assert sizer.size(1000) == MAX_BATCH
    assert sizer.size(40) == 20  # never more than a fair share of what is left
    slow = BatchSizer(workers=2)
    slow.observe(outcomes(2, 2.0))  # expensive points go one by one
    assert slow.size(1000) == 1
    medium = BatchSizer(workers=2, target=TARGET_TASK_SECONDS)
    medium.observe(outcomes(2, TARGET_TASK_SECONDS / 5))
    assert medium.size(1000) == 5
    assert BatchSizer(workers=2, fixed=7).size(3) == 7


def test_every_task_is_run_once(make_sweep: Callable[..., Path], tmp_path: Path) -> None:
    path = make_sweep("vary:\n  arch.rows: {start: 1, stop: 40, step: 1}\n")
    out = run_sweep(path, out_dir=tmp_path / "o", executor="local", workers=2)
    assert out.counts == {"ok": 40} and out.computed == 40
    with Store(tmp_path / "o" / "results.sqlite") as store:
        assert [r.attempts for r in store.rows()] == [1] * 40
