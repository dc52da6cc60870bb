"""Memory in the loop: operand tiles through the DRAM controller into double-buffered SRAM.

A GEMM runs as folds (:mod:`sim.hw.systolic`), column folds outer, row folds inner. Before a
fold computes, its operand tiles must be in SRAM; they come from DRAM unless still there:

* a tile used by two consecutive folds stays (OS keeps the B tile of a column fold, WS/IS keep
  the streamed tile while only one row fold exists);
* an operand that fits whole in its buffer is fetched once (first use) and stays resident;
* otherwise every fold that needs the tile fetches it again.

Partial sums (WS, IS: K is spread over row folds) stay in the C buffer when one column fold's
set fits; otherwise every row fold after the first reads them back from DRAM and every fold
writes them out (a *spill*). Outputs go to DRAM when complete (OS: after every fold; WS/IS:
after the last row fold, or every fold when spilling).

**Buffering.** Per operand, a tile that fits twice in its buffer is double-buffered: the next
fold's tile is fetched while the current fold computes. One that fits once is single-buffered
(fetched after the current fold ends). One larger than its buffer streams: the fold computes as
its data arrives and cannot finish before the transfer does. A fold is as constrained as its
most constrained operand.

**DRAM.** Reads first: the prefetch of fold i+1 is issued when fold i starts (double-buffered)
or ends; reads are served in issue order. Output writes (issued when a fold ends) wait in the C
buffer and use the DRAM's idle time between reads; whatever is left is written after the last
fold. A transfer occupies the DRAM for its data time; its first-access latency delays only its
own completion (the controller pipelines it under the next transfer). A transfer of ``n``
bytes is spread over all channels (sequential addresses interleave across them); its time is
converted from the DRAM clock to the array clock and is at least ``n / (banks * bank_bytes)``
array cycles when the SRAM fill port is limited (``sram.banks``, ``sram.bank_bytes``). A
spilled partial-sum tile counts as a tile of the C buffer for the buffering rule.

Two timing modes of a transfer, and of the whole schedule:

* ``event``: every fold is scheduled in order with the recurrences above; each transfer's DRAM
  time is a replay of one channel's share of its requests (sequential addresses of that
  channel) through the controller of :mod:`sim.hw.dram` (compiled path), started at the
  transfer's phase of the refresh schedule (16 buckets per refresh interval) and memoised per
  (requests per channel, direction, phase): the replay includes ACT/CAS latency, bank and row
  effects, and any refresh that falls inside the transfer.
* ``fast``: analytic. A transfer occupies the DRAM for one channel's share of its bursts at the
  sustained rate of a long sequential stream (:func:`stream_efficiency`, which includes
  refresh) and completes a first-access latency later (one request replayed on an idle
  channel: ACT, tRCD, CAS latency, less its burst); the schedule is the larger of the fold
  chain and the DRAM busy time (:func:`fast_timing`; at most nine fold classes, no per-fold
  loop).

Writes are not back-pressured: the C buffer is assumed to hold outputs until the DRAM takes
them, so a write never delays a fold or a read, only the end of the GEMM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from pydantic import Field

from sim.core.errors import SimError
from sim.core.shapes import GemmShape, ceil_div
from sim.hw.dram.config import PRESETS, HbmConfig, make_config
from sim.hw.systolic import ACCUMULATOR_BITS, Dataflow, mapping
from sim.spec.base import StrictModel

MemoryMode = Literal["ideal", "fast", "event"]
ACC_BYTES = ACCUMULATOR_BITS // 8
# buffering of a fold's operands: double-buffered, single-buffered, streamed
DOUBLE, SINGLE, STREAM = 0, 1, 2


class MemorySpec(StrictModel):
    """DRAM behind the array and how its timing is modelled."""

    mode: MemoryMode = "ideal"
    """``ideal``: no memory stalls; ``fast``: analytic bandwidth-stall model; ``event``: folds
    scheduled one by one, each transfer replayed through the DRAM controller."""
    preset: str = "dramsim3_hbm2_8ch"
    """DRAM preset of :mod:`sim.hw.dram.config` (organisation, timing, controller)."""
    channels: int | None = Field(default=None, ge=1, le=1024)
    """Channel count override (power of two)."""
    bandwidth_gbs: float | None = Field(default=None, gt=0, le=100_000)
    """Peak bandwidth (GB/s) over all channels: sets the DRAM clock so that channels x bytes
    per cycle x clock equals it (timings stay in DRAM cycles). Default: the preset's clock."""

    def dram_config(self) -> HbmConfig:
        """The controller configuration (SimError on a bad preset or override)."""
        if self.preset not in PRESETS:
            raise SimError(f"unknown memory.preset {self.preset!r}",
                           accepted=", ".join(sorted(PRESETS)))
        org: dict[str, object] = {}
        if self.channels is not None:
            org["channels"] = self.channels
        cfg = make_config(self.preset, org)
        if self.bandwidth_gbs is not None:
            per_cycle = cfg.org.channels * cfg.org.channel_bytes_per_cycle
            org["freq_mhz"] = self.bandwidth_gbs * 1e3 / per_cycle
            cfg = make_config(self.preset, org)
        return cfg


@dataclass(frozen=True)
class Buffers:
    """SRAM capacities (bytes) and the fill port (bytes per array cycle, 0 = unlimited)."""

    a: int
    b: int
    c: int
    fill_bytes_per_cycle: int = 0


class FoldTraffic(NamedTuple):
    """One fold: DRAM bytes read per operand before it, bytes written after it, buffering.

    A named tuple, not a dataclass: the fast mode builds several per GEMM (hot path)."""

    a: int
    b: int
    psum_read: int
    write: int
    buffering: int

    @property
    def read(self) -> int:
        """All DRAM bytes read before the fold."""
        return self.a + self.b + self.psum_read


class Folds(NamedTuple):
    """Folds in execution order, or fold classes: ``counts[i]`` folds look like ``folds[i]``.

    With classes, the first entry is the GEMM's first fold's class and the last entry its last
    fold's (both counted once there when the GEMM has more than one fold per class).
    """

    folds: list[FoldTraffic]
    counts: list[int]

    def totals(self) -> tuple[int, int, int, int]:
        """Bytes over all folds: (A read, B read, partial sums read back, written)."""
        a = b = p = w = 0
        for f, n in zip(self.folds, self.counts, strict=True):
            a += f.a * n
            b += f.b * n
            p += f.psum_read * n
            w += f.write * n
        return a, b, p, w


def _buffering(tile: int, capacity: int) -> int:
    if 2 * tile <= capacity:
        return DOUBLE
    return SINGLE if tile <= capacity else STREAM


def _classes(n: int) -> tuple[tuple[int, int], ...]:
    """(representative index, count): first, one middle standing for all middles, last."""
    if n == 1:
        return ((0, 1),)
    if n == 2:
        return ((0, 1), (1, 1))
    return ((0, 1), (1, n - 2), (n - 1, 1))


class FoldPlanner:
    """DRAM traffic and buffering of the folds of one GEMM (see the module docstring)."""

    def __init__(self, shape: GemmShape, rows: int, cols: int, dataflow: Dataflow,
                 buffers: Buffers) -> None:
        self.sr, self.sc, self.t = mapping(shape, dataflow)
        self.nr, self.nc = ceil_div(self.sr, rows), ceil_div(self.sc, cols)
        self.rows, self.cols, self.dataflow, self.buffers = rows, cols, dataflow, buffers
        a_res, b_res = shape.m * shape.k <= buffers.a, shape.k * shape.n <= buffers.b
        # the operand whose tile is indexed by the row fold only, and whether it stays resident
        self.resident = a_res if dataflow in ("OS", "WS") else b_res
        self.spill = (dataflow != "OS"
                      and self.t * min(self.sc, cols) * ACC_BYTES > buffers.c)

    def _row_tile_new(self, r: int, c: int) -> bool:
        """Whether fold (r, c) fetches its row-fold-indexed tile: with several row folds, in the
        first column pass (every pass if not resident); with one, only the very first fold."""
        if self.nr > 1:
            return c == 0 or not self.resident
        return r == 0 and c == 0

    def fold(self, r: int, c: int) -> FoldTraffic:
        """Traffic of fold (row fold r, column fold c)."""
        r_size = min(self.rows, self.sr - r * self.rows)
        c_size = min(self.cols, self.sc - c * self.cols)
        t, buf = self.t, self.buffers
        row_new = self._row_tile_new(r, c)
        if self.dataflow == "OS":  # A tile r (rows x K), B tile c (K x cols), outputs each fold
            a_tile, b_tile = r_size * t, c_size * t
            return FoldTraffic(a_tile if row_new else 0, b_tile if r == 0 else 0, 0,
                               r_size * c_size * ACC_BYTES,
                               max(_buffering(a_tile, buf.a), _buffering(b_tile, buf.b)))
        stationary = r_size * c_size  # WS: B[k, n] tile; IS: A[k, m] tile
        streamed = t * r_size  # WS: A[M, k-range]; IS: B[k-range, N]
        s_bytes = streamed if row_new else 0
        psum = t * c_size * ACC_BYTES
        write = psum if self.spill or r == self.nr - 1 else 0
        if self.dataflow == "WS":
            a, b = s_bytes, stationary
            buffering = max(_buffering(streamed, buf.a), _buffering(stationary, buf.b))
        else:
            a, b = stationary, s_bytes
            buffering = max(_buffering(streamed, buf.b), _buffering(stationary, buf.a))
        if self.spill:  # the partial sums read back are a tile of the C buffer too
            buffering = max(buffering, _buffering(psum, buf.c))
        return FoldTraffic(a, b, psum if self.spill and r > 0 else 0, write, buffering)

    def all_folds(self) -> Folds:
        """Every fold, column folds outer, row folds inner."""
        folds = [self.fold(r, c) for c in range(self.nc) for r in range(self.nr)]
        return Folds(folds, [1] * len(folds))

    def fold_classes(self) -> Folds:
        """At most nine classes (first / middle / last row fold x column fold), in order.

        Each class is :meth:`fold` at its representative (first, second or last fold of each
        dimension), evaluated per row class and column class rather than per call: this is the
        fast mode's hot path."""
        buf, t, rows, cols = self.buffers, self.t, self.rows, self.cols
        several, resident, spill = self.nr > 1, self.resident, self.spill
        last_r, os_ = self.nr - 1, self.dataflow == "OS"
        row_classes = [(r, n, min(rows, self.sr - r * rows)) for r, n in _classes(self.nr)]
        a_cap, b_cap = (buf.a, buf.b) if self.dataflow != "IS" else (buf.b, buf.a)
        folds: list[FoldTraffic] = []
        counts: list[int] = []
        for c, nc in _classes(self.nc):
            c_size = min(cols, self.sc - c * cols)
            col_tile = c_size * t  # OS: B tile; WS/IS: partial sums (x ACC_BYTES)
            col_buf = _buffering(col_tile, buf.b) if os_ else 0
            psum = col_tile * ACC_BYTES
            psum_buf = _buffering(psum, buf.c) if spill else 0
            for r, n, r_size in row_classes:
                row_new = (c == 0 or not resident) if several else (r == 0 and c == 0)
                row_tile = r_size * t  # OS: A tile; WS/IS: streamed tile
                counts.append(n * nc)
                if os_:
                    folds.append(FoldTraffic(row_tile if row_new else 0,
                                             col_tile if r == 0 else 0, 0,
                                             r_size * c_size * ACC_BYTES,
                                             max(_buffering(row_tile, buf.a), col_buf)))
                    continue
                stationary = r_size * c_size
                s_bytes = row_tile if row_new else 0
                buffering = max(_buffering(row_tile, a_cap), _buffering(stationary, b_cap),
                                psum_buf)
                write = psum if spill or r == last_r else 0
                psum_read = psum if spill and r > 0 else 0
                folds.append(FoldTraffic(s_bytes, stationary, psum_read, write, buffering)
                             if self.dataflow == "WS" else
                             FoldTraffic(stationary, s_bytes, psum_read, write, buffering))
        return Folds(folds, counts)


class Timing(NamedTuple):
    """Outcome of one GEMM with memory in the loop (array cycles)."""

    total: int
    compute: int
    traffic: tuple[int, int, int, int]
    """DRAM bytes over all folds: (A read, B read, partial sums read back, written)."""
    peak_read: float
    """Largest (bytes read for a fold) / (cycles from the prefetch's issue to its arrival),
    bytes per array cycle."""
    peak_write: float
    """Largest (bytes written by a fold) / (cycles the write took), bytes per array cycle."""

    @property
    def stall(self) -> int:
        """Cycles the array waited for memory."""
        return self.total - self.compute


class Transfers:
    """Array cycles of DRAM transfers, by mode (see the module docstring)."""

    def __init__(self, cfg: HbmConfig, array_mhz: float, fill_bytes_per_cycle: int,
                 mode: MemoryMode) -> None:
        self.cfg, self.mode = cfg, mode
        self.ratio = array_mhz / cfg.org.freq_mhz  # array cycles per DRAM cycle
        self.fill = fill_bytes_per_cycle
        self._request_bytes, self._channels = cfg.org.request_bytes, cfg.org.channels
        self._analytic: dict[bool, tuple[float, float]] = {}
        self._fast: tuple[dict[int, tuple[float, float]], ...] = ({}, {})  # reads, writes

    def _per_channel(self, nbytes: int) -> int:
        return ceil_div(ceil_div(nbytes, self._request_bytes), self._channels)

    def _fill(self, nbytes: int) -> float:
        return nbytes / self.fill if self.fill else 0.0

    def _latency(self, write: bool) -> int:
        """First-access latency (DRAM cycles): one request replayed on an idle channel, less
        its burst."""
        return _replayed(self.cfg, 1, write) - self.cfg.org.burst_cycles

    def fast_cycles(self, nbytes: int, write: bool) -> tuple[float, float]:
        """Analytic (DRAM occupancy, completion time) of ``nbytes`` in array cycles, (0, 0) for
        0 bytes: one channel's share of the bursts at the sustained rate occupies the DRAM; the
        first-access latency is added to the completion only (the controller pipelines it
        under the next transfer)."""
        if nbytes <= 0:
            return 0.0, 0.0
        memo = self._fast[write]
        known = memo.get(nbytes)
        if known is not None:
            return known
        analytic = self._analytic.get(write)
        if analytic is None:  # measured once per direction: (latency in array cycles, burst)
            from sim.hw.dram.stream import stream_efficiency  # numpy: only for memory in the loop

            analytic = self._analytic[write] = (
                self._latency(write) * self.ratio,
                self.cfg.org.burst_cycles / stream_efficiency(self.cfg, write))
        latency, per_request = analytic
        occupancy = max(self._per_channel(nbytes) * per_request * self.ratio, self._fill(nbytes))
        out = memo[nbytes] = (occupancy, occupancy + latency)
        return out

    def event_cycles(self, nbytes: int, write: bool, at: int = 0) -> tuple[int, int]:
        """Replayed (DRAM occupancy, completion time) of ``nbytes`` starting at array cycle
        ``at``, in array cycles, (0, 0) for 0 bytes: the replay's duration is the completion;
        less the first-access latency it is the occupancy. The replay starts at the same
        phase of the refresh schedule as the transfer (to 1/16 of the refresh interval), so a
        refresh that falls inside the transfer delays it."""
        if nbytes <= 0:
            return 0, 0
        interval = self.cfg.timing.tREFI // self.cfg.org.ranks
        phase = int(at / self.ratio) % interval * PHASES // interval * interval // PHASES
        replay = _replayed(self.cfg, self._per_channel(nbytes), write, phase)
        fill = math.ceil(self._fill(nbytes))
        occupancy = max(math.ceil((replay - self._latency(write)) * self.ratio), fill)
        return occupancy, max(math.ceil(replay * self.ratio), fill)


PHASES = 16
"""Refresh-phase buckets of the event mode's memoised replays."""


@lru_cache(maxsize=16384)
def _replayed(cfg: HbmConfig, requests: int, write: bool, phase: int = 0) -> int:
    """DRAM cycles for ``requests`` sequential requests of one channel, handed over at once at
    cycle ``phase`` of the refresh schedule, until the last completes."""
    from sim.hw.dram.stream import sequential_stream  # numpy: only for memory in the loop

    return sequential_stream(cfg, requests, write, phase).cycles - phase


def event_timing(plan: FoldPlanner, fold_cycles: int, xfer: Transfers, tail: int = 0) -> Timing:
    """Schedule every fold in order (exact recurrences of the module docstring); ``tail``
    cycles (an exposed final drain) end the last fold."""
    folds = plan.all_folds()
    seq = folds.folds
    dram_free, load_end = xfer.event_cycles(seq[0].read, False)  # before anything else
    start = 0 if seq[0].buffering == STREAM else load_end
    peak_r = peak_w = 0.0
    end = load_start = backlog = last_latency = 0
    for i, fold in enumerate(seq):
        if i:
            start = load_start if fold.buffering == STREAM else max(end, load_end)
        end = start + fold_cycles + (tail if i == len(seq) - 1 else 0)
        if fold.buffering == STREAM:
            end = max(end, load_end)
        if i + 1 < len(seq):  # prefetch the next fold's operands (queued before this write)
            nxt = seq[i + 1]
            issue = start if nxt.buffering == DOUBLE else end
            drained = min(backlog, max(0, issue - dram_free))  # writes use the idle time
            backlog -= drained
            load_start = max(dram_free + drained, issue)
            occupancy, done = xfer.event_cycles(nxt.read, False, load_start)
            dram_free, load_end = load_start + occupancy, load_start + done
            peak_r = max(peak_r, nxt.read / max(1, load_end - issue))
        if fold.write:
            drained = min(backlog, max(0, end - dram_free))  # older writes, in the idle time
            backlog -= drained
            dram_free += drained
            occupancy, done = xfer.event_cycles(fold.write, True, max(dram_free, end))
            backlog += occupancy
            last_latency = done - occupancy
            peak_w = max(peak_w, fold.write / max(1, done))
    writes_end = max(dram_free, end) + backlog + last_latency if backlog else 0
    total = max(end, writes_end)
    return Timing(total, len(seq) * fold_cycles + tail, folds.totals(), peak_r, peak_w)


def fast_timing(plan: FoldPlanner, fold_cycles: int, xfer: Transfers, tail: int = 0) -> Timing:
    """Analytic bound (array cycles): the larger of the fold chain and the DRAM's busy time.

    Fold chain: ``L(first) + sum_(i>0) step_i + F + W(last)``, the step into fold i being
    ``max(F, L(i))`` when fold i is prefetched during the previous fold (double-buffered or
    streamed) and ``F + L(i)`` when its load waits for the previous fold to end
    (single-buffered); L and W are completion times. DRAM: the occupancies of all loads and
    writes back to back (writes drain in the background, so they only count here). ``tail``
    cycles (an exposed final drain) end the last fold. Evaluated once per fold class, weighted
    by count.
    """
    folds = plan.fold_classes()
    cost = xfer.fast_cycles
    chain = busy = 0.0
    peak_r = peak_w = 0.0
    a_sum = b_sum = p_sum = w_sum = n = 0
    first = True
    for (a, b, psum, written, buffering), count in zip(folds.folds, folds.counts, strict=True):
        read = a + b + psum
        load_busy, load = cost(read, False)
        write_busy, write = cost(written, True)
        step = fold_cycles + load if buffering == SINGLE else max(fold_cycles, load)
        later = count - 1 if first else count  # folds of this class after the first fold
        chain += step * later + (load if first else 0.0)
        busy += (load_busy + write_busy) * count
        if later and read:
            peak_r = max(peak_r, read / max(load, 1.0))
        if written:
            peak_w = max(peak_w, written / max(write, 1.0))
        first = False
        a_sum, b_sum, p_sum, w_sum = (a_sum + a * count, b_sum + b * count,
                                      p_sum + psum * count, w_sum + written * count)
        n += count
    chain += fold_cycles + tail + write  # the last class's write completes the GEMM
    compute = n * fold_cycles + tail
    return Timing(max(math.ceil(max(chain, busy)), compute), compute,
                  (a_sum, b_sum, p_sum, w_sum), peak_r, peak_w)
