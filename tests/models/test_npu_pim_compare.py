"""The comparison with the NeuPIMs simulator: our numbers come from our runs, and the errors
stay within the acceptance bounds (per layer and steady state 10 %, stages 15 %) for every system.
The runs that miss them today are marked as expected failures (strict: the mark must go when the
model reaches the bound); ``docs/families/npu_pim.md`` states each miss and what is known of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.models.npu_pim.compare import report, run_reference
from sim.models.npu_pim.reference import SIMULATOR_RUNS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ours() -> dict[int, object]:
    return {i: run_reference(ROOT, ref) for i, ref in enumerate(SIMULATOR_RUNS)}


def test_report_shows_our_runs_beside_the_reference(ours: dict[int, object]) -> None:
    text = report(ROOT)
    for i, ref in enumerate(SIMULATOR_RUNS):
        run = ours[i]
        assert f"{run.per_layer:,.0f} | {ref.cycles_per_layer:,.0f}" in text  # type: ignore[attr-defined]
    assert text.count("| 64 |") >= 3 and "steady state" in text and "paper" in text


@pytest.mark.parametrize("index", range(len(SIMULATOR_RUNS)))
def test_errors_within_the_acceptance_bounds(ours: dict[int, object], index: int) -> None:
    ref = SIMULATOR_RUNS[index]
    run = ours[index]
    assert run.per_layer == pytest.approx(ref.cycles_per_layer, rel=0.10)  # type: ignore[attr-defined]
    for name, (cycles, _) in ref.stages.items():
        assert run.stage(name)[0] == pytest.approx(cycles, rel=0.15), name  # type: ignore[attr-defined]
    if ref.steady_layer:
        steady = run.stage("C")[0] + run.stage("D")[0]  # type: ignore[attr-defined]
        assert steady == pytest.approx(ref.steady_layer, rel=0.10)
