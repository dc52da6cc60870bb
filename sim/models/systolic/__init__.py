"""The ``systolic`` family: one R x C int8 systolic array with operand SRAMs and DRAM behind."""

from sim.family import Family
from sim.models.systolic.model import SUPPORTED_KINDS, SystolicArch, SystolicModel, check_trace
from sim.models.systolic.rtl import KERNEL, SYNTH_TARGETS

FAMILY = Family(
    "systolic", SystolicArch, SystolicModel, frozenset(SUPPORTED_KINDS),
    description="R x C int8 systolic GEMM array, OS / WS / IS dataflows, exact closed forms",
    kernels=(KERNEL,), synth_targets=SYNTH_TARGETS, check=check_trace,
    metrics=())

__all__ = ["FAMILY", "SystolicArch", "SystolicModel"]
