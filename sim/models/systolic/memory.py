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

**DRAM.** One queue, in issue order: the prefetch of fold i+1 (issued when fold i starts), then
the write of fold i's outputs (issued when it ends). A transfer of ``n`` bytes is spread over all
channels (sequential addresses interleave across them); its time is converted from the DRAM
clock to the array clock and is at least ``n / (banks * bank_bytes)`` array cycles when the SRAM
fill port is limited (``sram.banks``, ``sram.bank_bytes``).

Two timing modes of a transfer, and of the whole schedule:

* ``event``: every fold is scheduled in order with the exact recurrences above; each transfer's
  DRAM time is a replay of one channel's share of its requests (sequential addresses of that
  channel) through the controller of :mod:`sim.hw.dram` (compiled path), memoised per
  (requests per channel, direction): the replay includes ACT/CAS latency, bank and row effects,
  and refresh when the transfer spans a refresh interval.
* ``fast``: analytic. A transfer costs the first-access latency (one request replayed on an
  idle channel: ACT, tRCD, CAS latency, less its burst) plus one channel's share of its bursts
  at the sustained rate of a long sequential stream (:func:`stream_efficiency`, which includes
  refresh); the schedule is the larger of the fold chain and the DRAM busy time
  (:func:`fast_timing`; vectorised, no per-fold Python loop).

Writes are not back-pressured: the C buffer is assumed to hold outputs until the DRAM takes
them, so a write delays only later transfers (and the end of the GEMM), never a fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field

from sim.core.errors import SimError
from sim.core.shapes import GemmShape, ceil_div
from sim.hw.dram.config import PRESETS, HbmConfig, make_config
from sim.hw.dram.stream import sequential_stream, stream_efficiency
from sim.hw.systolic import ACCUMULATOR_BITS, Dataflow, fold_counts, mapping
from sim.spec.base import StrictModel

MemoryMode = Literal["ideal", "fast", "event"]
ACC_BYTES = ACCUMULATOR_BITS // 8
IntArray = npt.NDArray[np.int64]
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


@dataclass(frozen=True)
class Folds:
    """Per fold, in execution order: DRAM bytes read per operand and written, buffering."""

    a: IntArray
    b: IntArray
    psum_read: IntArray
    write: IntArray
    buffering: IntArray

    @property
    def read(self) -> IntArray:
        """All DRAM bytes read before each fold."""
        return self.a + self.b + self.psum_read


def fold_plan(shape: GemmShape, rows: int, cols: int, dataflow: Dataflow,
              buffers: Buffers) -> Folds:
    """DRAM traffic and buffering of every fold of one GEMM (see the module docstring)."""
    sr, sc, t = mapping(shape, dataflow)
    nr, nc = fold_counts(shape, rows, cols, dataflow)
    r = np.tile(np.arange(nr, dtype=np.int64), nc)
    c = np.repeat(np.arange(nc, dtype=np.int64), nr)
    r_size = np.minimum(rows, sr - r * rows)
    c_size = np.minimum(cols, sc - c * cols)
    first_pass = c == 0
    a_total, b_total = shape.m * shape.k, shape.k * shape.n
    a_res, b_res = a_total <= buffers.a, b_total <= buffers.b
    zero = np.zeros_like(r)
    if dataflow == "OS":  # A tile r (rows x K), B tile c (K x cols), outputs every fold
        a_tile, b_tile = r_size * t, c_size * t
        a_new = _new_tiles(first_pass, a_res, nr)
        b_new = r == 0
        a = np.where(a_new, a_tile, 0)
        b = np.where(b_new, b_tile, 0)
        return Folds(a, b, zero, r_size * c_size * ACC_BYTES,
                     np.maximum(_buf_arr(a_tile, buffers.a), _buf_arr(b_tile, buffers.b)))
    stationary = r_size * c_size  # WS: B[k, n] tile; IS: A[k, m] tile
    streamed = t * r_size  # WS: A[M, k-range]; IS: B[k-range, N]
    resident = a_res if dataflow == "WS" else b_res
    s_new = _new_tiles(first_pass, resident, nr)
    s_bytes = np.where(s_new, streamed, 0)
    a, b = (s_bytes, stationary) if dataflow == "WS" else (stationary, s_bytes)
    psum = t * c_size * ACC_BYTES
    spill = t * min(sc, cols) * ACC_BYTES > buffers.c
    psum_read = np.where(spill & (r > 0), psum, 0)
    write = psum if spill else np.where(r == nr - 1, psum, 0)
    s_cap, st_cap = (buffers.a, buffers.b) if dataflow == "WS" else (buffers.b, buffers.a)
    buffering = np.maximum(_buf_arr(streamed, s_cap), _buf_arr(stationary, st_cap))
    return Folds(a, b, psum_read, write, buffering)


def _new_tiles(first_pass: npt.NDArray[np.bool_], resident: bool,
               row_folds: int) -> npt.NDArray[np.bool_]:
    """Folds that fetch a tile indexed by the row fold: every fold when there are several row
    folds (first column pass only if the operand is resident); only the very first otherwise."""
    if row_folds > 1:
        return first_pass | (not resident)
    first = np.zeros_like(first_pass)
    first[0] = True
    return first


def _buf_arr(tile: IntArray, capacity: int) -> IntArray:
    """Vectorised :func:`_buffering`."""
    return np.where(2 * tile <= capacity, DOUBLE, np.where(tile <= capacity, SINGLE, STREAM))


@dataclass(frozen=True)
class Timing:
    """Outcome of one GEMM with memory in the loop (array cycles)."""

    total: int
    compute: int
    folds: Folds
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
        org = cfg.org
        # first-access latency: one request on an idle channel, less its burst (counted below)
        self.latency = {w: _replayed(cfg, 1, w) - org.burst_cycles for w in (False, True)}

    def fast_cycles(self, nbytes: IntArray, write: bool) -> npt.NDArray[np.float64]:
        """Analytic transfer times (array cycles) of an array of byte counts; 0 for 0 bytes:
        first-access latency plus one channel's share of the bursts at the sustained rate."""
        org = self.cfg.org
        requests = -(-nbytes // org.request_bytes)
        per_channel = -(-requests // org.channels)
        busy = per_channel * org.burst_cycles / stream_efficiency(self.cfg, write)
        dram = np.where(nbytes > 0, self.latency[write] + busy, 0.0) * self.ratio
        return np.maximum(dram, nbytes / self.fill) if self.fill else dram

    def event_cycles(self, nbytes: int, write: bool) -> int:
        """Replayed transfer time (array cycles) of ``nbytes``; 0 for 0 bytes."""
        if nbytes <= 0:
            return 0
        org = self.cfg.org
        per_channel = ceil_div(ceil_div(nbytes, org.request_bytes), org.channels)
        dram = _replayed(self.cfg, per_channel, write) * self.ratio
        fill = ceil_div(nbytes, self.fill) if self.fill else 0
        return max(int(np.ceil(dram)), fill)


@lru_cache(maxsize=4096)
def _replayed(cfg: HbmConfig, requests: int, write: bool) -> int:
    """DRAM cycles for ``requests`` sequential requests of one channel, handed over at once."""
    return sequential_stream(cfg, requests, write).cycles


def event_timing(folds: Folds, fold_cycles: int, xfer: Transfers) -> Timing:
    """Schedule every fold in order (exact recurrences of the module docstring)."""
    read = folds.read.tolist()
    write = folds.write.tolist()
    buffering = folds.buffering.tolist()
    n = len(read)
    r_time = {b: xfer.event_cycles(b, False) for b in set(read)}
    w_time = {b: xfer.event_cycles(b, True) for b in set(write)}
    dram_free = load_end = r_time[read[0]]  # first fold's operands, before anything else
    start = 0 if buffering[0] == STREAM else load_end
    peak_r = peak_w = 0.0
    end = last_write_end = load_start = 0
    for i in range(n):
        if i:
            start = load_start if buffering[i] == STREAM else max(end, load_end)
        end = start + fold_cycles
        if buffering[i] == STREAM:
            end = max(end, load_end)
        if i + 1 < n:  # prefetch the next fold's operands (queued before this fold's write)
            issue = start if buffering[i + 1] == DOUBLE else end
            load_start = max(dram_free, issue)
            load_end = dram_free = load_start + r_time[read[i + 1]]
            peak_r = max(peak_r, read[i + 1] / max(1, load_end - issue))
        if write[i]:
            w_start = max(dram_free, end)
            dram_free = last_write_end = w_start + w_time[write[i]]
            peak_w = max(peak_w, write[i] / max(1, dram_free - w_start))
    total = max(end, last_write_end)
    return Timing(total, n * fold_cycles, folds, peak_r, peak_w)


def fast_timing(folds: Folds, fold_cycles: int, xfer: Transfers) -> Timing:
    """Analytic bound (array cycles): the larger of the fold chain and the DRAM's busy time.

    Fold chain: ``L(first) + sum_i step_i + W(last)``, the step from fold i to fold i+1 being
    ``max(F, L(i+1))`` when fold i+1 is prefetched during fold i (double-buffered or streamed)
    and ``F + L(i+1)`` when its load must wait for fold i to end (single-buffered). DRAM: all
    loads and writes back to back (writes drain in the background, so they only count here).
    """
    load = xfer.fast_cycles(folds.read, False)
    wr = xfer.fast_cycles(folds.write, True)
    n = len(load)
    nxt = np.append(load[1:], 0.0)
    single = np.append(folds.buffering[1:] == SINGLE, False)
    steps = np.where(single, fold_cycles + nxt, np.maximum(fold_cycles, nxt))
    chain = load[0] + steps.sum() + wr[-1]
    total = int(np.ceil(max(chain, load.sum() + wr.sum())))
    peak_r = float((folds.read[1:] / np.maximum(load[1:], 1.0)).max()) if n > 1 else 0.0
    w_mask = folds.write > 0
    peak_w = float((folds.write[w_mask] / np.maximum(wr[w_mask], 1.0)).max()) \
        if w_mask.any() else 0.0
    return Timing(max(total, n * fold_cycles), n * fold_cycles, folds, peak_r, peak_w)
