"""The ``npu_pim`` model: builds the system, runs a trace, returns a Result."""

from __future__ import annotations

from sim.core.ledger import Ledger
from sim.core.result import OpRecord, Result
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.gpu import roofline_seconds
from sim.models.npu_pim.pim import comp_spacing
from sim.models.npu_pim.system import OP_KINDS, SystemModel, segments
from sim.workload.trace import AttentionOp, EltwiseOp, GemmOp, GemvOp, Trace

SUPPORTED_KINDS = OP_KINDS
RunParts = tuple[int, list[OpRecord], Ledger, dict[str, float], dict[str, int]]


def _detail_int(trace: Trace, key: str, default: int) -> int:
    value = trace.provenance.details.get(key, default)
    return int(value) if isinstance(value, int | float) else default


def trace_batch(trace: Trace) -> int:
    """Batch of a decode trace: provenance detail ``batch``, else the largest GEMM M."""
    ms = [op.m for op in trace.ops if isinstance(op, GemmOp)]
    return _detail_int(trace, "batch", max(ms) if ms else 1)


class NpuPimModel:
    """Runs traces on an :class:`NpuPimArch`."""

    def __init__(self, arch: NpuPimArch) -> None:
        self.arch = arch

    def run(self, trace: Trace, seed: int) -> Result:
        """Simulate one decode step (``seed`` unused: the trace carries its own randomness)."""
        segments(trace)  # rejects unsupported op kinds up front
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
            return {"gpu": 1.0}
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
        chains = sysm.plan(trace, batch)
        cycles = sysm.schedule(chains)
        records: list[OpRecord] = []
        busy = {"npu": 0, "pim": 0}
        stage: dict[str, float] = {}
        for chain in chains:
            for task in chain:
                busy[task.unit] += task.cycles
                kind = task.name.split("@")[0].split(".", 1)[-1]
                stage[f"cycles.{task.unit}.{kind}"] = stage.get(
                    f"cycles.{task.unit}.{kind}", 0.0) + task.cycles
                for rec in task.records:
                    rec.start += task.start
                    rec.end += task.start
                    rec.detail["task"] = task.name
                    records.append(rec)
        ledger = sysm.ledger
        org = sysm.hbm.org
        ns = cycles / (arch.npu.freq_mhz * 1e-3)
        ledger.add("hbm.background_ns", ns * org.channels)
        rows, cols = arch.npu.array
        c = sysm.counts
        peak_bytes = org.channel_bytes_per_cycle * org.channels * cycles / sysm.ratio
        hbm_cycles = cycles / sysm.ratio
        # PIM MAC slots: every lane of every bank can start one MAC per COMP spacing.
        pim_slots = (hbm_cycles * org.channels * org.banks_per_channel * arch.memory.pim.lanes
                     / comp_spacing(sysm.hbm, sysm.pim))
        metrics = {
            "npu_mac_utilisation": c["macs_npu"] / (arch.npu.arrays * rows * cols * cycles)
            if cycles else 0.0,
            "pim_mac_utilisation": c["macs_pim"] / pim_slots if pim_slots else 0.0,
            "pim_channel_busy": c.get("pim_busy", 0.0) / (cycles / sysm.ratio * org.channels)
            if cycles else 0.0,
            "hbm_bandwidth_utilisation": c["hbm_bytes"] / peak_bytes if peak_bytes else 0.0,
            "hbm_bytes": c["hbm_bytes"],
            "pim_commands": c["pim_commands"],
            "dram_requests": c["dram_requests"],
            "pim_bus_share": sysm.bus_share,
            "sub_batches": float(len(chains)),
            "weight_reuse_violations": c.get("weight_reuse_violations", 0.0),
            **stage,
        }
        return cycles, records, ledger, metrics, busy

    def _run_gpu(self, trace: Trace) -> RunParts:
        gpu = self.arch.gpu
        freq = self.arch.npu.freq_mhz * 1e6
        records: list[OpRecord] = []
        now = 0
        hbm_bytes = 0.0
        for seg in segments(trace):
            if seg.kind == "attn":
                att = [op for op in seg.ops if isinstance(op, AttentionOp)]
                flops = sum(4.0 * o.q_len * o.kv_len * o.heads * o.head_dim for o in att)
                nbytes = sum(2.0 * o.kv_len * o.heads * o.head_dim * o.b_bits / 8 for o in att)
                cyc = round(roofline_seconds(gpu, flops, nbytes) * freq)
                records.append(OpRecord(att[0].name.rsplit(".", 1)[0], "attention", "gpu", now,
                                        now + cyc, int(flops // 2), {},
                                        {"requests": len(att)}))
                hbm_bytes += nbytes
                now += cyc
                continue
            for op in seg.ops:
                if isinstance(op, GemmOp | GemvOp):
                    m = op.m if isinstance(op, GemmOp) else op.batch
                    flops = 2.0 * m * op.n * op.k
                    nbytes = (m * op.k * op.a_bits + op.k * op.n * op.b_bits
                              + m * op.n * op.out_bits) / 8
                else:
                    assert isinstance(op, EltwiseOp)
                    flops, nbytes = 0.0, 2.0 * op.elements * op.a_bits / 8
                cyc = round(roofline_seconds(gpu, flops, nbytes) * freq)
                records.append(OpRecord(op.name, op.kind, "gpu", now, now + cyc, int(flops // 2)))
                hbm_bytes += nbytes
                now += cyc
        ledger = Ledger({"gpu.active_ns": now / freq * 1e9})
        metrics = {"analytic_gpu": 1.0, "hbm_bytes": hbm_bytes,
                   "hbm_bandwidth_utilisation": hbm_bytes / (gpu.bandwidth_gbs * 1e9 * now / freq)
                   if now else 0.0}
        return now, records, ledger, metrics, {"gpu": now}
