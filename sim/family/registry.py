"""Find families through the ``accel_sim.families`` entry-point group.

A package publishes a family in its packaging metadata, the built-in five exactly like a
third-party one (``pyproject.toml``)::

    [project.entry-points."accel_sim.families"]
    systolic = "sim.models.systolic:FAMILY"

Entry points are listed without importing anything; a family's module is imported the first
time it is asked for, so start-up stays fast. The entry-point name is the ``family:`` value of
arch files and must equal the record's ``name``.
"""

from __future__ import annotations

import importlib.metadata
from functools import cache

from sim.core.errors import Location, SimError
from sim.family.record import Family, RtlKernel, SynthTarget
from sim.workload.generators import Generator, builtin_generators

ENTRY_POINT_GROUP = "accel_sim.families"

_loaded: dict[str, Family] = {}


@cache
def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """Installed family entry points by name (first one wins if two packages use a name)."""
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)
    return found


def refresh() -> None:
    """Forget the entry points and loaded families (after installing a family in-process)."""
    _entry_points.cache_clear()
    _loaded.clear()


def known_families() -> list[str]:
    """Names of every installed family (``family:`` values), without importing them."""
    return sorted(_entry_points())


def _load(name: str) -> Family:
    ep = _entry_points()[name]
    try:
        family = ep.load()
    except ImportError as exc:
        raise SimError(f"family {name!r} ({ep.value}) cannot be imported: {exc}") from None
    if not isinstance(family, Family):
        raise SimError(f"entry point {name!r} ({ep.value}) is not a sim.family.Family record")
    if family.name != name:
        raise SimError(f"entry point {name!r} ({ep.value}) holds family {family.name!r}; the "
                       "entry-point name must equal the record's name")
    return family


def get_family(name: str, where: Location | None = None) -> Family:
    """The installed family ``name`` (imported on first use); SimError naming the known ones."""
    if name not in _loaded:
        if name not in _entry_points():
            raise SimError(f"unknown family {name!r}", where,
                           accepted=", ".join(known_families()) or "none installed")
        _loaded[name] = _load(name)
    return _loaded[name]


def all_families() -> list[Family]:
    """Every installed family, imported, in name order."""
    return [get_family(name) for name in known_families()]


def all_kernels() -> dict[str, tuple[Family, RtlKernel]]:
    """Every family's RTL kernels by kernel name; two families may not share a kernel name."""
    kernels: dict[str, tuple[Family, RtlKernel]] = {}
    for family in all_families():
        for kernel in family.kernels:
            if kernel.name in kernels:
                other = kernels[kernel.name][0].name
                raise SimError(f"RTL kernel {kernel.name!r} is declared by families {other!r} "
                               f"and {family.name!r}")
            kernels[kernel.name] = (family, kernel)
    return kernels


def all_synth_targets() -> list[SynthTarget]:
    """Every family's synthesis targets, families in name order."""
    return [t for family in all_families() for t in family.synth_targets]


def get_generator(name: str, where: Location | None = None) -> Generator:
    """A trace generator: the workload package's own (``transformer``, ``cnn``) or one that a
    family declares; SimError naming the known ones otherwise."""
    builtin = {g.name: g for g in builtin_generators()}
    if name in builtin:
        return builtin[name]
    known = dict(builtin)
    for family in all_families():
        for generator in family.generators:
            if generator.name == name:
                return generator
            known[generator.name] = generator
    raise SimError(f"unknown trace generator {name!r}", where,
                   accepted=", ".join(sorted(known)) or "none installed")
