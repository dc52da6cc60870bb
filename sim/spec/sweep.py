"""Schema of sweep files (``*.sweep.yaml``): a base workload, the fields to vary, how to sample
them, which constraints and objectives rank the design points, and where to run them."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.spec.base import Count, ReportDir, Seed, StrictModel
from sim.spec.inputs import SWEEP_MAX_POINTS

Number = int | float
CONSTRAINT_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")


class RangeSpec(StrictModel):
    """A numeric range: ``{start, stop, step}`` (linear, stop inclusive), ``{start, stop, num}``
    (``num`` evenly spaced values, geometric with ``log: true``), or just ``{start, stop}``
    (continuous; random, sobol and lhs samplers only). Integer ``start``/``stop``/``step`` give
    integer values (``integer:`` overrides that)."""

    start: Number
    stop: Number
    step: Number | None = Field(default=None, gt=0)
    num: Count | None = None
    log: bool = False
    integer: bool | None = None
    """Integer values; default: when start, stop and step are all integers."""

    @model_validator(mode="after")
    def _check(self) -> RangeSpec:
        if self.step is not None and self.num is not None:
            raise ValueError("give either step or num, not both")
        if self.step is not None and self.log:
            raise ValueError("a log range takes num, not step")
        if self.stop < self.start:
            raise ValueError("stop must be >= start")
        if self.log and self.start <= 0:
            raise ValueError("a log range needs start > 0")
        count = (self.stop - self.start) / self.step + 1 if self.step is not None else \
            self.num or 1
        if not math.isfinite(count) or count > SWEEP_MAX_POINTS:
            raise ValueError(f"the range has {count:.3g} values, over the limit "
                             f"SWEEP_MAX_POINTS = {SWEEP_MAX_POINTS:,}")
        return self

    @property
    def is_integer(self) -> bool:
        """Whether the values are integers (explicitly, or all given bounds are integers)."""
        bounds = [self.start, self.stop] + ([self.step] if self.step is not None else [])
        if self.integer is not None:
            return self.integer
        return all(isinstance(b, int) for b in bounds)

    @property
    def discrete(self) -> bool:
        """Whether the range is a finite list of values (it has ``step`` or ``num``)."""
        return self.step is not None or self.num is not None


class SweepReport(StrictModel):
    """Where ``sim sweep`` writes and what it exports."""

    dir: ReportDir = None
    """Output folder, relative to the working directory; default ``reports/<sweep name>``."""
    parquet: bool = False
    """Also write ``results.parquet`` (needs pyarrow)."""


class SweepSpec(StrictModel):
    """A sweep file (``version: 1``)."""

    version: Literal[1]
    name: str = ""
    """Names the sweep and its report folder (default: the file name without ``.sweep.yaml``)."""
    base: str = Field(min_length=1)
    """Workload file the points start from, relative to this file."""
    vary: dict[str, Any] = Field(default_factory=dict)
    """Dotted path (``arch.rows``, ``trace.batch``, ``seed``) -> a list of values or a
    :class:`RangeSpec` mapping (checked when the sweep is loaded, which knows the line)."""
    linked: list[dict[str, list[Any]]] = Field(default_factory=list)
    """Groups of fields that change together: in each group every field has a list of the same
    length, and the i-th values of all fields form one setting (a zip, not a product). Each group
    is one dimension of the sweep, crossed with ``vary`` and the other groups."""
    sampler: Literal["grid", "random", "sobol", "lhs"] = "grid"
    n: Annotated[int, Field(ge=1, le=SWEEP_MAX_POINTS)] | None = None
    """Number of points for random, sobol and lhs samplers (at most ``SWEEP_MAX_POINTS``)."""
    seed: Seed = 0
    """Seed of the random, sobol and lhs samplers."""
    constraints: list[str] = Field(default_factory=list)
    """Metric filters such as ``area_mm2 <= 5`` (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``)."""
    objectives: dict[str, Literal["min", "max"]] = Field(default_factory=dict)
    """Metric -> ``min`` or ``max``; the Pareto front is taken over these."""
    executor: Literal["local", "dask"] = "local"
    address: str | None = None
    """Refused: a Dask scheduler address comes only from ``--address`` or ``SIM_DASK_ADDRESS``
    (Dask trusts its scheduler with pickled code, so a sweep file must not pick one)."""
    workers: Count | None = None
    """Worker processes (local: default all cores; dask LocalCluster: default 2); at most the
    CPU count (``--workers`` on the command line is taken as given)."""
    timeout_s: float | None = Field(default=None, gt=0, le=7 * 86400)
    """Per-point time limit in seconds (local and inline executors); a point over it is
    recorded as failed with the reason, and the sweep goes on."""
    batch: Count | None = None
    """Design points per task (default: sized so a task takes about 0.5 s, at most 64)."""
    report: SweepReport = Field(default_factory=SweepReport)


def parse_constraint(text: str) -> tuple[str, str, float] | None:
    """``"area_mm2 <= 5"`` -> ``("area_mm2", "<=", 5.0)``; None if it is not of that form."""
    match = CONSTRAINT_RE.match(text)
    if match is None:
        return None
    try:
        value = float(match.group(3))
    except ValueError:
        return None
    return match.group(1), match.group(2), value


def is_sweep(data: Any) -> bool:
    """Whether a parsed YAML file is a sweep file (it has ``base`` or ``vary``)."""
    return isinstance(data, dict) and ("base" in data or "vary" in data)
