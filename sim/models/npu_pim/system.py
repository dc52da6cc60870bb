"""The NPU systems on one trace: NPU-only, naive NPU+PIM and NeuPIMs-style, stage by stage.

The trace is cut per decoder layer (ops named ``L<layer>.``) into three parts, as the NeuPIMs
simulator's stage program does: **A** = the NPU ops before the layer's attention (layernorm,
QKV), **B** = the attention (one op per request), **E** = the NPU ops after it (projection,
residuals, layernorm, FFN). Ops without a layer prefix form part A before the first attention
and part E after it.

Without sub-batching the parts run one after another (cycles per layer = A + B + E). NeuPIMs with
sub-batching splits the batch into two halves (per channel, the first and second half of its
requests) and runs a two-unit pipeline of stages: in every stage one sub-batch's NPU work (E of a
layer merged with A of the next) runs beside the other sub-batch's attention on PIM, and the stage
ends when both are done (2 x layers + 2 stages, A..F for two layers). With dual row buffers the
NPU's HBM streams lose bandwidth to concurrent PIM work: per attention phase, the share a busy
channel loses is measured on the event-driven channel with that phase's program
(:func:`sim.hw.dram.pim_channel.program_stream_loss`), and each NPU op advances at the pace of the
channel that loses most over the op's span (:class:`Interference`); with one row buffer NPU and PIM
work of a stage cannot overlap at all.

Attention: on PIM (:mod:`sim.models.npu_pim.pim`), K.q then S.V, each phase ending when the last
request's results are back and softmaxed (NPU vector unit, in request order); on the NPU
(:mod:`sim.models.npu_pim.npu`), per request or as a KV stream. The stage program runs on the
shared event engine (:mod:`sim.core.engine`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.core.engine import Engine
from sim.core.engine import Task as EngineTask
from sim.core.errors import UnsupportedOpError
from sim.core.ledger import Ledger
from sim.core.result import OpRecord
from sim.hw.dram.config import HbmConfig
from sim.hw.dram.pim_channel import PimTile, program_stream_loss
from sim.hw.dram.pim_commands import PimOp
from sim.hw.dram.stream import stream_efficiency, transfer_ledger
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.npu import (
    attention_head_cycles,
    eltwise_bytes,
    gemm_timing,
    gemv_vector_cycles,
    stream_gemm,
    vector_cycles,
    vector_ops,
)
from sim.models.npu_pim.pim import (
    PimParams,
    assign_channels,
    attend_program,
    design,
    issue_order,
    logit_program,
    new_clocks,
    request_cost,
    run_phase,
    split_sub_batches,
)
from sim.workload.trace import AttentionOp, EltwiseOp, GemmOp, GemvOp, Op, Trace

IntArray = npt.NDArray[np.int64]
OP_KINDS = ("gemm", "gemv", "attention", "eltwise")
LAYER = re.compile(r"^L(\d+)\.")


@dataclass
class Piece:
    """Consecutive ops of one layer part: ``A``/``E`` (NPU ops) or ``B`` (attention ops)."""

    layer: int
    part: str
    ops: list[Op]


@dataclass
class Task:
    """One sub-batch's share of one or more pieces on one unit (``npu`` or ``pim``)."""

    unit: str
    sub_batch: int
    pieces: list[Piece]
    cycles: int = 0
    records: list[OpRecord] = field(default_factory=list)
    pim_busy: npt.NDArray[np.float64] | None = None
    pim_spans: dict[str, npt.NDArray[np.float64]] | None = None
    """Per attention phase: the channels' PIM busy spans, rows (begin, end, channel), NPU
    cycles from the task start."""


@dataclass(frozen=True)
class Interference:
    """The PIM busy spans beside an NPU task (rows begin, end, channel; NPU cycles from the
    task start), each with the share of a channel's normal bandwidth its PIM work takes."""

    spans: npt.NDArray[np.float64]
    loss: npt.NDArray[np.float64]
    channels: int

    @property
    def end(self) -> float:
        """The last busy cycle (0 without spans)."""
        return float(self.spans[:, 1].max()) if len(self.spans) else 0.0

    def lost(self, lo: float, hi: float) -> float:
        """Cycles of ``[lo, hi)`` the most hindered channel loses to PIM work: per channel, the
        loss share times its busy cycles in the interval, summed; the maximum over channels."""
        if not len(self.spans) or hi <= lo:
            return 0.0
        overlap = np.clip(np.minimum(self.spans[:, 1], hi) - np.maximum(self.spans[:, 0], lo),
                          0.0, None)
        per_channel = np.bincount(self.spans[:, 2].astype(np.int64), overlap * self.loss,
                                  minlength=self.channels)
        return float(per_channel.max())


@dataclass
class StageRun:
    """One stage: name, start and end (NPU cycles), per-channel PIM busy cycles."""

    name: str
    start: int
    end: int
    pim_busy: npt.NDArray[np.float64]


@dataclass
class SystemRun:
    """Outcome of scheduling: cycles, op records (absolute), stages, busy cycles per unit."""

    cycles: int
    records: list[OpRecord]
    stages: list[StageRun]
    busy: dict[str, int]


def check_kinds(trace: Trace) -> None:
    """Reject op kinds the family does not model."""
    for op in trace.ops:
        if op.kind not in OP_KINDS:
            raise UnsupportedOpError(f"op {op.name!r} of kind {op.kind!r} is not supported by "
                                     "family npu_pim", accepted=", ".join(OP_KINDS))


def pieces(trace: Trace) -> list[Piece]:
    """Cut the trace into layer parts (see the module docstring)."""
    check_kinds(trace)
    out: list[Piece] = []
    seen_attention: set[int] = set()
    for op in trace.ops:
        match = LAYER.match(op.name)
        layer = int(match.group(1)) if match else -1
        if op.kind == "attention":
            part = "B"
            seen_attention.add(layer)
        else:
            part = "E" if layer in seen_attention else "A"
        if out and out[-1].layer == layer and out[-1].part == part:
            out[-1].ops.append(op)
        else:
            out.append(Piece(layer, part, [op]))
    return out


def stage_name(index: int, total: int) -> str:
    """Name of stage ``index`` of ``total`` in a pipelined run: A and B fill the pipeline, E and
    F drain it, the stages between alternate C and D (A..F for two layers; with more layers C
    and D repeat, one pair per layer boundary)."""
    if index < 2:
        return "AB"[index]
    if index >= total - 2:
        return "EF"[index - total + 2]
    return "CD"[index % 2]


LOSS_SAMPLE_OPS = 16
"""Operations of a phase program on which its stream loss is measured (whole blocks)."""


def leading_blocks(prog: list[PimOp], limit: int = LOSS_SAMPLE_OPS) -> list[PimOp]:
    """The leading whole blocks of a PIM program, at most ``limit`` operations but at least
    one block. A phase program repeats one block (a GWRITE and the tiles that use its vector:
    per row chunk of the query for K.q, per head and token chunk for S.V), so the share of a
    stream its blocks take is the same on its first blocks as on all of them, and the replay
    that measures it stays short however many heads the model has."""
    ends = [i for i, op in enumerate(prog) if op.kind == "gwrite" and i > 0] + [len(prog)]
    cut = max([e for e in ends if e <= limit], default=ends[0])
    return prog[:cut]


class SystemModel:
    """Schedules a trace on the ``npu``, ``naive_pim`` or ``neupims`` system of ``arch``."""

    def __init__(self, arch: NpuPimArch) -> None:
        self.arch = arch
        self.hbm: HbmConfig = arch.hbm_config()
        mem = arch.memory.pim
        self.pim = PimParams(lanes=mem.lanes, fused=mem.fused_comps_readres,
                             row_buffers=mem.row_buffers, refresh=mem.refresh,
                             release_at_issue=mem.fused_release == "issue")
        self.ratio = arch.npu.freq_mhz / self.hbm.org.freq_mhz  # NPU cycles per HBM cycle
        self.ledger = Ledger()
        self.counts: dict[str, float] = {"pim_commands": 0.0, "dram_requests": 0.0,
                                         "macs_npu": 0.0, "macs_pim": 0.0, "hbm_bytes": 0.0,
                                         "pim_busy": 0.0}
        self._attention_cache: dict[tuple[Any, ...], tuple[
            int, list[OpRecord], npt.NDArray[np.float64], dict[str, npt.NDArray[np.float64]],
            Ledger, dict[str, float], list[dict[str, float]]]] = {}
        """Per sub-batch key: cycles, records, busy, busy spans per phase, actions, counters
        and each request's own actions (its share of the ledger, for per-op energy)."""

    # -- basics ----------------------------------------------------------------------------
    @property
    def uses_pim(self) -> bool:
        """Whether attention runs on PIM."""
        return self.arch.system in ("naive_pim", "neupims")

    @property
    def blocked(self) -> bool:
        """One row buffer: PIM and normal accesses to a bank never overlap."""
        return self.uses_pim and self.arch.memory.pim.row_buffers == 1

    def bytes_per_cycle(self, share: float = 0.0) -> float:
        """Sustained HBM bytes per NPU cycle over all channels, less a PIM ``share``."""
        org = self.hbm.org
        per_hbm_cycle = org.channel_bytes_per_cycle * stream_efficiency(self.hbm) * org.channels
        return per_hbm_cycle * (1.0 - share) / self.ratio

    def hbm_to_npu(self, hbm_cycles: float) -> int:
        """HBM command-clock cycles to NPU cycles (rounded up)."""
        return int(np.ceil(hbm_cycles * self.ratio))

    def add_hbm(self, nbytes: float, write: bool = False, ledger: Ledger | None = None) -> None:
        """Account a bulk transfer's DRAM commands (in ``ledger``, default the run's)."""
        if nbytes > 0:
            (self.ledger if ledger is None else ledger).merge(
                transfer_ledger(self.hbm, nbytes, write))
            if ledger is None:
                self.counts["dram_requests"] += nbytes / self.hbm.org.request_bytes
                self.counts["hbm_bytes"] += nbytes

    # -- NPU ops ---------------------------------------------------------------------------
    def npu_op(self, op: Op, rows: int, batch: int, share: float) -> tuple[OpRecord, Ledger]:
        """One GEMM/GEMV/element-wise op for a sub-batch of ``rows`` of ``batch`` requests, with
        a ``share`` of the HBM bandwidth taken by concurrent PIM work: its record (at cycle 0)
        and its actions (HBM bursts as ``hbm_bytes_read``/``hbm_bytes_written``)."""
        npu = self.arch.npu
        bw = self.bytes_per_cycle(share)
        sram = npu.sram_kib * 1024.0
        to_hbm = npu.activations == "hbm"
        acts = Ledger()
        if isinstance(op, GemmOp | GemvOp):
            m = op.m if isinstance(op, GemmOp) else op.batch
            m_s = rows if m == batch else max(1, int(np.ceil(m * rows / batch)))
            fits = m_s * (op.k + op.n) * op.a_bits / 8 <= sram / 2
            run = stream_gemm(npu, m_s, op.k, op.n, op.a_bits, bw, sram, to_hbm or not fits)
            g = gemm_timing(npu, m_s, op.k, op.n, op.a_bits)
            acts.add("npu.mac_fp16.mac", g.macs)
            acts.add("npu.sram.read_bit", g.sram_read_bits)
            acts.add("npu.sram.write_bit", g.sram_write_bits + run.read_bytes * 8)
            return OpRecord(op.name, op.kind, "npu", 0, run.cycles, g.macs, {},
                            {"compute_cycles": run.compute_cycles, "read_bytes": run.read_bytes,
                             "write_bytes": run.write_bytes}), acts
        assert isinstance(op, EltwiseOp)
        elems = max(1, int(np.ceil(op.elements * rows / batch)))
        compute = vector_cycles(npu, op.function, elems)
        read, write = eltwise_bytes(op.function, elems, op.a_bits)
        if not to_hbm and read + write <= sram:
            read = write = 0.0
        cycles = max(compute, int(np.ceil((read + write) / bw)))
        acts.add("npu.vector.op", vector_ops(op.function, elems))
        acts.add("npu.sram.read_bit", elems * op.a_bits)
        acts.add("npu.sram.write_bit", elems * op.a_bits)
        return OpRecord(op.name, op.kind, "vector", 0, cycles, 0, {},
                        {"compute_cycles": compute, "read_bytes": read, "write_bytes": write}), acts

    def npu_task(self, task: Task, rows: int, batch: int,
                 beside: Interference | None = None) -> None:
        """Time the NPU ops of ``task`` back to back, each slowed by the PIM work ``beside``
        it (:meth:`op_beside`)."""
        now = 0
        task.records = []
        for piece in task.pieces:
            for op in piece.ops:
                rec, acts = self.op_beside(op, rows, batch, now, beside)
                rec.start, rec.end = now, now + rec.end
                rec.detail.update(layer=piece.layer, part=piece.part, sub_batch=task.sub_batch)
                task.records.append(rec)
                now = rec.end
                self.ledger.merge(acts)
                self.counts["macs_npu"] += rec.macs
                self.add_hbm(float(rec.detail["read_bytes"]))
                self.add_hbm(float(rec.detail["write_bytes"]), write=True)
                self.add_hbm(float(rec.detail["read_bytes"]), ledger=acts)
                self.add_hbm(float(rec.detail["write_bytes"]), write=True, ledger=acts)
                rec.ledger = acts.as_dict()  # the op's own actions: its energy in ops.csv
        task.cycles = now

    def op_beside(self, op: Op, rows: int, batch: int, start: int,
                  beside: Interference | None) -> tuple[OpRecord, Ledger]:
        """One NPU op started at cycle ``start`` beside PIM work (record at cycle 0).

        The op's HBM stream is spread evenly over the channels and an instruction waits for its
        data from every channel, so the op advances at the pace of the channel that loses most:
        over the op's duration D the stream loses the share ``beside.lost(start, start + D) /
        D``. D is the fixed point of that share and the op's timing under it (bisection: a
        longer D takes a smaller share of a channel's busy time)."""
        rec, acts = self.npu_op(op, rows, batch, 0.0)
        if beside is None or start >= beside.end:
            return rec, acts
        top, _ = self.npu_op(op, rows, batch, float(beside.loss.max()))
        lo, hi = rec.end, top.end  # lo: a share at least the fixed point's, hi: at most
        if self._beside(op, rows, batch, start, hi, beside) >= hi:
            return top, acts
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._beside(op, rows, batch, start, mid, beside) > mid:
                lo = mid
            else:
                hi = mid
        slow, _ = self.npu_op(op, rows, batch, beside.lost(start, start + hi) / hi)
        return slow, acts

    def _beside(self, op: Op, rows: int, batch: int, start: int, cycles: int,
                beside: Interference) -> int:
        """The op's cycles under the share the channels lose over ``[start, start + cycles)``."""
        share = beside.lost(start, start + cycles) / cycles
        return self.npu_op(op, rows, batch, share)[0].end

    # -- attention -------------------------------------------------------------------------
    def attention_task(self, task: Task, channel: IntArray, member: IntArray) -> None:
        """Time the attention piece of ``task`` (its sub-batch's requests)."""
        piece = task.pieces[0]
        ops = [op for op in piece.ops if isinstance(op, AttentionOp)]
        idx = np.nonzero(member[:len(ops)] == task.sub_batch)[0]
        sel = [ops[int(i)] for i in idx]
        key = (tuple((o.kv_len, o.heads, o.head_dim, o.q_len) for o in sel),
               tuple(int(c) for c in channel[idx]))
        if key not in self._attention_cache:
            timed = (self._pim_attention(sel, channel[idx]) if self.uses_pim
                     else self._npu_attention(sel))
            self._attention_cache[key] = (*timed, *self._attention_actions(sel, timed[2]),
                                          [self._attention_actions([o], timed[2][:0])[0]
                                           .as_dict() for o in sel])
        cycles, records, busy, spans, actions, counts, own = self._attention_cache[key]
        self.ledger.merge(actions)
        for name, value in counts.items():
            self.counts[name] += value
        prefix = ops[0].name.rsplit(".", 1)[0] if ops else f"L{piece.layer}.attn"
        task.cycles = cycles
        task.pim_busy = busy
        task.pim_spans = spans
        for rec in records:  # cached records: phase names are suffixes, requests indices
            phase = rec.name.startswith(".")
            name = prefix + rec.name if phase else sel[int(rec.name)].name
            task.records.append(OpRecord(  # a request's record carries its own actions
                name, rec.kind, rec.unit, rec.start, rec.end, rec.macs,
                dict(rec.ledger) if phase else dict(own[int(rec.name)]),
                {**rec.detail, "layer": piece.layer, "part": "B", "sub_batch": task.sub_batch}))

    def _attention_actions(self, sel: list[AttentionOp], busy: npt.NDArray[np.float64]
                           ) -> tuple[Ledger, dict[str, float]]:
        """Energy actions and counters of one sub-batch's attention (``busy``: per-channel PIM
        busy NPU cycles)."""
        acts = Ledger()
        counts = {"macs_pim": 0.0, "macs_npu": 0.0, "pim_commands": 0.0,
                  "pim_busy": float(busy.sum() / self.ratio), "hbm_bytes": 0.0,
                  "dram_requests": 0.0}
        macs = float(sum(2 * o.q_len * o.kv_len * o.heads * o.head_dim for o in sel))
        soft = sum(o.heads * o.kv_len * o.q_len for o in sel)
        acts.add("npu.vector.op", vector_ops("softmax", soft))
        if self.uses_pim:
            counts["macs_pim"] = macs
            for key, count in self._pim_counts(sel).items():
                acts.add(key, count)
                if key != "pim.pre":
                    counts["pim_commands"] += count
            nbytes = float(sum(2 * o.heads * (o.kv_len + o.head_dim) * o.q_len for o in sel))
            self.add_hbm(nbytes, write=True, ledger=acts)
        else:
            nbytes = float(sum(2 * o.kv_len * o.heads * o.head_dim * o.b_bits // 8 for o in sel))
            self.add_hbm(nbytes, ledger=acts)
            counts["macs_npu"] = macs
            if self.arch.npu.attention == "kv_stream":
                acts.add("npu.vector.mac", macs)
            else:
                acts.add("npu.mac_fp16.mac", macs)
                acts.add("npu.sram.write_bit", nbytes * 8)
        counts["hbm_bytes"] = nbytes
        counts["dram_requests"] = nbytes / self.hbm.org.request_bytes
        return acts, counts

    def _pim_counts(self, sel: list[AttentionOp]) -> dict[str, float]:
        org = self.hbm.org
        out = {"pim.gwrite": 0.0, "pim.gact": 0.0, "pim.pre": 0.0, "pim.comp": 0.0,
               "pim.readres": 0.0}
        for o in sel:
            for op in (logit_program(self.hbm, self.pim, o.kv_len, o.heads, o.head_dim)
                       + attend_program(self.hbm, self.pim, o.kv_len, o.heads, o.head_dim)):
                if op.kind == "gwrite":
                    out["pim.gwrite"] += 1
                    continue
                out["pim.gact"] += org.ranks * org.bankgroups
                out["pim.pre"] += org.banks_per_channel
                out["pim.comp"] += op.heads * op.comps
                out["pim.readres"] += op.heads
        return out

    def _pim_attention(self, sel: list[AttentionOp], channel: IntArray
                       ) -> tuple[int, list[OpRecord], npt.NDArray[np.float64],
                                  dict[str, npt.NDArray[np.float64]]]:
        """K.q then S.V of ``sel`` on PIM; returns (NPU cycles, records, busy per channel, busy
        spans per phase: rows begin, end, channel in NPU cycles).
        The NPU sends the requests in ``memory.pim.issue_order`` and post-processes them in the
        same order. Records: one per phase (``.logit``, ``.attend``: kind ``pim_phase``, with the
        per-channel busy cycles) and one per request, named by its index in ``sel`` (its first
        PIM operation to its last result)."""
        cfg, pim, npu = self.hbm, self.pim, self.arch.npu
        clocks = new_clocks(cfg, pim)
        rate = self.arch.memory.pim.commands_per_cycle
        per_channel = self.arch.memory.pim.issue_queues == "per_channel"
        order = issue_order(channel, self.arch.memory.pim.issue_order)
        sel, channel = [sel[int(i)] for i in order], channel[order]
        page = cfg.org.row_bytes // pim.elem_bytes
        records: list[OpRecord] = []
        start = 0  # NPU cycles
        first: npt.NDArray[np.float64] = np.zeros(len(sel))
        busy = np.zeros(cfg.org.channels)
        spans: dict[str, npt.NDArray[np.float64]] = {}
        for name, build, vector in (("logit", logit_program, "softmax"),
                                    ("attend", attend_program, "add")):
            progs = [build(cfg, pim, o.kv_len, o.heads, o.head_dim) for o in sel]
            phase = run_phase(cfg, pim, progs, channel, int(np.ceil(start / self.ratio)),
                              clocks, rate, self.ratio, per_channel)
            if name == "logit":
                first = phase.request_start.astype(np.float64) * self.ratio
            # The NPU post-processes each request's results in issue order: the softmax of
            # its scores, or the sum of its partial S.V results when it spans several rows.
            ready = np.maximum.accumulate(phase.request_end) * self.ratio
            post = np.array([vector_cycles(npu, vector, o.heads * o.kv_len)
                             if vector == "softmax" or o.kv_len > page else 0 for o in sel],
                            dtype=np.float64)
            done = ready + post
            end = int(np.ceil(max(float(done.max()) if len(sel) else 0.0, start)))
            writes = sum((o.kv_len if name == "logit" else o.head_dim) * o.heads * 2
                         for o in sel)
            phase_busy = phase.channel_busy * self.ratio
            busy += phase_busy
            spans[name] = np.array([(b * self.ratio, e * self.ratio, c)
                                    for c, arr in enumerate(phase.channel_spans)
                                    for b, e in arr.tolist()], dtype=np.float64).reshape(-1, 3)
            records.append(OpRecord(
                f".{name}", "pim_phase", "pim", start, end, 0, {},
                {"compute_cycles": int(post.sum()), "read_bytes": 0.0,
                 "write_bytes": float(writes), "requests": len(sel),
                 "pim_commands": phase.commands,
                 "pim_busy_per_channel": [round(b) for b in phase_busy]}))
            start = end
        for i in np.argsort(order):  # request records in batch order
            o = sel[i]
            records.append(OpRecord(
                str(int(order[i])), o.kind, "pim", int(first[i]), int(np.ceil(done[i])),
                o.q_len * o.kv_len * o.heads * o.head_dim * 2, {},
                {"compute_cycles": 0, "read_bytes": 0.0,
                 "write_bytes": float(2 * o.heads * (o.kv_len + o.head_dim) * o.q_len),
                 "channel": int(channel[i])}))
        return end, records, busy, spans

    def _npu_attention(self, sel: list[AttentionOp]
                       ) -> tuple[int, list[OpRecord], npt.NDArray[np.float64],
                                  dict[str, npt.NDArray[np.float64]]]:
        """Attention of ``sel`` on the NPU; returns (cycles, one record per request named by its
        index in ``sel``, zero PIM busy, no busy spans)."""
        npu = self.arch.npu
        bw = self.bytes_per_cycle()
        kv = np.array([2 * o.kv_len * o.heads * o.head_dim * o.b_bits / 8 for o in sel])
        if npu.attention == "kv_stream":  # every request streams at once beside the MACs
            macs = int(sum(o.q_len * o.kv_len * o.heads * o.head_dim * 2 for o in sel))
            soft = sum(vector_cycles(npu, "softmax", o.heads * o.kv_len * o.q_len) for o in sel)
            cycles = max(int(np.ceil(kv.sum() / bw)), gemv_vector_cycles(npu, macs)) + soft
            spans = [(0, cycles)] * len(sel)
        else:  # one request after another; request r+1's K and V load while r computes
            load = kv / bw
            per = np.array([o.heads * attention_head_cycles(npu, o.q_len, o.kv_len, o.head_dim)
                            for o in sel], dtype=np.float64)
            ends = (load[0] if len(sel) else 0.0) + np.cumsum(
                np.maximum(per, np.append(load[1:], 0.0)))
            spans = [(int(np.ceil(e - p)), int(np.ceil(e))) for e, p in zip(ends, per, strict=True)]
            cycles = spans[-1][1] if spans else 0
        records = [OpRecord(str(i), o.kind, "npu", s, e,
                            o.q_len * o.kv_len * o.heads * o.head_dim * 2, {},
                            {"compute_cycles": e - s, "read_bytes": float(kv[i]),
                             "write_bytes": float(2 * o.heads * o.head_dim * o.q_len),
                             "mapping": npu.attention})
                   for i, (o, (s, e)) in enumerate(zip(sel, spans, strict=True))]
        return cycles, records, np.zeros(self.hbm.org.channels), {}

    # -- placement -------------------------------------------------------------------------
    def placement(self, trace: Trace, batch: int, subs: int) -> tuple[IntArray, IntArray]:
        """(channel, sub-batch) of every request of the first attention piece."""
        first = next((p for p in pieces(trace) if p.part == "B"), None)
        if first is None:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ops = [op for op in first.ops if isinstance(op, AttentionOp)]
        chans = self.hbm.org.channels
        given = [op.channel for op in ops]
        if all(c is not None for c in given):
            channel = np.array([int(c) % chans for c in given], dtype=np.int64)  # type: ignore[arg-type]
        else:
            cost = np.array([request_cost(self.hbm, self.pim, o.kv_len, o.heads, o.head_dim)
                             for o in ops], dtype=np.int64)
            policy = self.arch.memory.pim.channel_mapping if self.arch.system == "neupims" \
                else "rr"
            channel = assign_channels(cost, chans, policy)
        return channel, split_sub_batches(channel, subs)

    def sub_batches(self, batch: int) -> int:
        """Sub-batches the system interleaves at this batch size."""
        arch = self.arch
        if arch.system == "neupims" and batch >= arch.sub_batch_min_batch:
            return min(arch.sub_batches, batch)
        return 1

    # -- the stage program -----------------------------------------------------------------
    def plan(self, trace: Trace, subs: int) -> list[list[Task]]:
        """Stages, each a list of tasks that run side by side."""
        parts = pieces(trace)
        if subs == 1:
            return [[Task("pim" if p.part == "B" and self.uses_pim else "npu", 0, [p])]
                    for p in parts]
        chains: list[list[Task]] = []
        for s in range(subs):
            chain: list[Task] = []
            for p in parts:
                unit = "pim" if p.part == "B" else "npu"
                if chain and chain[-1].unit == unit == "npu":
                    chain[-1].pieces.append(p)
                else:
                    chain.append(Task(unit, s, [p]))
            chains.append(chain)
        steps = max(len(c) + s for s, c in enumerate(chains))
        return [[c[k - s] for s, c in enumerate(chains) if 0 <= k - s < len(c)]
                for k in range(steps)]

    def run(self, trace: Trace, batch: int) -> SystemRun:
        """Time every stage and run the stage program; op records become absolute."""
        subs = self.sub_batches(batch)
        channel, member = self.placement(trace, batch, subs)
        stages = self.plan(trace, subs)
        rows = [int((member == s).sum()) if len(member) else -(-batch // subs)
                for s in range(subs)]
        loss = self._stream_loss(trace, subs)
        for stage in stages:
            pim_tasks = [t for t in stage if t.pieces[0].part == "B"]
            for t in pim_tasks:
                self.attention_task(t, channel, member)
            beside = self._interference([t for t in pim_tasks if t.unit == "pim"], loss)
            for t in stage:
                if t.pieces[0].part != "B":
                    self.npu_task(t, max(rows[t.sub_batch], 1), batch, beside)
        return self._schedule(stages, subs)

    def _interference(self, pim: list[Task], loss: dict[str, float]) -> Interference | None:
        """The PIM work of a stage's attention tasks as seen by its NPU task (None without
        loss: one row buffer, no sub-batches, no PIM)."""
        parts = [(t.pim_spans[name], value) for t in pim if t.pim_spans
                 for name, value in loss.items() if value and name in t.pim_spans]
        if not parts:
            return None
        return Interference(np.concatenate([p for p, _ in parts]),
                            np.concatenate([np.full(len(p), v) for p, v in parts]),
                            self.hbm.org.channels)

    def _stream_loss(self, trace: Trace, subs: int) -> dict[str, float]:
        """Per attention phase (``logit``, ``attend``), the share of an NPU stream's bandwidth a
        channel loses while it runs that phase's PIM operations back to back (dual row buffers,
        sub-batches pipelined): measured on the event-driven channel with the phase's program
        (GWRITEs and tiles) of a request of the trace's mean KV length, its leading blocks
        (:func:`leading_blocks`) run twice, the loss taken over the second run (steady state)."""
        att = [op for op in trace.ops if isinstance(op, AttentionOp)]
        if not att or not self.uses_pim or self.blocked or subs == 1:
            return {}
        kv = max(1, round(sum(o.kv_len for o in att) / len(att)))
        spec = design(self.hbm, self.pim)
        out = {}
        for name, build in (("logit", logit_program), ("attend", attend_program)):
            prog = leading_blocks(build(self.hbm, self.pim, kv, att[0].heads, att[0].head_dim))
            tiles = tuple(PimTile.of(op, spec) for op in prog)
            out[name] = program_stream_loss(self.hbm, tiles * 2, self.pim.release_at_issue,
                                            warmup=len(tiles))
        return out

    def _schedule(self, stages: list[list[Task]], subs: int) -> SystemRun:
        """Run the stage program on the event engine: a stage starts when every task of the
        previous one has finished; its tasks run side by side on their units, except that with
        one row buffer a stage's NPU work waits for its PIM work (they cannot overlap)."""
        engine = Engine()
        engine.add_unit("npu")
        engine.add_unit("pim")
        tasks: list[EngineTask] = []
        previous: list[str] = []
        for k, stage in enumerate(stages):
            names = [f"{k}.{i}" for i in range(len(stage))]
            pim = [n for n, t in zip(names, stage, strict=True) if t.unit == "pim"]
            for name, t in zip(names, stage, strict=True):
                deps = previous + (pim if self.blocked and t.unit == "npu" else [])
                tasks.append(EngineTask(name, t.unit, t.cycles, deps, t))
            previous = names
        engine.run(tasks)
        start = {span.task.name: span.start_ps for span in engine.spans}
        end = {span.task.name: span.end_ps for span in engine.spans}
        records: list[OpRecord] = []
        runs: list[StageRun] = []
        chans = self.hbm.org.channels
        for k, stage in enumerate(stages):
            name = stage_name(k, len(stages)) if subs > 1 else \
                f"L{stage[0].pieces[0].layer}.{stage[0].pieces[0].part}"
            pim_busy = np.zeros(chans)
            for i, t in enumerate(stage):
                for rec in t.records:
                    rec.start += start[f"{k}.{i}"]
                    rec.end += start[f"{k}.{i}"]
                    rec.detail["stage"] = name
                    if subs > 1:
                        rec.name += f"@sb{t.sub_batch}"
                    records.append(rec)
                if t.pim_busy is not None:
                    pim_busy += t.pim_busy
            keys = [f"{k}.{i}" for i in range(len(stage))]
            runs.append(StageRun(name, min(start[n] for n in keys), max(end[n] for n in keys),
                                 pim_busy))
        busy = {u: engine.units[u].busy_ps for u in ("npu", "pim")}
        return SystemRun(engine.makespan_ps, records, runs, busy)
