"""Sweep figures a reviewer accepts: quantities with SI-scaled units on the axes (not column
names), the front labelled by its parameters, a parallel-coordinates view of the front, the
infeasible points shown, one colour per component in both breakdown panels."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.collections import PathCollection

from sim.report import sweep_figures as sf
from sim.report.sweep_report import load_store, sweep_data


def data_of(swept: Path) -> sf.SweepData:
    meta, rows = load_store(swept)
    return sweep_data(meta, rows)


def test_pareto_axes_have_units_and_front_labels(swept: Path) -> None:
    data = data_of(swept)
    fig = sf.pareto_figure(data)
    labels = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
    assert "time (us), min" in labels and "energy (uJ), min" in labels
    assert "area (mm²), min" in labels
    assert not any("energy_pj" in t or "seconds" in t for t in labels)
    front = [p for p in data.points if p.rank == 1]
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert len(front) >= 2 and len(notes) == min(len(front), sf.MAX_FRONT_LABELS)
    assert all(n.startswith("rows=") and "dataflow=" in n for n in notes)
    assert "3-objective front" in fig.get_suptitle()
    plt.close(fig)


def test_parallel_coordinates_draw_every_front_point(swept: Path) -> None:
    data = data_of(swept)
    fig = sf.parallel_figure(data)
    ax = fig.axes[0]
    front = [p for p in data.points if p.rank == 1]
    coloured = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(coloured) == len(front)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[:3] == ["time (us), min", "energy (uJ), min", "area (mm²), min"]
    assert "arch.rows" in ticks and "arch.cols" in ticks  # numeric varied parameters
    plt.close(fig)


def test_infeasible_points_are_drawn(swept: Path) -> None:
    data = data_of(swept)
    infeasible = sum(not p.feasible for p in data.points)
    assert infeasible > 0
    fig = sf.sensitivity_figure(data)
    crossed = [c for ax in fig.axes for c in ax.collections
               if isinstance(c, PathCollection) and c.get_label() == "infeasible"]
    assert crossed and all(len(c.get_offsets()) == infeasible for c in crossed)
    plt.close(fig)


def test_breakdown_colours_mean_one_component(swept: Path) -> None:
    fig = sf.breakdown_figure(data_of(swept))
    colours = []
    for ax in fig.axes:
        handles, names = ax.get_legend_handles_labels()
        colours.append({n: tuple(h.patches[0].get_facecolor()) for h, n in zip(handles, names,
                                                                               strict=True)})
    shared = colours[0].keys() & colours[1].keys()
    every = list(colours[0].values()) + [colours[1][n] for n in colours[1].keys() - shared]
    assert all(colours[0][n] == colours[1][n] for n in shared)
    assert len(set(every)) == len(every)  # no colour stands for two components
    assert fig.axes[0].get_xlabel().startswith("energy (")
    plt.close(fig)
