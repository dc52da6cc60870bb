"""The four systems on one trace: GPU roofline, NPU-only, naive NPU+PIM, NeuPIMs-style.

The trace is cut into *segments*: maximal runs of attention ops (one per request) and runs of
everything else (GEMMs and element-wise ops, NPU work). Each segment becomes one task per
sub-batch; SimPy runs the sub-batch chains over the NPU and PIM resources, so one sub-batch's
GEMMs overlap the other's attention on PIM exactly when the resources allow it:

* ``npu``: attention on the NPU's vector unit, KV read through HBM (per-channel transfer time).
* ``naive_pim``: attention on PIM, one sub-batch, single row buffer: NPU tasks also hold the
  memory, so PIM and normal accesses never overlap.
* ``neupims``: dual row buffers, ``sub_batches`` interleaved (when the batch is large enough),
  KV caches placed by channel load balancing; NPU weight streams lose the bandwidth that
  concurrent PIM tiles take (activation windows, command and data buses), as measured on the
  event-driven channel model. Weights of an NPU segment that fit in the SRAM are loaded once
  for both sub-batches.
* ``gpu``: analytic roofline per op, no cycle-level model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.core.engine import Engine
from sim.core.engine import Task as EngineTask
from sim.core.errors import UnsupportedOpError
from sim.core.ledger import Ledger
from sim.core.result import OpRecord
from sim.hw.dram.config import HbmConfig
from sim.hw.dram.pim_channel import dual_mode_stream_loss
from sim.hw.dram.stream import stream_efficiency, transfer_ledger
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.npu import gemm_timing, gemv_vector_cycles, vector_cycles, vector_ops
from sim.models.npu_pim.pim import (
    PimParams,
    assign_channels,
    attention_on_pim,
    head_cycles,
    split_sub_batches,
)
from sim.workload.trace import AttentionOp, EltwiseOp, GemmOp, GemvOp, Op, Trace

IntArray = npt.NDArray[np.int64]
OP_KINDS = ("gemm", "gemv", "attention", "eltwise")


@dataclass
class Segment:
    """A run of ops of one kind: ``attn`` (attention ops, one per request) or ``npu``."""

    kind: str
    ops: list[Op]


@dataclass
class Task:
    """Work of one segment for one sub-batch on one unit, with its op records (relative)."""

    name: str
    unit: str  # npu | pim
    cycles: int
    sub_batch: int
    records: list[OpRecord] = field(default_factory=list)
    start: int = 0
    warm: bool = False
    """NPU task that relies on the previous NPU task having loaded the same weights."""


def segments(trace: Trace) -> list[Segment]:
    """Cut the trace into attention and NPU segments; unsupported kinds raise."""
    out: list[Segment] = []
    for op in trace.ops:
        if op.kind not in OP_KINDS:
            raise UnsupportedOpError(f"op {op.name!r} of kind {op.kind!r} is not supported by "
                                     "family npu_pim", accepted=", ".join(OP_KINDS))
        kind = "attn" if op.kind == "attention" else "npu"
        if out and out[-1].kind == kind:
            out[-1].ops.append(op)
        else:
            out.append(Segment(kind, [op]))
    return out


class SystemModel:
    """Schedules a trace on one of the four systems described by ``arch``."""

    def __init__(self, arch: NpuPimArch) -> None:
        self.arch = arch
        self.hbm: HbmConfig = arch.hbm_config()
        self.pim = PimParams(lanes=arch.memory.pim.lanes,
                             fused=arch.memory.pim.fused_comps_readres)
        self.ratio = arch.npu.freq_mhz / self.hbm.org.freq_mhz  # NPU cycles per HBM cycle
        self.ledger = Ledger()
        self.counts: dict[str, float] = {"pim_commands": 0.0, "dram_requests": 0.0,
                                         "macs_npu": 0.0, "macs_pim": 0.0, "hbm_bytes": 0.0}
        self.bus_share = 0.0  # share of channel buses taken by concurrent PIM work

    # -- helpers ---------------------------------------------------------------------------
    @property
    def uses_pim(self) -> bool:
        """Whether attention runs on PIM."""
        return self.arch.system in ("naive_pim", "neupims")

    def hbm_to_npu(self, hbm_cycles: float) -> int:
        """Convert HBM command-clock cycles to NPU cycles (rounded up)."""
        return int(np.ceil(hbm_cycles * self.ratio))

    def channel_rate(self) -> float:
        """Sustained bytes per HBM cycle of one channel on sequential streams."""
        return self.hbm.org.channel_bytes_per_cycle * stream_efficiency(self.hbm)

    def read_cycles(self, nbytes: float) -> int:
        """NPU cycles to stream ``nbytes`` over all channels (less the PIM bus share)."""
        rate = self.channel_rate() * self.hbm.org.channels * (1.0 - self.bus_share)
        return self.hbm_to_npu(nbytes / rate) if nbytes > 0 else 0

    def add_hbm(self, nbytes: float, write: bool = False) -> None:
        """Account a bulk transfer's DRAM commands in the ledger."""
        if nbytes > 0:
            self.ledger.merge(transfer_ledger(self.hbm, nbytes, write))
            self.counts["dram_requests"] += nbytes / self.hbm.org.request_bytes
            self.counts["hbm_bytes"] += nbytes

    # -- NPU segments ----------------------------------------------------------------------
    def npu_op(self, op: Op, share: float, rows: int, batch: int,
               warm: bool = False) -> tuple[int, OpRecord]:
        """(cycles, record) of one GEMM/GEMV/eltwise op for a sub-batch of ``rows`` requests;
        ``warm``: the weights are still in SRAM from the previous sub-batch (no DMA)."""
        npu = self.arch.npu
        if isinstance(op, GemmOp | GemvOp):
            m = op.m if isinstance(op, GemmOp) else op.batch
            m_s = rows if m == batch else max(1, int(np.ceil(m * share)))
            g = gemm_timing(npu, m_s, op.k, op.n, op.a_bits)
            wbytes = op.k * op.n * op.b_bits / 8
            dma = 0 if warm else self.read_cycles(wbytes)
            if not warm:
                self.add_hbm(wbytes)
                self.ledger.add("npu.sram.write_bit", wbytes * 8)
            self.ledger.add("npu.mac_fp16.mac", g.macs)
            self.ledger.add("npu.sram.read_bit", g.sram_read_bits)
            self.ledger.add("npu.sram.write_bit", g.sram_write_bits)
            self.counts["macs_npu"] += g.macs
            cyc = max(g.cycles, dma)
            detail = {"compute_cycles": g.cycles, "dma_cycles": dma, "weights_resident": warm}
            return cyc, OpRecord(op.name, op.kind, "npu", 0, cyc, g.macs, {}, detail)
        assert isinstance(op, EltwiseOp)
        elems = max(1, int(np.ceil(op.elements * share)))
        cyc = vector_cycles(npu, op.function, elems)
        self.ledger.add("npu.vector.op", vector_ops(op.function, elems))
        self.ledger.add("npu.sram.read_bit", elems * op.a_bits)
        self.ledger.add("npu.sram.write_bit", elems * op.a_bits)
        return cyc, OpRecord(op.name, op.kind, "vector", 0, cyc, 0, {}, {})

    def segment_fits_sram(self, seg: Segment, rows: int) -> bool:
        """Whether all weights of an NPU segment plus one op's activations fit in the SRAM."""
        weights = sum(op.k * op.n * op.b_bits / 8 for op in seg.ops
                      if isinstance(op, GemmOp | GemvOp))
        acts = max((rows * (op.k + op.n) * op.a_bits / 8 for op in seg.ops
                    if isinstance(op, GemmOp | GemvOp)), default=0.0)
        return weights > 0 and weights + acts <= self.arch.npu.sram_kib * 1024

    def npu_task(self, seg: Segment, s: int, rows: int, batch: int, tag: str,
                 warm: bool = False) -> Task:
        """All ops of an NPU segment for sub-batch ``s`` back to back (``warm``: weights
        resident in SRAM from the previous sub-batch's run of the same segment)."""
        now, recs = 0, []
        for op in seg.ops:
            cyc, rec = self.npu_op(op, rows / batch, rows, batch, warm)
            rec.name += tag
            rec.start, rec.end = now, now + cyc
            rec.detail["sub_batch"] = s
            recs.append(rec)
            now += cyc
        return Task(seg.ops[0].name + tag, "npu", now, s, recs, warm=warm)

    # -- attention segments ----------------------------------------------------------------
    def attention_task(self, ops: list[AttentionOp], idx: IntArray, channel: IntArray, s: int,
                       tag: str) -> Task:
        """Attention of the requests ``idx`` (indices into ``ops``) of sub-batch ``s``."""
        if self.uses_pim:
            return self._pim_attention(ops, idx, channel, s, tag)
        return self._npu_attention(ops, idx, channel, s, tag)

    def _softmax(self, ops: list[AttentionOp], idx: IntArray) -> int:
        total = 0
        for i in idx:
            op = ops[int(i)]
            n = op.heads * op.kv_len * op.q_len
            total += vector_cycles(self.arch.npu, "softmax", n)
            self.ledger.add("npu.vector.op", vector_ops("softmax", n))
        return total

    def _npu_attention(self, ops: list[AttentionOp], idx: IntArray, channel: IntArray, s: int,
                       tag: str) -> Task:
        kv_bytes = np.array([2 * o.kv_len * o.heads * o.head_dim * o.b_bits // 8
                             for o in (ops[int(i)] for i in idx)], dtype=np.float64)
        macs = np.array([2 * o.q_len * o.kv_len * o.heads * o.head_dim
                         for o in (ops[int(i)] for i in idx)], dtype=np.int64)
        # Plain HBM interleaves every KV cache over all channels (address mapping), so the KV
        # stream uses the whole device bandwidth.
        dma = self.read_cycles(float(kv_bytes.sum()))
        vec = gemv_vector_cycles(self.arch.npu, int(macs.sum()))
        soft = self._softmax(ops, idx)
        self.add_hbm(float(kv_bytes.sum()))
        self.ledger.add("npu.vector.mac", float(macs.sum()))
        self.counts["macs_npu"] += float(macs.sum())
        cycles = max(dma, vec) + soft
        recs = self._request_records(ops, idx, channel[idx], kv_bytes / self.channel_rate(),
                                     "npu", s, tag, macs)
        return Task(ops[0].name.rsplit(".", 1)[0] + tag, "npu", cycles, s, recs)

    def _pim_attention(self, ops: list[AttentionOp], idx: IntArray, channel: IntArray, s: int,
                       tag: str) -> Task:
        org = self.hbm.org
        sel = [ops[int(i)] for i in idx]
        kv = np.array([o.kv_len for o in sel], dtype=np.int64)
        logit = np.zeros(len(sel), np.int64)
        attend = np.zeros(len(sel), np.int64)
        for heads, hd in {(o.heads, o.head_dim) for o in sel}:
            mask = np.array([(o.heads, o.head_dim) == (heads, hd) for o in sel])
            a = attention_on_pim(self.hbm, self.pim, kv[mask], heads, hd)
            logit[mask], attend[mask] = a.logit, a.attend
            self._pim_ledger(a, int(mask.sum()), heads, hd, kv[mask])
        ch = channel[idx]
        lg = np.bincount(ch, weights=logit, minlength=org.channels).max() if len(sel) else 0
        at = np.bincount(ch, weights=attend, minlength=org.channels).max() if len(sel) else 0
        soft = self._softmax(ops, idx)
        cycles = self.hbm_to_npu(lg) + soft + self.hbm_to_npu(at)
        macs = np.array([2 * o.q_len * o.kv_len * o.heads * o.head_dim for o in sel], np.int64)
        recs = self._request_records(ops, idx, ch, (logit + attend).astype(np.float64), "pim", s,
                                     tag, macs)
        return Task(ops[0].name.rsplit(".", 1)[0] + tag, "pim", cycles, s, recs)

    def _pim_ledger(self, a: object, n: int, heads: int, hd: int, kv: IntArray) -> None:
        from sim.models.npu_pim.pim import AttentionOnPim

        assert isinstance(a, AttentionOnPim)
        fused = self.pim.fused
        for key, arr in (("gwrite", a.gwrite), ("gact", a.gact), ("pre", a.pre),
                         ("comp", a.comp), ("readres", a.readres)):
            self.ledger.add(f"pim.{key}", float(arr.sum()))
        cmds = a.gwrite.sum() + a.gact.sum() + a.pre.sum()
        cmds += a.readres.sum() if fused else a.comp.sum() + a.readres.sum()
        self.counts["pim_commands"] += float(cmds)
        self.counts["macs_pim"] += float(2 * heads * hd * kv.sum())
        self.counts["pim_busy"] = self.counts.get("pim_busy", 0.0) + float(a.cycles.sum())
        # Results cross the channel data bus: READRES bursts and the COMP/READRES commands.
        burst = self.hbm.org.burst_cycles
        data = float(a.readres.sum()) * burst
        col_cmds = float(a.readres.sum() if fused else a.comp.sum() + a.readres.sum())
        self.counts["pim_bus"] = self.counts.get("pim_bus", 0.0) + max(data, col_cmds)

    def _request_records(self, ops: list[AttentionOp], idx: IntArray, ch: IntArray,
                         cost: npt.NDArray[np.float64], unit: str, s: int, tag: str,
                         macs: IntArray) -> list[OpRecord]:
        """One record per request, placed back to back on its channel (HBM cycles scaled)."""
        recs: list[OpRecord] = []
        order = np.argsort(ch, kind="stable")
        ends = np.zeros(len(idx))
        for c in np.unique(ch):
            sel = order[ch[order] == c]
            ends[sel] = np.cumsum(cost[sel])
        starts = ends - cost
        for j, i in enumerate(idx):
            op = ops[int(i)]
            recs.append(OpRecord(op.name + tag, op.kind, unit, self.hbm_to_npu(starts[j]),
                                 self.hbm_to_npu(ends[j]), int(macs[j]), {},
                                 {"channel": int(ch[j]), "sub_batch": s}))
        return recs

    # -- whole trace -----------------------------------------------------------------------
    def plan(self, trace: Trace, batch: int) -> list[list[Task]]:
        """Task chains, one per sub-batch. In dual mode with sub-batching, NPU weight streams
        are slowed by the PIM interference measured on the event-driven channel
        (:func:`sim.hw.dram.pim_channel.dual_mode_stream_loss`), weighted by the share of an
        NPU task's time that the other sub-batch's attention overlaps (from a dry run)."""
        subs = self._sub_batches(batch)
        dual = self.uses_pim and self.arch.memory.pim.row_buffers == 2
        if subs > 1 and dual and any(op.kind == "attention" for op in trace.ops):
            dry = SystemModel(self.arch)._build(trace, batch)
            pim = sum(t.cycles for t in dry[0] if t.unit == "pim")
            npu = sum(t.cycles for t in dry[0] if t.unit == "npu")
            att = next(op for op in trace.ops if isinstance(op, AttentionOp))
            per_chunk = max(1, min(att.heads, self.hbm.org.row_bytes // self.pim.elem_bytes
                                   // att.head_dim))
            comps = -(-att.head_dim // self.pim.lanes)
            loss = dual_mode_stream_loss(self.hbm, per_chunk,
                                         int(head_cycles(self.hbm, self.pim, comps)))
            self.bus_share = loss * min(1.0, pim / npu) if npu else 0.0
        return self._build(trace, batch)

    def _sub_batches(self, batch: int) -> int:
        arch = self.arch
        if arch.system == "neupims" and batch >= arch.sub_batch_min_batch:
            return min(arch.sub_batches, batch)
        return 1

    def _build(self, trace: Trace, batch: int) -> list[list[Task]]:
        """Task chains with the current ``bus_share``."""
        segs = segments(trace)
        arch = self.arch
        chans = self.hbm.org.channels
        subs = self._sub_batches(batch)
        first_attn = next((sg for sg in segs if sg.kind == "attn"), None)
        channel, member = np.zeros(0, np.int64), np.zeros(0, np.int64)
        if first_attn is not None:
            att = [op for op in first_attn.ops if isinstance(op, AttentionOp)]
            kv = np.array([o.kv_len for o in att], dtype=np.int64)
            cost = attention_on_pim(self.hbm, self.pim, kv, att[0].heads, att[0].head_dim).cycles
            policy = arch.memory.pim.channel_mapping if arch.system == "neupims" else "rr"
            channel = assign_channels(cost, chans, policy)
            member = split_sub_batches(channel, subs)
        chains: list[list[Task]] = [[] for _ in range(subs)]
        for s in range(subs):
            rows = int((member == s).sum()) if len(member) else -(-batch // subs)
            tag = f"@sb{s}" if subs > 1 else ""
            for seg in segs:
                if seg.kind == "npu":
                    warm = s > 0 and self.segment_fits_sram(seg, max(rows, 1))
                    chains[s].append(self.npu_task(seg, s, max(rows, 1), batch, tag, warm))
                else:
                    att = [op for op in seg.ops if isinstance(op, AttentionOp)]
                    ch = channel if len(channel) == len(att) else np.arange(len(att)) % chans
                    mem = member if len(member) == len(att) else np.arange(len(att)) % subs
                    idx = np.nonzero(mem == s)[0]
                    chains[s].append(self.attention_task(att, idx, ch, s, tag))
        return chains

    def schedule(self, chains: list[list[Task]]) -> int:
        """Run the chains on the shared event engine (one NPU and one PIM unit; in blocked mode
        an NPU task also holds the PIM); sets each task's start and returns the makespan (NPU
        cycles). Counts NPU tasks that relied on weights the previous NPU task did not load."""
        engine = Engine()
        engine.add_unit("npu")
        engine.add_unit("pim")
        blocked = self.uses_pim and self.arch.memory.pim.row_buffers == 1
        tasks = {}
        for chain in chains:
            for i, task in enumerate(chain):
                holds = ("pim",) if blocked and task.unit == "npu" else ()
                deps = [chain[i - 1].name] if i else []
                tasks[task.name] = EngineTask(task.name, task.unit, task.cycles, deps, task, holds)
        engine.run(tasks.values())
        for span in engine.spans:
            span.task.payload.start = span.start_ps
        npu_order = sorted((s for s in engine.spans if s.task.unit == "npu"),
                           key=lambda s: s.start_ps)
        self.counts["weight_reuse_violations"] = float(sum(
            1 for prev, cur in zip([None, *npu_order], npu_order, strict=False)
            if cur.task.payload.warm
            and (prev is None or prev.task.name.split("@")[0] != cur.task.name.split("@")[0])))
        return engine.makespan_ps
