"""Negative control for the pim_gemv bench: the simulator's bank GEMV timing, one cycle late.

The bench loads its timing model from $SIM_PIM_TIMING; pointing it here must make it fail.
"""

from __future__ import annotations

from sim.models.npu_pim.arith import unit_cycles as simulator_timing


def unit_cycles(beats: int, lanes: int, spacing: int = 1) -> int:
    """The simulator's timing plus one cycle."""
    return simulator_timing(beats, lanes, spacing) + 1
