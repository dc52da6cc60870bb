"""Matplotlib figures of a sweep (Agg): Pareto scatter, parameter sensitivity, energy and area
breakdowns. Each function returns a Figure; :func:`save` writes it as PNG and SVG."""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sim.family import PointData, SweepData

matplotlib.rcParams["text.parse_math"] = False  # names are user text: '$' is not mathtext

MAX_PAIRS = 3
MAX_BARS = 20
MAX_PARAMS = 6


@dataclass
class FigureFile:
    """A written figure: title, PNG (embedded in the page) and SVG."""

    title: str
    png: Path
    svg: Path

    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI."""
        return "data:image/png;base64," + base64.b64encode(self.png.read_bytes()).decode()


def save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` into ``folder`` and close the figure."""
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    fig.savefig(png, dpi=100, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None})
    plt.close(fig)
    return [png, svg]


def label(value: Any) -> str:
    """Short text of a parameter value."""
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def point_label(point: PointData, vary: list[str]) -> str:
    """``rows=16 cols=32 ...`` from the last part of each varied path."""
    return " ".join(f"{p.rsplit('.', 1)[-1]}={label(point.params.get(p))}" for p in vary)


def _metric(points: list[PointData], name: str) -> np.ndarray:
    return np.array([p.metrics.get(name, np.nan) for p in points], dtype=float)


def _log_if_wide(ax: Any, axis: str, values: np.ndarray) -> None:
    """Log scale when positive values span more than two decades."""
    finite = values[np.isfinite(values)]
    good = finite[finite > 0]
    if good.size and good.size == finite.size and good.max() > 100 * good.min():
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def pareto_figure(data: SweepData) -> Figure:
    """Objective pairs: every feasible point, infeasible ones crossed, the front highlighted."""
    names = list(data.objectives)
    pairs = list(itertools.combinations(names, 2))[:MAX_PAIRS] or [(names[0], names[0])]
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 4.4), squeeze=False)
    feasible = [p for p in data.points if p.feasible]
    infeasible = [p for p in data.points if not p.feasible]
    front = sorted((p for p in feasible if p.rank == 1),
                   key=lambda p: p.metrics.get(pairs[0][0], 0.0))
    for ax, (mx, my) in zip(axes[0], pairs, strict=True):
        if infeasible:
            ax.scatter(_metric(infeasible, mx), _metric(infeasible, my), marker="x", s=18,
                       color="0.6", label="violates a constraint")
        ax.scatter(_metric(feasible, mx), _metric(feasible, my), s=16, color="tab:blue",
                   alpha=0.6, label="feasible")
        ax.scatter(_metric(front, mx), _metric(front, my), s=40, color="tab:red",
                   edgecolor="black", zorder=3, label="Pareto front (all objectives)")
        ax.set_xlabel(f"{mx} ({data.objectives[mx]})")
        ax.set_ylabel(f"{my} ({data.objectives[my]})")
        _log_if_wide(ax, "x", _metric(data.points, mx))
        _log_if_wide(ax, "y", _metric(data.points, my))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{data.name}: {len(front)} Pareto-optimal of {len(feasible)} feasible points")
    fig.tight_layout()
    return fig


def sensitivity_figure(data: SweepData) -> Figure:
    """Each objective against each varied parameter (points and the mean per value)."""
    params = data.vary[:MAX_PARAMS]
    names = list(data.objectives)
    fig, axes = plt.subplots(len(names), len(params), squeeze=False,
                             figsize=(3.6 * len(params), 2.8 * len(names)))
    points = [p for p in data.points if p.feasible] or data.points
    for col, param in enumerate(params):
        values = [p.params.get(param) for p in points]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        levels = sorted({label(v) for v in values}, key=_natural)
        xs = (np.array(values, dtype=float) if numeric
              else np.array([levels.index(label(v)) for v in values], dtype=float))
        for row, metric in enumerate(names):
            ax = axes[row][col]
            ys = _metric(points, metric)
            ax.scatter(xs, ys, s=10, alpha=0.5, color="tab:blue")
            ux = np.unique(xs)
            means = [np.nanmean(ys[xs == u]) if np.any(np.isfinite(ys[xs == u])) else np.nan
                     for u in ux]
            ax.plot(ux, means, color="tab:red", marker="o", ms=3, lw=1.2, label="mean")
            if not numeric:
                ax.set_xticks(range(len(levels)), levels, fontsize=8)
            elif ux.size > 2 and ux.min() > 0 and ux.max() > 20 * ux.min():
                ax.set_xscale("log")
            _log_if_wide(ax, "y", ys)
            if row == len(names) - 1:
                ax.set_xlabel(param)
            if col == 0:
                ax.set_ylabel(metric)
            ax.grid(alpha=0.3)
    fig.suptitle(f"{data.name}: sensitivity of each objective to each parameter")
    fig.tight_layout()
    return fig


def _natural(text: str) -> tuple[int, float, str]:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def chosen_points(data: SweepData) -> list[PointData]:
    """Points for the breakdown bars: the front (or best ranks), at most ``MAX_BARS``."""
    feasible = [p for p in data.points if p.feasible] or data.points
    first = next(iter(data.objectives), "energy_pj")
    ordered = sorted(feasible, key=lambda p: (p.rank or 10**9, p.metrics.get(first, 0.0)))
    return ordered[:MAX_BARS]


def breakdown_figure(data: SweepData) -> Figure:
    """Energy and area per component, stacked, for the best points."""
    points = chosen_points(data)
    labels = [point_label(p, data.vary) for p in points]
    fig, axes = plt.subplots(1, 2, figsize=(14, max(3.5, 0.32 * len(points) + 1.8)))
    for ax, what, scale, unit in ((axes[0], "energy_pj", 1e-6, "uJ"),
                                  (axes[1], "area_um2", 1e-6, "mm^2")):
        parts = sorted({c for p in points for c in p.breakdown.get(what, {})})
        left = np.zeros(len(points))
        cmap = plt.get_cmap("tab10")
        for i, part in enumerate(parts):
            width = np.array([p.breakdown.get(what, {}).get(part, 0.0) * scale for p in points])
            ax.barh(range(len(points)), width, left=left, color=cmap(i % 10), label=part)
            left += width
        ax.set_yticks(range(len(points)), labels if ax is axes[0] else [""] * len(points),
                      fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(f"{what.split('_')[0]} ({unit})")
        ax.set_title(f"{what.split('_')[0]} per component")
        if parts:
            ax.legend(fontsize=7, loc="lower right")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{data.name}: breakdown of the {len(points)} best points (front first)")
    fig.tight_layout()
    return fig
