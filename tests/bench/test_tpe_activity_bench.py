"""Benchmark: activity-based evaluation of one MiniLM encoder layer (the six weight GEMMs of layer
0 in the committed trace, 56 tokens) on a 32x32 output-stationary TPE array, one core.

Prints seconds per PE variant and the energy per MAC; the target is < 5 s per evaluation.
"""

from __future__ import annotations

import time

import pytest

from sim.models.tpe import activity, designs, evaluate
from sim.tech import load_tables

pytestmark = pytest.mark.bench


@pytest.mark.parametrize("pe", ["mac", "opt1"])
def test_minilm_layer_activity_on_32x32(pe: str) -> None:
    table = load_tables(28)
    gemms = activity.trace_gemms()
    design = designs.build_design("systolic_os", pe, (32, 32))
    began, cpu = time.perf_counter(), time.process_time()
    energy = macs = 0.0
    for a, b in gemms.values():
        m, k = a.shape
        ev = evaluate.evaluate(design, m, b.shape[1], k, table, a, b, activity=True)
        assert ev.activity_pj is not None and ev.activity_pj > 0
        energy += ev.activity_pj
        macs += ev.macs
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"\nMiniLM layer 0 on systolic_os/{pe}/32x32: {macs / 1e6:.1f} M MACs, activity "
          f"energy {energy / macs:.3f} pJ/MAC, {seconds:.2f} s wall, {cpu:.2f} s CPU "
          "(target < 5 s)")
