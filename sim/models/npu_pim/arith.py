"""Bit-exact golden model of the PIM bank GEMV unit (the cocotb bench's reference).

One COMP beat feeds ``lanes`` operand pairs (bank row element x global-buffer element). Each
beat's products go through a registered binary adder tree (pairs (0,1), (2,3), ... at every
level) and the tree sum is added to the accumulator; the last beat of a COMPS_READRES emits
``acc + tree_sum`` and clears the accumulator. Fixed order, two modes:

* ``int8``: int8 x int8 -> int16 products, int32 tree and accumulator (wrapping).
* ``fp16``: fp16 x fp16 products formed exactly in fp32 (an 11 x 11-bit significand product
  has 22 bits and exponents stay within fp32's normal range, so no rounding), then every tree
  add and accumulator add is an IEEE-754 binary32 add with round-to-nearest-even.

Subnormals: fp16 subnormal inputs are handled exactly per IEEE 754 (not flushed). fp32
subnormals cannot arise: every product is zero or has magnitude >= 2^-48, so every sum is a
multiple of 2^-48 and is zero or >= 2^-48 > 2^-126. The RTL adder nevertheless implements
gradual underflow. Overflow cannot occur either (|product| <= 65504^2 < 2^32).

Special values: any NaN input, inf x 0 and inf + (-inf) give NaN; every NaN result is the
canonical quiet NaN 0x7FC00000 (payloads are not propagated). Exact cancellation gives +0.

Timing (cycles of the unit clock, cycle-exact with the RTL): a beat is sampled at a rising
edge (the multiply register), then ``log2(lanes)`` tree levels and one accumulate edge follow,
so a COMPS_READRES whose ``n`` beats are ``spacing`` cycles apart takes
``(n - 1) * spacing + log2(lanes) + 2`` edges from the first beat's edge to the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError

CANONICAL_NAN = 0x7FC00000


def tree_levels(lanes: int) -> int:
    """Adder-tree depth for ``lanes`` lanes (lanes must be a power of two >= 2)."""
    if lanes < 2 or lanes & (lanes - 1):
        raise SimError(f"PIM lanes must be a power of two >= 2, got {lanes}")
    return lanes.bit_length() - 1


def unit_cycles(beats: int, lanes: int, spacing: int = 1) -> int:
    """Cycles of one COMPS_READRES on the unit: (beats - 1) * spacing + log2(lanes) + 2."""
    if beats < 1 or spacing < 1:
        raise SimError(f"COMPS_READRES needs >= 1 beat and spacing >= 1, got {beats}, {spacing}")
    return (beats - 1) * spacing + tree_levels(lanes) + 2


def _tree(products: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Pairwise sums, level by level, over the last axis (fixed pairing)."""
    level: npt.NDArray[Any] = products
    while level.shape[-1] > 1:
        level = level[..., 0::2] + level[..., 1::2]
    return level[..., 0]


def gemv_int8(a: npt.ArrayLike, b: npt.ArrayLike) -> int:
    """int8 COMPS_READRES over beats: a, b of shape (beats, lanes) -> int32 result."""
    av = np.asarray(a, dtype=np.int8).astype(np.int64)
    bv = np.asarray(b, dtype=np.int8).astype(np.int64)
    if av.shape != bv.shape or av.ndim != 2:
        raise SimError(f"operand shapes differ or are not (beats, lanes): {av.shape} {bv.shape}")
    tree_levels(av.shape[1])
    total = int(_tree(av * bv).sum())
    return int(np.array(total & 0xFFFFFFFF, dtype=np.uint32).view(np.int32))


def gemv_fp16_bits(a_bits: npt.ArrayLike, b_bits: npt.ArrayLike) -> int:
    """fp16 COMPS_READRES: a, b are fp16 bit patterns (uint16) of shape (beats, lanes);
    returns the fp32 result as a uint32 bit pattern (NaN canonicalised)."""
    av = np.asarray(a_bits, dtype=np.uint16).view(np.float16).astype(np.float32)
    bv = np.asarray(b_bits, dtype=np.uint16).view(np.float16).astype(np.float32)
    if av.shape != bv.shape or av.ndim != 2:
        raise SimError(f"operand shapes differ or are not (beats, lanes): {av.shape} {bv.shape}")
    tree_levels(av.shape[1])
    with np.errstate(invalid="ignore", over="ignore"):
        sums = _tree(av * bv).astype(np.float32)
        acc = np.float32(0.0)
        for value in sums:
            acc = np.float32(acc + value)
    if np.isnan(acc):
        return CANONICAL_NAN
    return int(np.array(acc, dtype=np.float32).view(np.uint32))
