"""Matplotlib figures of one run (Agg backend: no display needed).

``summary.png``: a per-op timeline (Gantt: one lane per unit, overlapping ops in sub-lanes),
cycles and energy per op kind, and energy per component; SI-scaled units on every axis.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.core.result import OpRecord, Result
from sim.core.units import prefix_of, si
from sim.report.mpl import finish

MAX_SUBLANES = 8
"""Overlapping ops of one unit are drawn in at most this many sub-lanes (then they share)."""
LOG_SPAN = 100.0
"""Bars whose values span this factor or more get a log value axis."""
MAX_BARS = 20
"""Bars in the energy-per-component panel (largest first)."""


def summary_figure(result: Result, path: Path) -> None:
    """Write :func:`build_summary` as a PNG."""
    fig = build_summary(result)
    finish(fig)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def build_summary(result: Result) -> Figure:
    """Timeline of every op, then cycles and energy per op kind and energy per component."""
    fig = plt.figure(figsize=(15, 8.5))
    grid = fig.add_gridspec(2, 3, height_ratios=[1.2, 1.0])
    timeline_axes(fig.add_subplot(grid[0, :]), result)
    kinds = sorted({op.kind for op in result.ops})
    colours = {k: plt.get_cmap("tab10")(i % 10) for i, k in enumerate(kinds)}
    cycles: dict[str, float] = defaultdict(float)
    energy: dict[str, float] = defaultdict(float)
    for op in result.ops:
        cycles[op.kind] += op.cycles
        energy[op.kind] += result.op_energy_pj(op) * 1e-12
    bars(fig.add_subplot(grid[1, 0]), cycles, "op cycles by kind (summed)", "cycles",
         [colours[k] for k in cycles])
    bars(fig.add_subplot(grid[1, 1]), energy, "op energy by kind", "J",
         [colours[k] for k in energy])
    parts = dict(sorted(((k, v * 1e-12) for k, v in _energy_by_component(result).items()),
                        key=lambda kv: -kv[1])[:MAX_BARS])
    bars(fig.add_subplot(grid[1, 2]), parts, "energy per component and action", "J",
         ["tab:green"] * len(parts))
    m = result.metrics
    fig.suptitle(f"{result.name}: {result.cycles:,} cycles ({si(result.seconds, 's')}), "
                 f"{si(m.get('energy_pj', 0.0) * 1e-12, 'J')}")
    fig.tight_layout()
    return fig


def sublanes(ops: list[OpRecord]) -> list[int]:
    """Greedy interval partitioning: each op goes to the first sub-lane free at its start
    (``MAX_SUBLANES`` at most; beyond that ops share the last one)."""
    ends: list[int] = []
    lane_of = []
    for op in ops:
        lane = next((i for i, end in enumerate(ends) if end <= op.start), len(ends))
        lane = min(lane, MAX_SUBLANES - 1)
        if lane == len(ends):
            ends.append(op.end)
        else:
            ends[lane] = max(ends[lane], op.end)
        lane_of.append(lane)
    return lane_of


def timeline_axes(ax: Axes, result: Result) -> None:
    """Gantt chart of the ops: one lane per unit, colour per op kind, time on a scaled axis."""
    freq = result.clocks[result.clock].freq_hz
    factor, prefix = prefix_of(result.seconds or 1.0)
    scale = 1.0 / (freq * factor)  # cycles -> displayed time unit
    units = sorted({op.unit for op in result.ops})
    kinds = sorted({op.kind for op in result.ops})
    colours = {k: plt.get_cmap("tab10")(i % 10) for i, k in enumerate(kinds)}
    ticks = []
    for row, unit in enumerate(units):
        ops = sorted((op for op in result.ops if op.unit == unit), key=lambda o: o.start)
        lanes = sublanes(ops)
        height = 0.8 / (max(lanes) + 1)
        by_kind: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
        for op, lane in zip(ops, lanes, strict=True):
            by_kind[(op.kind, lane)].append((op.start * scale, max(op.cycles, 1) * scale))
        for (kind, lane), spans in by_kind.items():
            ax.broken_barh(spans, (row - 0.4 + lane * height, height * 0.9),
                           facecolors=colours[kind])
        ticks.append(row)
    ax.set_yticks(ticks, units)
    ax.set_ylim(-0.6, len(units) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel(f"time ({prefix}s) at {si(freq, 'Hz')}")
    ax.set_ylabel("unit")
    ax.set_title("timeline: every op from its start to its end cycle")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k]) for k in kinds]
    ax.legend(handles, kinds, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small",
              title="op kind")


def bars(ax: Axes, values: dict[str, float], title: str, unit: str,
         colours: list[object]) -> None:
    """Horizontal bars with the value axis in an SI-prefixed unit (``mJ``, ``Mcycles``)."""
    if not values:
        ax.set_axis_off()
        return
    factor, prefix = prefix_of(max(values.values()) or 1.0)
    ax.barh(list(values), [v / factor for v in values.values()], color=colours)
    ax.set_xlabel(f"{prefix}{unit}" if unit != "cycles" else
                  f"cycles ({prefix})" if prefix else "cycles")
    ax.set_title(title)
    ax.invert_yaxis()
    positive = [v for v in values.values() if v > 0]
    if positive and max(positive) / min(positive) >= LOG_SPAN:
        ax.set_xscale("log")


def _energy_by_component(result: Result) -> dict[str, float]:
    energy: dict[str, float] = result.costing.get("energy_pj", {})
    return dict(sorted(energy.items(), key=lambda kv: -kv[1]))


def timeline_figure(result: Result, path: Path) -> None:
    """Per-op timeline (Gantt, in trace order): each op's span from start to end cycle, split
    into its compute cycles and its memory-stall cycles (stalls drawn after the compute part:
    the split is per op, not where in the op the stalls fell)."""
    ops = result.ops[:MAX_BARS * 5]
    fig, ax = plt.subplots(figsize=(12, max(3.0, 0.18 * len(ops) + 1.5)))
    names = [o.name for o in ops]
    compute = [int(o.detail.get("compute_cycles", o.cycles)) for o in ops]
    stall = [int(o.detail.get("stall_cycles", 0)) for o in ops]
    starts = [o.start for o in ops]
    ax.barh(names, compute, left=starts, color="tab:blue", label="compute")
    ax.barh(names, stall, left=[s + c for s, c in zip(starts, compute, strict=True)],
            color="tab:red", label="memory stall")
    ax.invert_yaxis()
    ax.set_xlabel("cycle")
    ax.legend(loc="lower right")
    ax.set_title(f"{result.name}: per-op timeline ({sum(stall):,} of {result.cycles:,} cycles "
                 "stalled)")
    fig.tight_layout()
    finish(fig)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
