"""Trace generators: ``trace: {generator: NAME, ...}`` in a workload file builds a trace.

A generator is a pydantic schema for its parameters plus a function that returns a Trace. The
workload package's own generators (published architectures, :mod:`sim.workload.arch_generators`)
are listed here; families add theirs through their ``Family`` record, and
:func:`sim.family.get_generator` looks a name up in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

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


def builtin_generators() -> tuple[Generator, ...]:
    """The workload package's generators (imported on first use: they load model configs)."""
    from sim.workload.arch_generators import CNN, TRANSFORMER

    return (TRANSFORMER, CNN)
