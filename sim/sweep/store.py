"""SQLite result store (WAL): one row per design point, keyed by the hash of its config.

Every finished batch is committed at once, so a sweep killed at any moment (Ctrl-C, ``kill -9``)
keeps every point it finished; running it again computes only what is left. The primary key
makes a point impossible to store twice.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.core.csvcells import safe_row
from sim.core.errors import Location, SimError

if TYPE_CHECKING:
    from sim.sweep.pareto import Ranking as Ranked
    from sim.sweep.samplers import Point

STORE_NAME = "results.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,
    idx INTEGER NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    current INTEGER NOT NULL DEFAULT 1,
    metrics TEXT NOT NULL DEFAULT '{}',
    breakdown TEXT NOT NULL DEFAULT '{}',
    error TEXT NOT NULL DEFAULT '',
    seconds REAL,
    started REAL,
    finished REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT NOT NULL DEFAULT '',
    family TEXT NOT NULL DEFAULT '',
    tool_version TEXT NOT NULL DEFAULT '',
    arch_hash TEXT NOT NULL DEFAULT '',
    trace_hash TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
COLUMNS = ("key", "idx", "params", "status", "current", "metrics", "breakdown", "error",
           "seconds", "started", "finished", "attempts", "worker", "family", "tool_version",
           "arch_hash", "trace_hash")


@dataclass
class Outcome:
    """What a worker reports for one point: status, metrics or error, timing, provenance."""

    key: str
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    worker: str = ""
    family: str = ""
    tool_version: str = ""
    arch_hash: str = ""
    trace_hash: str = ""


@dataclass
class Row:
    """One stored design point."""

    key: str
    idx: int
    params: dict[str, Any]
    status: str
    current: int
    metrics: dict[str, float]
    breakdown: dict[str, dict[str, float]]
    error: str
    seconds: float | None
    started: float | None
    finished: float | None
    attempts: int
    worker: str
    family: str
    tool_version: str
    arch_hash: str
    trace_hash: str


class Store:
    """The result database of one sweep folder."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise SimError("the sweep store is not a regular file", Location(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._check_tables()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise self._corrupt(exc) from None
        except SimError:
            self.db.close()
            raise

    def _check_tables(self) -> None:
        """The file must hold this tool's tables (not another program's database)."""
        for table, wanted in (("points", COLUMNS), ("meta", ("name", "value"))):
            found = tuple(r[1] for r in self.db.execute(f"PRAGMA table_info({table})"))
            if found != tuple(wanted):
                raise SimError(f"not a sim sweep store: table {table!r} has columns "
                               f"{', '.join(found)[:120]}", Location(self.path))

    def _corrupt(self, exc: BaseException) -> SimError:
        """The one-line error for a store that cannot be read."""
        text = " ".join(str(exc).split())[:120] or type(exc).__name__
        return SimError(f"the sweep store is corrupt or not a sim sweep store ({text})",
                        Location(self.path))

    def close(self) -> None:
        """Close the connection (pending work is already committed)."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_meta(self, values: dict[str, Any]) -> None:
        """Store sweep-level facts (JSON values) such as the spec, objectives and provenance."""
        with self._tx():
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [(k, json.dumps(v, sort_keys=True)) for k, v in values.items()])

    def meta(self) -> dict[str, Any]:
        """All sweep-level facts (a value that is not JSON is a SimError naming the store)."""
        try:
            return {str(k): json.loads(v)
                    for k, v in self.db.execute("SELECT name, value FROM meta")}
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            raise self._corrupt(exc) from None

    def add_points(self, points: Sequence[Point]) -> None:
        """Register the sweep's points (existing ones keep their results); only these points
        are ``current`` afterwards."""
        with self._tx():
            self.db.execute("UPDATE points SET current = 0")
            self.db.executemany(
                "INSERT INTO points (key, idx, params) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET current = 1, idx = excluded.idx",
                [(p.key, p.index, json.dumps(p.overrides, sort_keys=True)) for p in points])

    def todo(self, retry_failed: bool = False) -> list[str]:
        """Keys of current points still to compute (failed ones only if ``retry_failed``)."""
        states = ("pending", "failed") if retry_failed else ("pending",)
        marks = ",".join("?" * len(states))
        query = f"SELECT key FROM points WHERE current = 1 AND status IN ({marks}) ORDER BY idx"
        return [k for (k,) in self.db.execute(query, states)]

    def record(self, outcomes: Iterable[Outcome]) -> None:
        """Store finished points in one transaction (committed before returning)."""
        rows = [(o.status, json.dumps(o.metrics, sort_keys=True),
                 json.dumps(o.breakdown, sort_keys=True), o.error, o.seconds, o.started,
                 o.finished, o.worker, o.family, o.tool_version, o.arch_hash, o.trace_hash, o.key)
                for o in outcomes]
        with self._tx():
            self.db.executemany(
                "UPDATE points SET status = ?, metrics = ?, breakdown = ?, error = ?, "
                "seconds = ?, started = ?, finished = ?, attempts = attempts + 1, worker = ?, "
                "family = ?, tool_version = ?, arch_hash = ?, trace_hash = ? WHERE key = ?", rows)

    def rows(self, current_only: bool = True) -> list[Row]:
        """Stored points in sample order."""
        where = "WHERE current = 1 " if current_only else ""
        try:
            cursor = self.db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM points {where}ORDER BY idx")
            return [_row(values) for values in cursor]
        except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
            raise self._corrupt(exc) from None

    def counts(self) -> dict[str, int]:
        """Number of current points per status."""
        query = "SELECT status, COUNT(*) FROM points WHERE current = 1 GROUP BY status"
        return dict(self.db.execute(query).fetchall())

    def _tx(self) -> _Transaction:
        return _Transaction(self.db)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _row(values: Sequence[Any]) -> Row:
    """A stored row; JSON columns that do not hold mappings raise ValueError."""
    data = dict(zip(COLUMNS, values, strict=True))
    for name in ("params", "metrics", "breakdown"):
        data[name] = json.loads(data[name])
        if not isinstance(data[name], dict):
            raise ValueError(f"column {name} of point {str(data['key'])[:20]!r} is not a mapping")
    if not all(isinstance(v, int | float) for v in data["metrics"].values()):
        raise ValueError(f"metrics of point {str(data['key'])[:20]!r} are not all numbers")
    return Row(**data)


def flat_table(rows: Sequence[Row], ranking: Ranked | None = None, lists: bool = False
               ) -> tuple[list[str], list[list[Any]]]:
    """Columns and values of a flat results table: key, index, status, feasible and front rank
    (from ``ranking``, one entry per row; blank without it), every parameter and metric, error,
    timing and provenance. List and mapping parameters are JSON text unless ``lists``."""
    cell = (lambda v: v) if lists else _cell
    params = sorted({p for r in rows for p in r.params})
    metrics = sorted({m for r in rows for m in r.metrics})
    columns = ["key", "idx", "status", "feasible", "rank", *params, *metrics, "error", "eval_s",
               "attempts", "worker", "family", "tool_version", "arch_hash", "trace_hash"]
    feasible: Sequence[bool | None] = ranking.feasible if ranking else [None] * len(rows)
    rank: Sequence[int | None] = ranking.rank if ranking else [None] * len(rows)
    table = []
    for i, r in enumerate(rows):
        table.append([r.key, r.idx, r.status, feasible[i], rank[i],
                      *(cell(r.params.get(p)) for p in params),
                      *(r.metrics.get(m) for m in metrics), r.error, r.seconds, r.attempts,
                      r.worker, r.family, r.tool_version, r.arch_hash, r.trace_hash])
    return columns, table


def _cell(value: Any) -> Any:
    """Parameter values that are lists or mappings become JSON text."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def export_csv(rows: Sequence[Row], path: Path, ranking: Ranked | None = None) -> Path:
    """Write the flat results table as CSV (full precision)."""
    columns, table = flat_table(rows, ranking)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(safe_row(columns))
        writer.writerows(safe_row("" if v is None else v for v in line) for line in table)
    return path


def export_parquet(rows: Sequence[Row], path: Path, ranking: Ranked | None = None) -> Path:
    """Write the flat results table as Parquet (needs pyarrow); list parameters stay lists
    (``[64, 64]`` is a list column, not text)."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise SimError("Parquet export needs pyarrow", accepted="pip install pyarrow") from None
    columns, table = flat_table(rows, ranking, lists=True)
    data = {c: _parquet_column([line[i] for line in table]) for i, c in enumerate(columns)}
    pq.write_table(pa.table(data), path)
    return path


def _parquet_column(values: list[Any]) -> list[Any]:
    """Parquet columns need one type: a column mixing text and numbers is stored as text."""
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1 or kinds <= {int, float}:
        return values
    return [None if v is None else str(v) for v in values]
