"""One HBM channel serving normal requests and all-bank PIM GEMV tiles, event by event.

A PIM *tile* (see :mod:`sim.models.npu_pim.pim`) is issued as: an all-bank PIM precharge, one
G_ACT per (bank group, rank) — each activates the 4 banks of its group, so it fills its rank's
tFAW window and obeys tRRD_S/tRRD_L against every other activation — then, tRCDRD after the last
G_ACT, ``heads`` fused COMPS_READRES commands, each occupying the PIM datapath for
``head_cycles`` and putting one result burst on the data bus (READRES read latency CL).

Row-buffer designs (reference section 3):

* ``row_buffers=2`` (dual): PIM rows live in a separate buffer. Normal commands continue while
  a tile runs; they share the row/column command buses, the data bus (result bursts) and the
  activation windows (tRRD, tFAW) with the PIM commands. PIM precharge needs no wait on normal
  accesses.
* ``row_buffers=1`` (blocked): one row buffer per bank. A tile starts only after every normal
  request that arrived before it has been served; its precharge closes the normal rows (waiting
  for tRAS/tRTP/tWR like a precharge-all), and normal commands wait until the tile ends, after
  which the banks are closed (the next normal ACT waits tRP).

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
from sim.hw.dram.controller import COL, PRE_REF, REF, ROW, ChannelSim, Command, _Requests

PIM = 1  # priority of PIM commands: after refresh, before normal column/row commands


@dataclass(frozen=True)
class PimTile:
    """One all-bank GEMV tile: arrival cycle, heads (COMPS_READRES count), cycles per head."""

    arrival: int
    heads: int
    head_cycles: int


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
    """A :class:`ChannelSim` that also executes PIM tiles (dual or blocked row buffers)."""

    def __init__(self, cfg: HbmConfig, tiles: list[PimTile], row_buffers: int,
                 queue_size: int, log: list[Command] | None) -> None:
        super().__init__(cfg, 0, queue_size, log)
        if row_buffers not in (1, 2):
            raise SimError(f"row_buffers must be 1 or 2, got {row_buffers}")
        self.dual = row_buffers == 2
        self.tiles = deque(sorted(tiles, key=lambda x: x.arrival))
        self.steps: list[tuple[str, int]] = []  # remaining commands of the active tile
        self.tile: PimTile | None = None
        self.engine_free = 0
        self.pim_pre = 0
        self.last_gact = 0
        self.head_free = 0
        self.last_act_bg = [-(1 << 40)] * (cfg.org.ranks * cfg.org.bankgroups)
        self.reserved: list[tuple[int, int]] = []  # data-bus intervals of PIM result bursts
        self.tile_start: list[int] = []
        self.tile_end: list[int] = []
        self.counts.update({"pim_pre": 0, "gact": 0, "comps_readres": 0})

    # -- normal-path hooks -----------------------------------------------------------------
    def _bus_ok(self, rank: int, is_write: bool) -> int:
        start = super()._bus_ok(rank, is_write)
        lat = self.t.CWL if is_write else self.t.CL
        data = start + lat
        for lo, hi in sorted(self.reserved):
            if data < hi and data + self.burst > lo:
                data = hi + self.t.tRTRS
        return data - lat

    def _act(self, cycle: int, b: int, row: int, request: int) -> None:
        self.last_act_bg[b // self.bpg] = cycle
        super()._act(cycle, b, row, request)

    def _normal_blocked(self, req: _Requests) -> bool:
        """Blocked mode: no normal command while a tile is active."""
        return not self.dual and self.tile is not None

    # -- PIM tile state machine ------------------------------------------------------------
    def _start_tile(self, now: int, req: _Requests) -> None:
        """Activate the next tile if it has arrived (blocked: after older normal requests)."""
        if self.tile is not None or not self.tiles or self.tiles[0].arrival > now:
            return
        head = self.tiles[0]
        if not self.dual and any(req.arrival[r] < head.arrival for q in self.queues for r in q):
            return
        self.tile = self.tiles.popleft()
        org = self.cfg.org
        self.steps = [("PIM_PRE", 0)]
        self.steps += [("G_ACT", g * org.ranks + r) for g in range(org.bankgroups)
                       for r in range(org.ranks)]
        self.steps += [("CR", h) for h in range(self.tile.heads)]

    def _pim_candidate(self, now: int) -> tuple[int, str, int] | None:
        if self.tile is None or not self.steps:
            return None
        kind, arg = self.steps[0]
        t = self.t
        if kind == "PIM_PRE":
            cyc = max(now, self.row_cmd_ok, self.engine_free, self.tile.arrival)
            if not self.dual:
                open_banks = [b for b in range(self.n_banks) if self.open_row[b] >= 0]
                if open_banks:
                    cyc = max(cyc, max(int(self.pre_ok[b]) for b in open_banks))
            return cyc, kind, arg
        if kind == "G_ACT":
            rank = arg % self.cfg.org.ranks
            bg = rank * self.cfg.org.bankgroups + arg // self.cfg.org.ranks
            window = self.faw[rank]
            cyc = max(now, self.row_cmd_ok, self.pim_pre + t.tRP, self._faw_ok(rank),
                      (window[-1] + t.tRRD_S) if window else 0,
                      self.last_act_bg[bg] + t.tRRD_L)
            if not self.dual:  # the shared row buffer must be precharged (normal tRP)
                lo = bg * self.bpg
                cyc = max(cyc, int(self.act_ok[lo:lo + self.bpg].max()))
            return cyc, kind, bg
        cyc = max(now, self.col_cmd_ok, self.last_gact + t.tRCDRD, self.head_free)
        return cyc, kind, arg

    def _issue_pim(self, cycle: int, kind: str, arg: int) -> None:
        t, org = self.t, self.cfg.org
        self.steps.pop(0)
        assert self.tile is not None
        if kind == "PIM_PRE":
            self.pim_pre = cycle
            self.tile_start.append(cycle)
            if not self.dual:
                for b in range(self.n_banks):
                    if self.open_row[b] >= 0:
                        self.act_ok[b] = max(int(self.act_ok[b]), cycle + t.tRP)
                        self.open_row[b] = -1
            self._log(cycle, "PIM_PRE", -1)
            self.row_cmd_ok = cycle + 1
            self.counts["pim_pre"] += 1
            return
        if kind == "G_ACT":
            rank = arg // org.bankgroups
            lo, g0 = rank * self.bpr, arg * self.bpg
            self.act_ok[lo:lo + self.bpr] = np.maximum(self.act_ok[lo:lo + self.bpr],
                                                       cycle + t.tRRD_S)
            self.act_ok[g0:g0 + self.bpg] = np.maximum(self.act_ok[g0:g0 + self.bpg],
                                                       cycle + t.tRRD_L)
            self.faw[rank].extend([cycle] * org.banks_per_group)
            self.last_act_bg[arg] = cycle
            self.last_gact = cycle
            self._log(cycle, "G_ACT", g0)
            self.row_cmd_ok = cycle + 1
            self.counts["gact"] += 1
            return
        hc = self.tile.head_cycles
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
            if not self.dual:
                self.act_ok[:] = np.maximum(self.act_ok, end + t.tRP)
            self.tile = None

    def _log(self, cycle: int, kind: str, bank: int) -> None:
        if self.log is not None:
            self.log.append(Command(cycle, kind, self.channel, bank))

    # -- main loop -------------------------------------------------------------------------
    def run(self, req: _Requests, order: list[int]) -> None:
        """Serve normal requests ``order`` and all PIM tiles, jumping from event to event."""
        pending = deque(order)
        now = 0
        while True:
            self._admit(now, pending, req)
            self._start_tile(now, req)
            self.reserved = [iv for iv in self.reserved if iv[1] > now]
            best = None if self._normal_blocked(req) else self._best(now, req)
            if best is not None and best[1] in (REF, PRE_REF) and self.tile is not None:
                best = None  # refresh waits for the tile (simplification)
            pim = self._pim_candidate(now)
            work_left = pending or self.tile is not None or self.tiles or self.queued
            if best is None and pim is None and not work_left:
                return
            nxt = self._next_event(pending, req)
            if self.tiles and self.tile is None:
                nxt = min(nxt, max(self.tiles[0].arrival, now + 1))
            cands = [c for c in (best[0] if best else None, pim[0] if pim else None)
                     if c is not None]
            if not cands or nxt <= min(cands):
                if nxt >= 1 << 62:
                    return
                now = max(now, nxt)
                continue
            if pim is not None and (best is None or (pim[0] <= best[0]
                                                     and best[1] not in (REF, PRE_REF))):
                self._issue_pim(*pim)
                now = pim[0]
            else:
                assert best is not None
                now = self._issue(best, req)


def replay_with_pim(cfg: HbmConfig, cycles: npt.ArrayLike, addresses: npt.ArrayLike,
                    is_write: npt.ArrayLike, tiles: list[PimTile], row_buffers: int = 2,
                    queue_size: int = 32, log: bool = False) -> PimReplay:
    """Replay normal requests (all in one channel) together with PIM tiles on that channel."""
    arrival = np.asarray(cycles, dtype=np.int64)
    write = np.asarray(is_write, dtype=bool)
    dec = decode(addresses, cfg.org)
    if dec.row.shape != arrival.shape or arrival.shape != write.shape:
        raise SimError("DRAM trace columns (cycle, address, write) must have equal lengths")
    if len(arrival) and len(np.unique(dec.channel)) > 1:
        raise SimError("replay_with_pim models one channel: all addresses must map to it")
    n = len(arrival)
    req = _Requests(arrival, write, dec.channel, dec.flat_bank(cfg.org), dec.row,
                    np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n, bool))
    commands: list[Command] | None = [] if log else None
    sim = PimChannelSim(cfg, tiles, row_buffers, queue_size, commands)
    sim.run(req, [int(i) for i in np.argsort(arrival, kind="stable")])
    ledger = Ledger({f"hbm.{k}": v for k, v in sim.counts.items()
                     if v and k in ("act", "pre", "rd", "wr", "ref")})
    for key in ("gact", "comps_readres", "pim_pre"):
        if sim.counts[key]:
            ledger.add(f"pim.{key}", sim.counts[key])
    return PimReplay(req.issue, req.done, arrival, sim.tile_start, sim.tile_end, ledger,
                     commands or [])


@lru_cache(maxsize=32)
def dual_mode_stream_loss(cfg: HbmConfig, heads: int, head_cycles: int, tiles: int = 16) -> float:
    """Fraction of a sequential normal read stream's bandwidth lost while PIM tiles run back to
    back in dual-row-buffer mode (measured on :class:`PimChannelSim`; 0..1).

    Both runs replay the same stream of one channel; the loss compares the requests completed
    by the time the last tile ends, with and without the tiles.
    """
    org, t = cfg.org, cfg.timing
    # Upper bound of one tile: precharge, one G_ACT per (rank, bank group) tFAW apart, tRCDRD.
    activation = t.tRP + org.ranks * org.bankgroups * t.tFAW + t.tRCDRD
    tile_len = heads * head_cycles + activation
    n = max(256, 2 * tiles * tile_len // org.burst_cycles)
    addrs = np.arange(n * org.channels, dtype=np.int64) * org.request_bytes
    ch0 = addrs[decode(addrs, org).channel == 0][:n]
    zeros = np.zeros(len(ch0), np.int64)
    reads = np.zeros(len(ch0), bool)
    base = replay_with_pim(cfg, zeros, ch0, reads, [], 2)
    mixed = replay_with_pim(cfg, zeros, ch0, reads,
                            [PimTile(0, heads, head_cycles)] * tiles, 2)
    horizon = mixed.tile_end[-1]
    done_base = int((base.done <= horizon).sum())
    done_mixed = int((mixed.done <= horizon).sum())
    return max(0.0, 1.0 - done_mixed / done_base) if done_base else 0.0


__all__ = ["COL", "PIM", "ROW", "PimChannelSim", "PimReplay", "PimTile",
           "dual_mode_stream_loss", "replay_with_pim"]
