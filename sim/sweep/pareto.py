"""Multi-objective ranking: constraint filtering, non-dominated fronts (rank 1 = Pareto front).

Objectives are ``{metric: "min" | "max"}``; maximised metrics are negated so that every
comparison is a minimisation. Point a dominates b when it is no worse in every objective and
strictly better in at least one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from sim.spec.sweep import parse_constraint
from sim.sweep.config import Constraint
from sim.sweep.store import Row

DEFAULT_OBJECTIVES = {"seconds": "min", "energy_pj": "min"}
"""Objectives of a sweep that names none."""

jit = numba.njit(cache=True)


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether objective vector ``a`` dominates ``b`` (both minimised)."""
    return bool(np.all(a <= b) and np.any(a < b))


def front_ranks(values: np.ndarray) -> np.ndarray:
    """Non-dominated sorting of ``values`` (n points x k minimised objectives): rank 1 for the
    Pareto front, 2 for the front of the rest, and so on.

    One and two objectives take O(n log n), three O(n log^2 n) (a sweep in lexicographic order
    with a Fenwick tree of "best rank so far"); four or more fall back to front peeling,
    O(n^2 k) per front."""
    n, k = values.shape
    if n == 0:
        return np.zeros(0, dtype=int)
    if k > 3:
        return _peel_fronts(values)
    unique, inverse = np.unique(values, axis=0, return_inverse=True)  # lexicographic order
    coords = [_dense_rank(unique[:, j]) for j in range(1, k)]
    if k == 1:
        ranks = _dense_rank(unique[:, 0])
    elif k == 2:
        ranks = _sweep_2d(coords[0])
    else:
        ranks = _sweep_3d(coords[0], coords[1])
    return np.asarray(ranks[inverse.reshape(-1)], dtype=int)


def _dense_rank(column: np.ndarray) -> np.ndarray:
    """1-based rank of each value among the column's distinct values (ties share a rank)."""
    _, rank = np.unique(column, return_inverse=True)
    return np.asarray(rank.reshape(-1) + 1, dtype=np.int64)


@jit
def _sweep_2d(b: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """Ranks of distinct points given in lexicographic order by their second coordinate's
    dense rank ``b``: every earlier point with b' <= b dominates, so the rank is one more than
    the best (highest) rank among them, a prefix maximum kept in a Fenwick tree."""
    size = int(b.max()) if b.size else 0
    tree = np.zeros(size + 1, dtype=np.int64)
    ranks = np.zeros(b.size, dtype=np.int64)
    for i in range(b.size):
        best = 0
        j = b[i]
        while j > 0:
            best = max(best, tree[j])
            j -= j & -j
        ranks[i] = best + 1
        j = b[i]
        while j <= size:
            tree[j] = max(tree[j], best + 1)
            j += j & -j
    return ranks


@jit
def _sweep_3d(b: np.ndarray, c: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """As :func:`_sweep_2d` with a second coordinate: a 2-D prefix maximum over (b, c), an outer
    Fenwick tree over ``b`` whose nodes each hold a Fenwick tree over the sorted ``c`` values
    that will be inserted there (built before the sweep)."""
    n = b.size
    size = int(b.max())
    counts = np.zeros(size + 2, dtype=np.int64)
    for i in range(n):
        j = b[i]
        while j <= size:
            counts[j + 1] += 1
            j += j & -j
    start = np.cumsum(counts)  # node j holds slots start[j] .. start[j + 1]
    keys = np.zeros(start[-1], dtype=np.int64)
    fill = start[:-1].copy()
    for i in range(n):
        j = b[i]
        while j <= size:
            keys[fill[j]] = c[i]
            fill[j] += 1
            j += j & -j
    for j in range(1, size + 1):
        keys[start[j]:start[j + 1]] = np.sort(keys[start[j]:start[j + 1]])
    tree = np.zeros(keys.size, dtype=np.int64)
    ranks = np.zeros(n, dtype=np.int64)
    for i in range(n):
        best = 0
        j = b[i]
        while j > 0:
            lo, length = start[j], start[j + 1] - start[j]
            m = np.searchsorted(keys[lo:lo + length], c[i], side="right")
            while m > 0:
                best = max(best, tree[lo + m - 1])
                m -= m & -m
            j -= j & -j
        ranks[i] = best + 1
        j = b[i]
        while j <= size:
            lo, length = start[j], start[j + 1] - start[j]
            m = np.searchsorted(keys[lo:lo + length], c[i], side="left") + 1
            while m <= length:
                tree[lo + m - 1] = max(tree[lo + m - 1], best + 1)
                m += m & -m
            j += j & -j
    return ranks


def _peel_fronts(values: np.ndarray) -> np.ndarray:
    """Non-dominated sorting by peeling one front at a time: O(n^2 k) per front."""
    n = values.shape[0]
    ranks = np.zeros(n, dtype=int)
    remaining = np.arange(n)
    rank = 0
    while remaining.size:
        rank += 1
        sub = values[remaining]
        front = np.ones(remaining.size, dtype=bool)
        for i in range(remaining.size):
            no_worse = np.all(sub <= sub[i], axis=1)
            better = np.any(sub < sub[i], axis=1)
            front[i] = not np.any(no_worse & better)
        ranks[remaining[front]] = rank
        remaining = remaining[~front]
    return ranks


def objective_matrix(metrics: Sequence[Mapping[str, float]],
                     objectives: Mapping[str, str]) -> np.ndarray:
    """Rows of minimised objective values (maximised metrics negated; missing -> NaN)."""
    sign = {name: (-1.0 if how == "max" else 1.0) for name, how in objectives.items()}
    return np.array([[sign[o] * float(m.get(o, np.nan)) for o in objectives] for m in metrics],
                    dtype=float).reshape(len(metrics), len(objectives))


@dataclass(frozen=True)
class Ranking:
    """Per point: feasible (ok, every constraint holds, every objective finite) and its front
    rank (0 when not feasible or when there are no objectives)."""

    feasible: list[bool]
    rank: list[int]

    @property
    def front(self) -> list[int]:
        """Indices of the points on the Pareto front."""
        return [i for i, r in enumerate(self.rank) if r == 1]


def rank_points(metrics: Sequence[Mapping[str, float]], ok: Sequence[bool],
                objectives: Mapping[str, str], constraints: Sequence[Constraint]) -> Ranking:
    """Filter by status and constraints, then rank the feasible points by the objectives."""
    values = objective_matrix(metrics, objectives)
    feasible = [bool(good) and all(c.holds(dict(m)) for c in constraints)
                and bool(np.all(np.isfinite(values[i])))
                for i, (m, good) in enumerate(zip(metrics, ok, strict=True))]
    rank = [0] * len(metrics)
    index = [i for i, f in enumerate(feasible) if f]
    if objectives and index:
        for i, r in zip(index, front_ranks(values[index]), strict=True):
            rank[i] = int(r)
    return Ranking(feasible, rank)


def rank_rows(rows: Sequence[Row], objectives: Mapping[str, str],
              constraints: Sequence[Constraint]) -> Ranking:
    """:func:`rank_points` of stored rows (a point counts only when its status is ``ok``);
    no objectives -> :data:`DEFAULT_OBJECTIVES`."""
    return rank_points([r.metrics for r in rows], [r.status == "ok" for r in rows],
                       objectives or DEFAULT_OBJECTIVES, constraints)


def stored_constraints(meta: Mapping[str, Any]) -> list[Constraint]:
    """The constraint texts stored with a sweep, parsed again."""
    out = []
    for text in meta.get("constraints", []):
        parsed = parse_constraint(text)
        if parsed:
            out.append(Constraint(*parsed, text=text))
    return out


def stored_ranking(meta: Mapping[str, Any], rows: Sequence[Row]) -> Ranking:
    """Feasibility and front rank of stored rows under the sweep's stored objectives."""
    return rank_rows(rows, dict(meta.get("objectives") or DEFAULT_OBJECTIVES),
                     stored_constraints(meta))
