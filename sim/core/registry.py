"""Family registry: an arch file's ``family:`` key picks a model class registered here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from sim.core.errors import Location, SimError

if TYPE_CHECKING:
    from sim.core.result import Result
    from sim.workload.trace import Trace


class Model(Protocol):
    """What every family's model provides."""

    def run(self, trace: Trace, seed: int) -> Result:
        """Simulate the trace and return a Result with cycles, per-op records and a ledger."""
        ...


@dataclass(frozen=True)
class Family:
    """A registered family: its arch schema (pydantic) and a factory building a model from it."""

    name: str
    arch_schema: type[BaseModel]
    build: Callable[[Any], Model]
    op_kinds: frozenset[str]


FAMILIES: dict[str, Family] = {}

# Families shipped with the tool: imported on first use so start-up stays fast.
BUILTIN_FAMILIES: dict[str, str] = {
    "systolic": "sim.models.systolic",
    "npu_pim": "sim.models.npu_pim",
    "tpe": "sim.models.tpe",
    "stochastic": "sim.models.stochastic",
    "gap9": "sim.models.gap9",
}


def register(family: Family) -> Family:
    """Register a family under its name (a later registration with the same name replaces it)."""
    FAMILIES[family.name] = family
    return family


def known_families() -> list[str]:
    """Names of every family that can be selected with ``family:``."""
    return sorted(set(FAMILIES) | set(BUILTIN_FAMILIES))


def get_family(name: str, where: Location | None = None) -> Family:
    """Look up a family, importing a built-in one on demand; unknown names are a SimError."""
    if name not in FAMILIES and name in BUILTIN_FAMILIES:
        importlib.import_module(BUILTIN_FAMILIES[name])
    if name not in FAMILIES:
        raise SimError(f"unknown family {name!r}", where, accepted=", ".join(known_families()))
    return FAMILIES[name]
