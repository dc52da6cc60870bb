"""The ``gap9`` family: GAP9 SoC (cluster, L1/L2/L3, DMA) + NE16 engine with 2-8-bit weights."""

from sim.core.registry import Family, register
from sim.models.gap9.arch import Gap9Arch
from sim.models.gap9.layers import SUPPORTED_KINDS
from sim.models.gap9.model import Gap9Model

FAMILY = register(Family("gap9", Gap9Arch, Gap9Model, frozenset(SUPPORTED_KINDS)))

__all__ = ["FAMILY", "Gap9Arch", "Gap9Model"]
