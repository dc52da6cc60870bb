"""The ``systolic`` family: one R x C int8 systolic array with operand SRAMs and DRAM behind."""

from sim.core.registry import Family, register
from sim.models.systolic.model import SUPPORTED_KINDS, SystolicArch, SystolicModel

FAMILY = register(Family("systolic", SystolicArch, SystolicModel, frozenset(SUPPORTED_KINDS)))

__all__ = ["FAMILY", "SystolicArch", "SystolicModel"]
