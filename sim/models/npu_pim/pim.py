"""Attention on HBM-PIM: per-request PIM programs, closed-form channel timing, channel schedule.

Mapping (reference section 4; E_eff = heads x d_k of one device, page = one row of fp16):

* K.q (*logit*): per row chunk of E_eff (ceil(E_eff / page) chunks, one GWRITE of the query
  chunk each), ceil(L / banks) tiles of one token per bank, each with page / d_k heads of
  ceil(d_k / lanes) COMP beats;
* S.V (*attend*): per head and per chunk of ``page`` tokens, one GWRITE of the score row, then
  ceil(d_k / banks) tiles with one head of ceil(chunk / lanes) beats.

A channel executes its program in order; :class:`ChannelClock` is the closed form of the
command-level model :mod:`sim.hw.dram.pim_commands` (same rules, with the per-bank command
loops summed per bank group): a tile precharges the open rows, activates every bank group
(tFAW apart per rank), then streams its beats through each bank's GEMV unit. The unit's timing
``gemv_cycles`` (:func:`sim.models.npu_pim.arith.unit_cycles`) is the one the ``pim_gemv``
cocotb bench checks cycle for cycle against the RTL.

The NPU sends the PIM commands of a sub-batch request after request (:func:`issue_order`: batch
order, or grouped by channel), at most ``commands_per_cycle`` per NPU cycle (one instruction per
command: GWRITE; per tile one header plus one fused COMPS_READRES per head, or n COMPs and a
READRES per head unfused); a channel cannot start an operation before the NPU has sent it.
Through one shared queue grouped by channel, channel c receives its first command only after
every command of channels 0..c-1 has been sent, so the channels start one after another and the
phase ends about one channel's work after the last command is sent. With one queue per channel
(``per_channel``) every channel receives its own commands from the start of the phase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.shapes import ceil_div
from sim.hw.dram.config import HbmConfig
from sim.hw.dram.pim_commands import (
    PimDesign,
    PimOp,
    column_slot,
    gwrite_cycles,
    readres_spacing,
)
from sim.models.npu_pim.arith import unit_cycles

IntArray = npt.NDArray[np.int64]
MIN_COMPS = 6  # pipeline fill: a head streams at least six COMP beats (NewtonSim)
NEG = -(1 << 40)


@dataclass(frozen=True)
class PimParams:
    """PIM datapath and controller: MAC lanes per bank, operand bytes, bank fetch per COMP."""

    lanes: int = 16
    elem_bytes: int = 2
    fetch_bytes: int = 32
    fused: bool = True
    """NeuPIMs' fused COMPS_READRES (one command per head) instead of n COMP + READRES."""
    row_buffers: int = 2
    refresh: bool = True
    release_at_issue: bool = False
    """Fused heads release the row and the global buffer at their command, not their last beat
    (:class:`sim.hw.dram.pim_commands.PimDesign`)."""


def comp_spacing(cfg: HbmConfig, pim: PimParams) -> int:
    """Cycles between COMP beats: max(burst, tCCD_S) per ``fetch_bytes`` of lane operands."""
    per_col = max(cfg.org.burst_cycles, cfg.timing.tCCD_S)
    return per_col * int(ceil_div(pim.lanes * pim.elem_bytes, pim.fetch_bytes))


def gemv_cycles(cfg: HbmConfig, pim: PimParams, beats: int) -> int:
    """Cycles from a bank GEMV unit's first beat to the result of ``beats`` beats streamed
    ``comp_spacing`` apart: the RTL-checked :func:`sim.models.npu_pim.arith.unit_cycles`."""
    return unit_cycles(beats, pim.lanes, comp_spacing(cfg, pim))


def design(cfg: HbmConfig, pim: PimParams) -> PimDesign:
    """The command-level model's view of this PIM configuration."""
    return PimDesign(pim.row_buffers, pim.fused, comp_spacing(cfg, pim), MIN_COMPS,
                     lambda beats: gemv_cycles(cfg, pim, beats), pim.refresh,
                     pim.release_at_issue)


# -- programs --------------------------------------------------------------------------------
def logit_program(cfg: HbmConfig, pim: PimParams, kv_len: int, heads: int,
                  head_dim: int) -> list[PimOp]:
    """K.q of one request on its channel: GWRITE + tiles per row chunk of E_eff."""
    page = cfg.org.row_bytes // pim.elem_bytes
    if head_dim > page:
        raise SimError(f"head_dim {head_dim} exceeds one PIM row of {page} elements")
    per_chunk = page // head_dim
    comps = int(ceil_div(head_dim, pim.lanes))
    tiles = int(ceil_div(kv_len, cfg.org.banks_per_channel))
    ops: list[PimOp] = []
    for c in range(int(ceil_div(heads, per_chunk))):
        ops.append(PimOp("gwrite"))
        ops += [PimOp("tile", min(per_chunk, heads - c * per_chunk), comps)] * tiles
    return ops


def attend_program(cfg: HbmConfig, pim: PimParams, kv_len: int, heads: int,
                   head_dim: int) -> list[PimOp]:
    """S.V of one request: per head and token chunk, GWRITE of the scores + d_k / banks tiles."""
    page = cfg.org.row_bytes // pim.elem_bytes
    tiles = int(ceil_div(head_dim, cfg.org.banks_per_channel))
    per_head: list[PimOp] = []
    for start in range(0, kv_len, page):
        comps = int(ceil_div(min(page, kv_len - start), pim.lanes))
        per_head += [PimOp("gwrite")] + [PimOp("tile", 1, comps)] * tiles
    return per_head * heads


def commands(op: PimOp, pim: PimParams) -> int:
    """NPU instructions that carry ``op`` (GWRITE 1; tile: header + heads, or n COMP + READRES
    per head unfused)."""
    if op.kind == "gwrite":
        return 1
    return 1 + (op.heads if pim.fused else op.heads * (op.comps + 1))


def result_bytes(op: PimOp, cfg: HbmConfig, pim: PimParams) -> int:
    """Bytes of results one operation returns to the NPU (one value per bank and head)."""
    return op.heads * cfg.org.banks_per_channel * pim.elem_bytes if op.kind == "tile" else 0


# -- closed form -----------------------------------------------------------------------------
@dataclass
class ChannelClock:
    """Closed-form state of one channel between PIM operations (absolute HBM cycles). Mirrors
    :class:`sim.hw.dram.pim_commands.PimChannel` one operation at a time, with the per-bank
    commands summed per bank group: a group's banks share their activation and last column
    access, except bank 0 (the first of its group), whose GWRITE row is the latest."""

    cfg: HbmConfig
    pim: PimParams
    bus: int = 0
    g_open: list[int] = field(default_factory=list)  # open rows per (rank, group), rank-major
    g_col: list[int] = field(default_factory=list)  # latest column access of those rows
    g_act: list[int] = field(default_factory=list)  # latest activation of those rows
    gact: list[int] = field(default_factory=list)  # last G_ACT per (rank, group)
    rank_ready: list[int] = field(default_factory=list)
    buffer_ready: int = 0
    buffer_read: int = NEG  # last GEMV command (reads the global buffer)
    hold: int = 0  # the PIM queue waits for a GWRITE's copy until this cycle
    normal_open: bool = False  # dual: bank 0's normal row buffer holds the staging row
    normal_col: int = NEG
    normal_act: int = NEG
    ref_due: list[int] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Cycles in which the channel has PIM work: the union of its operations' spans as (begin,
    end) pairs, in time order, touching operations merged."""

    def __post_init__(self) -> None:
        org = self.cfg.org
        groups = org.ranks * org.bankgroups
        self.g_open = [0] * groups
        self.g_col = [NEG] * groups
        self.g_act = [NEG] * groups
        self.gact = [NEG] * groups
        self.rank_ready = [0] * org.ranks
        self.ref_due = [(r + 1) * self.cfg.timing.tREFI // org.ranks for r in range(org.ranks)]

    @property
    def dual(self) -> bool:
        """Dual row buffers (a normal buffer beside the PIM buffer in every bank)."""
        return self.pim.row_buffers == 2

    @property
    def busy_end(self) -> int:
        """End of the channel's last PIM work (0 before any)."""
        return self.spans[-1][1] if self.spans else 0

    def _issue(self, earliest: int, n: int = 1) -> int:
        """Issue ``n`` commands back to back from ``earliest``; returns the first's cycle."""
        cyc = max(earliest, self.bus)
        self.bus = cyc + n
        return cyc

    def _close_group(self, i: int, earliest: int) -> int:
        """Precharge the open rows of group ``i``; returns the last precharge cycle."""
        t = self.cfg.timing
        n = self.g_open[i]
        first = self._issue(max(earliest, self.g_col[i] + t.tRTP, self.g_act[i] + t.tRAS), n)
        self.g_open[i] = 0
        return first + n - 1

    def _close_normal(self, earliest: int) -> int:
        t = self.cfg.timing
        cyc = self._issue(max(earliest, self.normal_col + t.tRTP, self.normal_act + t.tRAS))
        self.normal_open = False
        return cyc

    def _last_gact(self, r: int) -> int:
        groups = self.cfg.org.bankgroups
        return max(self.gact[r * groups:(r + 1) * groups])

    def _refresh(self, horizon: int, arrival: int) -> None:
        t, org = self.cfg.timing, self.cfg.org
        start = max(self.bus, arrival)
        for r in range(org.ranks):
            while self.ref_due[r] <= start + horizon:
                due = self.ref_due[r]
                pres = [self._close_group(r * org.bankgroups + g, due)
                        for g in range(org.bankgroups) if self.g_open[r * org.bankgroups + g]]
                if r == 0 and self.normal_open:
                    pres.append(self._close_normal(due))
                ref = self._issue(max([due] + [p + t.tRP for p in pres]))
                self.rank_ready[r] = ref + t.tRFC
                self.ref_due[r] += t.tREFI
                start = max(self.bus, arrival)

    # -- operations --------------------------------------------------------------------------
    def run(self, op: PimOp, arrival: int) -> tuple[int, int]:
        """Execute one operation arriving at ``arrival``; returns its (start, end)."""
        arrival = max(arrival, self.hold)  # a running GWRITE holds the PIM queue
        if self.pim.refresh:
            self._refresh(min(estimate(self.cfg, self.pim, op), self.cfg.timing.tREFI // 2),
                          arrival)
        begin = max(self.bus, arrival, self.busy_end)  # overlapping operations count once
        start, end = self._gwrite(arrival) if op.kind == "gwrite" else self._tile(op, arrival)
        if end > begin:
            if self.spans and self.spans[-1][1] == begin:
                self.spans[-1] = (self.spans[-1][0], end)
            else:
                self.spans.append((begin, end))
        return start, end

    def _gwrite(self, arrival: int) -> tuple[int, int]:
        t = self.cfg.timing
        pre: int | None = None
        if self.dual and self.normal_open:  # the staging row is open: no ACT
            gw = self._issue(max(arrival, self.normal_act + t.tRCDRD,
                                 self.buffer_read + column_slot(self.cfg)))
            self.buffer_ready = self.hold = self.normal_col = gw + gwrite_cycles(self.cfg)
            return gw, self.buffer_ready
        if not self.dual and self.g_open[0]:  # bank 0 alone: the group's first bank
            pre = self._issue(max(arrival, self.g_col[0] + t.tRTP, self.g_act[0] + t.tRAS))
            self.g_open[0] -= 1
        act = self._issue(max(arrival, self.rank_ready[0], self._last_gact(0) + t.tFAW,
                              (pre + t.tRP) if pre is not None else arrival))
        gw = self._issue(max(act + t.tRCDRD, self.buffer_read + column_slot(self.cfg)))
        self.buffer_ready = self.hold = gw + gwrite_cycles(self.cfg)
        if self.dual:
            self.normal_open, self.normal_act, self.normal_col = True, act, self.buffer_ready
        else:
            self.g_open[0] += 1
            self.g_col[0] = max(self.g_col[0], self.buffer_ready)
            self.g_act[0] = max(self.g_act[0], act)
        return (pre if pre is not None else act), self.buffer_ready

    def _tile(self, op: PimOp, arrival: int) -> tuple[int, int]:
        t, org, pim = self.cfg.timing, self.cfg.org, self.pim
        groups = org.bankgroups
        pre_end: dict[int, int] = {}
        start: int | None = None
        for i in range(org.ranks * groups):
            if self.g_open[i]:
                n = self.g_open[i]
                pre_end[i] = self._close_group(i, arrival)
                start = pre_end[i] - n + 1 if start is None else start
        header = self._issue(arrival)  # P_HEADER, once every row is closed
        start = header if start is None else start
        last = NEG
        for g in range(groups):
            for r in range(org.ranks):
                i = r * groups + g
                ok = max(arrival, self.rank_ready[r], self.gact[i] + t.tRC,
                         pre_end.get(i, NEG) + t.tRP, self._last_gact(r) + t.tFAW)
                if r == 0 and self.dual:
                    ok = max(ok, self.normal_act + (t.tRRD_L if g == 0 else t.tRRD_S))
                cyc = self._issue(ok)
                self.gact[i] = self.g_act[i] = cyc
                self.g_open[i] = org.banks_per_group
                last = max(last, cyc)
        beats = max(op.comps, MIN_COMPS)
        spacing = comp_spacing(self.cfg, pim)
        head0 = self._issue(max(last + t.tRCDRD, self.buffer_ready))
        if pim.fused:  # heads (beats + READRES slot) apart
            last_cmd = head0 + (op.heads - 1) * (beats * spacing + column_slot(self.cfg))
            self.bus = last_cmd + 1
            end = last_cmd + gemv_cycles(self.cfg, pim, beats)
            last_col = last_cmd if pim.release_at_issue else last_cmd + (beats - 1) * spacing
        else:
            rs = readres_spacing(self.cfg)
            per_head = max(gemv_cycles(self.cfg, pim, beats), (op.comps - 1) * spacing + 1)
            last_col = head0 + (op.heads - 1) * (per_head + rs) + per_head
            self.bus = last_col + 1
            end = last_col + rs
        for i in range(org.ranks * groups):
            self.g_col[i] = last_col
        self.buffer_read = last_col
        return start, end


def estimate(cfg: HbmConfig, pim: PimParams, op: PimOp) -> int:
    """The controller's estimate of an operation's duration (cycles), for the refresh check, as
    the NeuPIMs simulator's controller makes it (``channel_state.cc``,
    ``EstimatePIMOperationLatency``), with every PIM row open (the steady state):

    * GWRITE: the copy; with a single row buffer also closing bank 0's PIM row (tRTP, tRP) and
      opening the staging row (tRCDRD). With dual buffers the staging row is open.
    * tile: tRTP per bank to precharge, tFAW per pair of G_ACTs after the first pair, tRCDRD,
      one column slot per COMP of the tile's header and a READRES slot per further head. The
      header carries the COMP count as a power of two (rounded up, as the S.V tiles' is)."""
    t, org = cfg.timing, cfg.org
    if op.kind == "gwrite":
        reopen = 0 if pim.row_buffers == 2 else t.tRTP + t.tRP + t.tRCDRD
        return reopen + gwrite_cycles(cfg)
    pairs = org.ranks * org.bankgroups // 2
    header_comps = 1 << (op.heads * op.comps - 1).bit_length()
    return (org.banks_per_channel * t.tRTP + t.tFAW * (pairs - 1) + t.tRCDRD
            + column_slot(cfg) * max(header_comps, MIN_COMPS)
            + readres_spacing(cfg) * (op.heads - 1))


# -- schedule of a sub-batch's attention -----------------------------------------------------
@dataclass
class PhaseRun:
    """One attention phase (K.q or S.V) of a set of requests on the channels."""

    request_start: IntArray
    """Cycle (HBM clock) each request's first PIM operation starts."""
    request_end: IntArray
    """Cycle (HBM clock) each request's last result is back at the NPU."""
    channel_busy: IntArray
    """Cycles each channel spent on PIM operations in this phase."""
    channel_spans: list[IntArray]
    """Per channel, the (begin, end) pairs (HBM cycles, shape n x 2) of that PIM work."""
    commands: int
    issue_end: float
    pim_counts: dict[str, float]


def issue_order(channel: IntArray, policy: str) -> IntArray:
    """Indices of the requests in the order the NPU sends their PIM programs: ``request`` keeps
    the batch order; ``channel`` sends every request of the lowest channel first, then the next
    channel's, each channel's requests in batch order."""
    if policy == "request":
        return np.arange(len(channel), dtype=np.int64)
    if policy != "channel":
        raise SimError(f"unknown PIM issue order {policy!r}", accepted="request, channel")
    return np.argsort(channel, kind="stable").astype(np.int64)


def run_phase(cfg: HbmConfig, pim: PimParams, programs: Sequence[list[PimOp]],
              channel: IntArray, start: int, clocks: list[ChannelClock],
              commands_per_cycle: float, ratio: float, per_channel: bool = False) -> PhaseRun:
    """Send every request's program (in the given order) and run the channels from cycle
    ``start``; ``ratio`` = NPU cycles per HBM cycle converts the issue rate. One shared queue
    sends ``commands_per_cycle`` instructions per NPU cycle over all channels; with
    ``per_channel`` queues every channel receives its own instructions at that rate, whatever
    the other channels receive."""
    t = cfg.timing
    issue = np.full(len(clocks) if per_channel else 1, float(start))
    per_cmd = 1.0 / (commands_per_cycle * ratio)  # HBM cycles per NPU instruction
    starts = np.zeros(len(programs), dtype=np.int64)
    ends = np.zeros(len(programs), dtype=np.int64)
    marks = [(len(c.spans), c.busy_end) for c in clocks]
    counts = {"gwrite": 0.0, "tile": 0.0, "commands": 0.0, "heads": 0.0, "beats": 0.0}
    for i, prog in enumerate(programs):
        ch = int(channel[i])
        queue = ch if per_channel else 0
        clock = clocks[ch]
        end = start
        first: int | None = None
        for op in prog:
            n = commands(op, pim)
            issue[queue] += n * per_cmd
            b, e = clock.run(op, int(np.ceil(issue[queue])))
            first = b if first is None else first
            end = max(end, e)
            counts[op.kind] += 1
            counts["commands"] += n
            if op.kind == "tile":
                counts["heads"] += op.heads
                counts["beats"] += op.heads * op.comps
        starts[i] = start if first is None else first
        ends[i] = end + t.CL + cfg.org.burst_cycles  # the last result crosses the data bus
    spans = [phase_spans(c, k, end) for c, (k, end) in zip(clocks, marks, strict=True)]
    busy = np.array([int((s[:, 1] - s[:, 0]).sum()) for s in spans], dtype=np.int64)
    return PhaseRun(starts, ends, busy, spans, int(counts["commands"]), float(issue.max()),
                    counts)


def phase_spans(clock: ChannelClock, before: int, busy_end: int) -> IntArray:
    """The busy spans ``clock`` gained since it held ``before`` spans ending at ``busy_end``
    (n x 2, HBM cycles); a span that grew from the old last one counts from ``busy_end``."""
    spans = clock.spans[before:]
    if before and clock.spans[before - 1][1] > busy_end:
        spans = [(busy_end, clock.spans[before - 1][1]), *spans]
    return np.array(spans, dtype=np.int64).reshape(-1, 2)


def new_clocks(cfg: HbmConfig, pim: PimParams) -> list[ChannelClock]:
    """Fresh closed-form clocks for every channel."""
    return [ChannelClock(cfg, pim) for _ in range(cfg.org.channels)]


# -- channel placement -----------------------------------------------------------------------
def request_cost(cfg: HbmConfig, pim: PimParams, kv_len: int, heads: int,
                 head_dim: int) -> int:
    """Estimated PIM cycles of one request (sum of operation estimates), for placement."""
    ops = (logit_program(cfg, pim, kv_len, heads, head_dim)
           + attend_program(cfg, pim, kv_len, heads, head_dim))
    return sum(estimate(cfg, pim, op) for op in ops)


def assign_channels(cost: IntArray, channels: int, policy: str) -> IntArray:
    """Channel of each request's KV cache: ``rr`` round-robin, ``clb`` greedy min-load
    (longest first) on the per-request ``cost`` estimate."""
    n = len(cost)
    if policy == "rr":
        return np.arange(n, dtype=np.int64) % channels
    if policy != "clb":
        raise SimError(f"unknown channel mapping {policy!r}", accepted="rr, clb")
    out = np.zeros(n, dtype=np.int64)
    load = np.zeros(channels, dtype=np.int64)
    for i in np.argsort(-cost, kind="stable"):
        ch = int(np.argmin(load))
        out[i] = ch
        load[ch] += cost[i]
    return out


def split_sub_batches(channel: IntArray, parts: int) -> IntArray:
    """Sub-batch of each request: each channel's requests (in trace order) are cut into
    ``parts`` consecutive blocks, the first block to sub-batch 0, the next to 1, ... (the NeuPIMs
    simulator's ``Scheduler::group_sub_batches``). A channel whose count does not divide gives
    its extra requests to the blocks after the ones the previous such channel favoured, so the
    sub-batches differ by at most one request overall (its alternating ceil / floor)."""
    out = np.zeros(len(channel), dtype=np.int64)
    first = 0
    for ch in np.unique(channel):
        idx = np.nonzero(channel == ch)[0]
        base, extra = divmod(len(idx), parts)
        sizes = [base + int((k - first) % parts < extra) for k in range(parts)]
        out[idx] = np.repeat(np.arange(parts), sizes)
        first = (first + extra) % parts
    return out
