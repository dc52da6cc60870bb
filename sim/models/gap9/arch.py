"""Arch schema of the ``gap9`` family: GAP9 SoC (fabric controller, cluster, L1/L2/L3, DMA) + NE16.

Defaults are the values of ``shared/reference/gap9.md``; every field states its unit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.spec.base import ArchBase, Count, Dim, FreqMHz, StrictModel

PosFloat = Annotated[float, Field(gt=0, le=1e6)]
Fraction = Annotated[float, Field(gt=0, le=1)]
Cycles = Annotated[int, Field(ge=0, le=10**7)]


class ClusterSpec(StrictModel):
    """The RISC-V compute cluster (8 workers + 1 controller) used for ops NE16 cannot run."""

    cores: Count = 8
    """Worker cores used by kernels (the 9th core orchestrates)."""
    mac_per_cycle_per_core: PosFloat = 4.0
    """Peak 8-bit MAC/cycle per core (Xpulp 4-way SIMD dot product): 32 MAC/cycle on 8 cores."""
    efficiency: Fraction = 0.5
    """Fraction of the MAC peak reached by PULP-NN-style conv kernels (modelling assumption)."""
    depthwise_efficiency: Fraction = 0.25
    """Fraction of the MAC peak reached by depthwise kernels (little data reuse; assumption)."""
    eltwise_per_cycle_per_core: PosFloat = 1.0
    """Element-wise ops (pool, add, activation) per cycle per core (modelling assumption)."""
    kernel_overhead_cycles: Cycles = 500
    """Fixed cycles per cluster kernel call (fork/barrier, modelling assumption)."""


class L1Spec(StrictModel):
    """Cluster L1 TCDM."""

    size_bytes: Dim = 131072
    """Capacity (B): 128 kB."""
    banks: Count = 16
    """Word-interleaved banks (16 x 8 kB assumed; informational, bank conflicts are not
    modelled: the NE16 streamer's 32 B/cycle is part of the cycle formulas)."""
    tiling_budget_bytes: Dim = 92160
    """Bytes the tiler may use for double-buffered tiles (90 kB; the rest is stack/code/data)."""

    @model_validator(mode="after")
    def _budget_fits(self) -> L1Spec:
        if self.tiling_budget_bytes > self.size_bytes:
            raise ValueError(f"tiling_budget_bytes {self.tiling_budget_bytes} exceeds size_bytes "
                             f"{self.size_bytes}")
        return self


class L2Spec(StrictModel):
    """SoC L2 SRAM."""

    size_bytes: Dim = 1536000
    """Capacity (B): 1.5 MB."""
    data_bytes: Dim = 1186000
    """Bytes left for weights and activations after ~350 kB of code (B)."""

    @model_validator(mode="after")
    def _data_fits(self) -> L2Spec:
        if self.data_bytes > self.size_bytes:
            raise ValueError(f"data_bytes {self.data_bytes} exceeds size_bytes {self.size_bytes}")
        return self


class L3Spec(StrictModel):
    """Off-chip HyperRAM/OctoSPI memory, used when the weights do not fit the L2 data budget."""

    bandwidth_bytes_per_cycle: PosFloat = 1.0
    """Sustained L3->L2 bandwidth in cluster cycles (B/cycle; ~370 MB/s, modelling assumption)."""
    latency_cycles: Cycles = 100
    """Latency per L3 transfer (cycles, modelling assumption)."""


class DmaSpec(StrictModel):
    """Cluster DMA L2<->L1."""

    bandwidth_bytes_per_cycle: Dim = 8
    """Transfer bandwidth (B/cycle)."""
    latency_cycles: Cycles = 10
    """Latency per transfer (cycles)."""
    setup_cycles: Cycles = 370
    """Software cycles to program one transfer (compiler cost model)."""
    api_cycles: Cycles = 550
    """Software API cycles per transfer (compiler cost model)."""
    row_cycles: Cycles = 1
    """Extra cycles per row of a 2-D/3-D transfer."""


class Ne16Spec(StrictModel):
    """The NE16 engine and its normalisation/quantisation setting used for every layer."""

    enabled: bool = True
    """If false every layer runs on the cluster."""
    side: Annotated[int, Field(ge=1, le=16)] = 3
    """Output subtile side S (columns = S x S)."""
    lanes: Annotated[int, Field(ge=1, le=32)] = 16
    """Input channels per k_in subtile (lanes per block)."""
    scale_bits: Literal[8, 16, 32] = 8
    """Width of the per-channel scale (bits)."""
    bias: bool = True
    """Per-channel bias in normquant."""
    per_channel_shift: bool = False
    """Per-channel right shift (adds 8 normquant cycles)."""
    out_bits: Literal[8, 16, 32] = 8
    """Output activation width (bits)."""


class Gap9Arch(ArchBase):
    """GAP9 SoC + NE16."""

    family: Literal["gap9"]
    clock_mhz: FreqMHz = 370.0
    """Cluster/NE16 clock (MHz)."""
    mapping: Literal["auto", "ne16", "cluster"] = "auto"
    """Per-layer engine choice: auto = the faster of NE16 and cluster for each layer."""
    default_weight_bits: Annotated[int, Field(ge=2, le=8)] = 8
    """Weight bits used when an op does not give ``b_bits`` in 2..8."""
    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    l1: L1Spec = Field(default_factory=L1Spec)
    l2: L2Spec = Field(default_factory=L2Spec)
    l3: L3Spec = Field(default_factory=L3Spec)
    dma: DmaSpec = Field(default_factory=DmaSpec)
    ne16: Ne16Spec = Field(default_factory=Ne16Spec)
