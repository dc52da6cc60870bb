"""Matplotlib figures of a sweep (Agg): Pareto scatter (front points labelled by their varied
parameters), the front in parallel coordinates, parameter sensitivity, energy and area
breakdowns. Axes name the quantity and its SI-scaled unit, and turn logarithmic where the values
span decades. Each function returns a Figure; :func:`save` writes it as PNG and SVG."""

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
from sim.report import labels
from sim.report.mpl import finish

MAX_PAIRS = 3
MAX_BARS = 20
MAX_PARAMS = 6
MAX_FRONT_LABELS = 12
"""Front points labelled with their parameters in each scatter (the rest are in the table)."""


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
    finish(fig)
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


MAX_LABEL = 40
"""Longest parameter label written beside a point; longer ones become F1, F2, ... and are
spelt out in the parallel-coordinates legend."""


def front_points(data: SweepData) -> list[PointData]:
    """The Pareto front, ordered by the first objective (the order of F1, F2, ...)."""
    first = next(iter(data.objectives))
    return sorted((p for p in data.points if p.feasible and p.rank == 1),
                  key=lambda p: p.metrics.get(first, 0.0))


def front_labels(front: list[PointData], vary: list[str]) -> tuple[list[str], list[str]]:
    """(short label beside each front point, its full parameter text). Only parameters that
    differ along the front are named; if a label is still longer than ``MAX_LABEL`` the points
    are numbered F1, F2, ... instead."""
    differing = [v for v in vary if len({label(p.params.get(v)) for p in front}) > 1] or vary
    full = [point_label(p, differing) for p in front]
    if any(len(text) > MAX_LABEL for text in full):
        return [f"F{i + 1}" for i in range(len(front))], full
    return full, full


def objective_axis(data: SweepData, metric: str) -> tuple[float, str]:
    """Multiplier and label (quantity, SI-scaled unit, min/max) of an objective's axis."""
    factor, text = labels.axis(metric, _metric(data.points, metric))
    return factor, f"{text}, {data.objectives.get(metric, '')}".rstrip(", ")


def pareto_figure(data: SweepData) -> Figure:
    """Objective pairs: every feasible point, infeasible ones crossed, the front highlighted
    and its points labelled by their varied parameters."""
    names = list(data.objectives)
    pairs = list(itertools.combinations(names, 2))[:MAX_PAIRS] or [(names[0], names[0])]
    fig, axes = plt.subplots(1, len(pairs), figsize=(6.2 * len(pairs), 5.2), squeeze=False)
    feasible = [p for p in data.points if p.feasible]
    infeasible = [p for p in data.points if not p.feasible]
    front = front_points(data)
    short, _ = front_labels(front, data.vary)
    for ax, (mx, my) in zip(axes[0], pairs, strict=True):
        (fx, lx), (fy, ly) = objective_axis(data, mx), objective_axis(data, my)
        if infeasible:
            ax.scatter(_metric(infeasible, mx) * fx, _metric(infeasible, my) * fy, marker="x",
                       s=18, color="0.6", label=f"infeasible ({len(infeasible)})")
        ax.scatter(_metric(feasible, mx) * fx, _metric(feasible, my) * fy, s=16,
                   color="tab:blue", alpha=0.6, label=f"feasible ({len(feasible)})")
        ax.scatter(_metric(front, mx) * fx, _metric(front, my) * fy, s=40, color="tab:red",
                   edgecolor="black", zorder=3,
                   label=f"Pareto front, all objectives ({len(front)})")
        for p, text in list(zip(front, short, strict=True))[:MAX_FRONT_LABELS]:
            ax.annotate(text, (p.metrics.get(mx, np.nan) * fx, p.metrics.get(my, np.nan) * fy),
                        fontsize=6, xytext=(4, 3), textcoords="offset points", color="0.25")
        ax.set_xlabel(lx)
        ax.set_ylabel(ly)
        _log_if_wide(ax, "x", _metric(data.points, mx))
        _log_if_wide(ax, "y", _metric(data.points, my))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    title = f"{data.name}: {len(front)} Pareto-optimal of {len(feasible)} feasible points"
    if len(names) > 2:
        title += (f"\n2-D views of a {len(names)}-objective front: a front point may look "
                  "dominated in one view (see the parallel-coordinates figure)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def parallel_figure(data: SweepData) -> Figure:
    """The front in parallel coordinates: one vertical axis per objective and numeric varied
    parameter (min at the bottom, max at the top, log-spaced where the values span decades);
    one line per front point, feasible points behind in grey."""
    params = [v for v in data.vary if all(_numeric(p.params.get(v)) for p in data.points)]
    axes_names = [*data.objectives, *params[:MAX_PARAMS]]
    feasible = [p for p in data.points if p.feasible]
    front = front_points(data)
    short, full = front_labels(front, data.vary)
    names = [f"{s}: {f}" if s != f else f for s, f in zip(short, full, strict=True)]
    fig, ax = plt.subplots(figsize=(max(8.0, 1.9 * len(axes_names)),
                                    5.0 + 0.14 * min(len(front), MAX_FRONT_LABELS)))
    columns = [_column(data.points, name) for name in axes_names]
    scaled = [_unit_interval(c) for c in columns]
    position = {p.key: i for i, p in enumerate(data.points)}
    xs = np.arange(len(axes_names))
    for p in feasible:
        if p.rank != 1:
            ax.plot(xs, [s[position[p.key]] for s in scaled], color="0.8", lw=0.6, zorder=1)
    cmap = plt.get_cmap("viridis")
    for i, p in enumerate(front):
        ax.plot(xs, [s[position[p.key]] for s in scaled], color=cmap(i / max(1, len(front) - 1)),
                lw=1.6, zorder=2, marker="o", ms=3,
                label=names[i] if i < MAX_FRONT_LABELS else None)
    for x, name, col in zip(xs, axes_names, columns, strict=True):
        ax.axvline(float(x), color="0.3", lw=0.8)
        finite = col[np.isfinite(col)]
        if finite.size:
            factor, _ = labels.axis(name, finite)
            for y, v in ((0.0, finite.min()), (1.0, finite.max())):
                ax.annotate(_short(v * factor), (x, y), xytext=(3, -10 if y == 0 else 4),
                            textcoords="offset points", fontsize=7)
    ticks = [objective_axis(data, n)[1] if n in data.objectives else n for n in axes_names]
    ax.set_xticks(xs, ticks, fontsize=8, rotation=15)
    ax.set_yticks([0, 1], ["min", "max"])
    ax.set_ylim(-0.08, 1.08)
    ax.set_ylabel("position between the sweep's min and max")
    if front:
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1,
                  title=f"front points (first {MAX_FRONT_LABELS})" if len(front) >
                  MAX_FRONT_LABELS else "front points", title_fontsize=7)
    ax.set_title(f"{data.name}: the {len(front)} Pareto-front points across objectives and "
                 "parameters")
    fig.tight_layout()
    return fig


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _column(points: list[PointData], name: str) -> np.ndarray:
    """A metric, or a varied parameter, of every point."""
    return np.array([p.metrics[name] if name in p.metrics else p.params.get(name, np.nan)
                     for p in points], dtype=float)


def _unit_interval(values: np.ndarray) -> np.ndarray:
    """Values mapped to [0, 1] between their min and max (geometrically when positive and
    spanning more than two decades); a constant column sits at 0.5."""
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    if not finite.any():
        return out
    v = values[finite]
    if v.min() > 0 and v.max() > 100 * v.min():
        v = np.log10(v)
    low, high = v.min(), v.max()
    out[finite] = (v - low) / (high - low) if high > low else 0.5
    return out


def _short(value: float) -> str:
    return f"{value:.3g}"


def sensitivity_figure(data: SweepData) -> Figure:
    """Each objective against each varied parameter: feasible points, infeasible ones crossed
    in grey, and the mean of the feasible points per value."""
    params = data.vary[:MAX_PARAMS]
    names = list(data.objectives)
    fig, axes = plt.subplots(len(names), len(params), squeeze=False,
                             figsize=(3.6 * len(params), 2.8 * len(names)))
    points = [p for p in data.points if p.feasible] or data.points
    others = [p for p in data.points if not p.feasible] if len(points) < len(data.points) else []
    for col, param in enumerate(params):
        values = [p.params.get(param) for p in points]
        other_values = [p.params.get(param) for p in others]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        numeric = numeric and all(_numeric(v) for v in other_values)
        levels = sorted({label(v) for v in values + other_values}, key=_natural)
        xs = (np.array(values, dtype=float) if numeric
              else np.array([levels.index(label(v)) for v in values], dtype=float))
        ox = (np.array(other_values, dtype=float) if numeric
              else np.array([levels.index(label(v)) for v in other_values], dtype=float))
        for row, metric in enumerate(names):
            ax = axes[row][col]
            factor, metric_label = objective_axis(data, metric)
            ys = _metric(points, metric) * factor
            if others:
                ax.scatter(ox, _metric(others, metric) * factor, s=10, marker="x", color="0.6",
                           label="infeasible")
            ax.scatter(xs, ys, s=10, alpha=0.5, color="tab:blue", label="feasible")
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
                ax.set_ylabel(metric_label, fontsize=8)
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
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
    point_names = [point_label(p, data.vary) for p in points]
    fig, axes = plt.subplots(1, 2, figsize=(14, max(3.5, 0.32 * len(points) + 1.8)))
    every = sorted({c for p in points for what in ("energy_pj", "area_um2")
                    for c in p.breakdown.get(what, {})})
    cmap = plt.get_cmap("tab20")
    colour = {part: cmap(i % 20) for i, part in enumerate(every)}  # one colour per component
    energies = [sum(p.breakdown.get("energy_pj", {}).values()) for p in points]
    energy_scale, energy_label = labels.axis("energy_pj", energies)
    for ax, what, scale, unit in ((axes[0], "energy_pj", energy_scale, energy_label),
                                  (axes[1], "area_um2", 1e-6, "area (mm²)")):
        parts = sorted({c for p in points for c in p.breakdown.get(what, {})})
        left = np.zeros(len(points))
        for part in parts:
            width = np.array([p.breakdown.get(what, {}).get(part, 0.0) * scale for p in points])
            ax.barh(range(len(points)), width, left=left, color=colour[part], label=part)
            left += width
        ax.set_yticks(range(len(points)), point_names if ax is axes[0] else [""] * len(points),
                      fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(unit)
        ax.set_title(f"{what.split('_')[0]} per component")
        if parts:
            ax.legend(fontsize=7, loc="lower right")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{data.name}: breakdown of the {len(points)} best points (front first)")
    fig.tight_layout()
    return fig
