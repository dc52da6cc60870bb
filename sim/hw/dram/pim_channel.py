"""One HBM channel serving normal requests and all-bank PIM GEMV tiles, cycle by cycle.

A GWRITE (the query or score row an attention phase multiplies with, copied into the global
buffer) is a normal-buffer access of bank 0 (NeuPIMs controller): a PRE if bank 0 holds another
row, an ACT, and tRCDRD later the GWRITE column command, which keeps bank 0 for
``gwrite_cycles`` (no column command or precharge there); while it runs, normal commands to
bank 0 wait and the next PIM operation waits for its end; other banks serve normal requests.

A PIM *tile* (see :mod:`sim.models.npu_pim.pim`) is issued as: one PIM precharge per bank whose
PIM row is open (every bank after the first tile; one command each, as the NeuPIMs controller
closes the PIM rows bank by bank), one G_ACT per (bank group, rank) — each activates the 4
banks of its group, so it fills its rank's tFAW window and obeys tRRD_S/tRRD_L against every
other activation — then, tRCDRD after the last G_ACT, ``heads`` fused COMPS_READRES commands,
each occupying the PIM datapath for ``head_cycles`` and putting one result burst on the data
bus (READRES read latency CL).

Command slots: with ``controller.dual_issue`` off (one command per cycle on the channel, as in
the NeuPIMs simulator's controllers) a PIM command takes the whole cycle, so a run of PIM
precharges or G_ACTs holds back normal column commands as well; with dual issue a PIM command
takes only its own (row or column) pins.

Row-buffer designs (reference section 3):

* ``row_buffers=2`` (dual): PIM rows live in a separate buffer. Normal commands continue while
  a tile runs; they share the row/column command buses, the data bus (result bursts) and the
  activation windows (tRRD, tFAW) with the PIM commands. PIM precharge needs no wait on normal
  accesses.
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
from sim.hw.dram.pim_commands import gwrite_cycles
from sim.hw.dram.timing import ACT, PRE, RD, WR


@dataclass(frozen=True)
class PimTile:
    """One PIM operation: an all-bank GEMV tile (arrival cycle, heads = COMPS_READRES count,
    cycles per head) or, with ``gwrite``, a GWRITE of one row into the global buffer (heads
    and head cycles unused)."""

    arrival: int
    heads: int
    head_cycles: int
    gwrite: bool = False


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
                 log: list[Command] | None) -> None:
        super().__init__(cfg, 0, req, log)
        if row_buffers not in (1, 2):
            raise SimError(f"row_buffers must be 1 or 2, got {row_buffers}")
        self.dual = row_buffers == 2
        self.tiles = deque(sorted(tiles, key=lambda x: x.arrival))
        self.steps: list[tuple[str, int]] = []  # remaining commands of the active tile
        self.tile: PimTile | None = None
        self.engine_free = 0
        self.pim_pre = -(1 << 40)  # last PIM precharge of the active tile
        self.pim_open = False  # dual: the banks' PIM row buffers hold the last tile's row
        self.last_gact = 0
        self.head_free = 0
        self.last_act_bg = [-(1 << 40)] * (cfg.org.ranks * cfg.org.bankgroups)
        self.reserved: list[tuple[int, int]] = []  # data-bus intervals of PIM result bursts
        self.gwrite_row = cfg.org.rows  # the global-buffer copy's row: no request maps to it
        self.gwrite_bank: int | None = None  # bank held by the active GWRITE
        self.gwrite_act = -(1 << 40)  # last activation of the GWRITE row
        self.tile_start: list[int] = []
        self.tile_end: list[int] = []
        self.counts.update({"pim_pre": 0, "gact": 0, "comps_readres": 0, "gwrite": 0})

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
            used = pim[1] in ("CR", "GWRITE")
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
        self.pim_pre = -(1 << 40)
        self.steps = [("PIM_PRE", b) for b in self._rows_to_close()]
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
        if kind == "PIM_PRE":
            cyc = max(now, self.row_cmd_ok, self.engine_free, self.tile.arrival)
            if not self.dual:
                cyc = max(cyc, self.earliest[arg][PRE])
            return cyc, kind, arg
        if kind == "G_ACT":
            rank = arg % self.cfg.org.ranks
            bg = rank * self.cfg.org.bankgroups + arg // self.cfg.org.ranks
            window = self.faw[rank]
            cyc = max(now, self.row_cmd_ok, self.engine_free, self.tile.arrival,
                      self.pim_pre + t.tRP, self.faw_ready(rank),
                      (window[-1] + t.tRRD_S) if window else 0,
                      self.last_act_bg[bg] + t.tRRD_L)
            if not self.dual:  # the shared row buffer must be precharged (normal tRP)
                lo = bg * self.bpg
                cyc = max(cyc, *(self.earliest[b][ACT] for b in range(lo, lo + self.bpg)))
            return cyc, kind, bg
        cyc = max(now, self.col_cmd_ok, self.last_gact + t.tRCDRD, self.head_free)
        return cyc, kind, arg

    def _gwrite_candidate(self, now: int, kind: str, bank: int) -> tuple[int, str, int]:
        """Next command of a GWRITE on ``bank``: PRE of another open row, ACT, then GWRITE."""
        assert self.tile is not None
        row = self.open_row[bank]
        if kind == "GWRITE":  # like a COMPS_READRES: its slot and its row, no data-bus turn
            return max(now, self.col_cmd_ok, self.gwrite_act + self.t.tRCDRD), kind, bank
        base = max(now, self.row_cmd_ok, self.engine_free, self.tile.arrival)
        if row >= 0:
            return max(base, self.earliest[bank][PRE]), "N_PRE", bank
        rank = bank // self.bpr
        return max(base, self.earliest[bank][ACT], self.faw_ready(rank)), kind, bank

    def _raise_act(self, banks: range, cycle: int) -> None:
        for b in banks:
            self.earliest[b][ACT] = max(self.earliest[b][ACT], cycle)

    def _issue_pim(self, cycle: int, kind: str, arg: int) -> None:
        assert self.tile is not None
        if kind == "N_PRE":  # closes the normal row; the GWRITE's ACT stays the next step
            self._mark_start(cycle)
            self._normal(PRE, arg, cycle)
            return
        self.steps.pop(0)
        if kind == "N_ACT":
            self._mark_start(cycle)
            self._normal(ACT, arg, cycle)
        elif kind == "GWRITE":
            self._gwrite(cycle, arg)
        elif kind == "PIM_PRE":
            self._pim_precharge(cycle, arg)
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
        """The GWRITE column command: other banks see a read; ``bank`` is held (and the next
        PIM operation waits) for ``gwrite_cycles``."""
        self._mark_start(cycle)
        self._update(RD, bank, cycle)
        end = cycle + gwrite_cycles(self.cfg)
        for kind in (RD, WR, PRE):
            self.earliest[bank][kind] = max(self.earliest[bank][kind], end)
        self.col_cmd_ok = cycle + 1
        self._log(cycle, "GWRITE", bank)
        self.counts["gwrite"] += 1
        self.tile_end.append(end)
        self.engine_free = end
        self.gwrite_bank = None
        self.tile = None

    def _mark_start(self, cycle: int) -> None:
        """Record the active tile's start at its first command."""
        if len(self.tile_start) == len(self.tile_end):
            self.tile_start.append(cycle)

    def _pim_precharge(self, cycle: int, bank: int) -> None:
        """Close ``bank``'s PIM row (dual) or its open normal row (blocked)."""
        self._mark_start(cycle)
        self.pim_pre = cycle
        if not self.dual:
            self._raise_act(range(bank, bank + 1), cycle + self.t.tRP)
            self.open_row[bank], self.hits[bank] = -1, 0
            self.open_in_rank[bank // self.bpr] -= 1
        self._log(cycle, "PIM_PRE", bank)
        self.row_cmd_ok = cycle + 1
        self.counts["pim_pre"] += 1

    def _gact(self, cycle: int, group: int) -> None:
        t, org = self.t, self.cfg.org
        self._mark_start(cycle)
        rank = group // org.bankgroups
        lo, g0 = rank * self.bpr, group * self.bpg
        self._raise_act(range(lo, lo + self.bpr), cycle + t.tRRD_S)
        self._raise_act(range(g0, g0 + self.bpg), cycle + t.tRRD_L)
        self.faw[rank].extend([cycle] * org.banks_per_group)
        self.last_act_bg[group] = cycle
        self.last_gact = cycle
        self._log(cycle, "G_ACT", g0)
        self.row_cmd_ok = cycle + 1
        self.counts["gact"] += 1

    def _comps_readres(self, cycle: int, tile: PimTile) -> None:
        t = self.t
        hc = tile.head_cycles
        readres = cycle + hc - max(self.burst, t.tCCD_L)
        self.reserved.append((readres + t.CL, readres + t.CL + self.burst))
        self.head_free = cycle + hc
        self.col_cmd_ok = cycle + 1
        self._log(cycle, "COMPS_READRES", -1)
        self.counts["comps_readres"] += 1
        if not self.steps:
            end = cycle + hc
            self.tile_end.append(end)
            self.engine_free = end
            self.pim_open = self.dual
            if not self.dual:
                self._raise_act(range(self.n_banks), end + t.tRP)
            self.tile = None

    def _log(self, cycle: int, kind: str, bank: int) -> None:
        if self.log is not None:
            self.log.append(Command(cycle, kind, self.channel, bank))


def replay_with_pim(cfg: HbmConfig, cycles: npt.ArrayLike, addresses: npt.ArrayLike,
                    is_write: npt.ArrayLike, tiles: list[PimTile], row_buffers: int = 2,
                    log: bool = False) -> PimReplay:
    """Replay normal requests (all in one channel, handed over as by :func:`drive`) together
    with PIM tiles on that channel."""
    req = Requests(cfg, cycles, addresses, is_write)
    if req.n and len(np.unique(decode(addresses, cfg.org).channel)) > 1:
        raise SimError("replay_with_pim models one channel: all addresses must map to it")
    commands: list[Command] | None = [] if log else None
    sim = PimChannelSim(cfg, tiles, row_buffers, req, commands)
    drive([sim], req)
    ledger = Ledger({f"hbm.{k}": v for k, v in sim.counts.items()
                     if v and k in ("act", "pre", "rd", "wr", "ref")})
    for key in ("gact", "comps_readres", "pim_pre", "gwrite"):
        if sim.counts[key]:
            ledger.add(f"pim.{key}", sim.counts[key])
    if commands is not None:
        commands.sort(key=lambda c: c.cycle)
    return PimReplay(req.issue, req.done, req.arrival_a, sim.tile_start, sim.tile_end, ledger,
                     commands or [])


@lru_cache(maxsize=32)
def program_stream_loss(cfg: HbmConfig, ops: tuple[PimTile, ...]) -> float:
    """Fraction of a sequential normal read stream's bandwidth lost while the PIM operations
    ``ops`` (tiles and GWRITEs, in order) run back to back in dual-row-buffer mode (measured on
    :class:`PimChannelSim`; 0..1).

    Both runs replay the same stream of one channel; the loss compares the requests completed
    by the time the last operation ends, with and without the operations.
    """
    org, t = cfg.org, cfg.timing
    # Upper bound of one tile: a precharge per bank, one G_ACT per (rank, bank group) tFAW
    # apart, tRCDRD; of a GWRITE: its bank's tRAS, PRE, ACT and the copy. The stream of n
    # requests needs n * burst >= the operations' total, so it outlasts the last one.
    activation = org.banks_per_channel + t.tRP + org.ranks * org.bankgroups * t.tFAW + t.tRCDRD
    gwrite = t.tRAS + t.tRP + t.tRCDRD + gwrite_cycles(cfg)
    total = sum(gwrite if op.gwrite else op.heads * op.head_cycles + activation for op in ops)
    n = max(256, total // org.burst_cycles)
    addrs = np.arange(n * org.channels, dtype=np.int64) * org.request_bytes
    ch0 = addrs[decode(addrs, org).channel == 0][:n]
    zeros = np.zeros(len(ch0), np.int64)
    reads = np.zeros(len(ch0), bool)
    base = replay_with_pim(cfg, zeros, ch0, reads, [], 2)
    mixed = replay_with_pim(cfg, zeros, ch0, reads, list(ops), 2)
    horizon = mixed.tile_end[-1]
    done_base = int((base.done <= horizon).sum())
    done_mixed = int((mixed.done <= horizon).sum())
    return max(0.0, 1.0 - done_mixed / done_base) if done_base else 0.0


__all__ = ["PimChannelSim", "PimReplay", "PimTile",
           "program_stream_loss", "replay_with_pim"]
