"""Golden vectors for the RTL engine slice (``rtl/gap9/ne16_slice.sv``).

A *job* is one output subtile (SIDE x SIDE pixels, k channels) over ``n_in`` k_in subtiles of
``lanes`` channels, in mode 3x3, depthwise 3x3 or 1x1. This module builds the slice's memory
images from an input window and signed weights, the expected output (``arith.ne16_layer``) and
the expected cycle count (``cycles.subtile_job_cycles``). The bench imports it: one definition of
the arithmetic and of the timing, two users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.family import RtlKernel, SynthTarget
from sim.models.gap9 import arith
from sim.models.gap9 import cycles as cy
from sim.models.gap9.area import engine_inventory

MODE_CODE = {"3x3": 0, "dw": 1, "1x1": 2}
OUT_CODE = {8: 0, 16: 1, 32: 2}


@dataclass(frozen=True)
class SliceJob:
    """Everything the bench drives into the slice and what it must get back."""

    mode: str
    qw: int
    k: int
    n_in: int
    woff: int
    nq: arith.NormQuant
    x_words: list[int]  # x memory, address order
    w_words: list[int]  # w memory, address order
    scale: list[int]
    bias: list[int]
    expected: npt.NDArray[np.int64]  # (COLS, k)
    cycles: int

    def out_words(self, side: int) -> list[int]:
        """Expected 256-bit streamout words (pixel-major, then beat)."""
        ob = self.nq.out_bits
        per = 256 // ob
        mask = (1 << ob) - 1
        words = []
        for c in range(side * side):
            for beat in range(-(-self.k * ob // 256)):
                w = 0
                for j in range(per):
                    ch = beat * per + j
                    if ch < self.k:
                        w |= (int(self.expected[c, ch]) & mask) << (j * ob)
                words.append(w)
        return words


def _pack_bits(bits: npt.NDArray[np.int64]) -> int:
    """Integer whose bit i is bits[i]."""
    return int(sum(int(b) << i for i, b in enumerate(bits.tolist()) if b))


def make_job(mode: str, x: npt.ArrayLike, w: npt.ArrayLike, qw: int, nq: arith.NormQuant,
             side: int = 3, lanes: int = 16, woff: int | None = None) -> SliceJob:
    """Build a job. ``x``: HWC uint8 window ((side+2)^2 pixels for 3x3/dw, side^2 for 1x1);
    ``w``: signed weights (K, K_in, 3, 3), (K, K_in, 1, 1) or depthwise (C, 1, 3, 3)."""
    if mode not in MODE_CODE:
        raise SimError(f"slice mode {mode!r} not supported", accepted=", ".join(MODE_CODE))
    xa = np.asarray(x, dtype=np.int64)
    wt = arith.encode_weights(w, qw, mode, offset=woff)  # type: ignore[arg-type]
    r = side + 2 if mode != "1x1" else side
    if xa.shape[:2] != (r, r):
        raise SimError(f"slice {mode} window must be {r}x{r}, got {xa.shape[:2]}")
    k = wt.w_u.shape[0]
    c_in = xa.shape[2]
    n_in = -(-c_in // lanes)
    if mode == "dw" and n_in != 1:
        raise SimError(f"depthwise slice jobs take at most {lanes} channels")
    expected = arith.ne16_layer(xa, wt, nq).reshape(side * side, k)
    # x memory: per k_in subtile, (side+2)^2 pixel words (1x1: side^2 words in the same slots)
    rr = (side + 2) ** 2
    xpad = np.zeros((r, r, n_in * lanes), dtype=np.int64)
    xpad[:, :, :c_in] = xa
    x_words = [0] * (n_in * rr)
    for s in range(n_in):
        for p in range(r * r):
            px = xpad[p // r, p % r, s * lanes:(s + 1) * lanes]
            x_words[s * rr + p] = int(sum(int(v) << (8 * i) for i, v in enumerate(px.tolist())))
    w_words = _weight_words(mode, wt, n_in, lanes)
    sc = nq.scale.tolist()
    bi = nq.bias.tolist() if nq.bias is not None else [0] * k
    nqc = cy.NqConfig(scale_bits=nq.scale_bits, bias=nq.bias is not None,
                      per_channel_shift=False, out_bits=nq.out_bits, enabled=nq.enabled)
    cyc = cy.subtile_job_cycles(mode, k, qw, n_in, nqc, cy.Geometry(side, lanes))
    return SliceJob(mode=mode, qw=qw, k=k, n_in=n_in, woff=wt.offset, nq=nq, x_words=x_words,
                    w_words=w_words, scale=sc, bias=bi, expected=expected, cycles=cyc)


def _weight_words(mode: str, wt: arith.Ne16Weights, n_in: int, lanes: int) -> list[int]:
    """Weight memory image of the slice (see the SV header for the address map)."""
    w_u = wt.w_u
    qw = wt.qw
    if mode == "dw":
        c = w_u.shape[0]
        g = np.zeros((lanes, 9), dtype=np.int64)
        g[:c] = w_u.reshape(c, 9)
        return [_pack_bits(((g.T >> b) & 1).reshape(-1)) for b in range(qw)]  # bit t*L + ch
    k, c_in = w_u.shape[:2]
    taps = w_u.shape[2] * w_u.shape[3]
    pad = np.zeros((k, n_in * lanes, taps), dtype=np.int64)
    pad[:, :c_in] = w_u.reshape(k, c_in, taps)
    words = []
    for kk in range(k):
        for s in range(n_in):
            blk = pad[kk, s * lanes:(s + 1) * lanes]  # (lane, tap)
            if mode == "1x1":
                planes = np.stack([(blk[:, 0] >> b) & 1 for b in range(qw)])  # (b, lane)
                words.append(_pack_bits(planes.reshape(-1)))
            else:
                words.extend(_pack_bits(((blk.T >> b) & 1).reshape(-1)) for b in range(qw))
    return words


KERNEL = RtlKernel(
    "gap9_ne16", "gap9", ("ne16_slice.sv",), "ne16_slice", "tb_ne16_slice",
    ({"SIDE": 3, "LANES": 16, "KMAX": 32, "NIN_MAX": 4},  # NE16 geometry 9 x 9 x 16
     {"SIDE": 2, "LANES": 8, "KMAX": 8, "NIN_MAX": 2}),  # a smaller slice 4 x 9 x 8
    "NE16-style bit-serial slice (3x3, depthwise, 1x1; Qw 2..8; normquant) vs sim.models.gap9")


def _engine_target(side: int, lanes: int, kmax: int) -> SynthTarget:
    return SynthTarget(
        "gap9", f"ne16_engine_s{side}_l{lanes}_k{kmax}", ("ne16_slice.sv",), "ne16_engine",
        {"SIDE": side, "LANES": lanes, "KMAX": kmax},
        lambda: engine_inventory(side, lanes, kmax), hierarchical=True,
        note="engine only: the bench's x/w/p memories stand for L1 TCDM")


# The bench's small slice; NE16's 3x3 x 16 x 32 geometry.
SYNTH_TARGETS = (_engine_target(2, 8, 8), _engine_target(3, 16, 32))
