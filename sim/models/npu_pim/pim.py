"""HBM-PIM command timing: GWRITE, G_ACT, COMP, READRES, COMPS_READRES; attention on PIM.

All banks of a channel execute in lockstep. One PIM *tile* is: precharge the PIM rows
(tRP), activate the same row in every bank group (G_ACT = 4 bank activations, so one G_ACT
fills a rank's tFAW window), wait tRCDRD, then per head ``n`` COMPs (each bank multiplies
``lanes`` elements of its open row with the global buffer) and one READRES. The COMP spacing is
rate-matched to column reads: max(burst, tCCD_S) per ``fetch_bytes`` of operands per bank; the
pipeline is filled by at least ``MIN_COMPS`` COMPs; READRES follows at max(burst, tCCD_L).
GWRITE copies one row (a query chunk or a logits row) into the channel's global buffer:
(tCCD_S + tCCD_L) x columns / 2 cycles (96 on HBM2_8Gb_x128).

Attention mapping (reference section 4): K with one token per bank (a 32-bank tile covers 32
positions, all heads of a 512-element row chunk); V with 512 tokens per row and head dimensions
spread over banks. Per-request cycles are closed forms of the per-tile command schedule and are
vectorised over requests with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.shapes import ceil_div
from sim.hw.dram.config import HbmConfig

IntArray = npt.NDArray[np.int64]
MIN_COMPS = 6  # pipeline fill: a COMP burst is at least six COMPs long (NewtonSim)


@dataclass(frozen=True)
class PimParams:
    """PIM datapath parameters: MAC lanes per bank, operand bytes, bank fetch per COMP."""

    lanes: int = 16
    elem_bytes: int = 2
    fetch_bytes: int = 32
    fused: bool = True
    """Use NeuPIMs' fused COMPS_READRES (one command per head) instead of n COMP + READRES."""


def comp_spacing(cfg: HbmConfig, pim: PimParams) -> int:
    """Cycles between COMPs: max(burst, tCCD_S) per ``fetch_bytes`` of lane operands."""
    per_col = max(cfg.org.burst_cycles, cfg.timing.tCCD_S)
    return per_col * int(ceil_div(pim.lanes * pim.elem_bytes, pim.fetch_bytes))


def readres_spacing(cfg: HbmConfig) -> int:
    """Cycles a READRES occupies after the last COMP: max(burst, tCCD_L)."""
    return max(cfg.org.burst_cycles, cfg.timing.tCCD_L)


def head_cycles(cfg: HbmConfig, pim: PimParams, comps: IntArray | int) -> IntArray | int:
    """Channel cycles of ``comps`` COMPs + one READRES (= one COMPS_READRES)."""
    return comp_spacing(cfg, pim) * np.maximum(comps, MIN_COMPS) + readres_spacing(cfg)


@lru_cache(maxsize=64)
def gact_schedule(cfg: HbmConfig) -> tuple[int, ...]:
    """Issue cycles of the G_ACTs of one tile, relative to the PIM precharge at cycle 0.

    One G_ACT per bank group and rank, bank groups outer, ranks inner; each must satisfy: tRP
    after the precharge, one row command per cycle, tRRD_S / tRRD_L after the previous G_ACT of
    its rank, and tFAW (a G_ACT activates 4 banks, so it counts as four activations).
    """
    t, org = cfg.timing, cfg.org
    acts: list[list[int]] = [[] for _ in range(org.ranks)]
    issued: list[int] = []
    row_bus = 0
    for _bg in range(org.bankgroups):
        for rank in range(org.ranks):
            earliest = max(t.tRP, row_bus)
            window = acts[rank]
            if window:
                earliest = max(earliest, window[-1] + t.tRRD_S)
            per_gact = org.banks_per_group
            if len(window) * per_gact >= 4:
                # The 4th-most-recent bank activation bounds this one by tFAW.
                flat = [c for c in window for _ in range(per_gact)]
                earliest = max(earliest, flat[-4] + t.tFAW)
            window.append(earliest)
            issued.append(earliest)
            row_bus = earliest + 1
    return tuple(issued)


def tile_overhead(cfg: HbmConfig) -> int:
    """Cycles from a tile's PIM precharge to its first COMP: last G_ACT + tRCDRD."""
    return gact_schedule(cfg)[-1] + cfg.timing.tRCDRD


def tile_cycles(cfg: HbmConfig, pim: PimParams, comps: IntArray | int,
                heads: IntArray | int) -> IntArray | int:
    """Channel cycles of one tile: activation overhead + ``heads`` x COMPS_READRES."""
    return tile_overhead(cfg) + heads * head_cycles(cfg, pim, comps)


def gwrite_cycles(cfg: HbmConfig) -> int:
    """Cycles of one GWRITE: (tCCD_S + tCCD_L) x columns / 2."""
    return (cfg.timing.tCCD_S + cfg.timing.tCCD_L) * max(1, cfg.org.columns // 2)


@dataclass
class AttentionOnPim:
    """Per-request PIM cycles and command counts of one layer's attention (arrays over requests).

    ``logit``/``attend`` are the channel cycles of the K.q and S.V parts; counts are per request.
    """

    logit: IntArray
    attend: IntArray
    gwrite: IntArray
    gact: IntArray
    pre: IntArray
    comp: IntArray
    readres: IntArray
    result_bytes: IntArray

    @property
    def cycles(self) -> IntArray:
        """Total channel cycles per request."""
        return self.logit + self.attend


def attention_on_pim(cfg: HbmConfig, pim: PimParams, kv_len: IntArray, heads: int,
                     head_dim: int) -> AttentionOnPim:
    """Cycles and commands of K.q and S.V for each request (``kv_len`` tokens) on one channel."""
    org = cfg.org
    page = org.row_bytes // pim.elem_bytes  # elements per row
    nb = org.banks_per_channel
    if head_dim > page:
        raise SimError(f"head_dim {head_dim} exceeds one PIM row of {page} elements")
    L = np.asarray(kv_len, dtype=np.int64)
    e_eff = heads * head_dim
    gw = gwrite_cycles(cfg)
    comps_head = int(ceil_div(head_dim, pim.lanes))
    per_chunk = page // head_dim
    chunks = int(ceil_div(e_eff, page))
    k_tiles = np.asarray(ceil_div(L, nb), dtype=np.int64)
    logit = np.zeros_like(L)
    gact = np.zeros_like(L)
    comp = np.zeros_like(L)
    readres = np.zeros_like(L)
    for c in range(chunks):
        hc = min(per_chunk, heads - c * per_chunk)
        logit += gw + k_tiles * tile_cycles(cfg, pim, comps_head, hc)
        comp += k_tiles * hc * comps_head
        readres += k_tiles * hc
    n_k_tiles = k_tiles * chunks
    # S.V: per head, per 512-token chunk: GWRITE of the logits row, ceil(d_k / banks) tiles.
    v_tiles_per = int(ceil_div(head_dim, nb))
    full, rest = L // page, L % page
    full_chunk = gw + v_tiles_per * tile_cycles(cfg, pim, int(ceil_div(page, pim.lanes)), 1)
    rest_chunk = np.where(rest > 0, gw + v_tiles_per * tile_cycles(
        cfg, pim, ceil_div(rest, pim.lanes), 1), 0)
    attend = heads * (full * full_chunk + rest_chunk)
    seq_chunks = np.asarray(ceil_div(L, page), dtype=np.int64)
    n_v_tiles = heads * seq_chunks * v_tiles_per
    comp += heads * v_tiles_per * (full * int(ceil_div(page, pim.lanes))
                                   + ceil_div(rest, pim.lanes))
    readres += n_v_tiles
    gact = np.asarray((n_k_tiles + n_v_tiles) * org.ranks * org.bankgroups, dtype=np.int64)
    gwrite = np.asarray(chunks + heads * seq_chunks, dtype=np.int64)
    # Each READRES returns one fp16 result per bank.
    result_bytes = readres * nb * pim.elem_bytes
    return AttentionOnPim(logit, attend, gwrite, gact, n_k_tiles + n_v_tiles, comp, readres,
                          result_bytes)


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
    """Sub-batch of each request: within each channel, requests alternate 0, 1, ..., parts-1."""
    out = np.zeros(len(channel), dtype=np.int64)
    for ch in np.unique(channel):
        idx = np.nonzero(channel == ch)[0]
        out[idx] = np.arange(len(idx)) % parts
    return out
