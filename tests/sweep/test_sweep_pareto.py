"""Pareto: non-dominated fronts against a brute-force definition; constraints; max objectives."""

from __future__ import annotations

import numpy as np

from sim.sweep.config import Constraint
from sim.sweep.pareto import dominates, front_ranks, rank_points


def brute_front(values: np.ndarray) -> set[int]:
    n = len(values)
    return {i for i in range(n) if not any(dominates(values[j], values[i]) for j in range(n))}


def test_known_front() -> None:
    values = np.array([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2], [6, 6], [1, 6]], dtype=float)
    ranks = front_ranks(values)
    assert list(ranks) == [1, 1, 1, 2, 1, 3, 2]


def test_fronts_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        values = rng.integers(0, 6, size=(40, 3)).astype(float)
        ranks = front_ranks(values)
        assert {int(i) for i in np.flatnonzero(ranks == 1)} == brute_front(values)
        rest = np.flatnonzero(ranks > 1)
        sub = values[rest]
        assert {int(rest[i]) for i in brute_front(sub)} == set(np.flatnonzero(ranks == 2))


def test_rank_points_with_constraints_and_max() -> None:
    metrics = [
        {"gops": 10.0, "area_mm2": 1.0},
        {"gops": 20.0, "area_mm2": 2.0},
        {"gops": 15.0, "area_mm2": 2.5},   # dominated by point 1
        {"gops": 99.0, "area_mm2": 9.0},   # best gops but violates area
        {"gops": 30.0},                    # area missing: infeasible
        {"gops": 50.0, "area_mm2": 1.0},   # failed run
    ]
    ok = [True, True, True, True, True, False]
    constraints = [Constraint("area_mm2", "<=", 5.0, "area_mm2 <= 5")]
    ranking = rank_points(metrics, ok, {"gops": "max", "area_mm2": "min"}, constraints)
    assert ranking.feasible == [True, True, True, False, False, False]
    assert ranking.rank == [1, 1, 2, 0, 0, 0]
    assert ranking.front == [0, 1]


def test_constraint_operators() -> None:
    m = {"x": 2.0}
    assert Constraint("x", "<", 3, "").holds(m)
    assert not Constraint("x", ">", 2, "").holds(m)
    assert Constraint("x", ">=", 2, "").holds(m)
    assert Constraint("x", "==", 2, "").holds(m)
    assert not Constraint("x", "!=", 2, "").holds(m)
    assert not Constraint("y", "<", 3, "").holds(m)
    assert not Constraint("x", "<", 3, "").holds({"x": float("nan")})


def test_no_objectives_gives_no_ranks() -> None:
    ranking = rank_points([{"a": 1.0}], [True], {}, [])
    assert ranking.feasible == [True] and ranking.rank == [0]


def test_fronts_match_brute_force_one_and_two_objectives() -> None:
    """The sweep-based ranking for 1 and 2 objectives (ties included) against peeling fronts
    with the definition of dominance."""
    rng = np.random.default_rng(11)
    for k in (1, 2, 3):
        for _ in range(30):
            values = rng.integers(0, 5, size=(int(rng.integers(1, 50)), k)).astype(float)
            ranks = front_ranks(values)
            remaining = list(range(len(values)))
            rank = 0
            while remaining:
                rank += 1
                front = {remaining[i] for i in brute_front(values[remaining])}
                assert {i for i in remaining if ranks[i] == rank} == front
                remaining = [i for i in remaining if i not in front]


def test_brute_force_check_catches_a_wrong_rank() -> None:
    """Negative control: one perturbed rank no longer matches the definition."""
    values = np.array([[1, 5], [2, 2], [5, 1], [3, 3]], dtype=float)
    ranks = front_ranks(values)
    ranks[3] = 1
    assert {int(i) for i in np.flatnonzero(ranks == 1)} != brute_front(values)
