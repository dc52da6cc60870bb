"""SQLite store: one row per key, resume bookkeeping, failed points, CSV and Parquet export."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from sim.sweep.samplers import Point
from sim.sweep.store import Outcome, Store, export_csv, export_parquet

POINTS = [Point(i, f"k{i}", {"arch.rows": 4 * (i + 1), "arch.dataflow": "WS"}) for i in range(4)]


def test_points_are_stored_once_and_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        store.add_points(POINTS)
        store.add_points(POINTS)
        assert store.todo() == ["k0", "k1", "k2", "k3"]
        store.record([Outcome("k0", "ok", {"cycles": 10.0}), Outcome("k2", "failed", error="boom")])
    with Store(tmp_path / "r.sqlite") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert len(store.rows()) == 4
        assert store.todo() == ["k1", "k3"]
        assert store.todo(retry_failed=True) == ["k1", "k2", "k3"]
        assert store.counts() == {"ok": 1, "failed": 1, "pending": 2}
        failed = store.rows()[2]
        assert (failed.status, failed.error, failed.attempts) == ("failed", "boom", 1)
        assert store.rows()[0].metrics == {"cycles": 10.0}


def test_record_is_committed_at_once(tmp_path: Path) -> None:
    """Another connection sees a recorded batch immediately (nothing waits for close)."""
    store = Store(tmp_path / "r.sqlite")
    store.add_points(POINTS)
    store.record([Outcome("k1", "ok", {"cycles": 1.0})])
    other = sqlite3.connect(tmp_path / "r.sqlite")
    assert other.execute("SELECT status FROM points WHERE key = 'k1'").fetchone() == ("ok",)
    other.close()
    store.close()


def test_only_current_points_count(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        store.add_points(POINTS)
        store.record([Outcome("k0", "ok", {"cycles": 10.0})])
        store.add_points([POINTS[0], POINTS[3]])
        assert [r.key for r in store.rows()] == ["k0", "k3"]
        assert store.todo() == ["k3"]
        assert len(store.rows(current_only=False)) == 4


def test_csv_export(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        store.add_points(POINTS)
        store.record([Outcome("k0", "ok", {"cycles": 10.0, "energy_pj": 2.5}, arch_hash="ah")])
        export_csv(store.rows(), tmp_path / "r.csv")
    with (tmp_path / "r.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4
    assert rows[0]["arch.rows"] == "4" and rows[0]["cycles"] == "10.0"
    assert rows[0]["arch_hash"] == "ah" and rows[1]["status"] == "pending"
    assert rows[1]["cycles"] == ""


def test_parquet_export(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    with Store(tmp_path / "r.sqlite") as store:
        store.add_points(POINTS)
        store.record([Outcome("k0", "ok", {"cycles": 10.0})])
        export_parquet(store.rows(), tmp_path / "r.parquet")
    table = pq.read_table(tmp_path / "r.parquet").to_pydict()
    assert table["key"] == ["k0", "k1", "k2", "k3"]
    assert table["arch.rows"] == [4, 8, 12, 16]
    assert table["cycles"] == [10.0, None, None, None]


def test_parquet_keeps_list_parameters_as_lists(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    points = [Point(i, f"a{i}", {"arch.npu.array": [n, n]}) for i, n in enumerate((64, 128))]
    with Store(tmp_path / "r.sqlite") as store:
        store.add_points(points)
        export_parquet(store.rows(), tmp_path / "r.parquet")
        export_csv(store.rows(), tmp_path / "r.csv")
    table = pq.read_table(tmp_path / "r.parquet").to_pydict()
    assert table["arch.npu.array"] == [[64, 64], [128, 128]]
    assert "\"[64, 64]\"" in (tmp_path / "r.csv").read_text()  # CSV cells are text
