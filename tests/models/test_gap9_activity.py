"""NE16 slice activity mirror (sim.models.gap9.activity): its outputs and cycle counts agree with
the golden model, data ordering of the toggles, and the ledger rows exist in the tech table."""

from __future__ import annotations

import numpy as np
import pytest

from sim.models.gap9 import activity
from sim.models.gap9.rtlslice import SliceJob, make_job
from sim.tech.costing import energy_pj
from sim.tech.table import load_tables

GEOM = activity.Geometry(2, 8, 8, 2)
Jobs = dict[str, list[SliceJob]]


@pytest.fixture(scope="module")
def jobs() -> Jobs:
    return activity.bench_jobs(GEOM)


def test_mirror_outputs_and_cycles_equal_golden_model(jobs: Jobs) -> None:
    """Every streamed word equals arith's expected output; start-to-done edges equal the cycle
    model's count (+1 for the start edge, +1 for done falling)."""
    eng = activity._Engine(GEOM)
    eng.run(activity.flush_job(GEOM))
    for case, js in jobs.items():
        for job in js:
            eng.run(job)
            assert eng.words == job.out_words(GEOM.side), (case, job.mode, job.qw)
            assert eng.edges == job.cycles + 2, (case, job.mode, job.qw)


def test_toggle_ordering_and_negative_control(jobs: Jobs) -> None:
    zeros = activity.slice_toggles(jobs["zeros"], GEOM)
    assert zeros["reg_xbuf"] == zeros["reg_acc"] == zeros["reg_out"] == 0 < zeros["reg_ctrl"]
    real = activity.slice_toggles(jobs["real"], GEOM)
    rand = activity.slice_toggles(jobs["random"], GEOM)
    per_cycle = {c: sum(t.values()) / sum(j.cycles for j in jobs[c])
                 for c, t in (("zeros", zeros), ("real", real), ("random", rand))}
    assert per_cycle["zeros"] < per_cycle["real"] < per_cycle["random"]
    job = jobs["real"][0]
    shifted = make_job(job.mode, np.zeros((4, 4, 16)), np.ones((job.k, 16, 3, 3)),
                                job.qw, job.nq, GEOM.side, GEOM.lanes)
    assert activity.slice_toggles([shifted], GEOM) != activity.slice_toggles([job], GEOM)


def test_ledger_costs_at_gap9_node(jobs: Jobs) -> None:
    table = load_tables(22)
    cyc = sum(j.cycles for j in jobs["real"])
    led = activity.toggle_ledger(activity.slice_toggles(jobs["real"], GEOM), cyc, GEOM)
    assert led[activity.CLOCK_ACTION] == activity.flops(GEOM) * cyc
    zero_led = activity.toggle_ledger(activity.slice_toggles(jobs["zeros"], GEOM), cyc, GEOM)
    assert 0 < energy_pj(zero_led, table) < energy_pj(led, table)
