"""The ``npu_pim`` family: NPU (systolic GEMM, vector unit, SRAM, DMA) + HBM with PIM banks for
attention GEMVs; four systems (GPU roofline, NPU-only, naive NPU+PIM, NeuPIMs-style)."""

from sim.core.result import Result
from sim.core.units import si
from sim.family import Family
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.model import SUPPORTED_KINDS, NpuPimModel
from sim.models.npu_pim.rtlkernel import PIM_GEMV, SYNTH_TARGETS
from sim.models.npu_pim.sweep_hooks import figures, references
from sim.models.npu_pim.workload import LLM_DECODE


def summary(result: Result) -> list[tuple[str, str]]:
    """Decode throughput and energy per generated token."""
    m = result.metrics
    lines = []
    if "tokens_per_s" in m:
        lines.append(("tokens/s", f"{m['tokens_per_s']:,.1f}"))
    if "energy_per_token_j" in m:
        lines.append(("energy/token", si(m["energy_per_token_j"], "J")))
    return lines


FAMILY = Family(
    "npu_pim", NpuPimArch, NpuPimModel, frozenset(SUPPORTED_KINDS),
    description="NPU + HBM with processing-in-memory banks for batched LLM decoding",
    kernels=(PIM_GEMV,), synth_targets=SYNTH_TARGETS, generators=(LLM_DECODE,),
    sweep_figures=figures, sweep_references=references, summary=summary,
    metrics=("batch", "tokens_per_s", "cycles_per_layer", "seconds_per_iteration_stage",
             "energy_scale_per_token", "*_utilisation", "pim_channel_busy", "hbm_bytes",
             "pim_commands", "dram_requests", "sub_batches", "stage.*", "analytic_gpu",
             "gpu_launch_us"))

__all__ = ["FAMILY", "NpuPimArch", "NpuPimModel"]
