"""Sweep reports: figures as PNG and SVG, one self-contained HTML page with provenance, family
figure and reference-number hooks, and ``sim report DIR``."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import pytest

from sim.family import Family, Reference, SweepData, get_family
from sim.report import sweep_report
from sim.report.sweep_report import (
    load_store,
    missing_metrics,
    references,
    sweep_data,
    write_sweep_report,
)
from sim.sweep.store import Store


def images_of(html: str) -> list[bytes]:
    """Decoded bytes of every <img> in the page (all must be data: URIs)."""
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    return [base64.b64decode(s.split(",", 1)[1]) for s in srcs]


def test_report_files_and_page(swept: Path) -> None:
    for name in ("pareto", "parallel", "sensitivity", "breakdown"):
        assert (swept / "figures" / f"{name}.png").stat().st_size > 1000
        root = ET.parse(swept / "figures" / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")
    html = (swept / "index.html").read_text(encoding="utf-8")
    pictures = images_of(html)
    assert len(pictures) == 4
    for png in pictures:
        pixels = mpimg.imread(io.BytesIO(png), format="png")
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert "http://" not in html and "https://" not in html
    assert html.count("<script") == 1 and "<script>" in html  # one inline script, no src
    with Store(swept / "results.sqlite") as store:
        rows = store.rows()
    assert len(rows) == 32
    for row in rows:  # provenance of every number: config hash, arch and trace hash
        assert row.key in html
        if row.status == "ok":
            assert row.arch_hash in html and row.trace_hash in html
    assert "rows: input should be greater than or equal to 1" in html  # failed points listed
    assert "24 points ok, 8 failed" in html
    assert "(infeasible)" in html  # area constraint excludes some points
    assert "sim 0.1.0" in html
    assert (swept / "results.csv").read_text().count("\n") == 33


def with_hooks(monkeypatch: pytest.MonkeyPatch, **hooks: Any) -> None:
    """Make the report see the systolic family with these sweep hooks."""
    record = dataclasses.replace(get_family("systolic"), **hooks)

    def family_of(name: str) -> Family | None:
        return record if name == "systolic" else get_family(name)

    monkeypatch.setattr(sweep_report, "family_of", family_of)


def test_family_hooks(swept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SweepData] = []

    def figures(data: SweepData) -> list[tuple[str, Any]]:
        seen.append(data)
        fig, ax = plt.subplots()
        ax.plot([p.metrics["cycles"] for p in data.of_family("systolic")])
        return [("timeline", fig)]

    def references(data: SweepData) -> list[Reference]:
        best = min(p.metrics["cycles"] for p in data.points)
        return [Reference("paper design", "cycles", 1000.0, "cycles", "Someone et al. 2024",
                          simulated=best), Reference("other", "gops", 5.0, "GOPS", "web")]

    with_hooks(monkeypatch, sweep_figures=figures, sweep_references=references)
    out = tmp_path / "hooked"
    out.mkdir()
    shutil.copy(swept / "results.sqlite", out / "results.sqlite")
    write_sweep_report(out)
    assert seen and all(p.family == "systolic" for p in seen[0].points)
    assert (out / "figures" / "systolic-timeline.png").is_file()
    assert (out / "figures" / "systolic-timeline.svg").is_file()
    html = (out / "index.html").read_text(encoding="utf-8")
    assert len(images_of(html)) == 5
    assert "Published reference numbers" in html and "Someone et al. 2024" in html
    assert "not simulated" in html


def test_failing_hook_is_a_note_not_a_crash(swept: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: SweepData) -> list[Reference]:
        raise KeyError("tokens_per_s")

    with_hooks(monkeypatch, sweep_references=broken)
    refs, notes = references(sweep_data(*load_store(swept)))
    assert refs == []
    assert notes == ["family systolic: reference hook failed: KeyError: 'tokens_per_s'"]


def test_reference_deviation() -> None:
    assert Reference("a", "m", 2.0, "u", "s", simulated=3.0).deviation == pytest.approx(0.5)
    assert Reference("a", "m", 2.0, "u", "s").deviation is None


def test_cli_report_regenerates(swept: Path, sim_cli: Callable[..., Any]) -> None:
    (swept / "index.html").unlink()
    (swept / "figures" / "pareto.svg").unlink()
    outcome = sim_cli("report", str(swept))
    assert outcome.code == 0
    assert (swept / "index.html").is_file() and (swept / "figures" / "pareto.svg").is_file()
    missing = sim_cli("report", str(swept / "nothing"))
    assert missing.code == 2 and "no sweep results here" in missing.stderr


def test_cli_sweep_writes_report(make_sweep: Callable[..., Path], tmp_path: Path,
                                 sim_cli: Callable[..., Any]) -> None:
    path = make_sweep("vary:\n  arch.rows: [4, 8]\nreport: {parquet: true}\n")
    outcome = sim_cli("sweep", str(path), "--out", str(tmp_path / "o"), "--executor", "inline")
    assert outcome.code == 0, outcome.stderr
    assert "2 points (2 ok); computed 2 now" in outcome.stdout
    for name in ("results.sqlite", "results.csv", "results.parquet", "index.html"):
        assert (tmp_path / "o" / name).is_file(), name
    html = (tmp_path / "o" / "index.html").read_text(encoding="utf-8")
    assert "<code>seconds</code> (min), <code>energy_pj</code> (min)" in html  # defaults


def test_unknown_objective_metric_is_noted(swept: Path) -> None:
    meta, rows = load_store(swept)
    meta["objectives"] = [["tokens_per_s", "max"], ["energy_pj", "min"]]
    notes = missing_metrics(sweep_data(meta, rows), meta)
    assert len(notes) == 1 and notes[0].startswith("metric 'tokens_per_s' (objective or")
    assert "energy_pj" in notes[0]
