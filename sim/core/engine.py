"""The event engine every event-driven model runs on (SimPy, with clock domains).

Time inside the engine is integer picoseconds, so units in different clock domains share one
timeline exactly; a model with one clock uses :data:`CYCLE` (one picosecond per cycle), so times
read directly as cycles. A :class:`Unit` executes up to ``capacity`` tasks at a time. A task
starts when its dependencies have finished and its unit (and every unit it also ``holds``) is
free, at its unit's next clock edge, and occupies them for its latency in that unit's cycles;
requests are served first come, first served. Nothing ticks: SimPy jumps from event to event.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import simpy

PS_PER_S = 10**12


@dataclass(frozen=True)
class Clock:
    """A clock domain: name and frequency (Hz); the period is rounded to whole picoseconds."""

    name: str
    freq_hz: float

    @property
    def period_ps(self) -> int:
        """Clock period (ps)."""
        return max(1, round(PS_PER_S / self.freq_hz))

    def to_ps(self, cycles: int) -> int:
        """Duration of ``cycles`` cycles (ps)."""
        return cycles * self.period_ps

    def next_edge(self, t_ps: int) -> int:
        """First clock edge at or after time ``t_ps`` (ps)."""
        return -(-t_ps // self.period_ps) * self.period_ps


CYCLE = Clock("cycle", PS_PER_S)
"""A one-picosecond clock: for single-clock models whose task latencies and times are cycles."""


@dataclass
class Task:
    """Work for one unit: latency in that unit's cycles, names of tasks it waits for, and other
    units it occupies for the same time (e.g. a bus it blocks)."""

    name: str
    unit: str
    cycles: int
    deps: list[str] = field(default_factory=list)
    payload: Any = None
    holds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Span:
    """When a task ran (ps)."""

    task: Task
    start_ps: int
    end_ps: int


class Unit:
    """A hardware unit in a clock domain that runs up to ``capacity`` tasks at a time."""

    def __init__(self, env: simpy.Environment, name: str, clock: Clock, capacity: int = 1) -> None:
        self.name = name
        self.clock = clock
        self.resource = simpy.Resource(env, capacity=capacity)
        self.busy_ps = 0


class Engine:
    """Runs a set of tasks on units, honouring dependencies and unit occupancy."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.units: dict[str, Unit] = {}
        self.spans: list[Span] = []
        self._done: dict[str, simpy.Event] = {}

    def add_unit(self, name: str, clock: Clock = CYCLE, capacity: int = 1) -> Unit:
        """Create a unit; names must be unique."""
        if name in self.units:
            raise ValueError(f"unit {name!r} defined twice")
        self.units[name] = Unit(self.env, name, clock, capacity)
        return self.units[name]

    def run(self, tasks: Iterable[Task]) -> list[Span]:
        """Simulate all tasks to completion; returns their spans in completion order."""
        tasks = list(tasks)
        for task in tasks:
            if task.name in self._done:
                raise ValueError(f"task {task.name!r} defined twice")
            unknown = [u for u in (task.unit, *task.holds) if u not in self.units]
            if unknown:
                raise ValueError(f"task {task.name!r} names unknown unit(s) {unknown}")
            self._done[task.name] = self.env.event()
        for task in tasks:
            missing = [d for d in task.deps if d not in self._done]
            if missing:
                raise ValueError(f"task {task.name!r} depends on unknown task(s) {missing}")
            self.env.process(self._execute(task))
        self.env.run()
        return self.spans

    def _execute(self, task: Task) -> Generator[simpy.Event, Any, None]:
        if task.deps:
            yield simpy.AllOf(self.env, [self._done[d] for d in task.deps])
        unit = self.units[task.unit]
        occupied = [unit, *(self.units[name] for name in task.holds)]
        requests = [u.resource.request() for u in occupied]
        yield simpy.AllOf(self.env, requests)
        start = unit.clock.next_edge(int(self.env.now))
        end = start + unit.clock.to_ps(task.cycles)
        yield self.env.timeout(end - int(self.env.now))
        for u, request in zip(occupied, requests, strict=True):
            u.resource.release(request)
            u.busy_ps += end - start
        self.spans.append(Span(task, start, end))
        self._done[task.name].succeed()

    @property
    def makespan_ps(self) -> int:
        """Time the last task finished (ps)."""
        return max((s.end_ps for s in self.spans), default=0)
