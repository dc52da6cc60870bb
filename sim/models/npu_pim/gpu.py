"""Analytic roofline GPU (the GPU-only baseline; analytic, not cycle-level).

Each kernel takes max(FLOPs / (peak x compute_eff), bytes / (bandwidth x memory_eff)) plus a
fixed launch overhead. Peak, bandwidth and launch overhead of the three presets (A100-40GB,
A100-80GB, H100 SXM) are technology-table rows (``gpu.<preset>.mflop``: ps per 10^6 FLOP at
the dense FP16 tensor peak; ``gpu.<preset>.mbyte``: ps per 10^6 bytes at the DRAM bandwidth;
``gpu.<preset>.launch``: ps per kernel), each with its source; an arch file may override them.
The 80 % compute / 85 % bandwidth caps are the ones AttAcc uses for its GPU model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.models.npu_pim.arch import GpuSpec
from sim.tech.table import TechTable


@dataclass(frozen=True)
class Gpu:
    """Resolved GPU parameters: FLOP/s, bytes/s (both at peak), seconds per kernel launch."""

    name: str
    flops: float
    bandwidth: float
    launch_s: float
    compute_eff: float
    memory_eff: float

    def seconds(self, flops: float, nbytes: float, kernels: int = 1) -> float:
        """Seconds of ``kernels`` kernels doing ``flops`` FLOPs and moving ``nbytes`` bytes."""
        compute = flops / (self.flops * self.compute_eff)
        memory = nbytes / (self.bandwidth * self.memory_eff)
        return max(compute, memory) + kernels * self.launch_s


def resolve(spec: GpuSpec, table: TechTable) -> Gpu:
    """The GPU of ``spec``: its preset's table rows, with the spec's overrides applied."""
    key = f"gpu.{spec.preset}"
    flops = (spec.peak_tflops * 1e12 if spec.peak_tflops is not None
             else 1e6 / (table.lookup(f"{key}.mflop", "delay").value * 1e-12))
    bandwidth = (spec.bandwidth_gbs * 1e9 if spec.bandwidth_gbs is not None
                 else 1e6 / (table.lookup(f"{key}.mbyte", "delay").value * 1e-12))
    launch = (spec.launch_us * 1e-6 if spec.launch_us is not None
              else table.lookup(f"{key}.launch", "delay").value * 1e-12)
    return Gpu(key, flops, bandwidth, launch, spec.compute_eff, spec.memory_eff)
