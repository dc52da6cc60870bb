"""NE16 cycle model: per-subtile phases, per-output-tile normquant/streamout, layer totals.

The public deployment-tool model (reference ``gap9.md`` section 4), generalised to an engine
of ``S x S`` output pixels (columns), 9 blocks and ``lanes`` input channels so that the RTL slice
in ``rtl/gap9`` can be checked against the same formulas:

==============  ===========================  ==========================  ===================
phase           1x1                          3x3                         depthwise 3x3
==============  ===========================  ==========================  ===================
load            10 + S^2 * ceil(L*8/256)     6 + (S+2)^2 * ceil(L*8/256)  as 3x3
weight offset   6                            6                           6 + k
matrix-vector   6 + k                        6 + k*Qw                    6 + k*Qw
index update    2                            2                           2
==============  ===========================  ==========================  ===================

normquant(k) = (per-channel shift ? 8 : 0) + 9 + ceil(k*scale_bits/8/4) + (bias ? 8 + ceil(k/8) : 0)
streamout(k) = 3 + S^2 * ceil(k*out_bits/256) + 1.  With norm/quant disabled normquant is 0.

Linear mode (derived, not documented): one pixel, 256 inputs (2 columns x 8 blocks x 16 lanes)
per k_in subtile: load 6 + 256*8/256 = 14, weight offset 6, matrix-vector 6 + k*Qw, update 2,
streamout 3 + ceil(k*out_bits/256) + 1.

Stride 2 (software-orchestrated on NE16) is modelled as the stride-1 computation over the
covering region, i.e. about 4x the output pixels (modelling assumption).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.shapes import ceil_div

STREAM_BITS = 256  # streamer width (bits/cycle)
FIFO = 6  # streamer FIFO latency (cycles)
K_SUB = 32  # output channels per subtile (dense)
K_SUB_DW = 16  # channels per depthwise group
LIN_INPUTS = 256  # inputs per linear k_in subtile

MODE_NAMES = ("3x3", "1x1", "dw", "linear")


@dataclass(frozen=True)
class NqConfig:
    """Normquant/streamout options that change timing."""

    scale_bits: int = 8
    bias: bool = True
    per_channel_shift: bool = False
    out_bits: int = 8
    enabled: bool = True


DEFAULT_NQ = NqConfig()


@dataclass(frozen=True)
class Geometry:
    """Engine geometry: output subtile side S (columns = S^2), input lanes L."""

    side: int = 3
    lanes: int = 16

    @property
    def columns(self) -> int:
        """Output pixels per subtile."""
        return self.side * self.side


NE16 = Geometry()


def load_cycles(mode: str, geo: Geometry = NE16) -> int:
    """Cycles of the LOAD phase (one k_in subtile of input pixels)."""
    beats = ceil_div(geo.lanes * 8, STREAM_BITS)
    if mode == "1x1":
        return 10 + geo.columns * beats
    if mode == "linear":
        return FIFO + ceil_div(LIN_INPUTS * 8, STREAM_BITS)
    return FIFO + (geo.side + 2) ** 2 * beats


def woff_cycles(mode: str, k: int) -> int:
    """Cycles of the WEIGHTOFFS phase (depthwise: one pass per channel)."""
    return 6 + k if mode == "dw" else 6


def mv_cycles(mode: str, k: int, qw: int) -> int:
    """Cycles of the MATRIXVEC phase: 6 + k (1x1, bits in parallel) or 6 + k*Qw (bit-serial)."""
    return 6 + k if mode == "1x1" else 6 + k * qw


def update_cycles() -> int:
    """Cycles of the index update."""
    return 2


def kin_subtile_cycles(mode: str, k: int, qw: int, geo: Geometry = NE16) -> int:
    """load + weight offset + matrix-vector + update for one k_in subtile."""
    return load_cycles(mode, geo) + woff_cycles(mode, k) + mv_cycles(mode, k, qw) + update_cycles()


def normquant_cycles(k: int, nq: NqConfig = DEFAULT_NQ) -> int:
    """Normquant cycles for k output channels (4 multipliers, 8 adders, 4 shifters)."""
    if not nq.enabled:
        return 0
    return ((8 if nq.per_channel_shift else 0) + 9 + ceil_div(k * nq.scale_bits // 8, 4)
            + ((8 + ceil_div(k, 8)) if nq.bias else 0))


def streamout_cycles(k: int, nq: NqConfig = DEFAULT_NQ, geo: Geometry = NE16,
                     linear: bool = False) -> int:
    """Streamout cycles: 3 + pixels * ceil(k*out_bits/256) + 1."""
    pixels = 1 if linear else geo.columns
    return 3 + pixels * ceil_div(k * nq.out_bits, STREAM_BITS) + 1


def subtile_job_cycles(mode: str, k: int, qw: int, n_in: int, nq: NqConfig = DEFAULT_NQ,
                       geo: Geometry = NE16) -> int:
    """One output subtile of k channels over n_in k_in subtiles, incl. normquant and streamout.

    This is what the RTL slice runs between ``start`` and ``done``.
    """
    body = n_in * kin_subtile_cycles(mode, k, qw, geo)
    return body + normquant_cycles(k, nq) + streamout_cycles(k, nq, geo, mode == "linear")


@dataclass(frozen=True)
class LayerShape:
    """An NE16 layer (one L1 tile or the whole layer): output Ho x Wo x K_out, K_in inputs."""

    mode: str
    k_in: int
    k_out: int
    h_out: int
    w_out: int
    qw: int
    stride: int = 1

    def __post_init__(self) -> None:
        if self.mode not in MODE_NAMES:
            raise SimError(f"unknown NE16 mode {self.mode!r}", accepted=", ".join(MODE_NAMES))
        if not 2 <= self.qw <= 8:
            raise SimError(f"NE16 weight bits must be 2..8, got {self.qw}", accepted="2..8")
        if min(self.k_in, self.k_out, self.h_out, self.w_out) < 1:
            raise SimError(f"NE16 layer dimensions must be positive: {self}")
        if self.mode == "dw" and self.k_in != self.k_out:
            raise SimError("depthwise layers need k_in == k_out")

    @property
    def macs(self) -> int:
        """Useful multiply-accumulates."""
        taps = 9 if self.mode in ("3x3", "dw") else 1
        per_out = taps if self.mode == "dw" else taps * self.k_in
        return self.h_out * self.w_out * self.k_out * per_out


def k_subtiles(k_out: int, size: int) -> list[tuple[int, int]]:
    """[(count, k)] output-channel subtiles: floor(K/size) of ``size`` plus the remainder."""
    full, rem = divmod(k_out, size)
    out = [(full, size)] if full else []
    if rem:
        out.append((1, rem))
    return out


def layer_cycles(layer: LayerShape, nq: NqConfig = DEFAULT_NQ, geo: Geometry = NE16) -> int:
    """NE16 cycles of one layer tile (no DMA), the reference's layer-total formula."""
    ho, wo = layer.h_out, layer.w_out
    if layer.stride == 2:
        ho, wo = 2 * ho, 2 * wo
    if layer.mode == "linear":
        n_in = ceil_div(layer.k_in, LIN_INPUTS)
        return ho * wo * sum(c * subtile_job_cycles("linear", k, layer.qw, n_in, nq, geo)
                             for c, k in k_subtiles(layer.k_out, K_SUB))
    n_sp = ceil_div(ho, geo.side) * ceil_div(wo, geo.side)
    if layer.mode == "dw":
        return n_sp * sum(c * subtile_job_cycles("dw", k, layer.qw, 1, nq, geo)
                          for c, k in k_subtiles(layer.k_out, geo.lanes))
    n_in = ceil_div(layer.k_in, geo.lanes)
    return n_sp * sum(c * subtile_job_cycles(layer.mode, k, layer.qw, n_in, nq, geo)
                      for c, k in k_subtiles(layer.k_out, K_SUB))


def layer_breakdown(layer: LayerShape, nq: NqConfig = DEFAULT_NQ,
                    geo: Geometry = NE16) -> dict[str, int]:
    """Cycles of a layer tile split by phase (sums to :func:`layer_cycles`)."""
    ho, wo = (2 * layer.h_out, 2 * layer.w_out) if layer.stride == 2 else (layer.h_out,
                                                                           layer.w_out)
    out = {"load": 0, "woff": 0, "mv": 0, "update": 0, "normquant": 0, "streamout": 0}
    if layer.mode == "linear":
        reps, n_in, subs = ho * wo, ceil_div(layer.k_in, LIN_INPUTS), k_subtiles(layer.k_out,
                                                                                  K_SUB)
    elif layer.mode == "dw":
        reps, n_in, subs = (ceil_div(ho, geo.side) * ceil_div(wo, geo.side), 1,
                            k_subtiles(layer.k_out, geo.lanes))
    else:
        reps, n_in, subs = (ceil_div(ho, geo.side) * ceil_div(wo, geo.side),
                            ceil_div(layer.k_in, geo.lanes), k_subtiles(layer.k_out, K_SUB))
    for c, k in subs:
        m = reps * c
        out["load"] += m * n_in * load_cycles(layer.mode, geo)
        out["woff"] += m * n_in * woff_cycles(layer.mode, k)
        out["mv"] += m * n_in * mv_cycles(layer.mode, k, layer.qw)
        out["update"] += m * n_in * update_cycles()
        out["normquant"] += m * normquant_cycles(k, nq)
        out["streamout"] += m * streamout_cycles(k, nq, geo, layer.mode == "linear")
    return out


def mac_per_cycle(mode: str, qw: int, k_in: int, nq: NqConfig = DEFAULT_NQ) -> float:
    """MAC/cycle of one full output subtile (k = 32, 16 for depthwise) with ``k_in`` inputs."""
    side = NE16.side
    k = K_SUB_DW if mode == "dw" else K_SUB
    layer = LayerShape(mode=mode, k_in=k if mode == "dw" else k_in, k_out=k, h_out=side,
                       w_out=side, qw=qw)
    return layer.macs / layer_cycles(layer, nq)


def mac_per_cycle_steady(mode: str, qw: int) -> float:
    """MAC/cycle of the k_in loop alone (many k_in subtiles; normquant/streamout amortised)."""
    k = K_SUB_DW if mode == "dw" else K_SUB
    taps = 9 if mode in ("3x3", "dw") else 1
    macs = NE16.columns * taps * (1 if mode == "dw" else NE16.lanes) * k
    return macs / kin_subtile_cycles(mode, k, qw)


def mac_table(bits: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8)) -> dict[str, npt.NDArray[np.float64]]:
    """{mode: MAC/cycle per Qw} for 3x3, 1x1, depthwise: steady state and K_in = 16."""
    out: dict[str, npt.NDArray[np.float64]] = {}
    for mode in ("3x3", "1x1", "dw"):
        out[f"{mode}_steady"] = np.array([mac_per_cycle_steady(mode, q) for q in bits])
        out[f"{mode}_kin16"] = np.array([mac_per_cycle(mode, q, 16) for q in bits])
    return out
