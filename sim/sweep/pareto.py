"""Multi-objective ranking: constraint filtering, non-dominated fronts (rank 1 = Pareto front).

Objectives are ``{metric: "min" | "max"}``; maximised metrics are negated so that every
comparison is a minimisation. Point a dominates b when it is no worse in every objective and
strictly better in at least one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.sweep.config import Constraint


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether objective vector ``a`` dominates ``b`` (both minimised)."""
    return bool(np.all(a <= b) and np.any(a < b))


def front_ranks(values: np.ndarray) -> np.ndarray:
    """Non-dominated sorting of ``values`` (n points x k minimised objectives): rank 1 for the
    Pareto front, 2 for the front of the rest, and so on. O(n^2 k) time, O(n) memory per step."""
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
