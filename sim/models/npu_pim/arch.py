"""Arch schema of the ``npu_pim`` family (strict; every size bounded; units in the docstrings)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.core.errors import SimError
from sim.hw.dram.config import HbmConfig, make_config
from sim.spec.base import ArchBase, Count, FreqMHz, StrictModel

System = Literal["gpu", "npu", "naive_pim", "neupims"]


class VectorUnit(StrictModel):
    """Vector unit: ``cores`` x ``lanes`` 32-bit lanes, every op (add/mul/exp/GELU) 1 cycle."""

    cores: Count = 8
    lanes: Count = 128


class NpuSpec(StrictModel):
    """NPU: ``arrays`` systolic arrays of ``array`` = [rows, cols] PEs, vector unit, SRAM."""

    arrays: Count = 8
    """Number of systolic arrays; a GEMM's output columns are split evenly over them."""
    array: tuple[Count, Count] = (128, 128)
    """Rows x columns of PEs per array."""
    dataflow: Literal["WS", "OS", "IS"] = "WS"
    timing: Literal["fold", "onnxim"] = "fold"
    """Array timing: the foundation's fold model, or ONNXim's pipelined tile model (WS)."""
    freq_mhz: FreqMHz = 1000.0
    """NPU clock (MHz); the result's main clock."""
    vector: VectorUnit = Field(default_factory=VectorUnit)
    sram_kib: Count = 131072
    """On-chip scratchpad + accumulator SRAM (KiB)."""
    activations: Literal["hbm", "sram"] = "hbm"
    """Where ops exchange activations: ``hbm`` (each op loads its inputs from HBM and stores its
    output there, the op-by-op kernel model of NeuPIMs/ONNXim) or ``sram`` (kept on chip when an
    op's inputs and outputs fit in the SRAM, streamed through HBM otherwise)."""
    attention: Literal["per_request", "kv_stream"] = "per_request"
    """Attention on the NPU (system ``npu``): ``per_request`` = one fused kernel per request,
    q_len-row GEMVs on the arrays; ``kv_stream`` = KV caches streamed over all channels at the
    sustained bandwidth with the MACs on the vector unit (an ideal bound)."""


class HbmSpec(StrictModel):
    """HBM device: a timing/organisation preset plus overrides (see sim.hw.dram.config)."""

    preset: str = "neupims_hbm2_32ch"
    org: dict[str, int | float | str] = Field(default_factory=dict)
    """Overrides of organisation fields: channels, ranks, bankgroups, banks_per_group, rows,
    columns, bus_bits, burst_length, address_mapping, freq_mhz."""
    timing: dict[str, int] = Field(default_factory=dict)
    """Overrides of timing fields in cycles (CL, tRCDRD, tFAW, ...)."""
    controller: dict[str, int | bool | str] = Field(default_factory=dict)
    """Overrides of controller fields (read_queue, bank_queue, scheduler, read_inflight, ...)."""


class PimSpec(StrictModel):
    """PIM banks: MAC ``lanes`` per bank, ``row_buffers`` (1 blocked, 2 dual), command fusion."""

    lanes: Count = 16
    row_buffers: Literal[1, 2] = 2
    fused_comps_readres: bool = True
    channel_mapping: Literal["rr", "clb"] = "clb"
    """KV-cache channel placement: round-robin or greedy channel load balancing (requests that
    carry a channel in the trace keep it)."""
    commands_per_cycle: float = Field(default=1.0, gt=0, le=1024)
    """PIM instructions the NPU hands to the memory controllers per NPU cycle, in order."""
    issue_order: Literal["request", "channel"] = "request"
    """Order in which the NPU sends the requests' PIM programs through its one issue queue:
    ``request`` = batch order; ``channel`` = every request of channel 0 first, then channel 1's,
    ... (batch order within a channel), as the NeuPIMs simulator batches its requests
    (``Scheduler::group_sub_batches`` appends each channel's request queue in turn)."""
    fused_release: Literal["last_beat", "issue"] = "last_beat"
    """When a fused COMPS_READRES lets go of its row and the global buffer: ``last_beat`` (the
    next tile's precharge waits tRTP after the head's last beat has read the row, the next
    GWRITE a column slot after it) or ``issue`` (both count from the command's issue, while its
    beats still stream: the NeuPIMs simulator's timing table, ``timing.cc``)."""
    issue_queues: Literal["shared", "per_channel"] = "shared"
    """``shared``: one in-order queue hands ``commands_per_cycle`` instructions per NPU cycle to
    all channels together. ``per_channel``: the NPU moves a whole PIM tile's instructions at once
    into one queue per channel, and each queue feeds its controller ``commands_per_cycle`` per
    NPU cycle (NeuPIMs simulator, main branch: ``NeuPIMSystolicWS::pim_ld_queue_cycle`` empties
    its queue in one cycle into the per-channel ``_memory_request_queues2``)."""
    refresh: bool = True
    """Refresh the PIM banks (all-bank, per rank, tREFI / tRFC) during PIM work."""


class MemorySpec(StrictModel):
    """HBM plus its PIM capability."""

    hbm: HbmSpec = Field(default_factory=HbmSpec)
    pim: PimSpec = Field(default_factory=PimSpec)


GpuPreset = Literal["a100-40gb", "a100-80gb", "h100-sxm"]


class GpuSpec(StrictModel):
    """Analytic roofline GPU (used only by ``system: gpu``); peak, bandwidth and launch overhead
    come from the preset's technology-table rows unless overridden here."""

    preset: GpuPreset = "a100-40gb"
    peak_tflops: float | None = Field(default=None, gt=0, le=1e5)
    """Dense FP16 peak (TFLOP/s); default: the preset's ``gpu.<preset>.mflop`` row."""
    bandwidth_gbs: float | None = Field(default=None, gt=0, le=1e6)
    """Memory bandwidth (GB/s); default: the preset's ``gpu.<preset>.mbyte`` row."""
    compute_eff: float = Field(default=0.8, gt=0, le=1)
    memory_eff: float = Field(default=0.85, gt=0, le=1)
    launch_us: float | None = Field(default=None, ge=0, le=1e4)
    """Fixed overhead per kernel (us); default: the preset's ``gpu.<preset>.launch`` row."""
    attention: Literal["batched", "per_request"] = "batched"
    """``batched``: one attention kernel for the whole batch; ``per_request``: one kernel per
    request (each pays the launch overhead)."""


class NpuPimArch(ArchBase):
    """NPU + HBM-PIM system for batched LLM decoding; ``system`` picks one of four designs."""

    family: Literal["npu_pim"]
    system: System = "neupims"
    """gpu: analytic roofline; npu: everything on the NPU; naive_pim: attention on PIM, no
    overlap; neupims: dual row buffers + sub-batch interleaving."""
    sub_batches: Count = 2
    """Sub-batches interleaved by the neupims system (1 disables interleaving)."""
    sub_batch_min_batch: Count = 256
    """Interleave only when the batch is at least this large (as the public NeuPIMs code)."""
    npu: NpuSpec = Field(default_factory=NpuSpec)
    memory: MemorySpec = Field(default_factory=MemorySpec)
    gpu: GpuSpec = Field(default_factory=GpuSpec)

    @model_validator(mode="before")
    @classmethod
    def _lists_to_tuples(cls, data: Any) -> Any:
        """YAML gives ``array: [128, 128]`` as a list; strict mode wants a tuple."""
        if isinstance(data, dict) and isinstance(data.get("npu"), dict):
            npu = data["npu"]
            if isinstance(npu.get("array"), list):
                data = {**data, "npu": {**npu, "array": tuple(npu["array"])}}
        return data

    def hbm_config(self) -> HbmConfig:
        """The HBM organisation + timing (SimError on bad overrides)."""
        cfg = self.memory.hbm
        return make_config(cfg.preset, dict(cfg.org), dict(cfg.timing), dict(cfg.controller))

    @model_validator(mode="after")
    def _consistent(self) -> NpuPimArch:
        """Run :meth:`check` at validation time, so its errors carry the arch file's line."""
        try:
            self.check()
        except SimError as exc:
            raise ValueError(exc.render()) from None
        return self

    def check(self) -> None:
        """Cross-field checks that the schema cannot express; SimError if violated."""
        cfg = self.hbm_config()
        if self.system == "naive_pim" and self.memory.pim.row_buffers != 1:
            raise SimError("system naive_pim models blocked mode: memory.pim.row_buffers must be 1")
        if self.npu.timing == "onnxim" and self.npu.dataflow != "WS":
            raise SimError("npu.timing onnxim models a weight-stationary array: "
                           "dataflow must be WS")
        if self.memory.pim.lanes * 2 > cfg.org.row_bytes:
            raise SimError("memory.pim.lanes x 2 bytes exceeds one DRAM row")
