"""Bit-packed stochastic bitstreams: packing, popcount, gates, counters and SCC.

A stream of ``n`` bits is stored little-endian in ``ceil(n / 64)`` ``uint64`` words along the
last axis: bit ``t`` lives in word ``t // 64`` at position ``t % 64``. Bits past ``n`` (the
tail of the last word) are always zero; every function here keeps that invariant, so popcounts
never need masking. Leading axes are pixels (or any batch), so all operations vectorise over
whole images.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError

WORD_BITS = 64
PRECISION_BITS = 12
"""Resolution of generated probabilities: 2**-12 (well below 8-bit pixel steps of 1/255 and
the 1/sqrt(N) stream noise); fewer random bit planes make generation faster."""
Words = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def n_words(n_bits: int) -> int:
    """Number of 64-bit words holding ``n_bits`` bits."""
    if n_bits < 1:
        raise SimError(f"stream length must be >= 1 bit, got {n_bits}")
    return -(-n_bits // WORD_BITS)


def tail_mask(n_bits: int) -> Words:
    """Per-word mask (shape ``(n_words,)``) with ones exactly at the ``n_bits`` valid positions."""
    words = n_words(n_bits)
    mask = np.full(words, np.uint64(0xFFFF_FFFF_FFFF_FFFF), dtype=np.uint64)
    rem = n_bits % WORD_BITS
    if rem:
        mask[-1] = np.uint64((1 << rem) - 1)
    return mask


def pack(bits: npt.NDArray[np.bool_]) -> Words:
    """Pack booleans ``(..., n)`` into words ``(..., ceil(n / 64))`` (bit t -> word t//64)."""
    n = bits.shape[-1]
    words = n_words(n)
    pad = words * WORD_BITS - n
    if pad:
        widths = [(0, 0)] * (bits.ndim - 1) + [(0, pad)]
        bits = np.pad(bits, widths)
    packed = np.packbits(bits, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def unpack(words: Words, n_bits: int) -> BoolArray:
    """Inverse of :func:`pack`: booleans ``(..., n_bits)``."""
    as_bytes = np.ascontiguousarray(words.astype("<u8", copy=False)).view(np.uint8)
    bits = np.unpackbits(as_bytes, axis=-1, bitorder="little", count=n_bits)
    return bits.astype(bool)


def popcount(words: Words) -> IntArray:
    """Number of ones per stream (sum over the last axis), as int64."""
    return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)


def value(words: Words, n_bits: int) -> FloatArray:
    """Unipolar value estimate p = ones / n (dimensionless, in [0, 1])."""
    return popcount(words) / float(n_bits)


def s_not(a: Words, n_bits: int) -> Words:
    """NOT: p -> 1 - p (keeps the tail bits zero)."""
    return np.bitwise_not(a) & tail_mask(n_bits)


def s_and(a: Words, b: Words) -> Words:
    """AND: product p_a * p_b for independent streams, min(p_a, p_b) at SCC = +1."""
    return a & b


def s_or(a: Words, b: Words) -> Words:
    """OR: p_a + p_b - p_a p_b for independent streams, max at SCC = +1."""
    return a | b


def s_xor(a: Words, b: Words) -> Words:
    """XOR: |p_a - p_b| at SCC = +1 (absolute difference)."""
    return a ^ b


def s_xnor(a: Words, b: Words, n_bits: int) -> Words:
    """XNOR: bipolar product x_a * x_b for independent streams."""
    return s_not(a ^ b, n_bits)


def s_mux(select: Words, a: Words, b: Words) -> Words:
    """MUX: ``a`` where the select bit is 1, else ``b``; p = p_s p_a + (1 - p_s) p_b."""
    return (select & a) | (~select & b)


def counter(words: Words) -> IntArray:
    """Up-counter decoding a stream into binary: the number of ones over the stream."""
    return popcount(words)


def scc(x: Words, y: Words, n_bits: int) -> FloatArray:
    """Stochastic computing correlation (Alaghi & Hayes, ICCD 2013), count form, per stream pair.

    With a = #11, b = #10, c = #01, d = #00 over ``n_bits`` positions:
    SCC = (ad - bc) / (n min(a+b, a+c) - (a+b)(a+c)) if ad > bc, else
    (ad - bc) / ((a+b)(a+c) - n max(a - d, 0)). A zero denominator (a constant stream) gives 0.
    """
    a = popcount(x & y).astype(np.float64)
    px = popcount(x).astype(np.float64)
    py = popcount(y).astype(np.float64)
    n = float(n_bits)
    b = px - a
    c = py - a
    d = n - a - b - c
    num = a * d - b * c
    pos_den = n * np.minimum(px, py) - px * py
    neg_den = px * py - n * np.maximum(a - d, 0.0)
    den = np.where(num > 0, pos_den, neg_den)
    safe = np.where(den == 0, 1.0, den)
    return np.asarray(np.where(den == 0, 0.0, num / safe), dtype=np.float64)


def random_words(rng: np.random.Generator, shape: tuple[int, ...]) -> Words:
    """Uniformly random 64-bit words (every bit a fair coin)."""
    return rng.integers(0, np.iinfo(np.uint64).max, size=shape, dtype=np.uint64, endpoint=True)


def bernoulli_words(rng: np.random.Generator, shape: tuple[int, ...], n_bits: int,
                    p: float, precision: int = PRECISION_BITS) -> Words:
    """Packed streams whose bits are 1 independently with probability ``p`` (scalar, 0..1).

    Bit-plane method: p is rounded to ``precision`` binary digits 0.b1 b2 ... bk; starting from
    r = 0 and going from the last digit to the first, r <- U | r for a 1 digit and U & r for a
    0 digit (U fair random words), which gives P(bit) = 0.b1 b2 ... bk exactly.
    """
    if not 0.0 <= p <= 1.0:
        raise SimError(f"probability must be in [0, 1], got {p}")
    words = n_words(n_bits)
    q = round(p * (1 << precision))
    out = np.zeros((*shape, words), dtype=np.uint64)
    if q == 0:
        return out
    if q >= 1 << precision:
        return out | tail_mask(n_bits)
    low = (q & -q).bit_length() - 1
    for i in range(low, precision):
        plane = random_words(rng, out.shape)
        out = (plane | out) if (q >> i) & 1 else (plane & out)
    return out & tail_mask(n_bits)


def comparator_streams(rng: np.random.Generator, p: FloatArray, n_bits: int,
                       precision: int = PRECISION_BITS) -> Words:
    """Streams ``[U_t < p_j]`` for probabilities p (pixels, k) sharing one uniform U_t per pixel.

    Returns (pixels, k, words). All k comparators of a pixel see the same ``precision``-bit
    uniform per position (the bit-plane method of :func:`bernoulli_words` run with one set of
    random planes per pixel), so their events are nested: SCC = +1 between any two of them.
    P(bit) = round(p * 2**precision) / 2**precision exactly.
    """
    p = np.atleast_2d(np.asarray(p, dtype=np.float64))
    if p.size and (np.nanmin(p) < 0.0 or np.nanmax(p) > 1.0):
        raise SimError("probabilities must be in [0, 1]")
    pixels, k = p.shape
    words = n_words(n_bits)
    q = np.rint(p * (1 << precision)).astype(np.int64)
    out = np.zeros((pixels, k, words), dtype=np.uint64)
    tmp = np.empty_like(out)
    for i in range(precision):
        plane = random_words(rng, (pixels, 1, words))
        # all-ones where digit i of q is 1: out <- plane | out there, plane & out elsewhere
        ones = (np.uint64(0) - ((q >> i) & 1).astype(np.uint64))[:, :, None]
        np.bitwise_or(out, ones, out=tmp)
        tmp &= plane
        out &= ones
        out |= tmp
    out[q >= 1 << precision] = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
    return out & tail_mask(n_bits)


def flip_mask(rng: np.random.Generator, shape: tuple[int, ...], n_bits: int,
              rate: float) -> Words:
    """Random packed mask whose bits are 1 independently with probability ``rate`` (0..1)."""
    if not 0.0 <= rate <= 1.0:
        raise SimError(f"bit-flip rate must be in [0, 1], got {rate}")
    return bernoulli_words(rng, shape, n_bits, rate)
