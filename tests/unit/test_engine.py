"""Event engine: dependencies, unit occupancy and clock domains, checked against hand timing."""

from __future__ import annotations

import pytest

from sim.core.engine import Clock, Engine, Task


def spans_by_name(engine: Engine) -> dict[str, tuple[int, int]]:
    return {s.task.name: (s.start_ps, s.end_ps) for s in engine.spans}


def test_dependency_waits_for_next_edge_of_other_clock() -> None:
    engine = Engine()
    engine.add_unit("fast", Clock("fast", 1e9))  # 1000 ps period
    engine.add_unit("slow", Clock("slow", 300e6))  # 3333 ps period
    engine.run([Task("a", "fast", 5), Task("b", "slow", 2, deps=["a"])])
    spans = spans_by_name(engine)
    assert spans["a"] == (0, 5000)
    # a ends at 5000 ps; the slow clock's next edge is 2 * 3333 = 6666 ps; b lasts 2 * 3333.
    assert spans["b"] == (6666, 6666 + 6666)


def test_unit_runs_one_task_at_a_time() -> None:
    engine = Engine()
    engine.add_unit("u", Clock("u", 1e9))
    engine.run([Task("x", "u", 3), Task("y", "u", 4)])
    spans = spans_by_name(engine)
    assert spans["x"] == (0, 3000)
    assert spans["y"] == (3000, 7000)
    assert engine.makespan_ps == 7000
    assert engine.units["u"].busy_ps == 7000


def test_independent_units_overlap() -> None:
    engine = Engine()
    engine.add_unit("u", Clock("c", 1e9))
    engine.add_unit("v", Clock("c", 1e9))
    engine.run([Task("x", "u", 3), Task("y", "v", 4)])
    assert engine.makespan_ps == 4000


def test_unknown_dependency_is_an_error() -> None:
    engine = Engine()
    engine.add_unit("u", Clock("c", 1e9))
    with pytest.raises(ValueError, match="unknown task"):
        engine.run([Task("x", "u", 1, deps=["nope"])])
