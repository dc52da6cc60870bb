"""Per-family additions to sweep reports: extra figures and published reference numbers.

A family registers them from its own package (no report code needs to know the family)::

    from sim.report.families import Reference, register_family_report

    def my_figures(data: SweepData) -> list[tuple[str, Figure]]: ...
    def my_references(data: SweepData) -> list[Reference]: ...

    register_family_report("npu_pim", figures=my_figures, references=my_references)

``SweepData`` holds the sweep's successful points (parameters, metrics, energy/area breakdown,
provenance); figure functions return ``(name, matplotlib Figure)`` pairs, which the report saves
as PNG and SVG and embeds in the HTML page. Reference functions return the published numbers with
their source and, where the sweep contains the matching design, the simulated value beside them.
This module imports nothing heavy, so a family can import it at registration time.
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
    """What family hooks see: the sweep's name, varied paths, objectives and its points."""

    name: str
    vary: list[str]
    objectives: dict[str, str]
    points: list[PointData]
    meta: dict[str, Any] = field(default_factory=dict)

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


@dataclass(frozen=True)
class FamilyReport:
    """The hooks one family registered."""

    figures: FigureHook | None = None
    references: ReferenceHook | None = None


FAMILY_REPORTS: dict[str, FamilyReport] = {}


def register_family_report(family: str, *, figures: FigureHook | None = None,
                           references: ReferenceHook | None = None) -> None:
    """Register (or replace) a family's figure and reference-number hooks."""
    FAMILY_REPORTS[family] = FamilyReport(figures, references)


def family_report(family: str) -> FamilyReport | None:
    """The hooks of ``family``, importing the family first so that it can register them."""
    from sim.core.errors import SimError
    from sim.core.registry import get_family

    try:
        get_family(family)
    except SimError:
        return FAMILY_REPORTS.get(family)
    return FAMILY_REPORTS.get(family)
