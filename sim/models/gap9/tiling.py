"""L1 tiling of NE16 layers: enumerate output tiles (h, w, k), keep those whose double-buffered
inputs + weights + outputs + normquant parameters fit the L1 budget, pick the fastest.

All candidates are evaluated at once with numpy. A tiling splits the output into body tiles and
up to 7 remainder combinations (H, W, K remainders); compute cycles are the NE16 layer formula
of each tile shape, DMA cycles are ``api + setup + latency + ceil(bytes / bw) + rows`` per
transfer. Loop order: output-channel tiles outermost (weights loaded once per k tile), then
rows, then columns. The estimate used for the choice assumes double buffering:
``first load + max(compute, remaining DMA) + last store``; the SoC SimPy model then times the
chosen tiling exactly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.gap9 import cycles as cy
from sim.models.gap9.arch import DmaSpec, Gap9Arch
from sim.models.gap9.layers import Layer

IArr = npt.NDArray[np.int64]


def _cdiv(a: IArr | int, b: IArr | int) -> IArr:
    return -(-np.asarray(a, dtype=np.int64) // np.asarray(b, dtype=np.int64))


def job_cycles_vec(mode: str, k: IArr, qw: int, n_in: IArr | int, nq: cy.NqConfig,
                   geo: cy.Geometry) -> IArr:
    """Vectorised :func:`cycles.subtile_job_cycles` over arrays of k (and n_in)."""
    k = np.asarray(k, dtype=np.int64)
    load = cy.load_cycles(mode, geo)
    woff = 6 + k if mode == "dw" else np.full_like(k, 6)
    mv = 6 + k if mode == "1x1" else 6 + k * qw
    body = np.asarray(n_in) * (load + woff + mv + cy.update_cycles())
    if nq.enabled:
        nqc = ((8 if nq.per_channel_shift else 0) + 9 + _cdiv(k * nq.scale_bits // 8, 4)
               + ((8 + _cdiv(k, 8)) if nq.bias else 0))
    else:
        nqc = np.zeros_like(k)
    pixels = 1 if mode == "linear" else geo.columns
    so = 3 + pixels * _cdiv(k * nq.out_bits, cy.STREAM_BITS) + 1
    return np.asarray(body + nqc + so, dtype=np.int64)


def tile_cycles_vec(mode: str, k_in: int, h: IArr, w: IArr, k: IArr, qw: int, stride: int,
                    nq: cy.NqConfig, geo: cy.Geometry) -> IArr:
    """Vectorised :func:`cycles.layer_cycles` of tiles with outputs h x w x k (0-sized -> 0)."""
    h = np.asarray(h, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    if stride == 2:
        h, w = 2 * h, 2 * w
    ksub = geo.lanes if mode == "dw" else cy.K_SUB
    full, rem = k // ksub, k % ksub
    if mode == "linear":
        reps, n_in = h * w, cy.ceil_div(k_in, cy.LIN_INPUTS)
    elif mode == "dw":
        reps, n_in = _cdiv(h, geo.side) * _cdiv(w, geo.side), 1
    else:
        reps, n_in = _cdiv(h, geo.side) * _cdiv(w, geo.side), cy.ceil_div(k_in, geo.lanes)
    per = full * job_cycles_vec(mode, np.full_like(k, ksub), qw, n_in, nq, geo)
    per = per + np.where(rem > 0, job_cycles_vec(mode, np.maximum(rem, 1), qw, n_in, nq, geo), 0)
    return np.asarray(reps * per, dtype=np.int64)


def dma_cycles(nbytes: IArr | int, rows: IArr | int, dma: DmaSpec) -> IArr:
    """Cycles of one L2<->L1 DMA transfer (0 bytes -> 0 cycles)."""
    nb = np.asarray(nbytes, dtype=np.int64)
    cost = (dma.api_cycles + dma.setup_cycles + dma.latency_cycles
            + _cdiv(nb, dma.bandwidth_bytes_per_cycle) + np.asarray(rows) * dma.row_cycles)
    return np.asarray(np.where(nb > 0, cost, 0), dtype=np.int64)


@dataclass(frozen=True)
class TileKind:
    """One tile shape of a tiling and how many tiles have it."""

    count: int
    h: int
    w: int
    k: int
    compute: int  # NE16 cycles per tile
    in_bytes: int
    in_rows: int
    w_bytes: int  # weights + normquant params for its k tile
    out_bytes: int
    out_rows: int


@dataclass(frozen=True)
class Tiling:
    """Chosen tiling of a layer."""

    h: int
    w: int
    k: int
    n_h: int
    n_w: int
    n_k: int
    l1_bytes: int
    estimate: int
    compute: int
    kinds: tuple[TileKind, ...]

    @property
    def tiles(self) -> int:
        """Number of tiles."""
        return self.n_h * self.n_w * self.n_k


def _candidates(total: int, step: int) -> IArr:
    """Tile sizes: multiples of ``step`` below ``total`` plus ``total`` itself."""
    vals = [*range(step, total, step), total]
    return np.array(sorted(set(vals)), dtype=np.int64)


def _geometry(layer: Layer, h: IArr, w: IArr, k: IArr, out_bytes_per: int,
              nq: cy.NqConfig) -> tuple[IArr, IArr, IArr, IArr]:
    """(in bytes, in rows, weight+param bytes, out bytes) of tiles with outputs h x w x k."""
    kh, kw = layer.kernel
    h_in = np.minimum((h - 1) * layer.stride + kh, layer.h_in + 2 * layer.padding)
    w_in = np.minimum((w - 1) * layer.stride + kw, layer.w_in + 2 * layer.padding)
    c_in = k if layer.mode == "dw" else np.full_like(k, layer.k_in)
    in_b = h_in * w_in * c_in
    qw = layer.qw
    if layer.mode == "dw":
        wb = _cdiv(k, 16) * qw * 9 * 2
    else:
        taps = kh * kw
        wb = k * cy.ceil_div(layer.k_in, 16) * qw * taps * 2
    params = k * (nq.scale_bits // 8 + (4 if nq.bias else 0))
    out_b = h * w * k * out_bytes_per
    return in_b, h_in, wb + params, out_b


def candidate_tilings(layer: Layer, arch: Gap9Arch, top: int = 4) -> list[Tiling]:
    """The ``top`` L1 tilings of an NE16 layer with the lowest estimate (best first); SimError
    if not even the smallest tile fits."""
    nq = nq_config(arch)
    geo = cy.Geometry(arch.ne16.side, arch.ne16.lanes)
    ob = nq.out_bits // 8
    step_k = geo.lanes if layer.mode == "dw" else cy.K_SUB
    hs = _candidates(layer.h_out, geo.side if layer.mode != "linear" else 1)
    ws = _candidates(layer.w_out, geo.side)
    ks = _candidates(layer.k_out, step_k)
    h, w, k = (a.reshape(-1) for a in np.meshgrid(hs, ws, ks, indexing="ij"))
    in_b, _, wb, out_b = _geometry(layer, h, w, k, ob, nq)
    n_h, n_w, n_k = _cdiv(layer.h_out, h), _cdiv(layer.w_out, w), _cdiv(layer.k_out, k)
    single = (n_h * n_w * n_k) == 1
    l1 = np.where(single, 1, 2) * (in_b + wb + out_b)
    fit = l1 <= arch.l1.tiling_budget_bytes
    if not fit.any():
        raise SimError(f"gap9: layer {layer.name!r} does not fit L1 even with the smallest tile "
                       f"({int(l1.min())} B > budget {arch.l1.tiling_budget_bytes} B)")
    h, w, k, n_h, n_w, n_k, wb, l1 = (a[fit] for a in (h, w, k, n_h, n_w, n_k, wb, l1))
    comp = np.zeros_like(h)
    dma_total = np.zeros_like(h)
    first_in = np.zeros_like(h)
    last_out = np.zeros_like(h)
    for part in _parts(layer, h, w, k):
        cnt, ph, pw, pk, is_first, is_last = part
        c = tile_cycles_vec(layer.mode, layer.k_in, ph, pw, pk, layer.qw, layer.stride, nq, geo)
        ib, ir, wbp, obp = _geometry(layer, ph, pw, pk, ob, nq)
        d_in = dma_cycles(ib, ir, arch.dma)
        d_out = dma_cycles(obp, ph, arch.dma)
        comp += cnt * c
        dma_total += cnt * (d_in + d_out)
        first_in = np.where(is_first, d_in + dma_cycles(wbp, 1, arch.dma), first_in)
        last_out = np.where(is_last, d_out, last_out)
    dma_total += n_k * dma_cycles(wb, 1, arch.dma)  # one weight load per k tile (body size)
    est = first_in + np.maximum(comp, dma_total - first_in - last_out) + last_out
    order = np.lexsort((-h * w * k, est))[:top]
    out = []
    for best in (int(i) for i in order):
        bh, bw, bk = int(h[best]), int(w[best]), int(k[best])
        out.append(Tiling(h=bh, w=bw, k=bk, n_h=int(n_h[best]), n_w=int(n_w[best]),
                          n_k=int(n_k[best]), l1_bytes=int(l1[best]), estimate=int(est[best]),
                          compute=int(comp[best]), kinds=tile_kinds(layer, arch, bh, bw, bk)))
    return out


def choose_tiling(layer: Layer, arch: Gap9Arch) -> Tiling:
    """The tiling with the lowest double-buffering estimate (see module docstring)."""
    return candidate_tilings(layer, arch, top=1)[0]


def _parts(layer: Layer, h: IArr, w: IArr, k: IArr) -> list[tuple[IArr, IArr, IArr, IArr, IArr,
                                                                     IArr]]:
    """Body/remainder combinations: (count, h, w, k, is-first-tile, is-last-tile) arrays."""
    out: list[tuple[IArr, IArr, IArr, IArr, IArr, IArr]] = []
    dims: list[tuple[tuple[IArr, IArr], tuple[IArr, IArr]]] = []
    for total, t in ((layer.h_out, h), (layer.w_out, w), (layer.k_out, k)):
        full, rem = total // t, total % t
        dims.append(((np.asarray(full, dtype=np.int64), t),
                     (np.where(rem > 0, 1, 0).astype(np.int64), np.maximum(rem, 1))))
    for a in range(2):
        for b in range(2):
            for c in range(2):
                (ch, sh), (cw, sw), (ck, sk) = dims[0][a], dims[1][b], dims[2][c]
                cnt = ch * cw * ck
                first = (a == 0) & (b == 0) & (c == 0)
                last_h = (dims[0][1][0] == 0) if a == 0 else np.ones_like(h, dtype=bool)
                last_w = (dims[1][1][0] == 0) if b == 0 else np.ones_like(h, dtype=bool)
                last_k = (dims[2][1][0] == 0) if c == 0 else np.ones_like(h, dtype=bool)
                is_first = np.full(h.shape, first) & (cnt > 0)
                is_last = last_h & last_w & last_k & (cnt > 0)
                out.append((np.asarray(cnt, dtype=np.int64), sh, sw, sk,
                            is_first.astype(np.int64), is_last.astype(np.int64)))
    return out


def tile_kinds(layer: Layer, arch: Gap9Arch, th: int, tw: int, tk: int) -> tuple[TileKind, ...]:
    """The tile shapes (with counts) of tiling (th, tw, tk): body and remainder combinations."""
    nq = nq_config(arch)
    geo = cy.Geometry(arch.ne16.side, arch.ne16.lanes)
    out = []
    dims = [[(n // t, t), (1 if n % t else 0, n % t)]
            for n, t in ((layer.h_out, th), (layer.w_out, tw), (layer.k_out, tk))]
    for (ch, ph), (cw, pw), (ck, pk) in itertools.product(*dims):
        cnt = ch * cw * ck
        if cnt == 0:
            continue
        k_in = pk if layer.mode == "dw" else layer.k_in
        c = cy.layer_cycles(cy.LayerShape(layer.mode, k_in, pk, ph, pw, layer.qw, layer.stride),
                            nq, geo)
        ib, ir, wbp, obp = (int(v[0]) for v in _geometry(layer, np.array([ph]), np.array([pw]),
                                                         np.array([pk]), nq.out_bits // 8, nq))
        out.append(TileKind(count=cnt, h=ph, w=pw, k=pk, compute=c, in_bytes=ib, in_rows=ir,
                            w_bytes=wbp, out_bytes=obp, out_rows=ph))
    return tuple(out)


def nq_config(arch: Gap9Arch) -> cy.NqConfig:
    """Normquant timing options of the arch."""
    n = arch.ne16
    return cy.NqConfig(scale_bits=n.scale_bits, bias=n.bias,
                       per_channel_shift=n.per_channel_shift, out_bits=n.out_bits)
