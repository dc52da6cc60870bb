"""Reports on hostile names and hostile stores: '$' in names (matplotlib mathtext), a store
that is garbage, another program's database, or holds bad meta JSON."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.sweep.runner import run_sweep
from tests.hostile.test_yaml_limits import one_line_error

DOLLARS = ["a$b", "$x^2$", "$\\frac{$", "$^^$", "50$ and $"]


def test_dollar_names_in_run_figures(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    text = ("version: 1\nname: 'cost $5 $x^'\narch: {version: 1, family: systolic, rows: 8, "
            "cols: 8, dataflow: WS}\ntrace: {version: 1, name: t, ops: [\n"
            + ",\n".join(f"  {{name: '{n}', kind: gemm, m: 8, n: 8, k: 8}}" for n in DOLLARS)
            + "]}\n")
    (tmp_path / "w.yaml").write_text(text, encoding="utf-8")
    outcome = sim_cli("run", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out"))
    assert outcome.code == 0, outcome.stderr  # type: ignore[attr-defined]
    assert (tmp_path / "out" / "summary.png").stat().st_size > 0


def test_dollar_names_in_sweep_reports(make_sweep: Callable[..., Path], tmp_path: Path,
                                       sim_cli: Callable[..., object]) -> None:
    names = ", ".join(f"'{n}'" for n in DOLLARS)
    path = make_sweep(f"name: 'sweep $a$'\nvary:\n  name: [{names}]\n  arch.rows: [4, 8]\n"
                      "objectives: {cycles: min, energy_pj: min}\n")
    run_sweep(path, out_dir=tmp_path / "out", executor="inline")
    outcome = sim_cli("report", str(tmp_path / "out"))
    assert outcome.code == 0, outcome.stderr  # type: ignore[attr-defined]


def _garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database" * 100)


def _foreign(db: Path) -> None:
    db.unlink()
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE points (id INTEGER, what TEXT)")
    con.commit()
    con.close()


def _bad_meta(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '{not json' WHERE name = 'vary'")
    con.commit()
    con.close()


def _wrong_meta(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '[1, 2]' WHERE name = 'objectives'")
    con.commit()
    con.close()


def _bad_row(db: Path) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE points SET metrics = '[1]'")
    con.commit()
    con.close()


@pytest.mark.parametrize("spoil", [_garbage, _foreign, _bad_meta, _wrong_meta, _bad_row])
def test_corrupt_store_is_one_line(spoil: Callable[[Path], None], make_sweep: Callable[..., Path],
                                   tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    path = make_sweep("vary:\n  arch.rows: [4, 8]\n")
    out = tmp_path / "out"
    run_sweep(path, out_dir=out, executor="inline")
    for extra in out.glob("results.sqlite-*"):
        extra.unlink()
    spoil(out / "results.sqlite")
    line = one_line_error(sim_cli("report", str(out)))
    assert "results.sqlite" in line
    resumed = sim_cli("sweep", str(path), "-o", str(out), "--executor", "inline")
    if spoil in (_garbage, _foreign, _bad_row):  # resume reads the same store
        assert "results.sqlite" in one_line_error(resumed)
    else:  # meta is rewritten by a resumed sweep
        assert resumed.code in (0, 2), resumed.stderr  # type: ignore[attr-defined]
        assert "Traceback" not in resumed.stderr  # type: ignore[attr-defined]
