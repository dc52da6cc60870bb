"""Schema of sweep files (``*.sweep.yaml``): a base workload and the fields to vary."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sim.spec.base import Count, Seed, StrictModel


class RangeSpec(StrictModel):
    """A numeric range: ``{start, stop, step}`` (linear, stop inclusive) or ``{start, stop, num,
    log: true}`` (geometric)."""

    start: float
    stop: float
    step: float | None = Field(default=None, gt=0)
    num: Count | None = None
    log: bool = False
    integer: bool = False


class SweepSpec(StrictModel):
    """A sweep file (``version: 1``)."""

    version: Literal[1]
    name: str = ""
    base: str = Field(min_length=1)
    """Workload file the points start from, relative to this file."""
    vary: dict[str, list[Any] | RangeSpec] = Field(min_length=1)
    """Dotted path (``arch.rows``, ``trace.batch``, ``seed``) -> values or a range."""
    sampler: Literal["grid", "random", "sobol", "lhs"] = "grid"
    n: Count | None = None
    """Number of points for random, sobol and lhs samplers."""
    seed: Seed = 0
    constraints: list[str] = Field(default_factory=list)
    """Metric filters such as ``area_mm2 <= 5``."""
    objectives: dict[str, Literal["min", "max"]] = Field(default_factory=dict)
    executor: Literal["local", "dask"] = "local"
    address: str | None = None
    """Dask scheduler address (``tcp://host:8786``); a LocalCluster is started when absent."""
    workers: Count | None = None
