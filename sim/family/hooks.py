"""What a family's sweep-report hooks see and return.

``SweepData`` holds a sweep's successful points (parameters, metrics, energy/area breakdown,
provenance); a figure hook returns ``(name, matplotlib Figure)`` pairs, which the report saves as
PNG and SVG and embeds in its HTML page; a reference hook returns published numbers with their
source and, where the sweep contains the matching design, the simulated value beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class PointData:
    """One successful design point of a sweep."""

    key: str
    params: dict[str, Any]
    metrics: dict[str, float]
    breakdown: dict[str, dict[str, float]]
    family: str
    arch_hash: str
    trace_hash: str
    feasible: bool
    rank: int


@dataclass(frozen=True)
class SweepData:
    """A sweep's name, varied paths, objectives and its successful points."""

    name: str
    vary: list[str]
    objectives: dict[str, str]
    points: list[PointData]
    meta: dict[str, Any] = field(default_factory=dict)
    resolve_arch: Callable[[dict[str, Any]], Any] | None = None
    """The validated arch of the sweep's base workload with some varied fields set (``{"arch.pe":
    "opt1"}``), for hooks that need more of a design than its metrics; given by the report."""

    def arch(self, fields: dict[str, Any]) -> Any:
        """The validated arch of the base workload with ``fields`` set."""
        if self.resolve_arch is None:
            raise ValueError("this SweepData cannot resolve architectures")
        return self.resolve_arch(fields)

    def of_family(self, family: str) -> list[PointData]:
        """The points simulated by ``family``."""
        return [p for p in self.points if p.family == family]


@dataclass(frozen=True)
class Reference:
    """A published number and, if the sweep simulated the same design, the simulated value."""

    label: str
    metric: str
    published: float
    unit: str
    source: str
    simulated: float | None = None
    note: str = ""

    @property
    def deviation(self) -> float | None:
        """Relative difference simulated / published - 1 (None if not simulated)."""
        if self.simulated is None or self.published == 0:
            return None
        return self.simulated / self.published - 1.0


def matched_ratios(data: SweepData, side: Callable[[PointData], str | None], metric: str,
                   ignore: tuple[str, ...] = ()) -> list[float]:
    """``metric`` of each ``"num"`` point over each ``"den"`` point (as ``side`` labels them) that
    agrees with it on every varied field except those in ``ignore``; points lacking a positive
    ``metric`` are left out. The basis of a family's "simulated vs published ratio"."""
    keep = [k for k in data.vary if k not in ignore]
    groups: dict[str, dict[tuple[str, ...], list[float]]] = {"num": {}, "den": {}}
    for p in data.points:
        which = side(p)
        if which in groups and p.metrics.get(metric, 0.0) > 0:
            key = tuple(repr(p.params.get(k)) for k in keep)
            groups[which].setdefault(key, []).append(p.metrics[metric])
    num, den = groups["num"], groups["den"]
    return [x / y for key in num.keys() & den.keys() for x in num[key] for y in den[key]]


FigureHook = Callable[[SweepData], "list[tuple[str, Figure]]"]
ReferenceHook = Callable[[SweepData], list[Reference]]
