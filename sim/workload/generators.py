"""Trace generators: ``trace: {generator: NAME, ...}`` in a workload file builds a trace.

A generator is a pydantic schema for its parameters plus a function that returns a Trace.
Built-in generators live in their modules and are imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.core.errors import Location, SimError
from sim.workload.trace import Trace


@dataclass(frozen=True)
class Generator:
    """A named trace generator: parameter schema and build function (params, seed) -> Trace."""

    name: str
    schema: type[BaseModel]
    build: Callable[[Any, int], Trace]
    path_fields: frozenset[str] = frozenset()
    """Parameters that may name a file (a value with a suffix, e.g. ``lengths.csv``); the
    workload loader resolves them relative to the file that holds the trace."""


GENERATORS: dict[str, Generator] = {}
BUILTIN_GENERATORS: dict[str, str] = {
    "transformer": "sim.workload.arch_generators",
    "cnn": "sim.workload.arch_generators",
    "llm_decode": "sim.models.npu_pim.workload",
}


def register_generator(generator: Generator) -> Generator:
    """Register a generator under its name."""
    GENERATORS[generator.name] = generator
    return generator


def get_generator(name: str, where: Location | None = None) -> Generator:
    """Look up a generator (importing a built-in one on demand); unknown names are a SimError."""
    if name not in GENERATORS and name in BUILTIN_GENERATORS:
        importlib.import_module(BUILTIN_GENERATORS[name])
    if name not in GENERATORS:
        known = sorted(set(GENERATORS) | set(BUILTIN_GENERATORS))
        raise SimError(f"unknown trace generator {name!r}", where,
                       accepted=", ".join(known) if known else "none installed")
    return GENERATORS[name]
