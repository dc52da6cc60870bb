"""The npu_pim family's sweep-report hooks: its figure and NeuPIMs' published speed-ups beside
the sweep's own, on a small real sweep (2 GPT-3 7B layers)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sim.models.npu_pim.table import PUBLISHED
from sim.report.sweep_report import load_store, references, sweep_data

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = f"""version: 1
name: tiny decode
arch: {ROOT / "arch" / "neupims.yaml"}
trace: {{generator: llm_decode, model: gpt3-7b, batch: 64, layers: 2, requests: sharegpt}}
"""
SWEEP = """version: 1
name: pim-hooks
base: w.yaml
vary:
  arch.system: [npu, neupims, naive_pim]
  arch.memory.pim.row_buffers: [1, 2]
  trace.batch: [64, 256]
objectives: {tokens_per_s: max, energy_per_token_j: min}
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sim import api

    folder = tmp_path_factory.mktemp("pim_sweep")
    (folder / "w.yaml").write_text(WORKLOAD, encoding="utf-8")
    (folder / "s.sweep.yaml").write_text(SWEEP, encoding="utf-8")
    api.sweep(folder / "s.sweep.yaml", out_dir=folder / "report", executor="inline")
    return folder / "report"


def tokens(report: Path) -> dict[tuple[str, str, str], float]:
    """(system, row_buffers, batch) -> tokens/s of every successful point, from the CSV."""
    with (report / "results.csv").open(encoding="utf-8") as handle:
        return {(r["arch.system"], r["arch.memory.pim.row_buffers"], r["trace.batch"]):
                float(r["tokens_per_s"]) for r in csv.DictReader(handle) if r["status"] == "ok"}


def test_family_figure_is_in_the_report(swept: Path) -> None:
    assert (swept / "figures" / "npu_pim-decode.png").stat().st_size > 10_000
    assert "npu_pim: decode" in (swept / "index.html").read_text(encoding="utf-8")


def test_references_are_means_of_matched_pairs(swept: Path) -> None:
    tps = tokens(swept)
    # naive_pim with two row buffers is rejected by the arch check: recorded, not run.
    assert ("naive_pim", "2", "64") not in tps and ("naive_pim", "1", "64") in tps
    refs = {ref.label: ref for _, ref in references(sweep_data(*load_store(swept)))[0]}
    assert {r.published for r in refs.values()} == set(PUBLISHED.values())
    vs_npu = [tps[("neupims", rb, b)] / tps[("npu", rb, b)]
              for rb in ("1", "2") for b in ("64", "256")]
    assert refs["NeuPIMs-style vs npu"].simulated == pytest.approx(sum(vs_npu) / 4)
    # naive_pim (row_buffers 1 only) is matched with NeuPIMs-style points of either row buffer.
    vs_naive = [tps[("neupims", rb, b)] / tps[("naive_pim", "1", b)]
                for rb in ("1", "2") for b in ("64", "256")]
    assert refs["NeuPIMs-style vs naive_pim"].simulated == pytest.approx(sum(vs_naive) / 4)
    gpu = refs["NeuPIMs-style vs gpu"]
    assert gpu.simulated is None and "vary arch.system" in gpu.note


def test_page_loads_and_sorts_in_chromium(swept: Path) -> None:
    """The npu_pim report page in headless Chromium: no console error, images decoded, the
    points table sorts by tokens/s and filters."""
    import os

    from cdp_client import Browser, find_chromium

    from tests.report.test_sweep_report_browser import sorts_and_filters

    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    browser = Browser(chromium)
    try:
        seen = browser.check((swept / "index.html").as_uri())
        assert seen.errors == [] and all(img["width"] > 0 for img in seen.images)
        _, rows = load_store(swept)
        failed = sum(r.status == "failed" for r in rows)
        sorts_and_filters(browser, swept / "index.html", "tokens_per_s", failed=failed)
    finally:
        browser.close()


def test_shipped_sweep_pairs_every_baseline_with_neupims() -> None:
    """Every baseline point of the shipped sweep agrees with some NeuPIMs-style point on every
    varied field but the system (the PIM fields too, except for naive_pim), so the report's
    speed-ups are simulated. Negative control: a baseline column whose PIM issue path differs
    from every NeuPIMs column finds no partner."""
    from sim.models.npu_pim.sweep_hooks import PIM_COUPLED, SYSTEM
    from sim.sweep.config import load_sweep
    from sim.sweep.samplers import raw_points

    points = raw_points(load_sweep(ROOT / "workloads" / "npu_pim.sweep.yaml"))

    def key(p: dict[str, object], skip: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((k, repr(v)) for k, v in p.items() if k not in (SYSTEM, *skip)))

    def unpaired(pts: list[dict[str, object]], baseline: str) -> int:
        skip = PIM_COUPLED if baseline == "naive_pim" else ()
        partners = {key(p, skip) for p in pts if p[SYSTEM] == "neupims"}
        return sum(key(p, skip) not in partners for p in pts if p[SYSTEM] == baseline)

    for baseline in PUBLISHED:
        assert any(p[SYSTEM] == baseline for p in points), baseline
        assert unpaired(points, baseline) == 0, baseline
    field = "arch.memory.pim.issue_queues"
    moved = [{**p, field: "other"} if p[SYSTEM] == "npu" else p for p in points]
    assert unpaired(moved, "npu") == sum(p[SYSTEM] == "npu" for p in points)
