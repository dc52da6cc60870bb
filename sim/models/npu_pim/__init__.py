"""The ``npu_pim`` family: NPU (systolic GEMM, vector unit, SRAM, DMA) + HBM with PIM banks for
attention GEMVs; four systems (GPU roofline, NPU-only, naive NPU+PIM, NeuPIMs-style)."""

from sim.core.registry import Family, register
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.model import SUPPORTED_KINDS, NpuPimModel
from sim.models.npu_pim.sweep_hooks import register as register_sweep_report

FAMILY = register(Family("npu_pim", NpuPimArch, NpuPimModel, frozenset(SUPPORTED_KINDS)))
register_sweep_report()

__all__ = ["FAMILY", "NpuPimArch", "NpuPimModel"]
