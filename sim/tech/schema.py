"""Schemas of technology table files and the node-scaling file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.spec.base import StrictModel

Metric = Literal["energy", "area", "delay", "power"]
UNITS: dict[Metric, dict[str, float]] = {
    "energy": {"fJ": 1e-3, "pJ": 1.0, "nJ": 1e3},
    "area": {"um2": 1.0, "mm2": 1e6},
    "delay": {"ps": 1.0, "ns": 1e3},
    "power": {"uW": 1e-3, "mW": 1.0, "W": 1e3},
}
CANONICAL_UNIT: dict[Metric, str] = {"energy": "pJ", "area": "um2", "delay": "ps", "power": "mW"}


class TechRow(StrictModel):
    """One constant: ``key`` is ``component.action`` for energy, ``component`` otherwise."""

    key: str = Field(min_length=1)
    metric: Metric
    value: float = Field(ge=0)
    unit: str
    node_nm: Literal[45, 40, 32, 28, 22]
    source: str = Field(min_length=3)
    scales: Literal["logic", "none"] = "logic"
    """``logic``: scaled to other nodes with the published logic factors; ``none``: the same at
    every node (off-chip DRAM, IO, and values measured on one product)."""


class TechFile(StrictModel):
    """A table file: ``version: 1``, a name, and rows."""

    version: Literal[1]
    name: str
    rows: list[TechRow]


class ScalingAnchor(StrictModel):
    """Published factors that take a reference-node value to ``node_nm``."""

    node_nm: int = Field(gt=0)
    area: float = Field(gt=0)
    energy: float = Field(gt=0)


class ScalingFile(StrictModel):
    """Anchor nodes of the scaling curves; nodes in between are interpolated log-log."""

    version: Literal[1]
    reference_node_nm: int
    source: str
    anchors: list[ScalingAnchor] = Field(min_length=2)


class WidthRule(StrictModel):
    """How rows of ``<prefix><width>`` carry over to other widths: value x (w/w0)^exponent."""

    prefix: str = Field(min_length=1)
    exponent: float = Field(gt=0)
    source: str = Field(min_length=3)


class SizeRule(StrictModel):
    """Rows of ``<prefix>_<size>`` are interpolated log-log in size (per-bit values)."""

    prefix: str = Field(min_length=1)
    source: str = Field(min_length=3)


class RulesFile(StrictModel):
    """Width and size rules for parametric keys (``tables/scaling/width.yaml``)."""

    version: Literal[1]
    width_rules: list[WidthRule]
    size_rules: list[SizeRule]
