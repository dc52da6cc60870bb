"""Event-driven HBM channel controller: FR-FCFS, open page, per-bank queues, all-bank refresh.

Each channel is simulated independently. At every decision point the controller computes, for
every bank with queued requests, the next command it needs (column command for the oldest row
hit, else PRE of the open row, else ACT of the oldest request's row) and the earliest cycle at
which that command satisfies every timing constraint. It then jumps straight to the earliest
such cycle (or to the next request arrival / refresh deadline if that comes first): idle cycles
are never stepped one by one.

FR-FCFS: among commands that can issue earliest, refresh commands come first, then column
commands (row hits), then ACT/PRE; ties go to the oldest request.

Constraints enforced (all in cycles of the command clock):

* bank: ACT->RD tRCDRD, ACT->WR tRCDWR, ACT->PRE tRAS, ACT->ACT tRC, PRE->ACT tRP,
  RD->PRE tRTP_L, WR->PRE CWL + burst + tWR;
* bank group / rank: ACT->ACT tRRD_L (same group) / tRRD_S, four ACTs per tFAW per rank,
  RD->RD and WR->WR tCCD_L (same group) / tCCD_S, WR->RD CWL + burst + tWTR_L / tWTR_S;
* channel: one command per cycle on each of the row bus (ACT, PRE, REF) and the column bus
  (RD, WR), as HBM has separate row and column command pins; data bursts never overlap on the data
  bus, with tRTRS between bursts of different direction or rank;
* refresh: every tREFI per rank, all banks of the rank are precharged, then REF blocks the
  rank for tRFC.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.ledger import Ledger
from sim.hw.dram.address import decode
from sim.hw.dram.config import HbmConfig

IntArray = npt.NDArray[np.int64]

# Command kinds and their FR-FCFS priority (smaller first at equal issue cycle).
REF, PRE_REF, COL, ROW = 0, 1, 2, 3


@dataclass
class Command:
    """One issued DRAM command (for logs and tests)."""

    cycle: int
    kind: str  # ACT, PRE, RD, WR, REF
    channel: int
    bank: int
    row: int = -1
    request: int = -1


@dataclass
class DramStats:
    """Outcome of replaying a request trace (cycles of the DRAM command clock)."""

    arrival: IntArray
    issue: IntArray
    done: IntArray
    row_hit: npt.NDArray[np.bool_]
    bytes_per_request: int
    freq_hz: float
    ledger: Ledger
    commands: list[Command] = field(default_factory=list)

    @property
    def latency(self) -> IntArray:
        """Per-request latency: data transfer end minus arrival (cycles)."""
        return self.done - self.arrival

    @property
    def cycles(self) -> int:
        """Cycles from the first arrival to the last data transfer."""
        return int(self.done.max() - self.arrival.min()) if len(self.done) else 0

    @property
    def bandwidth_bytes_per_s(self) -> float:
        """Achieved bandwidth over the whole replay (bytes/s)."""
        if self.cycles == 0:
            return 0.0
        return len(self.done) * self.bytes_per_request * self.freq_hz / self.cycles

    @property
    def row_hit_rate(self) -> float:
        """Fraction of requests served without an ACT of their own."""
        return float(self.row_hit.mean()) if len(self.row_hit) else 0.0


class ChannelSim:
    """Bank state machines and the FR-FCFS scheduler of one channel."""

    def __init__(self, cfg: HbmConfig, channel: int, queue_size: int,
                 log: list[Command] | None) -> None:
        org, t = cfg.org, cfg.timing
        self.cfg, self.t, self.channel, self.log = cfg, t, channel, log
        self.burst = org.burst_cycles
        self.n_banks = org.banks_per_channel
        self.bpr, self.bpg = org.banks_per_rank, org.banks_per_group
        self.queue_size = queue_size
        big = np.int64(0)
        self.open_row = [-1] * self.n_banks
        self.act_ok = np.full(self.n_banks, big)
        self.pre_ok = np.full(self.n_banks, big)
        self.rd_ok = np.full(self.n_banks, big)
        self.wr_ok = np.full(self.n_banks, big)
        self.faw: list[deque[int]] = [deque(maxlen=4) for _ in range(org.ranks)]
        self.row_cmd_ok = 0
        self.col_cmd_ok = 0
        self.bus_free = 0
        self.bus_last: tuple[int, bool] | None = None  # (rank, is_write)
        self.ref_due = [t.tREFI] * org.ranks
        self.ref_pending = [False] * org.ranks
        self.queues: list[list[int]] = [[] for _ in range(self.n_banks)]
        self.queued = 0
        self.counts = {"act": 0, "pre": 0, "rd": 0, "wr": 0, "ref": 0}

    # -- candidate commands --------------------------------------------------------------
    def _faw_ok(self, rank: int) -> int:
        window = self.faw[rank]
        return window[0] + self.t.tFAW if len(window) == 4 else 0

    def _bus_ok(self, rank: int, is_write: bool) -> int:
        turn = 0
        if self.bus_last is not None and self.bus_last != (rank, is_write):
            turn = self.t.tRTRS
        return self.bus_free + turn - (self.t.CWL if is_write else self.t.CL)

    def _bank_candidate(self, b: int, now: int, req: _Requests) -> tuple[int, int, int, int]:
        """(cycle, priority, arrival, request) of the next command bank ``b`` needs."""
        queue = self.queues[b]
        row = self.open_row[b]
        base = max(now, self.row_cmd_ok)
        if row >= 0:
            for r in queue:
                if req.row[r] == row:
                    w = bool(req.write[r])
                    ok = self.wr_ok[b] if w else self.rd_ok[b]
                    rank = b // self.bpr
                    col = max(now, self.col_cmd_ok, int(ok), self._bus_ok(rank, w))
                    return col, COL, req.arrival[r], r
            return max(base, int(self.pre_ok[b])), ROW, req.arrival[queue[0]], queue[0]
        rank = b // self.bpr
        first = queue[0]
        return max(base, int(self.act_ok[b]), self._faw_ok(rank)), ROW, req.arrival[first], first

    def _refresh_candidate(self, rank: int, now: int) -> tuple[int, int, int, int]:
        """(cycle, priority, bank, -1): PRE of an open bank of ``rank`` or, if all closed, REF."""
        lo = rank * self.bpr
        base = max(now, self.row_cmd_ok)
        best: tuple[int, int, int, int] | None = None
        for b in range(lo, lo + self.bpr):
            if self.open_row[b] >= 0:
                cand = (max(base, int(self.pre_ok[b])), PRE_REF, b, -1)
                best = cand if best is None or cand < best else best
        if best is not None:
            return best
        return max(base, int(self.act_ok[lo:lo + self.bpr].max())), REF, lo, -1

    # -- issuing -------------------------------------------------------------------------
    def _emit(self, cycle: int, kind: str, bank: int, row: int = -1, request: int = -1) -> None:
        if kind in ("RD", "WR"):
            self.col_cmd_ok = cycle + 1
        else:
            self.row_cmd_ok = cycle + 1
        self.counts[kind.lower()] += 1
        if self.log is not None:
            self.log.append(Command(cycle, kind, self.channel, bank, row, request))

    def _act(self, cycle: int, b: int, row: int, request: int) -> None:
        t = self.t
        rank, lo = b // self.bpr, (b // self.bpr) * self.bpr
        g0 = (b // self.bpg) * self.bpg
        self.act_ok[lo:lo + self.bpr] = np.maximum(self.act_ok[lo:lo + self.bpr], cycle + t.tRRD_S)
        self.act_ok[g0:g0 + self.bpg] = np.maximum(self.act_ok[g0:g0 + self.bpg], cycle + t.tRRD_L)
        self.act_ok[b] = max(int(self.act_ok[b]), cycle + t.tRC)
        self.rd_ok[b] = max(int(self.rd_ok[b]), cycle + t.tRCDRD)
        self.wr_ok[b] = max(int(self.wr_ok[b]), cycle + t.tRCDWR)
        self.pre_ok[b] = max(int(self.pre_ok[b]), cycle + t.tRAS)
        self.faw[rank].append(cycle)
        self.open_row[b] = row
        self._emit(cycle, "ACT", b, row, request)

    def _pre(self, cycle: int, b: int) -> None:
        self.act_ok[b] = max(int(self.act_ok[b]), cycle + self.t.tRP)
        self._emit(cycle, "PRE", b, self.open_row[b])
        self.open_row[b] = -1

    def _ref(self, cycle: int, rank: int) -> None:
        lo = rank * self.bpr
        self.act_ok[lo:lo + self.bpr] = np.maximum(self.act_ok[lo:lo + self.bpr],
                                                   cycle + self.t.tRFC)
        self.ref_pending[rank] = False
        self.ref_due[rank] += self.t.tREFI
        self._emit(cycle, "REF", lo)

    def _column(self, cycle: int, b: int, r: int, req: _Requests) -> None:
        t, burst = self.t, self.burst
        w = bool(req.write[r])
        rank, lo = b // self.bpr, (b // self.bpr) * self.bpr
        g0 = (b // self.bpg) * self.bpg
        rs, gs = slice(lo, lo + self.bpr), slice(g0, g0 + self.bpg)
        if w:
            self.wr_ok[rs] = np.maximum(self.wr_ok[rs], cycle + t.tCCD_S)
            self.wr_ok[gs] = np.maximum(self.wr_ok[gs], cycle + t.tCCD_L)
            end = cycle + t.CWL + burst
            self.rd_ok[rs] = np.maximum(self.rd_ok[rs], end + t.tWTR_S)
            self.rd_ok[gs] = np.maximum(self.rd_ok[gs], end + t.tWTR_L)
            self.pre_ok[b] = max(int(self.pre_ok[b]), end + t.tWR)
        else:
            self.rd_ok[rs] = np.maximum(self.rd_ok[rs], cycle + t.tCCD_S)
            self.rd_ok[gs] = np.maximum(self.rd_ok[gs], cycle + t.tCCD_L)
            end = cycle + t.CL + burst
            self.pre_ok[b] = max(int(self.pre_ok[b]), cycle + t.tRTP_L)
        self.bus_free, self.bus_last = end, (rank, w)
        req.issue[r], req.done[r] = cycle, end
        self.queues[b].remove(r)
        self.queued -= 1
        self._emit(cycle, "WR" if w else "RD", b, self.open_row[b], r)

    # -- main loop -----------------------------------------------------------------------
    def _admit(self, now: int, pending: deque[int], req: _Requests) -> None:
        """Queue the requests that have arrived by cycle ``now`` (while queue space lasts) and
        flag each rank whose refresh is due."""
        while pending and req.arrival[pending[0]] <= now and self.queued < self.queue_size:
            r = pending.popleft()
            self.queues[int(req.bank[r])].append(r)
            self.queued += 1
        for rank, due in enumerate(self.ref_due):
            if not self.ref_pending[rank] and due <= now:
                self.ref_pending[rank] = True

    def run(self, req: _Requests, order: list[int]) -> None:
        """Serve the requests ``order`` (indices into ``req``, sorted by arrival)."""
        pending = deque(order)
        now = 0
        while True:
            self._admit(now, pending, req)
            best = self._best(now, req)
            if best is None and not pending:
                return
            nxt = self._next_event(pending, req)
            if best is None or nxt <= best[0]:
                now = max(now, nxt)
                continue
            now = self._issue(best, req)

    def _next_event(self, pending: deque[int], req: _Requests) -> int:
        cands = [due for due, p in zip(self.ref_due, self.ref_pending, strict=True) if not p]
        if pending and self.queued < self.queue_size:
            cands.append(int(req.arrival[pending[0]]))
        return min(cands) if cands else 1 << 62

    def _best(self, now: int, req: _Requests) -> tuple[int, int, int, int, int] | None:
        """(cycle, priority, arrival, request, bank) of the command to issue next (ties: oldest
        arrival, then trace order)."""
        best: tuple[int, int, int, int, int] | None = None
        for rank, pend in enumerate(self.ref_pending):
            if pend:
                cyc, prio, bank, _ = self._refresh_candidate(rank, now)
                cand = (cyc, prio, 0, -1, bank)
                best = cand if best is None or cand < best else best
        for b in range(self.n_banks):
            if not self.queues[b] or self.ref_pending[b // self.bpr]:
                continue
            cyc, prio, arrival, r = self._bank_candidate(b, now, req)
            cand = (cyc, prio, int(arrival), r, b)
            best = cand if best is None or cand < best else best
        return best

    def _issue(self, best: tuple[int, int, int, int, int], req: _Requests) -> int:
        cycle, prio, _, r, b = best
        if prio == REF:
            self._ref(cycle, b // self.bpr)
        elif prio == PRE_REF:
            self._pre(cycle, b)
        elif prio == COL:
            self._column(cycle, b, r, req)
        elif self.open_row[b] >= 0:
            self._pre(cycle, b)
        else:
            req.hit[r] = False
            self._act(cycle, b, int(req.row[r]), r)
        return cycle


@dataclass
class _Requests:
    arrival: IntArray
    write: npt.NDArray[np.bool_]
    channel: IntArray
    bank: IntArray
    row: IntArray
    issue: IntArray
    done: IntArray
    hit: npt.NDArray[np.bool_]


def replay(cfg: HbmConfig, cycles: npt.ArrayLike, addresses: npt.ArrayLike,
           is_write: npt.ArrayLike, queue_size: int = 32, log: bool = False) -> DramStats:
    """Replay a request trace (arrival cycle, byte address, write flag) through the controller.

    Returns per-request issue/completion cycles, row hits, the command ledger
    (``hbm.act``, ``hbm.pre``, ``hbm.rd``, ``hbm.wr``, ``hbm.ref``, and ``hbm.background_ns``:
    channel-nanoseconds of background power over the replay) and, with ``log=True``, every
    command issued.
    """
    arrival = np.asarray(cycles, dtype=np.int64)
    write = np.asarray(is_write, dtype=bool)
    if arrival.ndim != 1 or arrival.shape != write.shape:
        raise SimError("DRAM trace columns (cycle, address, write) must have equal lengths")
    if len(arrival) and arrival.min() < 0:
        raise SimError("DRAM trace cycles must be >= 0")
    if queue_size < 1:
        raise SimError(f"DRAM queue size must be >= 1, got {queue_size}")
    dec = decode(addresses, cfg.org)
    if dec.row.shape != arrival.shape:
        raise SimError("DRAM trace columns (cycle, address, write) must have equal lengths")
    n = len(arrival)
    req = _Requests(arrival, write, dec.channel, dec.flat_bank(cfg.org), dec.row,
                    np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n, bool))
    commands: list[Command] | None = [] if log else None
    ledger = Ledger()
    order = np.argsort(arrival, kind="stable")
    for ch in np.unique(dec.channel):
        sim = ChannelSim(cfg, int(ch), queue_size, commands)
        sim.run(req, [int(i) for i in order if dec.channel[i] == ch])
        for kind, count in sim.counts.items():
            if count:
                ledger.add(f"hbm.{kind}", count)
    span = int(req.done.max() - arrival.min()) if n else 0
    ledger.add("hbm.background_ns", span * cfg.org.channels * 1e3 / cfg.org.freq_mhz)
    if commands is not None:
        commands.sort(key=lambda c: (c.cycle, c.channel))
    return DramStats(arrival, req.issue, req.done, req.hit, cfg.org.request_bytes,
                     cfg.org.freq_mhz * 1e6, ledger, commands or [])
