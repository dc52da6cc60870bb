"""Analytic roofline of an A100-class GPU (the GPU-only baseline; analytic, not cycle-level).

Each op takes max(FLOPs / (peak x compute_eff), bytes / (bandwidth x memory_eff)) plus a fixed
launch overhead per kernel. Defaults: A100 40 GB (312 TFLOP/s FP16 dense, 1555 GB/s), with the
80 % compute / 85 % bandwidth caps AttAcc uses for its GPU model.
"""

from __future__ import annotations

from sim.models.npu_pim.arch import GpuSpec


def roofline_seconds(gpu: GpuSpec, flops: float, nbytes: float, kernels: int = 1) -> float:
    """Seconds of a kernel doing ``flops`` FLOPs and moving ``nbytes`` bytes of DRAM traffic."""
    compute = flops / (gpu.peak_tflops * 1e12 * gpu.compute_eff)
    memory = nbytes / (gpu.bandwidth_gbs * 1e9 * gpu.memory_eff)
    return max(compute, memory) + kernels * gpu.launch_us * 1e-6
