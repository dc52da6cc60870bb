"""Stochastic number generators (SNGs): LFSR + comparator, Sobol, and memristor SNEs.

All generators compare a random number per clock cycle against the encoded value. Shared-source
generators (LFSR, Sobol) use one sequence for every pixel, so a table of the packed stream of
every 8-bit value is built once and gathered per pixel. Memristor SNEs draw fresh device
randomness per device, per pulse (16-bit uniforms, bit-packed per pixel).

Correlation control: two comparators on one source give SCC = +1; a comparator followed by a
NOT on the same source gives SCC = -1; different sources give SCC ~ 0.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.stochastic.device import DeviceModel, Readout, effective_p
from sim.models.stochastic.streams import (
    FloatArray,
    IntArray,
    Words,
    comparator_streams,
    pack,
    s_not,
)

Pairing = Literal["shared", "inverted", "separate"]

# Maximal-length 8-bit Fibonacci taps as feedback masks (bit i-1 set for tap x^i).
TAPS8: tuple[int, ...] = (0xB8, 0xB4, 0xE1, 0x8E)


def lfsr_states(taps: int, seed: int, width: int, length: int) -> IntArray:
    """States R_0..R_{length-1} of a Fibonacci LFSR (R_0 = seed), as int64.

    Update: fb = parity(state & taps); state <- ((state << 1) | fb) mod 2**width. This is the
    register the RTL in ``rtl/sc/`` implements. A maximal-length tap mask visits every nonzero
    state once per period 2**width - 1.
    """
    if not 2 <= width <= 24:
        raise SimError(f"LFSR width must be 2..24 bits, got {width}")
    full = (1 << width) - 1
    if not 0 < seed <= full:
        raise SimError(f"LFSR seed must be 1..{full} for {width} bits, got {seed}")
    if not 0 < taps <= full or not taps >> (width - 1):
        raise SimError(f"LFSR tap mask {taps:#x} must include bit {width - 1} (x^{width})")
    return _lfsr_cached(taps, seed, width, length).copy()


@lru_cache(maxsize=64)
def _lfsr_cached(taps: int, seed: int, width: int, length: int) -> IntArray:
    period = _lfsr_period_states(taps, seed, width)
    reps = -(-length // len(period))
    return np.tile(period, reps)[:length]


def _lfsr_period_states(taps: int, seed: int, width: int) -> IntArray:
    """One full cycle of states from ``seed`` (loop per state, at most 2**width steps)."""
    full = (1 << width) - 1
    out = [seed]
    state = seed
    while True:
        fb = (state & taps).bit_count() & 1
        state = ((state << 1) | fb) & full
        if state == seed:
            break
        out.append(state)
    return np.asarray(out, dtype=np.int64)


def lfsr_period(taps: int, width: int, seed: int = 1) -> int:
    """Period of the LFSR from ``seed`` (2**width - 1 for maximal-length taps)."""
    return len(_lfsr_period_states(taps, seed, width))


def comparator_table(randoms: IntArray, levels: int) -> Words:
    """Packed streams ``[R_t <= X]`` for every code X in 0..levels-1, shape (levels, words)."""
    codes = np.arange(levels, dtype=np.int64)
    return pack(randoms[None, :] <= codes[:, None])


def lfsr_streams(codes: IntArray, taps: int, seed: int, width: int, n_bits: int) -> Words:
    """LFSR SNG streams for integer codes X (0..2**width-1): bit t = [R_t <= X], p = X/(2^w-1)."""
    codes = np.asarray(codes)
    full = (1 << width) - 1
    if codes.size and (codes.min() < 0 or codes.max() > full):
        raise SimError(f"SNG codes must be 0..{full} for a {width}-bit LFSR")
    table = comparator_table(lfsr_states(taps, seed, width, n_bits), full + 1)
    return table[codes]


def sobol_uniforms(dim: int, n_bits: int) -> FloatArray:
    """Unscrambled Sobol points of dimension ``dim`` (0-based), first ``n_bits`` of them, [0, 1)."""
    if not 0 <= dim < 16:
        raise SimError(f"Sobol dimension must be 0..15, got {dim}")
    return _sobol_cached(dim, n_bits).copy()


@lru_cache(maxsize=32)
def _sobol_cached(dim: int, n_bits: int) -> FloatArray:
    from scipy.stats import qmc

    m = max(1, int(np.ceil(np.log2(n_bits))))
    points = qmc.Sobol(d=dim + 1, scramble=False).random_base2(m)
    return np.asarray(points[:n_bits, dim], dtype=np.float64)


def shared_streams(p: FloatArray, uniforms: FloatArray) -> Words:
    """Streams ``[u_t < p]`` for a shared uniform sequence ``uniforms`` (n,) and values p (...)."""
    p = np.asarray(p, dtype=np.float64)
    return pack(uniforms[None, :] < p.reshape(-1, 1)).reshape(*p.shape, -1)


def sobol_streams(p: FloatArray, dim: int, n_bits: int) -> Words:
    """Sobol SNG: bit t = [s_t < p] with s the dimension-``dim`` Sobol sequence."""
    return shared_streams(p, sobol_uniforms(dim, n_bits))


def memristor_device_streams(device: DeviceModel, probs: FloatArray, n_bits: int,
                             rng: np.random.Generator, readout: Readout | None = None,
                             inverted: tuple[bool, ...] | None = None,
                             cmp_offset: FloatArray | None = None,
                             d2d_shift: FloatArray | float = 0.0) -> Words:
    """Streams of k comparators on one memristor per pixel: probs (pixels, k) -> (pixels, k, w).

    Every pulse the device draws one latent value (volatile, independent per pulse); comparator
    j outputs [latent <= level_j] (or its NOT when ``inverted[j]``: it is then set up with the
    target 1 - p so the output has probability p). ``cmp_offset`` (pixels, k) is the static
    comparator offset in level units; ``d2d_shift`` (pixels,) shifts the device's latent.
    """
    probs = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    k = probs.shape[1]
    inv = inverted or (False,) * k
    if len(inv) != k:
        raise SimError(f"inverted flags ({len(inv)}) must match comparators ({k})")
    inv_arr = np.asarray(inv, dtype=bool)
    target = np.where(inv_arr[None, :], 1.0 - probs, probs)
    shift = np.asarray(d2d_shift, dtype=np.float64)
    shift = shift.reshape(-1, 1) if shift.ndim else shift
    p_eff = effective_p(device, target, readout or Readout(),
                        0.0 if cmp_offset is None else cmp_offset, shift)
    out = comparator_streams(rng, p_eff, n_bits)
    if inv_arr.any():
        out[:, inv_arr] = s_not(out[:, inv_arr], n_bits)
    return out


def memristor_pair(device: DeviceModel, p_x: FloatArray, p_y: FloatArray, n_bits: int,
                   rng: np.random.Generator, pairing: Pairing,
                   readout: Readout | None = None) -> tuple[Words, Words]:
    """Two streams with controlled correlation from memristor SNEs.

    ``shared``: two comparators on one device (SCC = +1); ``inverted``: same device, second
    comparator followed by NOT (SCC = -1); ``separate``: one device each (SCC ~ 0).
    """
    probs = np.stack([np.ravel(p_x), np.ravel(p_y)], axis=1)
    if pairing == "shared":
        out = memristor_device_streams(device, probs, n_bits, rng, readout)
        return out[:, 0], out[:, 1]
    if pairing == "inverted":
        out = memristor_device_streams(device, probs, n_bits, rng, readout, (False, True))
        return out[:, 0], out[:, 1]
    if pairing == "separate":
        x = memristor_device_streams(device, probs[:, :1], n_bits, rng, readout)
        y = memristor_device_streams(device, probs[:, 1:], n_bits, rng, readout)
        return x[:, 0], y[:, 0]
    raise SimError(f"unknown pairing {pairing!r}", accepted="shared, inverted, separate")


def lfsr_pair(codes_x: IntArray, codes_y: IntArray, n_bits: int, pairing: Pairing,
              width: int = 8, taps: tuple[int, int] = (TAPS8[0], TAPS8[2]),
              seeds: tuple[int, int] = (0x01, 0x5A)) -> tuple[Words, Words]:
    """Two LFSR-SNG streams: shared LFSR (SCC ~ +1), shared + NOT (~ -1), or two LFSRs (~ 0).

    For ``inverted`` the second comparator encodes the complement code so that its NOT carries
    the target value. Two LFSRs are only approximately uncorrelated: the default second LFSR
    (other polynomial and seed) was picked from a handful of candidates for a small mean SCC.
    """
    full = (1 << width) - 1
    x = lfsr_streams(codes_x, taps[0], seeds[0], width, n_bits)
    if pairing == "shared":
        return x, lfsr_streams(codes_y, taps[0], seeds[0], width, n_bits)
    if pairing == "inverted":
        comp = lfsr_streams(full - np.asarray(codes_y), taps[0], seeds[0], width, n_bits)
        return x, s_not(comp, n_bits)
    if pairing == "separate":
        return x, lfsr_streams(codes_y, taps[1], seeds[1], width, n_bits)
    raise SimError(f"unknown pairing {pairing!r}", accepted="shared, inverted, separate")


def sobol_pair(p_x: FloatArray, p_y: FloatArray, n_bits: int, pairing: Pairing
               ) -> tuple[Words, Words]:
    """Two Sobol-SNG streams: same dimension (+1), same + NOT (-1), dimensions 0 and 1 (~0)."""
    x = sobol_streams(p_x, 0, n_bits)
    if pairing == "shared":
        return x, sobol_streams(p_y, 0, n_bits)
    if pairing == "inverted":
        return x, s_not(sobol_streams(1.0 - np.asarray(p_y), 0, n_bits), n_bits)
    if pairing == "separate":
        return x, sobol_streams(p_y, 1, n_bits)
    raise SimError(f"unknown pairing {pairing!r}", accepted="shared, inverted, separate")


def random_streams(p: FloatArray, n_bits: int, rng: np.random.Generator) -> Words:
    """Ideal independent Bernoulli streams (software random SNG), 16-bit resolution."""
    p = np.asarray(p, dtype=np.float64)
    return comparator_streams(rng, p.reshape(-1, 1), n_bits)[:, 0].reshape(*p.shape, -1)


def as_codes(p: npt.ArrayLike, width: int = 8) -> IntArray:
    """Nearest integer codes X = round(p (2^w - 1)) for probabilities p."""
    full = (1 << width) - 1
    return np.asarray(np.rint(np.clip(np.asarray(p, dtype=np.float64), 0, 1) * full),
                      dtype=np.int64)
