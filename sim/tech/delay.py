"""Critical-path delay over a chain of components and the clock a design closes at.

A path is a mapping ``delay row -> how many times it lies on the path`` (or a sequence of row
keys, each once), e.g. ``{"tpe.ff": 1, "tpe.enc": 1, "tpe.ppg": 1, "tpe.fa": 5}``. Each row is a
``delay`` row of the technology tables (ps per stage); the register's clock-to-output plus setup
time is one such row and belongs in the path like any other stage. The design closes at
``f_max = 1 / max(path delay)``. Delay rows are not scaled across nodes (they must exist at the
node or be marked ``scales: none``): a missing row is a SimError naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.core.errors import SimError
from sim.tech.table import TechTable, Term

Path = Mapping[str, float] | Sequence[str]


@dataclass(frozen=True)
class PathTiming:
    """A path's stages, total delay (ps) and the clock it allows (MHz)."""

    name: str
    stages: tuple[Term, ...]

    @property
    def delay_ps(self) -> float:
        """Sum of the stage delays (ps)."""
        return sum(s.total for s in self.stages)

    @property
    def fmax_mhz(self) -> float:
        """1 / delay, in MHz (1e6 / ps)."""
        return 1e6 / self.delay_ps


def _counts(path: Path) -> dict[str, float]:
    if isinstance(path, Mapping):
        return {str(k): float(v) for k, v in path.items()}
    counts: dict[str, float] = {}
    for key in path:
        counts[key] = counts.get(key, 0.0) + 1.0
    return counts


def path_timing(table: TechTable, path: Path, name: str = "path") -> PathTiming:
    """Delay of one chain of components at the table's node (ps), stage by stage."""
    counts = _counts(path)
    if not counts:
        raise SimError(f"critical path {name!r} has no stages")
    stages = []
    for key, count in counts.items():
        if count < 0:
            raise SimError(f"critical path {name!r}: stage {key!r} occurs {count:g} times (< 0)")
        stages.append(Term(key, count, table.lookup(key, "delay")))
    timing = PathTiming(name, tuple(stages))
    if timing.delay_ps <= 0:
        raise SimError(f"critical path {name!r} has zero delay at {table.node_nm} nm")
    return timing


def critical_path(table: TechTable, paths: Mapping[str, Path]) -> PathTiming:
    """The slowest of several named paths: it sets the clock of the design."""
    if not paths:
        raise SimError("no paths given for the critical-path calculation")
    timings = [path_timing(table, p, name) for name, p in paths.items()]
    return max(timings, key=lambda t: t.delay_ps)


def max_frequency_mhz(table: TechTable, paths: Mapping[str, Path]) -> float:
    """The highest clock (MHz) at which every path closes: 1 / slowest path delay."""
    return critical_path(table, paths).fmax_mhz
