"""Timing, traffic and action counts of a trace on one systolic array (closed forms per GEMM).

Ops run one after another on the array (one array, in trace order; dependencies are therefore
always met). Each op is lowered to GEMMs (:mod:`sim.workload.lowering`); per GEMM the cycles come
from :func:`sim.hw.systolic.gemm_cycles`, the SRAM traffic from
:func:`sim.hw.systolic.sram_traffic`, and the DRAM traffic from :func:`dram_traffic_bits`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.core.errors import SimError, UnsupportedOpError
from sim.core.ledger import Ledger
from sim.core.result import OpRecord, Result
from sim.core.shapes import GemmShape
from sim.hw.systolic import (
    ACCUMULATOR_BITS,
    OPERAND_BITS,
    REG_BITS_PER_MAC,
    Dataflow,
    Traffic,
    fold_cycles,
    gemm_cycles,
    mapping,
    sram_traffic,
)
from sim.models.systolic.memory import (
    Buffers,
    FoldPlanner,
    MemorySpec,
    Timing,
    Transfers,
    event_timing,
    fast_timing,
)
from sim.spec.base import ArchBase, FreqMHz, StrictModel
from sim.workload.lowering import LOWERABLE_KINDS, to_gemms
from sim.workload.trace import Op, Trace

SUPPORTED_KINDS = LOWERABLE_KINDS
ArraySide = Field(ge=1, le=4096)
BufferKiB = Field(ge=1, le=2**20)
REGISTER_BITS_PER_PE = 2 * OPERAND_BITS + ACCUMULATOR_BITS


class SramBuffers(StrictModel):
    """Operand buffers in KiB: A (inputs), B (weights), C (outputs / partial sums), and their
    banking, which bounds how fast DRAM data can be written into them."""

    a_kib: int = BufferKiB
    b_kib: int = BufferKiB
    c_kib: int = BufferKiB
    banks: int | None = Field(default=None, ge=1, le=4096)
    """Banks per buffer written in parallel by a DRAM fill (default: fill not limited)."""
    bank_bytes: int = Field(default=16, ge=1, le=4096)
    """Bytes one bank accepts per array cycle (used only with ``banks``)."""

    def buffers(self) -> Buffers:
        """Capacities in bytes and the fill port (bytes per array cycle, 0 = unlimited)."""
        fill = self.banks * self.bank_bytes if self.banks else 0
        return Buffers(self.a_kib * 1024, self.b_kib * 1024, self.c_kib * 1024, fill)


class SystolicArch(ArchBase):
    """An R x C int8 systolic array (int32 accumulation) at ``freq_mhz``."""

    family: Literal["systolic"]
    rows: int = ArraySide
    """Array rows R (PEs)."""
    cols: int = ArraySide
    """Array columns C (PEs)."""
    dataflow: Literal["OS", "WS", "IS"] = "WS"
    """Output-, weight- or input-stationary."""
    os_drain: Literal["serial", "overlapped"] = "serial"
    """OS only: ``serial`` drains the accumulators after each fold (R cycles per fold);
    ``overlapped`` adds shadow accumulators that drain while the next fold runs (only the last
    drain is exposed). Ignored by WS and IS."""
    freq_mhz: FreqMHz = 1000.0
    """Clock frequency (MHz)."""
    sram: SramBuffers = Field(default_factory=lambda: SramBuffers(a_kib=256, b_kib=256, c_kib=256))
    memory: MemorySpec = Field(default_factory=MemorySpec)
    """DRAM behind the SRAMs and the memory timing mode (``ideal`` by default)."""

    @model_validator(mode="after")
    def _memory_ok(self) -> SystolicArch:
        """Build the DRAM configuration now, so a bad preset names the arch file's line."""
        try:  # also in ideal mode: a typo must not wait until the mode is switched
            self.memory.dram_config()
        except SimError as exc:
            raise ValueError(exc.render()) from None
        return self


def dram_traffic_bits(shape: GemmShape, traffic: Traffic, sram: SramBuffers, cols: int,
                      dataflow: Dataflow) -> tuple[int, int]:
    """(DRAM read bits, DRAM write bits) of one GEMM.

    Folds are ordered column folds outer, row (K) folds inner, so the partial sums live for one
    column fold: ``psum_set`` = outputs of one column fold. An operand that fits in its buffer is
    fetched from DRAM once; one that does not fit is fetched as often as the array reads it.
    Final outputs are written once when the partial-sum set fits in the C buffer; otherwise every
    partial-sum write and read-back goes to DRAM.
    """
    a_bits = shape.m * shape.k * OPERAND_BITS
    b_bits = shape.k * shape.n * OPERAND_BITS
    c_bits = shape.m * shape.n * ACCUMULATOR_BITS
    a_read = a_bits if a_bits <= sram.a_kib * 8192 else traffic.a_reads * OPERAND_BITS
    b_read = b_bits if b_bits <= sram.b_kib * 8192 else traffic.b_reads * OPERAND_BITS
    if psum_set_bits(shape, cols, dataflow) <= sram.c_kib * 8192:
        return a_read + b_read, c_bits
    return (a_read + b_read + traffic.c_reads * ACCUMULATOR_BITS,
            traffic.c_writes * ACCUMULATOR_BITS)


def psum_set_bits(shape: GemmShape, cols: int, dataflow: Dataflow) -> int:
    """Partial sums alive during one column fold (bits): OS none beyond the array's own."""
    if dataflow == "WS":
        return shape.m * min(shape.n, cols) * ACCUMULATOR_BITS
    if dataflow == "IS":
        return min(shape.m, cols) * shape.n * ACCUMULATOR_BITS
    return 0


def check_op(op: Op) -> None:
    """An op this family cannot run (its kind, or operands wider than int8) is an error."""
    if op.kind not in SUPPORTED_KINDS:
        raise UnsupportedOpError(f"op {op.name!r} of kind {op.kind!r} is not supported by "
                                 "family 'systolic'", accepted=", ".join(SUPPORTED_KINDS))
    if op.a_bits > OPERAND_BITS or getattr(op, "b_bits", 0) > OPERAND_BITS:
        raise UnsupportedOpError(f"op {op.name!r} has operands wider than 8 bits; "
                                 "the systolic family is int8", accepted="a_bits, b_bits <= 8")


def check_trace(arch: SystolicArch, trace: Trace) -> None:
    """Every op of ``trace`` passes :func:`check_op` (``sim validate``)."""
    for op in trace.ops:
        check_op(op)


DETAIL_SUMS = ("compute_cycles", "stall_cycles", "read_bytes", "write_bytes", "dram_a_bytes",
               "dram_b_bytes", "dram_psum_read_bytes", "sram_a_read_bytes",
               "sram_b_read_bytes", "sram_c_bytes")
"""Per-op details summed over an op's GEMMs (bytes; cycles of the array clock)."""
DETAIL_PEAKS = frozenset({"peak_dram_read_bytes_per_cycle", "peak_dram_write_bytes_per_cycle"})
"""Per-op details maximised over an op's GEMMs (bytes per array cycle)."""
FLOAT_DETAILS = DETAIL_PEAKS | {"utilisation", "compute_utilisation"}


class SystolicModel:
    """Runs traces on a :class:`SystolicArch`."""

    def __init__(self, arch: SystolicArch) -> None:
        self.arch = arch
        self.dataflow: Dataflow = arch.dataflow
        self.overlap_drain = arch.dataflow == "OS" and arch.os_drain == "overlapped"
        self.buffers: Buffers = arch.sram.buffers()
        mode = arch.memory.mode
        self.transfers = None if mode == "ideal" else Transfers(
            arch.memory.dram_config(), arch.freq_mhz, self.buffers.fill_bytes_per_cycle, mode)
        self._timings: dict[GemmShape, Timing] = {}

    def memory_timing(self, shape: GemmShape) -> Timing | None:
        """Fold schedule of one GEMM with memory in the loop (None in ideal mode); memoised
        per shape (a trace repeats shapes)."""
        if self.transfers is None:
            return None
        cached = self._timings.get(shape)
        if cached is None:
            arch = self.arch
            plan = FoldPlanner(shape, arch.rows, arch.cols, self.dataflow, self.buffers)
            temporal = mapping(shape, self.dataflow)[2]
            per_fold, tail = fold_cycles(arch.rows, arch.cols, temporal), 0
            if self.overlap_drain:  # the drain leaves the fold; the last one is exposed
                per_fold, tail = per_fold - arch.rows, arch.rows
            schedule = event_timing if self.transfers.mode == "event" else fast_timing
            cached = self._timings[shape] = schedule(plan, per_fold, self.transfers, tail)
        return cached

    def gemm_ledger(self, shape: GemmShape) -> tuple[int, dict[str, float], dict[str, float]]:
        """(cycles, action counts, details) of one GEMM."""
        arch = self.arch
        compute = gemm_cycles(shape, arch.rows, arch.cols, self.dataflow, self.overlap_drain)
        traffic = sram_traffic(shape, arch.rows, arch.cols, self.dataflow)
        timing = self.memory_timing(shape)
        if timing is None:
            dram_read, dram_write = dram_traffic_bits(shape, traffic, arch.sram, arch.cols,
                                                     self.dataflow)
            cycles, stall = compute, 0
            folds_detail: dict[str, float] = {}
        else:
            a_bytes, b_bytes, psum_bytes, written = timing.traffic
            dram_read, dram_write = (a_bytes + b_bytes + psum_bytes) * 8, written * 8
            cycles, stall = timing.total, timing.stall
            folds_detail = {
                "dram_a_bytes": a_bytes, "dram_b_bytes": b_bytes,
                "dram_psum_read_bytes": psum_bytes,
                "peak_dram_read_bytes_per_cycle": timing.peak_read,
                "peak_dram_write_bytes_per_cycle": timing.peak_write}
        sram_read = ((traffic.a_reads + traffic.b_reads) * OPERAND_BITS
                     + traffic.c_reads * ACCUMULATOR_BITS)
        counts: dict[str, float] = {
            "array.mac_int8.mac": shape.macs,
            "array.reg.write_bit": shape.macs * REG_BITS_PER_MAC,
            "sram.read_bit": sram_read,
            "sram.write_bit": traffic.c_writes * ACCUMULATOR_BITS + dram_read,
            "dram.read_bit": dram_read,
            "dram.write_bit": dram_write,
        }
        details = {
            "compute_cycles": compute, "stall_cycles": stall,
            "read_bytes": dram_read / 8, "write_bytes": dram_write / 8,
            "sram_a_read_bytes": traffic.a_reads * OPERAND_BITS / 8,
            "sram_b_read_bytes": traffic.b_reads * OPERAND_BITS / 8,
            "sram_c_bytes": (traffic.c_reads + traffic.c_writes) * ACCUMULATOR_BITS / 8,
            **folds_detail}
        return cycles, counts, details

    def op_record(self, op: Op, start: int) -> OpRecord:
        """Cycles and actions of one trace op starting at cycle ``start``."""
        check_op(op)
        gemms = to_gemms(op)
        if len(gemms) == 1 and gemms[0][1] == 1:  # one GEMM once: the sums below, unrolled
            shape = gemms[0][0]
            cycles, counts, detail = self.gemm_ledger(shape)
            macs = shape.macs
            actions = {key: float(value) for key, value in counts.items()}
            detail = {key: float(value) for key, value in detail.items()}
            return self._record(op, start, cycles, macs, actions, detail)
        cycles = macs = 0
        actions = {}  # summed as Ledger.merge does (keys are well formed)
        detail = {}
        for shape, count in gemms:
            gemm_cycles_, counts, gemm_detail = self.gemm_ledger(shape)
            cycles += gemm_cycles_ * count
            macs += shape.macs * count
            for key, value in counts.items():
                actions[key] = actions.get(key, 0.0) + float(value * count)
            for key, value in gemm_detail.items():
                if key in DETAIL_PEAKS:
                    detail[key] = max(detail.get(key, 0.0), value)
                else:
                    detail[key] = detail.get(key, 0.0) + value * count
        return self._record(op, start, cycles, macs, actions, detail)

    def _record(self, op: Op, start: int, cycles: int, macs: int, actions: dict[str, float],
                detail: dict[str, float]) -> OpRecord:
        """The record of ``op`` from its summed cycles, MACs, action counts and details."""
        pes = self.arch.rows * self.arch.cols
        detail["utilisation"] = macs / (pes * cycles) if cycles else 0.0
        compute = detail.get("compute_cycles", 0)
        detail["compute_utilisation"] = macs / (pes * compute) if compute else 0.0
        return OpRecord(op.name, op.kind, "array", start, start + cycles, macs,
                        {k: actions[k] for k in sorted(actions)},
                        {k: v if k in FLOAT_DETAILS else int(v) for k, v in detail.items()})

    def run(self, trace: Trace, seed: int) -> Result:
        """Simulate ``trace`` (ops back to back on the array). ``seed`` is unused: no randomness."""
        ops: list[OpRecord] = []
        totals: dict[str, float] = {}  # summed as Ledger.merge does, validated once below
        now = 0
        for op in trace.ops:
            record = self.op_record(op, now)
            ops.append(record)
            for key, value in record.ledger.items():
                totals[key] = totals.get(key, 0.0) + value
            now = record.end
        ledger = Ledger(totals)
        arch = self.arch
        pes = arch.rows * arch.cols
        macs = sum(r.macs for r in ops)
        inventory = {
            "array.mac_int8": float(pes),
            "array.reg": float(pes * REGISTER_BITS_PER_PE),
            "sram": float((arch.sram.a_kib + arch.sram.b_kib + arch.sram.c_kib) * 8192),
        }
        return Result.new(name=trace.name, cycles=now, freq_hz=arch.freq_mhz * 1e6, ops=ops,
                          ledger=ledger, inventory=inventory,
                          utilisation={"array": macs / (pes * now) if now else 0.0})
