"""The family plug-in point: the :class:`Family` record, its parts, and the registry that finds
installed families through the ``accel_sim.families`` entry-point group."""

from sim.family.hooks import PointData, Reference, SweepData, matched_ratios
from sim.family.record import Family, Inventory, Model, RtlKernel, SummaryHook, SynthTarget
from sim.family.registry import (
    ENTRY_POINT_GROUP,
    all_families,
    all_kernels,
    all_synth_targets,
    get_family,
    get_generator,
    known_families,
    refresh,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Family",
    "Inventory",
    "Model",
    "PointData",
    "Reference",
    "RtlKernel",
    "SummaryHook",
    "SweepData",
    "SynthTarget",
    "all_families",
    "all_kernels",
    "all_synth_targets",
    "get_family",
    "get_generator",
    "known_families",
    "matched_ratios",
    "refresh",
]
