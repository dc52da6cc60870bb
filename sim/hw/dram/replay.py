"""Replaying a request trace through the HBM controller, on either path, and its statistics.

``path="fast"`` runs the compiled kernel (:mod:`sim.hw.dram.fast`), ``path="reference"`` the
readable Python controller (:mod:`sim.hw.dram.controller`); both give identical statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.ledger import Ledger
from sim.hw.dram.config import HbmConfig
from sim.hw.dram.controller import ChannelSim, Command, Requests, drive

IntArray = npt.NDArray[np.int64]
COUNTS = ("act", "pre", "rd", "wr", "ref", "row_hits")
"""Columns of :attr:`DramStats.channel_counts`."""
PATHS = ("fast", "reference")


@dataclass
class DramStats:
    """Outcome of a replay (cycles of the DRAM command clock).

    Per request: ``arrival`` (trace cycle), ``accepted`` (cycle the controller took it),
    ``issue`` (its READ/WRITE command, -1 if served from the write buffer), ``done`` (data
    returned or written). Per channel: command counts (:data:`COUNTS`) and, per rank, the cycles
    in active and in precharge standby over the whole window of ``cycles``.
    """

    arrival: IntArray
    accepted: IntArray
    issue: IntArray
    done: IntArray
    write: npt.NDArray[np.bool_]
    cycles: int
    channel_counts: IntArray
    standby: IntArray
    bytes_per_request: int
    freq_hz: float
    commands: list[Command] = field(default_factory=list)

    @property
    def latency(self) -> IntArray:
        """Per request: completion minus acceptance by the controller (cycles)."""
        return self.done - self.accepted

    @property
    def latency_from_arrival(self) -> IntArray:
        """Per request: completion minus trace cycle, including time refused by a full queue."""
        return self.done - self.arrival

    @property
    def read_latency(self) -> IntArray:
        """Reads only: data return minus acceptance (cycles), the usual read latency."""
        return self.latency[~self.write]

    def read_percentile(self, q: float) -> int:
        """Nearest-rank ``q``-th percentile of :attr:`read_latency` (cycles)."""
        lat = np.sort(self.read_latency)
        if not len(lat):
            return 0
        return int(lat[max(0, math.ceil(q / 100 * len(lat)) - 1)])

    @property
    def bandwidth_bytes_per_s(self) -> float:
        """Requests x request bytes over the cycles to finish (bytes/s)."""
        if self.cycles == 0:
            return 0.0
        return len(self.done) * self.bytes_per_request * self.freq_hz / self.cycles

    @property
    def counts(self) -> dict[str, int]:
        """Command counts and row hits summed over channels."""
        return dict(zip(COUNTS, self.channel_counts.sum(axis=0).tolist(), strict=True))

    @property
    def row_hit_rate(self) -> float:
        """Row hits / (READ + WRITE commands); a hit is a column command after another one to
        the same open row."""
        c = self.counts
        return c["row_hits"] / (c["rd"] + c["wr"]) if c["rd"] + c["wr"] else 0.0

    def ledger(self, channel: int | None = None) -> Ledger:
        """Action counts (``hbm.act`` ... ``hbm.ref``) and standby time (``hbm.act_stb_ns``,
        ``hbm.pre_stb_ns``: rank-nanoseconds), of one channel or of all."""
        rows = self.channel_counts if channel is None else self.channel_counts[[channel]]
        stb = self.standby if channel is None else self.standby[[channel]]
        out = Ledger()
        for key, count in zip(COUNTS[:5], rows.sum(axis=0).tolist(), strict=False):
            if count:
                out.add(f"hbm.{key}", count)
        ns = 1e9 / self.freq_hz
        active, precharged = stb.sum(axis=(0, 1)).tolist()
        if active:
            out.add("hbm.act_stb_ns", active * ns)
        if precharged:
            out.add("hbm.pre_stb_ns", precharged * ns)
        return out


def replay(cfg: HbmConfig, cycles: npt.ArrayLike, addresses: npt.ArrayLike,
           is_write: npt.ArrayLike, path: str = "fast", log: bool = False) -> DramStats:
    """Replay a trace (issue cycle, byte address, write flag per request, in file order).

    The driver hands the controller at most one request per cycle, in order, never before its
    cycle, retrying a refused one (see :func:`sim.hw.dram.controller.drive`). ``log=True``
    records every command (reference path only). A controller with ``read_inflight`` set runs
    on the reference path (the compiled path has no in-flight limit).
    """
    if path not in PATHS:
        raise SimError(f"unknown DRAM replay path {path!r}", accepted=", ".join(PATHS))
    req = Requests(cfg, cycles, addresses, is_write)
    if path == "fast" and not log and not cfg.controller.read_inflight:
        from sim.hw.dram.fast import run_fast

        finish, counts, standby = run_fast(cfg, req)
        return _stats(cfg, req, finish, counts, standby, [])
    commands: list[Command] | None = [] if log else None
    sims = [ChannelSim(cfg, ch, req, commands) for ch in range(cfg.org.channels)]
    finish = drive(sims, req)
    counts = np.array([[s.counts[k] for k in COUNTS] for s in sims], dtype=np.int64)
    standby = np.array([s.standby for s in sims], dtype=np.int64)
    if commands is not None:
        commands.sort(key=lambda c: (c.cycle, c.channel))
    return _stats(cfg, req, finish, counts, standby, commands or [])


def _stats(cfg: HbmConfig, req: Requests, finish: int, counts: IntArray, standby: IntArray,
           commands: list[Command]) -> DramStats:
    return DramStats(req.arrival_a, req.accepted, req.issue, req.done, req.write_a, finish,
                     counts, standby, cfg.org.request_bytes, cfg.org.freq_mhz * 1e6, commands)
