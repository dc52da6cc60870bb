"""The tpe family's sweep-report hook: the published transformed-vs-baseline ratios beside the
sweep's own, checked against ratios recomputed from the sweep's CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sim.models.tpe.evaluate import PUBLISHED
from sim.report.sweep_report import load_store, references, sweep_data

ROOT = Path(__file__).resolve().parents[2]


def sweep(folder: Path, body: str) -> Path:
    """Run a sweep over the systolic MiniLM workload; returns its report folder."""
    from sim import api

    path = folder / "s.sweep.yaml"
    base = ROOT / "workloads" / "tpe-systolic-minilm.yaml"
    path.write_text(f"version: 1\nname: tpe-hook\nbase: {base}\n{body}"
                    "objectives: {seconds: min, area_mm2: min}\n", encoding="utf-8")
    api.sweep(path, out_dir=folder / "report", executor="inline")
    return folder / "report"


def test_systolic_pairs_beside_published(tmp_path: Path) -> None:
    report = sweep(tmp_path, "vary:\n  arch.pe: [mac, opt1]\n  arch.sizes: [[4, 4], [8, 8]]\n")
    with (report / "results.csv").open(encoding="utf-8") as handle:
        rows = {(r["arch.pe"], r["arch.sizes"]): r for r in csv.DictReader(handle)}
    refs = {(r.label, r.metric): r for _, r in references(sweep_data(*load_store(report)))[0]}
    assert set(refs) == {("systolic_os: opt1 vs mac", m)
                         for m in ("area efficiency", "energy efficiency")}
    for metric, column, index in (("area efficiency", "gops_per_mm2", 0),
                                  ("energy efficiency", "gops_per_w", 1)):
        ratios = [float(rows[("opt1", s)][column]) / float(rows[("mac", s)][column])
                  for s in ("[4, 4]", "[8, 8]")]
        ref = refs[("systolic_os: opt1 vs mac", metric)]
        assert ref.published == PUBLISHED["systolic"][index]
        assert ref.simulated == pytest.approx(sum(ratios) / 2)


def test_without_a_baseline_nothing_is_simulated(tmp_path: Path) -> None:
    report = sweep(tmp_path, "vary:\n  arch.sizes: [[4, 4], [8, 8]]\n")
    refs = [r for _, r in references(sweep_data(*load_store(report)))[0]]
    assert len(refs) == 2 and all(r.simulated is None for r in refs)
    assert "needs both systolic_os/opt1 and systolic_os/mac" in refs[0].note
