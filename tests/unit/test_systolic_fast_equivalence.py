"""The fast memory mode's optimised evaluation gives exactly the results of the per-fold rule.

``FoldPlanner.fold_classes`` and ``fast_timing`` are the fast mode's hot path and were rewritten
for speed (classes computed per row / column class, one fused loop). The reference below is
the rule as it was before: each class is :meth:`FoldPlanner.fold` (the event mode's per-fold
rule) at its representative fold, and the analytic schedule is the original loop. Both must
agree bit for bit (integers and floats compared with ``==``) on many random GEMMs, arrays,
buffers and DRAM bandwidths.
"""

from __future__ import annotations

import math
import random
from functools import cache

import pytest

from sim.core.shapes import GemmShape
from sim.hw.systolic import Dataflow
from sim.models.systolic.memory import (
    DOUBLE,
    SINGLE,
    Buffers,
    FoldPlanner,
    Folds,
    MemorySpec,
    Timing,
    Transfers,
    _classes,
    fast_timing,
)

DATAFLOWS: tuple[Dataflow, ...] = ("OS", "WS", "IS")


def reference_classes(plan: FoldPlanner) -> Folds:
    """Fold classes from the scalar per-fold rule at each class's representative."""
    folds, counts = [], []
    for c, nc in _classes(plan.nc):
        for r, nr in _classes(plan.nr):
            folds.append(plan.fold(r, c))
            counts.append(nr * nc)
    return Folds(folds, counts)


def reference_timing(plan: FoldPlanner, fold_cycles: int, xfer: Transfers,
                     tail: int = 0) -> Timing:
    """The fast mode's schedule as first written (one pass per class, weighted by count)."""
    folds = reference_classes(plan)
    chain = busy = 0.0
    peak_r = peak_w = 0.0
    for i, (fold, count) in enumerate(zip(folds.folds, folds.counts, strict=True)):
        load_busy, load = xfer.fast_cycles(fold.read, False)
        write_busy, write = xfer.fast_cycles(fold.write, True)
        step = fold_cycles + load if fold.buffering == SINGLE else max(fold_cycles, load)
        later = count - 1 if i == 0 else count
        chain += step * later + (load if i == 0 else 0.0)
        busy += (load_busy + write_busy) * count
        if later and fold.read:
            peak_r = max(peak_r, fold.read / max(load, 1.0))
        if fold.write:
            peak_w = max(peak_w, fold.write / max(write, 1.0))
    chain += fold_cycles + tail + xfer.fast_cycles(folds.folds[-1].write, True)[1]
    compute = sum(folds.counts) * fold_cycles + tail
    return Timing(max(math.ceil(max(chain, busy)), compute), compute, folds.totals(),
                  peak_r, peak_w)


@cache
def transfers(bandwidth_gbs: float, fill: int) -> Transfers:
    """A fast-mode transfer model (one per bandwidth and fill port, measured once)."""
    cfg = MemorySpec(mode="fast", bandwidth_gbs=bandwidth_gbs).dram_config()
    return Transfers(cfg, 1000.0, fill, "fast")


def random_cases(seed: int, n: int) -> list[tuple[FoldPlanner, int, Transfers, int]]:
    """Random (planner, cycles per fold, transfers, tail): 1 to many folds per dimension,
    buffers from far too small to resident, with and without a fill-port limit."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        rows, cols = rng.choice((4, 8, 16, 32, 128)), rng.choice((4, 8, 16, 32, 128))
        scale = rng.choice((8, 64, 512, 4096))
        shape = GemmShape(*(rng.randint(1, scale) for _ in range(3)))
        buffers = Buffers(*(rng.choice((256, 4096, 65536, 1 << 20)) for _ in range(3)),
                          rng.choice((0, 16, 64)))
        plan = FoldPlanner(shape, rows, cols, rng.choice(DATAFLOWS), buffers)
        xfer = transfers(rng.choice((8.0, 64.0, 256.0)), buffers.fill_bytes_per_cycle)
        cases.append((plan, rng.randint(8, 5000), xfer, rng.choice((0, rows))))
    return cases


CASES = random_cases(17, 2000)


def test_fold_classes_equal_the_per_fold_rule() -> None:
    for plan, *_ in CASES:
        assert plan.fold_classes() == reference_classes(plan)


def test_each_class_stands_for_identical_folds() -> None:
    """Class compression is exact: every fold equals the representative of its class."""
    for plan, *_ in (case for case in CASES if case[0].nr * case[0].nc <= 5000):
        classes = plan.fold_classes()
        expanded = [f for f, n in zip(classes.folds, classes.counts, strict=True)
                    for _ in range(n)]
        every = plan.all_folds().folds
        assert sorted(expanded) == sorted(every)
        assert (expanded[0], expanded[-1]) == (every[0], every[-1])


def test_fast_timing_identical_to_the_reference() -> None:
    differ = [case for case in CASES if fast_timing(*case) != reference_timing(*case)]
    assert not differ, f"{len(differ)} of {len(CASES)} differ, first {differ[0][0].__dict__}"


def test_comparison_detects_a_changed_class_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: double-buffered classes made single-buffered -> timings differ."""
    original = FoldPlanner.fold_classes

    def perturbed(plan: FoldPlanner) -> Folds:
        folds = original(plan)
        return Folds([f._replace(buffering=SINGLE) if f.buffering == DOUBLE else f
                      for f in folds.folds], folds.counts)

    monkeypatch.setattr(FoldPlanner, "fold_classes", perturbed)
    differ = sum(fast_timing(*case) != reference_timing(*case) for case in CASES)
    assert differ > len(CASES) // 10
