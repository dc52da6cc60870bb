"""Design-point samplers: full grid, uniform random, scrambled Sobol and Latin hypercube.

Each sampler draws points in the unit cube (seeded) and maps every coordinate onto its dimension:
a finite list of values picks one by index, a continuous range maps linearly (or geometrically
with ``log: true``). The same spec and seed give the same points on every machine.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.sweep.config import Dimension, Sweep, unit_to_range


@dataclass(frozen=True)
class Point:
    """One design point: its position in the sample, its config key and its overrides."""

    index: int
    key: str
    overrides: dict[str, Any]


def unit_samples(sampler: str, n: int, d: int, seed: int) -> np.ndarray:
    """``n`` points in [0, 1)^d from the named sampler (random, sobol or lhs), seeded."""
    if sampler == "random":
        return np.random.default_rng(seed).random((n, d))
    from scipy.stats import qmc  # slow to import: only when needed
    if sampler == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # n need not be a power of 2
            return np.asarray(qmc.Sobol(d, scramble=True, rng=seed).random(n))
    if sampler == "lhs":
        return np.asarray(qmc.LatinHypercube(d, rng=seed).random(n))
    raise ValueError(f"unknown sampler {sampler!r}")


def coordinate(dim: Dimension, u: float) -> Any:
    """Map one unit coordinate onto a dimension."""
    if dim.values is not None:
        return dim.values[min(int(u * len(dim.values)), len(dim.values) - 1)]
    assert dim.range is not None
    return unit_to_range(dim.range, u)


def raw_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Overrides of every sampled point, in sample order (may repeat for random samplers)."""
    spec = sweep.spec
    if spec.sampler == "grid":
        axes = [dim.values or () for dim in sweep.dims]
        return [_overrides(sweep.dims, combo) for combo in itertools.product(*axes)]
    cube = unit_samples(spec.sampler, spec.n or 1, len(sweep.dims), spec.seed)
    return [_overrides(sweep.dims, map(coordinate, sweep.dims, row.tolist())) for row in cube]


def _overrides(dims: list[Dimension], values: Iterable[Any]) -> dict[str, Any]:
    """One point's overrides: each dimension set to its value (a linked group sets all of its
    fields)."""
    out: dict[str, Any] = {}
    for dim, value in zip(dims, values, strict=True):
        out.update(dim.assign(value))
    return out


def sample(sweep: Sweep) -> list[Point]:
    """The sweep's distinct design points (a repeated config is kept once, at its first place)."""
    points: list[Point] = []
    seen: set[str] = set()
    for overrides in raw_points(sweep):
        key = sweep.point_key(overrides)
        if key not in seen:
            seen.add(key)
            points.append(Point(len(points), key, overrides))
    return points
