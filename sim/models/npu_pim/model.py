"""The ``npu_pim`` model: builds the system, runs a trace, returns a Result.

Per-stage output: every op record carries ``detail.stage`` (``L<layer>.A``/``.B``/``.E``, or
``A``..``F`` when sub-batches are pipelined), ``compute_cycles``, ``read_bytes`` and
``write_bytes``; PIM attention records also ``pim_busy_per_channel`` (NPU cycles). The metrics
hold ``stage.<X>.cycles``, ``stage.<X>.pim_busy_mean`` and ``stage.<X>.pim_busy_max`` per stage
kind, summed over layers (:func:`stage_metrics`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.core.ledger import Ledger
from sim.core.result import OpRecord, Result
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.gpu import Gpu, resolve
from sim.models.npu_pim.pim import comp_spacing
from sim.models.npu_pim.system import OP_KINDS, StageRun, SystemModel, check_kinds, pieces
from sim.tech.table import load_tables
from sim.workload.trace import AttentionOp, EltwiseOp, GemmOp, GemvOp, Op, Trace

SUPPORTED_KINDS = OP_KINDS
RunParts = tuple[int, list[OpRecord], Ledger, dict[str, float], dict[str, int]]


def _detail_int(trace: Trace, key: str, default: int) -> int:
    value = trace.provenance.details.get(key, default)
    return int(value) if isinstance(value, int | float) else default


def trace_batch(trace: Trace) -> int:
    """Batch of a decode trace: provenance detail ``batch``, else the largest GEMM M."""
    ms = [op.m for op in trace.ops if isinstance(op, GemmOp)]
    return _detail_int(trace, "batch", max(ms) if ms else 1)


def stage_metrics(stages: list[StageRun]) -> dict[str, float]:
    """``stage.<X>.cycles`` / ``.pim_busy_mean`` / ``.pim_busy_max`` per stage kind X (A, B, E,
    or A..F pipelined), summed over the layers: one layer gives that layer's stages."""
    cycles: dict[str, float] = {}
    busy: dict[str, npt.NDArray[np.float64]] = {}
    for stage in stages:
        kind = stage.name.rsplit(".", 1)[-1]
        cycles[kind] = cycles.get(kind, 0.0) + stage.end - stage.start
        busy[kind] = busy.get(kind, np.zeros_like(stage.pim_busy)) + stage.pim_busy
    out: dict[str, float] = {}
    for kind in cycles:
        out[f"stage.{kind}.cycles"] = cycles[kind]
        out[f"stage.{kind}.pim_busy_mean"] = float(np.mean(busy[kind]))
        out[f"stage.{kind}.pim_busy_max"] = float(np.max(busy[kind]))
    return out


class NpuPimModel:
    """Runs traces on an :class:`NpuPimArch`."""

    def __init__(self, arch: NpuPimArch) -> None:
        self.arch = arch

    def run(self, trace: Trace, seed: int) -> Result:
        """Simulate one decode step (``seed`` unused: the trace carries its own randomness)."""
        check_kinds(trace)
        if self.arch.system == "gpu":
            cycles, records, ledger, metrics, busy = self._run_gpu(trace)
        else:
            cycles, records, ledger, metrics, busy = self._run_npu(trace)
        metrics.update(self._throughput(trace, cycles))
        util = {unit: (b / cycles if cycles else 0.0) for unit, b in busy.items()}
        return Result.new(name=trace.name, cycles=cycles, freq_hz=self.arch.npu.freq_mhz * 1e6,
                          ops=records, ledger=ledger, inventory=self._inventory(),
                          utilisation=util, metrics=metrics)

    def _throughput(self, trace: Trace, cycles: int) -> dict[str, float]:
        batch = trace_batch(trace)
        layers = _detail_int(trace, "layers", 1)
        model_layers = _detail_int(trace, "model_layers", layers)
        pp = _detail_int(trace, "pp", 1)
        tp = _detail_int(trace, "tp", 1)
        seconds = cycles / (self.arch.npu.freq_mhz * 1e6)
        stage = seconds * model_layers / layers / pp
        return {
            "batch": float(batch),
            "tokens_per_s": batch / stage if stage else 0.0,
            "seconds_per_iteration_stage": stage,
            "cycles_per_layer": cycles / layers,
            # Energy of the whole model per token = trace energy x this (TP devices, all layers).
            "energy_scale_per_token": tp * model_layers / layers / batch,
        }

    def _inventory(self) -> dict[str, float]:
        arch = self.arch
        if arch.system == "gpu":
            return {f"gpu.{arch.gpu.preset}": 1.0}
        rows, cols = arch.npu.array
        inv = {
            "npu.mac_fp16": float(arch.npu.arrays * rows * cols),
            "npu.vector.lane": float(arch.npu.vector.cores * arch.npu.vector.lanes),
            "npu.sram": float(arch.npu.sram_kib * 8192),
        }
        if arch.system in ("naive_pim", "neupims"):
            org = arch.hbm_config().org
            inv["pim.mac_fp16"] = float(arch.memory.pim.lanes * org.banks_per_channel
                                        * org.channels)
        return inv

    def _run_npu(self, trace: Trace) -> RunParts:
        arch = self.arch
        sysm = SystemModel(arch)
        batch = trace_batch(trace)
        run = sysm.run(trace, batch)
        cycles = run.cycles
        ledger = sysm.ledger
        org = sysm.hbm.org
        ledger.add("hbm.background_ns", cycles / (arch.npu.freq_mhz * 1e-3) * org.channels)
        rows, cols = arch.npu.array
        c = sysm.counts
        hbm_cycles = cycles / sysm.ratio
        peak_bytes = org.channel_bytes_per_cycle * org.channels * hbm_cycles
        # PIM MAC slots: every lane of every bank can start one MAC per COMP spacing.
        pim_slots = (hbm_cycles * org.channels * org.banks_per_channel * arch.memory.pim.lanes
                     / comp_spacing(sysm.hbm, sysm.pim))
        metrics: dict[str, float] = {
            "npu_mac_utilisation": c["macs_npu"] / (arch.npu.arrays * rows * cols * cycles)
            if cycles else 0.0,
            "pim_mac_utilisation": c["macs_pim"] / pim_slots if pim_slots else 0.0,
            "pim_channel_busy": c["pim_busy"] / (hbm_cycles * org.channels) if cycles else 0.0,
            "hbm_bandwidth_utilisation": c["hbm_bytes"] / peak_bytes if peak_bytes else 0.0,
            "hbm_bytes": c["hbm_bytes"],
            "pim_commands": c["pim_commands"],
            "dram_requests": c["dram_requests"],
            "sub_batches": float(sysm.sub_batches(batch)),
        }
        metrics.update(stage_metrics(run.stages))
        return cycles, run.records, ledger, metrics, run.busy

    def _run_gpu(self, trace: Trace) -> RunParts:
        arch = self.arch
        gpu = resolve(arch.gpu, load_tables(arch.tech.node_nm))
        freq = arch.npu.freq_mhz * 1e6
        records: list[OpRecord] = []
        now = 0
        hbm_bytes = 0.0
        for piece in pieces(trace):
            for rec, nbytes in self._gpu_piece(gpu, piece.ops):
                cyc = rec.end
                rec.start, rec.end = now, now + cyc
                rec.detail.update(layer=piece.layer, part=piece.part,
                                  stage=f"L{piece.layer}.{piece.part}")
                records.append(rec)
                hbm_bytes += nbytes
                now += cyc
        ledger = Ledger({f"{gpu.name}.active_ns": now / freq * 1e9})
        metrics = {"analytic_gpu": 1.0, "hbm_bytes": hbm_bytes,
                   "gpu_launch_us": gpu.launch_s * 1e6,
                   "hbm_bandwidth_utilisation": hbm_bytes / (gpu.bandwidth * now / freq)
                   if now else 0.0}
        return now, records, ledger, metrics, {"gpu": now}

    def _gpu_piece(self, gpu: Gpu, ops: list[Op]) -> list[tuple[OpRecord, float]]:
        """Records (duration in ``end``) and DRAM bytes of one piece's kernels."""
        freq = self.arch.npu.freq_mhz * 1e6
        out: list[tuple[OpRecord, float]] = []
        att = [op for op in ops if isinstance(op, AttentionOp)]
        if att:
            att_flops = [4.0 * o.q_len * o.kv_len * o.heads * o.head_dim for o in att]
            att_bytes = [2.0 * o.kv_len * o.heads * o.head_dim * o.b_bits / 8 for o in att]
            if self.arch.gpu.attention == "per_request":
                for o, f, b in zip(att, att_flops, att_bytes, strict=True):
                    cyc = round(gpu.seconds(f, b) * freq)
                    out.append((OpRecord(o.name, "attention", "gpu", 0, cyc, int(f // 2), {},
                                         {"read_bytes": b, "kernels": 1}), b))
            else:
                cyc = round(gpu.seconds(sum(att_flops), sum(att_bytes)) * freq)
                out.append((OpRecord(att[0].name.rsplit(".", 1)[0], "attention", "gpu", 0, cyc,
                                     int(sum(att_flops) // 2), {},
                                     {"read_bytes": sum(att_bytes), "requests": len(att),
                                      "kernels": 1}), sum(att_bytes)))
            return out
        for op in ops:
            if isinstance(op, GemmOp | GemvOp):
                m = op.m if isinstance(op, GemmOp) else op.batch
                flops = 2.0 * m * op.n * op.k
                nbytes = (m * op.k * op.a_bits + op.k * op.n * op.b_bits
                          + m * op.n * op.out_bits) / 8
            else:
                assert isinstance(op, EltwiseOp)
                flops, nbytes = 0.0, 2.0 * op.elements * op.a_bits / 8
            cyc = round(gpu.seconds(flops, nbytes) * freq)
            out.append((OpRecord(op.name, op.kind, "gpu", 0, cyc, int(flops // 2), {},
                                 {"read_bytes": nbytes, "kernels": 1}), nbytes))
        return out
