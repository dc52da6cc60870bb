"""HBM channel controller with DRAMsim3's structure: the readable reference path.

Per channel (all counts are entries, all times cycles of the command clock):

* **Transaction queues.** A read queue and a write buffer (``HbmController.read_queue`` /
  ``write_buffer``). A read to an address with a pending write is served from the write buffer
  (it returns one cycle after acceptance); a read to an address with a pending read is merged
  with it (one READ command serves both); a write to an address with a pending write is merged.
* **Transaction to command.** Each cycle at most one transaction moves into its bank's command
  queue (``bank_queue`` entries): the first one, in queue order, whose bank queue has room. Reads
  move unless the write buffer is being drained: draining starts when the buffer is full, or when
  every bank queue is empty and more than ``write_drain`` writes wait (any write, once the trace
  has been handed over completely: DRAMsim3 would keep the last few writes forever), and it
  moves that many writes, stopping early at a write whose address still has a pending read.
* **Scheduling.** ``rr``: the bank queues are walked round-robin from the one after the last
  that issued; the first queue with a ready command issues it. Within a queue the first ready
  command wins: ACT for the oldest request of a closed bank; a column command for a request to
  the open row (a WRITE waits for an older READ to the same column); a PRECHARGE for the oldest
  request if it needs another row, but only while no queued request hits the open row or once
  the row has served ``row_hit_cap`` hits. ``frfcfs``: ready row hits first, oldest first, then
  the oldest ready ACT/PRE (a PRE only when no queued request hits the open row).
* **Dual issue.** A second command may issue in the same cycle if it is of the other class (row
  command ACT/PRE/REF vs column command READ/WRITE), as HBM has separate row and column pins.
* **Refresh.** Every ``tREFI / ranks`` cycles the next rank (round-robin) needs a refresh. Until
  it issues, that rank's queues are frozen: its open banks are precharged as soon as each may be,
  then REF blocks the rank for tRFC.
* **Power states.** Every cycle each rank is counted in active standby if any of its banks is
  open, else in precharge standby; over the whole window, on every channel.

Timing constraints come from :mod:`sim.hw.dram.timing`. A cycle in which nothing can happen is
skipped: the channel jumps to the next cycle at which a command becomes ready, a refresh falls
due or a transaction arrives.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.hw.dram.address import decode
from sim.hw.dram.config import HbmConfig
from sim.hw.dram.timing import (
    ACT,
    KINDS,
    NONE,
    OTHER_GROUPS,
    OTHER_RANKS,
    PRE,
    RD,
    REF,
    SAME_BANK,
    SAME_GROUP,
    WR,
    delays,
)

IntArray = npt.NDArray[np.int64]
FAR = 1 << 62
"""A cycle later than any event."""
Pick = tuple[int, int, int]
"""A command chosen to issue: (kind, bank, position of its request in the bank queue)."""


@dataclass
class Command:
    """One issued DRAM command (for logs and tests)."""

    cycle: int
    kind: str  # ACT, PRE, RD, WR, REF
    channel: int
    bank: int
    row: int = -1
    request: int = -1


class Requests:
    """A decoded request trace (in file order) and each request's outcome (cycles).

    ``accepted``: cycle the controller took the transaction; ``issue``: cycle of the READ/WRITE
    command that served it (-1 for a read served from the write buffer); ``done``: data returned
    (reads) or written (writes).
    """

    def __init__(self, cfg: HbmConfig, cycles: npt.ArrayLike, addresses: npt.ArrayLike,
                 is_write: npt.ArrayLike) -> None:
        arrival = np.asarray(cycles, dtype=np.int64)
        write = np.asarray(is_write, dtype=bool)
        addr = np.asarray(addresses, dtype=np.int64)
        if arrival.ndim != 1 or arrival.shape != write.shape or addr.shape != arrival.shape:
            raise SimError("DRAM trace columns (cycle, address, write) must have equal lengths")
        if len(arrival) and (arrival.min() < 0 or addr.min() < 0):
            raise SimError("DRAM trace cycles and addresses must be >= 0")
        dec = decode(addr, cfg.org)
        self.n = len(arrival)
        self.arrival_a, self.write_a, self.channel_a = arrival, write, dec.channel
        self.arrival: list[int] = arrival.tolist()
        self.write: list[bool] = write.tolist()
        self.channel: list[int] = dec.channel.tolist()
        self.bank: list[int] = dec.flat_bank(cfg.org).tolist()
        self.row: list[int] = dec.row.tolist()
        self.col: list[int] = dec.column.tolist()
        self.addr: list[int] = addr.tolist()
        self.accepted = np.full(self.n, -1, np.int64)
        self.issue = np.full(self.n, -1, np.int64)
        self.done = np.full(self.n, -1, np.int64)


class ChannelSim:
    """One channel: transaction queues, per-bank command queues, bank states, refresh."""

    def __init__(self, cfg: HbmConfig, channel: int, req: Requests,
                 log: list[Command] | None = None) -> None:
        org, self.ctrl = cfg.org, cfg.controller
        self.cfg, self.t, self.channel, self.req, self.log = cfg, cfg.timing, channel, req, log
        self.burst = org.burst_cycles
        self.n_banks, self.bpr, self.bpg = org.banks_per_channel, org.banks_per_rank, \
            org.banks_per_group
        self.read_delay = cfg.timing.CL + self.burst
        self.write_delay = cfg.timing.CWL + self.burst
        self.updates = _update_lists(cfg)
        self.earliest = [[0] * 5 for _ in range(self.n_banks)]
        self.open_row = [-1] * self.n_banks
        self.hits = [0] * self.n_banks  # column commands since the bank's ACT
        self.open_in_rank = [0] * org.ranks
        self.faw: list[deque[int]] = [deque(maxlen=4) for _ in range(org.ranks)]
        self.read_q: list[int] = []
        self.write_q: list[int] = []
        self.bank_q: list[list[int]] = [[] for _ in range(self.n_banks)]
        self.pending_rd: dict[int, list[int]] = {}
        self.pending_wr: dict[int, list[int]] = {}
        self.draining = 0
        self.reads_out = 0  # reads accepted whose data has not returned (read_inflight)
        self.returns: list[int] = []  # heap: return cycles of served reads still counted
        self.queued = 0  # commands in all bank queues
        self.flushing = False  # the trace is handed over: drain any write
        self.rr = 0
        self.interval = cfg.timing.tREFI // org.ranks
        self.ref_q: deque[int] = deque()
        self.next_ref_rank = 0
        self.ref_rank = -1  # rank whose queues are frozen for a refresh, -1 if none
        self.counts = {"act": 0, "pre": 0, "rd": 0, "wr": 0, "ref": 0, "row_hits": 0}
        self.standby = [[0, 0] for _ in range(org.ranks)]  # [active, precharged] cycles
        self.accounted = 0
        self.unresolved = 0
        self.busy = False
        self.soonest = FAR
        self.row_cmd_ok = 0  # first cycle the row / column command pins are free
        self.col_cmd_ok = 0

    # -- transactions --------------------------------------------------------------------
    def will_accept(self, is_write: bool, now: int) -> bool:
        """Whether the read queue (or write buffer) has room for one more transaction at cycle
        ``now``, and for a read, whether fewer than ``read_inflight`` reads are in flight."""
        if is_write:
            return len(self.write_q) < self.ctrl.write_buffer
        if self.ctrl.read_inflight:
            while self.returns and self.returns[0] <= now:
                heapq.heappop(self.returns)
                self.reads_out -= 1
            if self.reads_out >= self.ctrl.read_inflight:
                return False
        return len(self.read_q) < self.ctrl.read_queue

    def read_slot(self) -> int:
        """Cycle at which an in-flight read returns and frees a slot, FAR if none is due."""
        return self.returns[0] if self.returns else FAR

    def add(self, r: int, cycle: int) -> None:
        """Accept request ``r`` at ``cycle`` (merging or forwarding as described above)."""
        req = self.req
        req.accepted[r] = cycle
        a = req.addr[r]
        if req.write[r]:
            if a in self.pending_wr:
                self.pending_wr[a].append(r)
            else:
                self.pending_wr[a] = [r]
                self.write_q.append(r)
        elif a in self.pending_wr:
            req.done[r] = cycle + 1
            if self.ctrl.read_inflight:
                self.reads_out += 1
                heapq.heappush(self.returns, cycle + 1)
            return
        elif a in self.pending_rd:
            self.pending_rd[a].append(r)
        else:
            self.pending_rd[a] = [r]
            self.read_q.append(r)
        if self.ctrl.read_inflight and not req.write[r]:
            self.reads_out += 1
        self.unresolved += 1

    def schedule_transaction(self) -> bool:
        """Move at most one transaction into its bank queue; whether one moved."""
        ctrl, req = self.ctrl, self.req
        wq = self.write_q
        threshold = 0 if self.flushing else ctrl.write_drain
        if not self.draining and (len(wq) >= ctrl.write_buffer
                                  or (not self.queued and len(wq) > threshold)):
            self.draining = len(wq)
        queue = wq if self.draining else self.read_q
        for i, r in enumerate(queue):
            b = req.bank[r]
            if len(self.bank_q[b]) < ctrl.bank_queue:
                if req.write[r]:
                    if req.addr[r] in self.pending_rd:
                        self.draining = 0
                        return False
                    self.draining -= 1
                self.bank_q[b].append(r)
                self.queued += 1
                del queue[i]
                return True
        return False

    # -- one cycle -----------------------------------------------------------------------
    def tick(self, now: int) -> None:
        """Simulate cycle ``now``: refresh due, command issue, power state, transaction move."""
        self.account(now)
        self.busy = False
        self.soonest = FAR
        if now and now % self.interval == 0:
            self.ref_q.append(self.next_ref_rank)
            self.next_ref_rank = (self.next_ref_rank + 1) % len(self.faw)
        self.issue_commands(now)
        if self.schedule_transaction():
            self.busy = True

    def issue_commands(self, now: int) -> None:
        """Issue the refresh or scheduled command of this cycle, and a dual-issue partner."""
        first = self.refresh_command(now) if self.ref_q else None
        if first is None:
            first = self.pick(now, None)
        if first is None:
            return
        self.issue(first, now)
        if self.ctrl.dual_issue:
            first_col = first[0] in (RD, WR)
            second = self.pick(now, not first_col)
            if second is not None and (second[0] in (RD, WR)) != first_col:
                self.issue(second, now)

    def next_tick(self, now: int) -> int:
        """The next cycle after ``now`` at which this channel can change state by itself."""
        if self.busy:
            return now + 1
        return min(self.soonest, (now // self.interval + 1) * self.interval)

    def account(self, now: int) -> None:
        """Count the cycles since the last call in each rank's power state."""
        dt = now - self.accounted
        if dt > 0:
            for rank, opened in enumerate(self.open_in_rank):
                self.standby[rank][0 if opened else 1] += dt
            self.accounted = now

    # -- choosing a command --------------------------------------------------------------
    def _later(self, cycle: int) -> None:
        if cycle < self.soonest:
            self.soonest = cycle

    def faw_ready(self, rank: int) -> int:
        """First cycle the four-activate window of ``rank`` allows another ACT."""
        window = self.faw[rank]
        return window[0] + self.t.tFAW if len(window) == 4 else 0

    def column_ready(self, kind: int, bank: int, now: int) -> int:
        """First cycle >= ``now`` at which a column command's data may use the bus (a hook:
        the base controller's data-bus spacing is all in the timing table)."""
        return now

    def refresh_command(self, now: int) -> Pick | None:
        """PRE of the first open bank of the rank to refresh that may precharge, else REF when
        every bank is closed and ready; None if neither can issue now."""
        rank = self.ref_q[0]
        self.ref_rank = rank
        lo = rank * self.bpr
        all_ready = True
        for b in range(lo, lo + self.bpr):
            kind = PRE if self.open_row[b] >= 0 else REF
            ready = self.earliest[b][kind]
            if ready <= now and kind == PRE:
                return PRE, b, -1
            if ready > now:
                self._later(ready)
                all_ready = False
        return (REF, lo, -1) if all_ready else None

    def pick(self, now: int, column: bool | None) -> Pick | None:
        """The scheduler's next command (``column``: only of that class, FR-FCFS only)."""
        if self.ctrl.scheduler == "frfcfs":
            return self._pick_frfcfs(now, column)
        n = self.n_banks
        for i in range(1, n + 1):
            b = (self.rr + i) % n
            if not self.bank_q[b] or b // self.bpr == self.ref_rank:
                continue
            found = self._first_ready(b, now)
            if found is not None:
                self.rr = b
                return found
        return None

    def _act_ready(self, b: int, now: int) -> bool:
        ready = max(self.earliest[b][ACT], self.faw_ready(b // self.bpr))
        if ready > now:
            self._later(ready)
        return ready <= now

    def _col_ready(self, kind: int, b: int, now: int) -> bool:
        ready = max(self.earliest[b][kind], now)
        ready = self.column_ready(kind, b, ready)
        if ready > now:
            self._later(ready)
        return ready <= now

    def _first_ready(self, b: int, now: int) -> Pick | None:
        """DRAMsim3's first ready command of bank queue ``b``."""
        q, req, row = self.bank_q[b], self.req, self.open_row[b]
        if row < 0:
            return (ACT, b, 0) if self._act_ready(b, now) else None
        waiting: set[int] = set()
        for pos, r in enumerate(q):
            if req.row[r] == row:
                found = self._hit_ready(q, pos, b, now, waiting)
                if found is not None:
                    return found
            elif self.earliest[b][PRE] > now:
                self._later(self.earliest[b][PRE])
            elif pos == 0 and (self.hits[b] >= self.ctrl.row_hit_cap
                               or all(req.row[x] != row for x in q)):
                return PRE, b, 0
        return None

    def _hit_ready(self, q: list[int], pos: int, b: int, now: int,
                   waiting: set[int]) -> Pick | None:
        """The row hit at ``pos`` of bank queue ``b`` if it may issue now. ``waiting`` collects
        the column kinds found not ready this cycle: the answer is the same for every queued
        hit of that kind, so they are not checked again."""
        kind = WR if self.req.write[q[pos]] else RD
        if kind in waiting:
            return None
        if not self._col_ready(kind, b, now):
            waiting.add(kind)
            return None
        return None if kind == WR and self._depends(q, pos) else (kind, b, pos)

    def _depends(self, q: list[int], pos: int) -> bool:
        """Whether the WRITE at ``pos`` must wait for an older READ to the same column."""
        req = self.req
        w = q[pos]
        return any(not req.write[x] and req.row[x] == req.row[w] and req.col[x] == req.col[w]
                   for x in q[:pos])

    def _frfcfs_candidate(self, b: int, now: int) -> Pick | None:
        q, req, row = self.bank_q[b], self.req, self.open_row[b]
        if row < 0:
            return (ACT, b, 0) if self._act_ready(b, now) else None
        hit = False
        waiting: set[int] = set()
        for pos, r in enumerate(q):
            if req.row[r] == row:
                hit = True
                found = self._hit_ready(q, pos, b, now, waiting)
                if found is not None:
                    return found
        if hit:
            return None
        if self.earliest[b][PRE] > now:
            self._later(self.earliest[b][PRE])
            return None
        return PRE, b, 0

    def _pick_frfcfs(self, now: int, column: bool | None) -> Pick | None:
        best: tuple[tuple[int, int], Pick] | None = None
        for b in range(self.n_banks):
            if not self.bank_q[b] or b // self.bpr == self.ref_rank:
                continue
            cand = self._frfcfs_candidate(b, now)
            if cand is None:
                continue
            is_col = cand[0] in (RD, WR)
            if column is not None and is_col != column:
                continue
            key = (0 if is_col else 1, self.bank_q[b][cand[2]])
            if best is None or key < best[0]:
                best = (key, cand)
        return best[1] if best else None

    # -- issuing -------------------------------------------------------------------------
    def issue(self, pick: Pick, now: int) -> None:
        """Issue ``pick`` at cycle ``now``: bank state, timing, statistics, served requests."""
        kind, b, pos = pick
        rank = b // self.bpr
        request, row = -1, self.open_row[b]
        if kind == ACT:
            request = self.bank_q[b][pos]
            row = self.req.row[request]
            self.open_row[b], self.hits[b] = row, 0
            self.open_in_rank[rank] += 1
            self.faw[rank].append(now)
        elif kind == PRE:
            self.open_row[b], self.hits[b] = -1, 0
            self.open_in_rank[rank] -= 1
        elif kind == REF:
            self.ref_q.remove(rank)
            self.ref_rank = -1
        else:
            request = self.bank_q[b].pop(pos)
            self.queued -= 1
            self._serve(kind, b, request, now)
        for x, j, d in self.updates[kind][b]:
            e = self.earliest[x]
            if now + d > e[j]:
                e[j] = now + d
        if kind in (RD, WR):
            self.col_cmd_ok = now + 1
        else:
            self.row_cmd_ok = now + 1
        self.counts[KINDS[kind].lower()] += 1
        self.busy = True
        if self.log is not None:
            self.log.append(Command(now, KINDS[kind], self.channel, b, row, request))

    def _serve(self, kind: int, b: int, request: int, now: int) -> None:
        """Complete every transaction the column command serves (merged ones included)."""
        if self.hits[b]:
            self.counts["row_hits"] += 1
        self.hits[b] += 1
        req = self.req
        pending = self.pending_rd if kind == RD else self.pending_wr
        served = pending.pop(req.addr[request])
        done = now + (self.read_delay if kind == RD else self.write_delay)
        for r in served:
            req.issue[r], req.done[r] = now, done
            if kind == RD and self.ctrl.read_inflight:
                heapq.heappush(self.returns, done)
        self.unresolved -= len(served)

    def has_work(self) -> bool:
        """Whether accepted requests still wait for their READ/WRITE command."""
        return self.unresolved > 0

    def pending_requests(self) -> list[int]:
        """Requests accepted but not yet moved out of the queues (transaction or command)."""
        return [*self.read_q, *self.write_q, *(r for q in self.bank_q for r in q)]


def _update_lists(cfg: HbmConfig) -> list[list[list[tuple[int, int, int]]]]:
    """For each command kind and bank: the (bank, kind, delay) timing updates it causes."""
    org = cfg.org
    d = delays(cfg)
    out: list[list[list[tuple[int, int, int]]]] = []
    for k in range(5):
        per_bank = []
        for b in range(org.banks_per_channel):
            ups = []
            for x in range(org.banks_per_channel):
                scope = _scope(b, x, org.banks_per_rank, org.banks_per_group)
                ups += [(x, j, int(d[k, scope, j])) for j in range(5) if d[k, scope, j] != NONE]
            per_bank.append(ups)
        out.append(per_bank)
    return out


def _scope(b: int, x: int, bpr: int, bpg: int) -> int:
    """Relation of bank ``x`` to bank ``b`` (both flat indices within the channel)."""
    if b == x:
        return SAME_BANK
    if b // bpr != x // bpr:
        return OTHER_RANKS
    return SAME_GROUP if b // bpg == x // bpg else OTHER_GROUPS


def drive(sims: list[ChannelSim], req: Requests) -> int:
    """Hand the requests to their channels, one per cycle in file order, never before their
    cycle; a refused request is retried next cycle and blocks those behind it. Returns the
    cycles to finish: every read returned and every write sent as a WRITE command."""
    nxt = [0] * len(sims)
    head, t = 0, 0
    if not req.n:
        _flush(sims, nxt, 0)
    while True:
        for ch, sim in enumerate(sims):
            if nxt[ch] <= t:
                sim.tick(t)
                nxt[ch] = sim.next_tick(t)
        accepted = _hand_over(sims, req, head, t, nxt)
        head += accepted
        if head == req.n and not any(s.has_work() for s in sims):
            break
        t = _next_cycle(req, head, t, accepted, min(nxt))
        if not accepted and head < req.n and req.arrival[head] < t:  # a refused read may
            t = min(t, sims[req.channel[head]].read_slot())  # enter when one returns
    finish = finish_cycle(req)
    for ch, sim in enumerate(sims):
        while nxt[ch] < finish:
            sim.tick(nxt[ch])
            nxt[ch] = sim.next_tick(nxt[ch])
        sim.account(finish)
    return finish


def _hand_over(sims: list[ChannelSim], req: Requests, head: int, t: int,
               nxt: list[int]) -> bool:
    """Offer request ``head`` to its channel at cycle ``t``; whether it was accepted (at
    ``t + 1``, after the controllers' cycle ``t``)."""
    if head >= req.n or req.arrival[head] > t:
        return False
    ch = req.channel[head]
    if not sims[ch].will_accept(req.write[head], t):
        return False
    sims[ch].add(head, t + 1)
    nxt[ch] = t + 1
    if head + 1 == req.n:
        _flush(sims, nxt, t + 1)
    return True


def _next_cycle(req: Requests, head: int, t: int, accepted: bool, channels_next: int) -> int:
    """Next cycle at which a channel or the driver can act (a refused request waits for its
    channel's next cycle, already in ``channels_next``)."""
    if head < req.n:
        if accepted:
            return min(channels_next, max(t + 1, req.arrival[head]))
        if req.arrival[head] > t:
            return min(channels_next, req.arrival[head])
    return channels_next


def _flush(sims: list[ChannelSim], nxt: list[int], cycle: int) -> None:
    """The trace is handed over: let every channel drain its write buffer from ``cycle``."""
    for ch, sim in enumerate(sims):
        sim.flushing = True
        nxt[ch] = min(nxt[ch], cycle)


def finish_cycle(req: Requests) -> int:
    """First cycle by which every read has returned and every write has been issued."""
    if not req.n:
        return 0
    reads = req.done[~req.write_a]
    writes = req.issue[req.write_a]
    return int(max(reads.max(initial=0), writes.max(initial=-1) + 1))
