"""The run figure: a timeline (Gantt) of every op, labelled axes with units, log axes where
bars span decades; overlapping ops get their own sub-lanes."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.collections import PolyCollection

from sim import api
from sim.core.result import OpRecord
from sim.report.figures import build_summary, sublanes
from tests.conftest import write_tiny_workload


def op(start: int, end: int) -> OpRecord:
    return OpRecord("o", "gemm", "u", start, end)


def test_sublanes_separate_overlapping_ops() -> None:
    assert sublanes([op(0, 10), op(5, 15), op(10, 20), op(16, 30)]) == [0, 1, 0, 1]
    assert sublanes([op(0, 10), op(10, 20)]) == [0, 0]


def test_summary_has_a_timeline_with_every_op(tmp_path: Path) -> None:
    write_tiny_workload(tmp_path, ops=3)
    result = api.run(tmp_path / "tiny.yaml", write=False).result
    fig = build_summary(result)
    timeline = fig.axes[0]
    assert timeline.get_xlabel().startswith("time (us)")
    spans = [p for c in timeline.collections if isinstance(c, PolyCollection)
             for p in c.get_paths()]
    assert len(spans) == len(result.ops)
    assert all(ax.get_xlabel() for ax in fig.axes if ax.axison)
    plt.close(fig)
