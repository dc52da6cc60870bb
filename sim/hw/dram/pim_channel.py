"""One HBM channel serving normal requests and all-bank PIM GEMV tiles, cycle by cycle.

PIM operations are issued by the rules of the PIM timing model
(:mod:`sim.hw.dram.pim_commands`; with no normal traffic both give the same command cycles):

* A *tile* (see :mod:`sim.models.npu_pim.pim`): one PIM precharge per bank whose PIM row is open
  (one command each, as the NeuPIMs controller closes the PIM rows bank by bank; tRTP after the
  row's last column access, tRAS after its activation), the tile's header (``P_HEADER``, one
  command slot), one G_ACT per (bank group, rank) — each activates the 4 banks of its group, so
  it fills its rank's tFAW window, obeys tRRD_S/tRRD_L against every other activation and waits
  tRP after its own group's precharges — then, tRCDRD after the last G_ACT, ``heads`` fused
  COMPS_READRES commands ``beats x spacing + column_slot`` apart (the beats plus the READRES
  slot). A head's result burst takes the data bus at its READRES slot (read latency CL) and is
  ready ``result_cycles`` after the command. The head's row and the global buffer are released
  at the last beat, or with ``release_at_issue`` (the NeuPIMs simulator's timing table) at the
  command itself: the next tile may precharge tRTP after that, while the beats still stream.
* A *GWRITE* (the query or score row an attention phase multiplies with, copied into the global
  buffer) reads the staging row in bank 0's normal row buffer: a PRE if bank 0 holds another
  row, an ACT, and tRCDRD later (and a column slot after the last head read the buffer) the
  GWRITE column command, which keeps bank 0 for ``gwrite_cycles``. While it runs, normal
  commands to bank 0 wait (its precharge tRTP after the copy) and the PIM queue is held: the
  next operation's first command issues no earlier than the copy's end. Other banks serve
  normal requests.

Command slots: with ``controller.dual_issue`` off (one command per cycle on the channel, as in
the NeuPIMs simulator's controllers) a PIM command takes the whole cycle, so a run of PIM
precharges or G_ACTs holds back normal column commands as well; with dual issue a PIM command
takes only its own (row or column) pins (the header counts as a column command).

Row-buffer designs (reference section 3):

* ``row_buffers=2`` (dual): PIM rows live in a separate buffer. Normal commands continue while
  a tile runs; they share the row/column command buses, the data bus (result bursts) and the
  activation windows (tRRD, tFAW) with the PIM commands. PIM precharge needs no wait on normal
  accesses. The stream may close the staging row (a read of another bank-0 row); the next
  GWRITE then reopens it.
* ``row_buffers=1`` (blocked): one row buffer per bank. A tile starts only after every normal
  request that arrived before it has been served; its precharges close the open normal rows
  (each waiting for its bank's tRAS/tRTP/tWR), and normal commands wait until the tile ends,
  after which the banks are closed (the next normal ACT waits tRP).

The NeuPIMs controller's queue arbitration is simplified: at equal issue cycles PIM commands
go before normal column commands.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.ledger import Ledger
from sim.hw.dram.address import decode
from sim.hw.dram.config import HbmConfig
from sim.hw.dram.controller import ChannelSim, Command, Pick, Requests, drive
from sim.hw.dram.pim_commands import PimDesign, PimOp, column_slot, gwrite_cycles
from sim.hw.dram.timing import ACT, PRE, RD, WR

NEG = -(1 << 40)


@dataclass(frozen=True)
class PimTile:
    """One PIM operation arriving at ``arrival`` (cycle): an all-bank GEMV tile of ``heads``
    fused COMPS_READRES, each streaming ``beats`` COMP beats ``spacing`` cycles apart with its
    result ready ``result_cycles`` after its command, or, with ``gwrite``, a GWRITE of the
    staging row into the global buffer (the other fields unused)."""

    arrival: int
    heads: int = 0
    beats: int = 0
    spacing: int = 0
    result_cycles: int = 0
    gwrite: bool = False

    @classmethod
    def of(cls, op: PimOp, design: PimDesign, arrival: int = 0) -> PimTile:
        """The operation ``op`` of a fused PIM design (beats at least ``min_beats``)."""
        if op.kind == "gwrite":
            return cls(arrival, gwrite=True)
        beats = max(op.comps, design.min_beats)
        return cls(arrival, op.heads, beats, design.spacing, design.gemv_cycles(beats))


@dataclass
class PimReplay:
    """Normal-request statistics plus every tile's (start, end) and the command log."""

    issue: npt.NDArray[np.int64]
    done: npt.NDArray[np.int64]
    arrival: npt.NDArray[np.int64]
    tile_start: list[int]
    tile_end: list[int]
    ledger: Ledger
    commands: list[Command]

    @property
    def latency(self) -> npt.NDArray[np.int64]:
        """Per normal request: data end minus arrival (cycles)."""
        return self.done - self.arrival


class PimChannelSim(ChannelSim):
    """A :class:`ChannelSim` that also executes PIM tiles (dual or blocked row buffers).

    Each cycle a ready PIM command goes first; normal commands then use the command pins it
    left free (dual mode with dual issue; none with single issue), or wait for the tile to end
    (blocked mode). Refresh waits for a running tile (simplification).
    """

    def __init__(self, cfg: HbmConfig, tiles: list[PimTile], row_buffers: int, req: Requests,
                 log: list[Command] | None, release_at_issue: bool = False) -> None:
        super().__init__(cfg, 0, req, log)
        if row_buffers not in (1, 2):
            raise SimError(f"row_buffers must be 1 or 2, got {row_buffers}")
        self.dual = row_buffers == 2
        self.release_at_issue = release_at_issue
        self.tiles = deque(sorted(tiles, key=lambda x: x.arrival))
        self.steps: list[tuple[str, int]] = []  # remaining commands of the active tile
        self.tile: PimTile | None = None
        self.hold = 0  # the PIM queue waits for a GWRITE's copy until this cycle
        self.pim_open = False  # dual: the banks' PIM row buffers hold the last tile's row
        groups = cfg.org.ranks * cfg.org.bankgroups
        self.pim_act = [NEG] * self.n_banks  # activation of each bank's PIM row
        self.pim_col = NEG  # last column access (GEMV) of the PIM rows
        self.group_pre = [NEG] * groups  # last PIM precharge of each group in the active tile
        self.gact_at = [NEG] * groups  # last G_ACT of each (rank, bank group)
        self.last_gact = 0
        self.head_free = 0
        self.buffer_ready = 0  # the global buffer is filled (last GWRITE's copy ends)
        self.buffer_read = NEG  # last GEMV access of the global buffer
        self.last_act_bg = [NEG] * groups
        self.reserved: list[tuple[int, int]] = []  # data-bus intervals of PIM result bursts
        self.gwrite_row = cfg.org.rows  # the global-buffer copy's row: no request maps to it
        self.gwrite_bank: int | None = None  # bank held by the active GWRITE
        self.gwrite_act = NEG  # last activation of the GWRITE row
        self.tile_start: list[int] = []
        self.tile_end: list[int] = []
        self.counts.update({"pim_pre": 0, "gact": 0, "comps_readres": 0, "gwrite": 0,
                            "p_header": 0})

    # -- normal-path hooks -----------------------------------------------------------------
    def column_ready(self, kind: int, bank: int, now: int) -> int:
        """Move a normal burst past the data-bus slots reserved for PIM result bursts."""
        lat = self.t.CWL if kind == WR else self.t.CL
        data = now + lat
        for lo, hi in sorted(self.reserved):
            if data < hi and data + self.burst > lo:
                data = hi + self.t.tRTRS
        return data - lat

    def _first_ready(self, b: int, now: int) -> Pick | None:
        """No normal command for the bank an active GWRITE holds (``rr`` scheduler)."""
        return None if b == self.gwrite_bank else super()._first_ready(b, now)

    def _frfcfs_candidate(self, b: int, now: int) -> Pick | None:
        """No normal command for the bank an active GWRITE holds (``frfcfs`` scheduler)."""
        return None if b == self.gwrite_bank else super()._frfcfs_candidate(b, now)

    def issue(self, pick: Pick, now: int) -> None:
        """Issue a normal command, remembering ACT cycles per bank group (for G_ACT's tRRD_L)."""
        if pick[0] == ACT:
            self.last_act_bg[pick[1] // self.bpg] = now
        super().issue(pick, now)

    def issue_commands(self, now: int) -> None:
        """PIM command first, then normal commands on the free pins (none in blocked mode)."""
        self.reserved = [iv for iv in self.reserved if iv[1] > now]
        self._start_tile(now)
        pim = self._pim_candidate(now)
        used: bool | None = None  # pins taken by a PIM command: True column, False row
        if pim is not None and pim[0] <= now:
            self._issue_pim(now, pim[1], pim[2])
            self.busy = True
            if not self.ctrl.dual_issue:  # one command per cycle: the PIM command took it
                return
            used = pim[1] in ("CR", "GWRITE", "P_HEADER")
        if self.tile is None and used is None:
            super().issue_commands(now)
            return
        if not self.dual and self.tile is not None:
            return
        first = self.pick(now, None if used is None else not used)
        if first is None or (used is not None and (first[0] in (RD, WR)) == used):
            return
        self.issue(first, now)
        if used is None and self.ctrl.dual_issue:
            second = self.pick(now, first[0] not in (RD, WR))
            if second is not None and (second[0] in (RD, WR)) != (first[0] in (RD, WR)):
                self.issue(second, now)

    def next_tick(self, now: int) -> int:
        """The base controller's next event, or the next PIM command or tile arrival."""
        nxt = super().next_tick(now)
        if self.tile is not None:
            pim = self._pim_candidate(now + 1)
            if pim is not None:
                nxt = min(nxt, pim[0])
        elif self.tiles:
            nxt = min(nxt, max(self.tiles[0].arrival, now + 1))
        return nxt

    def has_work(self) -> bool:
        """Normal requests outstanding or PIM tiles left."""
        return super().has_work() or self.tile is not None or bool(self.tiles)

    # -- PIM tile state machine ------------------------------------------------------------
    def _start_tile(self, now: int) -> None:
        """Activate the next tile if it has arrived (blocked: after older normal requests)."""
        if self.tile is not None or not self.tiles or self.tiles[0].arrival > now:
            return
        head = self.tiles[0]
        if not self.dual and any(self.req.arrival[r] < head.arrival
                                 for r in self.pending_requests()):
            return
        self.tile = self.tiles.popleft()
        org = self.cfg.org
        if self.tile.gwrite:
            self.gwrite_bank = 0  # bank 0 is blocked from here: its open row stays as it is
            opened = self.open_row[0] == self.gwrite_row
            self.steps = [("GWRITE", 0)] if opened else [("N_ACT", 0), ("GWRITE", 0)]
            return
        self.group_pre = [NEG] * len(self.group_pre)
        self.head_free = 0
        self.steps = [("PIM_PRE", b) for b in self._rows_to_close()]
        self.steps.append(("P_HEADER", -1))
        self.steps += [("G_ACT", g * org.ranks + r) for g in range(org.bankgroups)
                       for r in range(org.ranks)]
        self.steps += [("CR", h) for h in range(self.tile.heads)]

    def _rows_to_close(self) -> list[int]:
        """Banks a new tile must precharge: dual, every bank once the PIM rows are open;
        blocked, the banks with an open normal row (the shared row buffer)."""
        if self.dual:
            return list(range(self.n_banks)) if self.pim_open else []
        return [b for b in range(self.n_banks) if self.open_row[b] >= 0]

    def _pim_candidate(self, now: int) -> tuple[int, str, int] | None:
        if self.tile is None or not self.steps:
            return None
        kind, arg = self.steps[0]
        t = self.t
        if kind in ("N_ACT", "GWRITE"):
            return self._gwrite_candidate(now, kind, arg)
        base = max(now, self.hold, self.tile.arrival)
        if kind == "PIM_PRE":
            cyc = max(base, self.row_cmd_ok)
            if self.dual:
                cyc = max(cyc, self.pim_col + t.tRTP, self.pim_act[arg] + t.tRAS)
            else:
                cyc = max(cyc, self.earliest[arg][PRE])
            return cyc, kind, arg
        if kind == "P_HEADER":
            return max(base, self.col_cmd_ok), kind, arg
        if kind == "G_ACT":
            rank = arg % self.cfg.org.ranks
            bg = rank * self.cfg.org.bankgroups + arg // self.cfg.org.ranks
            window = self.faw[rank]
            cyc = max(base, self.row_cmd_ok, self.group_pre[bg] + t.tRP,
                      self.gact_at[bg] + t.tRC, self.faw_ready(rank),
                      (window[-1] + t.tRRD_S) if window else 0,
                      self.last_act_bg[bg] + t.tRRD_L)
            if not self.dual:  # the shared row buffer must be precharged (normal tRP)
                lo = bg * self.bpg
                cyc = max(cyc, *(self.earliest[b][ACT] for b in range(lo, lo + self.bpg)))
            return cyc, kind, bg
        cyc = max(now, self.col_cmd_ok, self.last_gact + t.tRCDRD, self.head_free,
                  self.buffer_ready)
        return cyc, kind, arg

    def _gwrite_candidate(self, now: int, kind: str, bank: int) -> tuple[int, str, int]:
        """Next command of a GWRITE on ``bank``: PRE of another open row, ACT, then GWRITE
        (a column slot after the last GEMV access of the global buffer)."""
        assert self.tile is not None
        row = self.open_row[bank]
        base = max(now, self.hold, self.tile.arrival)
        if kind == "GWRITE":  # like a COMPS_READRES: its slot and its row, no data-bus turn
            return max(base, self.col_cmd_ok, self.gwrite_act + self.t.tRCDRD,
                       self.buffer_read + column_slot(self.cfg)), kind, bank
        base = max(base, self.row_cmd_ok)
        if row >= 0:
            return max(base, self.earliest[bank][PRE]), "N_PRE", bank
        rank = bank // self.bpr
        return max(base, self.earliest[bank][ACT], self.faw_ready(rank)), kind, bank

    def _raise_act(self, banks: range, cycle: int) -> None:
        for b in banks:
            self.earliest[b][ACT] = max(self.earliest[b][ACT], cycle)

    def _issue_pim(self, cycle: int, kind: str, arg: int) -> None:
        assert self.tile is not None
        self._mark_start(cycle)
        if kind == "N_PRE":  # closes the normal row; the GWRITE's ACT stays the next step
            self._normal(PRE, arg, cycle)
            return
        self.steps.pop(0)
        if kind == "N_ACT":
            self._normal(ACT, arg, cycle)
        elif kind == "GWRITE":
            self._gwrite(cycle, arg)
        elif kind == "PIM_PRE":
            self._pim_precharge(cycle, arg)
        elif kind == "P_HEADER":
            self._log(cycle, "P_HEADER", -1)
            self.col_cmd_ok = cycle + 1
            self.counts["p_header"] += 1
        elif kind == "G_ACT":
            self._gact(cycle, arg)
        else:
            self._comps_readres(cycle, self.tile)

    def _normal(self, kind: int, bank: int, cycle: int) -> None:
        """A GWRITE's own PRE or ACT on ``bank``'s normal row buffer (normal timing rules)."""
        rank = bank // self.bpr
        if kind == ACT:
            self.gwrite_act = cycle
            self.open_row[bank], self.hits[bank] = self.gwrite_row, 0
            self.open_in_rank[rank] += 1
            self.faw[rank].append(cycle)
            self.last_act_bg[bank // self.bpg] = cycle
        else:
            self.open_row[bank], self.hits[bank] = -1, 0
            self.open_in_rank[rank] -= 1
        self._update(kind, bank, cycle)
        self.row_cmd_ok = cycle + 1
        self.counts["act" if kind == ACT else "pre"] += 1
        self._log(cycle, "GW_ACT" if kind == ACT else "GW_PRE", bank)

    def _update(self, kind: int, bank: int, cycle: int) -> None:
        for x, j, d in self.updates[kind][bank]:
            self.earliest[x][j] = max(self.earliest[x][j], cycle + d)

    def _gwrite(self, cycle: int, bank: int) -> None:
        """The GWRITE column command: other banks see a read; ``bank`` is held for
        ``gwrite_cycles`` (its precharge tRTP after the copy) and so is the PIM queue."""
        self._update(RD, bank, cycle)
        end = cycle + gwrite_cycles(self.cfg)
        for kind in (RD, WR):
            self.earliest[bank][kind] = max(self.earliest[bank][kind], end)
        self.earliest[bank][PRE] = max(self.earliest[bank][PRE], end + self.t.tRTP)
        self.col_cmd_ok = cycle + 1
        self._log(cycle, "GWRITE", bank)
        self.counts["gwrite"] += 1
        self.tile_end.append(end)
        self.hold = self.buffer_ready = end
        self.gwrite_bank = None
        self.tile = None

    def _mark_start(self, cycle: int) -> None:
        """Record the active tile's start at its first command."""
        if len(self.tile_start) == len(self.tile_end):
            self.tile_start.append(cycle)

    def _pim_precharge(self, cycle: int, bank: int) -> None:
        """Close ``bank``'s PIM row (dual) or its open normal row (blocked)."""
        self.group_pre[bank // self.bpg] = cycle
        if not self.dual:
            self._raise_act(range(bank, bank + 1), cycle + self.t.tRP)
            self.open_row[bank], self.hits[bank] = -1, 0
            self.open_in_rank[bank // self.bpr] -= 1
        self._log(cycle, "PIM_PRE", bank)
        self.row_cmd_ok = cycle + 1
        self.counts["pim_pre"] += 1

    def _gact(self, cycle: int, group: int) -> None:
        t, org = self.t, self.cfg.org
        rank = group // org.bankgroups
        lo, g0 = rank * self.bpr, group * self.bpg
        self._raise_act(range(lo, lo + self.bpr), cycle + t.tRRD_S)
        self._raise_act(range(g0, g0 + self.bpg), cycle + t.tRRD_L)
        self.faw[rank].extend([cycle] * org.banks_per_group)
        self.last_act_bg[group] = self.gact_at[group] = cycle
        for b in range(g0, g0 + self.bpg):
            self.pim_act[b] = cycle
        self.last_gact = cycle
        self._log(cycle, "G_ACT", g0)
        self.row_cmd_ok = cycle + 1
        self.counts["gact"] += 1

    def _comps_readres(self, cycle: int, tile: PimTile) -> None:
        """One head: its beats, then its READRES slot (result burst CL later); the last head
        ends the tile and releases the rows and the global buffer."""
        t = self.t
        stream = tile.beats * tile.spacing
        readres = cycle + stream
        self.reserved.append((readres + t.CL, readres + t.CL + self.burst))
        self.head_free = readres + column_slot(self.cfg)
        self.col_cmd_ok = cycle + 1
        self._log(cycle, "COMPS_READRES", -1)
        self.counts["comps_readres"] += 1
        if not self.steps:
            end = cycle + tile.result_cycles
            self.tile_end.append(end)
            released = cycle if self.release_at_issue else cycle + stream - tile.spacing
            self.pim_col = self.buffer_read = released
            self.pim_open = self.dual
            if not self.dual:
                self._raise_act(range(self.n_banks), end + t.tRP)
            self.tile = None

    def _log(self, cycle: int, kind: str, bank: int) -> None:
        if self.log is not None:
            self.log.append(Command(cycle, kind, self.channel, bank))


def replay_with_pim(cfg: HbmConfig, cycles: npt.ArrayLike, addresses: npt.ArrayLike,
                    is_write: npt.ArrayLike, tiles: list[PimTile], row_buffers: int = 2,
                    log: bool = False, release_at_issue: bool = False) -> PimReplay:
    """Replay normal requests (all in one channel, handed over as by :func:`drive`) together
    with PIM tiles on that channel (``release_at_issue``: see :class:`PimTile`'s heads)."""
    req = Requests(cfg, cycles, addresses, is_write)
    if req.n and len(np.unique(decode(addresses, cfg.org).channel)) > 1:
        raise SimError("replay_with_pim models one channel: all addresses must map to it")
    commands: list[Command] | None = [] if log else None
    sim = PimChannelSim(cfg, tiles, row_buffers, req, commands, release_at_issue)
    drive([sim], req)
    ledger = Ledger({f"hbm.{k}": v for k, v in sim.counts.items()
                     if v and k in ("act", "pre", "rd", "wr", "ref")})
    for key in ("gact", "comps_readres", "pim_pre", "gwrite", "p_header"):
        if sim.counts[key]:
            ledger.add(f"pim.{key}", sim.counts[key])
    if commands is not None:
        commands.sort(key=lambda c: c.cycle)
    return PimReplay(req.issue, req.done, req.arrival_a, sim.tile_start, sim.tile_end, ledger,
                     commands or [])


@lru_cache(maxsize=32)
def program_stream_loss(cfg: HbmConfig, ops: tuple[PimTile, ...],
                        release_at_issue: bool = False, warmup: int = 0) -> float:
    """Fraction of a sequential normal read stream's bandwidth lost while the PIM operations
    ``ops`` (tiles and GWRITEs, in order) run back to back in dual-row-buffer mode (measured on
    :class:`PimChannelSim`; 0..1).

    Both runs replay the same stream of one channel; the loss compares the requests completed
    after the first ``warmup`` operations have ended and by the time the last one ends, with and
    without the operations (the stream and the PIM work start in step, so the first operations
    show a start-up transient rather than the steady share).
    """
    org, t = cfg.org, cfg.timing
    # Upper bound of one tile: a precharge per bank, the header, one G_ACT per (rank, bank
    # group) tFAW apart, tRCDRD, the heads and the last result; of a GWRITE: its bank's tRAS,
    # PRE, ACT and the copy. The stream of n requests needs n * burst >= the operations' total,
    # so it outlasts the last one.
    activation = (org.banks_per_channel + 1 + t.tRP + org.ranks * org.bankgroups * t.tFAW
                  + t.tRCDRD)
    gwrite = t.tRAS + t.tRP + t.tRCDRD + gwrite_cycles(cfg)
    slot = column_slot(cfg)
    total = sum(gwrite if op.gwrite else
                op.heads * (op.beats * op.spacing + slot) + op.result_cycles + activation
                for op in ops)
    n = max(256, total // org.burst_cycles)
    addrs = np.arange(n * org.channels, dtype=np.int64) * org.request_bytes
    ch0 = addrs[decode(addrs, org).channel == 0][:n]
    zeros = np.zeros(len(ch0), np.int64)
    reads = np.zeros(len(ch0), bool)
    base = replay_with_pim(cfg, zeros, ch0, reads, [], 2)
    mixed = replay_with_pim(cfg, zeros, ch0, reads, list(ops), 2,
                            release_at_issue=release_at_issue)
    horizon = max(mixed.tile_end)
    start = max(mixed.tile_end[:warmup], default=-1)
    done_base = int(((base.done > start) & (base.done <= horizon)).sum())
    done_mixed = int(((mixed.done > start) & (mixed.done <= horizon)).sum())
    return max(0.0, 1.0 - done_mixed / done_base) if done_base else 0.0


__all__ = ["PimChannelSim", "PimReplay", "PimTile",
           "program_stream_loss", "replay_with_pim"]
