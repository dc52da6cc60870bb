"""What a notebook gets from a sweep: rank and feasible columns in CSV and Parquet, and pandas
DataFrames from ``sim.api`` with parameters as values and the breakdown as columns."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from sim import api

BODY = ("vary:\n  arch.rows: [4, 8, 0, 16]\nobjectives: {seconds: min, area_mm2: min}\n"
        "constraints: ['area_mm2 <= 1e9']\n")


def test_csv_and_parquet_have_rank_and_feasible(make_sweep: Callable[..., Path],
                                                tmp_path: Path) -> None:
    out = api.sweep(make_sweep(BODY), out_dir=tmp_path / "o", executor="inline", report=False,
                    parquet=True)
    with (tmp_path / "o" / "results.csv").open(encoding="utf-8") as fh:
        rows = {int(r["arch.rows"]): r for r in csv.DictReader(fh)}
    assert rows[0]["feasible"] == "False" and rows[0]["rank"] == "0"  # the failed point
    assert {rows[n]["feasible"] for n in (4, 8, 16)} == {"True"}
    assert {int(rows[n]["rank"]) for n in (4, 8, 16)} >= {1}
    table = pq.read_table(out.out_dir / "results.parquet").to_pydict()
    assert table["rank"] == [int(rows[n]["rank"]) for n in table["arch.rows"]]


def test_frames_from_the_api(make_sweep: Callable[..., Path], tmp_path: Path) -> None:
    out = api.sweep(make_sweep(BODY.replace("[4, 8, 0, 16]", "[4, 8]")), out_dir=tmp_path / "o",
                    executor="inline", report=False)
    frame = out.to_frame()
    assert list(frame["arch.rows"]) == [4, 8]
    assert {"feasible", "rank", "seconds", "area_mm2"} <= set(frame.columns)
    assert any(c.startswith("energy_pj.") for c in frame.columns)
    part_sum = frame[[c for c in frame.columns if c.startswith("energy_pj.")]].sum(axis=1)
    assert list(part_sum.round(3)) == list(frame["energy_pj"].round(3))
    assert api.results_frame(out.out_dir).equals(frame)
    ops = api.run(tmp_path / "tiny.yaml", write=False).to_frame()
    assert list(ops.columns)[:3] == ["name", "kind", "unit"]
    assert (ops["end"] >= ops["start"]).all() and ops["energy_pj"].sum() > 0
