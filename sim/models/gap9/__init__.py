"""The ``gap9`` family: GAP9 SoC (cluster, L1/L2/L3, DMA) + NE16 engine with 2-8-bit weights."""

from sim.core.result import Result
from sim.family import Family
from sim.models.gap9.arch import Gap9Arch
from sim.models.gap9.layers import SUPPORTED_KINDS
from sim.models.gap9.model import Gap9Model
from sim.models.gap9.rtlslice import KERNEL, SYNTH_TARGETS


def summary(result: Result) -> list[tuple[str, str]]:
    """Weight storage and where the weights live (L2, or streamed from L3)."""
    m = result.metrics
    if "weight_bytes" not in m:
        return []
    where = "L3 (streamed)" if m.get("weights_in_l3") else "L2"
    return [("weights", f"{m['weight_bytes'] / 1024:,.1f} KiB in {where}")]


FAMILY = Family(
    "gap9", Gap9Arch, Gap9Model, frozenset(SUPPORTED_KINDS),
    description="GAP9 SoC with the NE16 mixed-bit (2-8-bit weight) engine",
    kernels=(KERNEL,), synth_targets=SYNTH_TARGETS, summary=summary,
    metrics=("cluster_cycles", "dma_busy_cycles", "latency_s", "mac_per_cycle", "ne16_cycles",
             "weight_bytes", "weights_in_l3"))

__all__ = ["FAMILY", "Gap9Arch", "Gap9Model"]
