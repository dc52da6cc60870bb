"""Bit-exact golden arithmetic of the bit-weight TPE family (numpy, vectorised over whole GEMMs).

All operands are INT8 (two's complement, -128..127). Every function here is the reference the
cocotb benches in ``rtl/tpe/`` compare against, so widths and wrap-around follow the hardware:

* baseline MAC: ``acc <- wrap_W(acc + a*b)``;
* radix-4 Booth digits ``d_i = -2 a_{2i+1} + a_{2i} + a_{2i-1}`` (i = 0..3, ``a_{-1} = 0``);
* EN-T sign-magnitude digits and their 2-bit PP select codes (reference section 5);
* carry-save (sum, carry) accumulation, checked only as ``(sum + carry) mod 2^W``;
* same-bit-weight reduction ``sum_j 4^j * (sum_k d_j(a_k) b_k)`` with a configurable
  intermediate width (default wide enough; ``inter_bits=13`` reproduces the public RTL's wrap);
* the zero-skipping bit-serial (OPT3) schedule and its data-dependent cycle count.

Shapes: ``a`` is A[M, K], ``b`` is B[K, N]; digit arrays carry the digit index j last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError

IntArray = npt.NDArray[np.int64]
DIGITS = 4
"""Radix-4 digits per INT8 operand (bit-weights 4^0 .. 4^3)."""
INT8_MIN, INT8_MAX = -128, 127
OPT3_ACC_BITS = 26
"""Width of the OPT3 PE's (sum, carry) accumulator (reference section 6)."""
OPT3_GROUP = 4
"""k-lanes per sparse-encoder group in OPT3/OPT4 (reference section 6)."""


def as_int8(x: npt.ArrayLike, name: str = "operand") -> IntArray:
    """Validate that ``x`` holds integers in -128..127 and return it as int64 (no copy of range)."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise SimError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if arr.size and (arr.min() < INT8_MIN or arr.max() > INT8_MAX):
        raise SimError(f"{name} values must be INT8 (-128..127), got {arr.min()}..{arr.max()}")
    return arr.astype(np.int64)


def _check_bits(bits: int, name: str = "bits") -> None:
    if not 2 <= bits <= 62:
        raise SimError(f"{name} must be 2..62, got {bits}")


def _check_gemm(a: npt.ArrayLike, b: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    aa, bb = as_int8(a, "A"), as_int8(b, "B")
    if aa.ndim != 2 or bb.ndim != 2 or aa.shape[1] != bb.shape[0]:
        raise SimError(f"GEMM operand shapes do not match: A{aa.shape} @ B{bb.shape}")
    return aa, bb


def wrap(x: npt.ArrayLike, bits: int) -> IntArray:
    """Two's-complement wrap of integers to ``bits`` bits, read back as signed int64."""
    _check_bits(bits)
    half = np.int64(1) << np.int64(bits - 1)
    full = np.int64(1) << np.int64(bits)
    return ((np.asarray(x, dtype=np.int64) + half) & (full - 1)) - half


def mac_gemm(a: npt.ArrayLike, b: npt.ArrayLike, acc_bits: int = 32) -> IntArray:
    """Baseline MAC PE: C[M, N] = sum_k A*B accumulated in a ``acc_bits``-bit wrapping register.

    Wrapping is modular, so wrapping once at the end equals wrapping after every MAC.
    """
    aa, bb = _check_gemm(a, b)
    return wrap(aa @ bb, acc_bits)


# --------------------------------------------------------------------------- radix-4 Booth


def booth_r4_digits(a: npt.ArrayLike) -> IntArray:
    """Radix-4 Booth digits of INT8 values: shape ``a.shape + (4,)``, values in -2..2.

    ``d_i = -2 a_{2i+1} + a_{2i} + a_{2i-1}`` with ``a_{-1} = 0``; ``a = sum_i d_i 4^i``.
    """
    u = as_int8(a) & 0xFF
    bits = (u[..., None] >> np.arange(8)) & 1  # (..., 8), bit 7 is the sign bit
    lower = np.concatenate([np.zeros_like(bits[..., :1]), bits[..., :7]], axis=-1)
    idx = np.arange(DIGITS)
    return -2 * bits[..., 2 * idx + 1] + bits[..., 2 * idx] + lower[..., 2 * idx]


def booth_partial_products(a: npt.ArrayLike, b: npt.ArrayLike) -> IntArray:
    """Booth PPs of element-wise products: ``PP[..., i] = d_i(a) * b`` (10-bit values, unshifted).

    ``a`` and ``b`` broadcast against each other; ``a*b = sum_i PP_i 4^i``.
    """
    return booth_r4_digits(a) * as_int8(b, "multiplicand")[..., None]


# --------------------------------------------------------------------------- EN-T encoding


@dataclass(frozen=True)
class EntCode:
    """EN-T encoding of INT8 values: sign, 2-bit codes, PP select codes and non-zero flags.

    ``codes[..., i]`` is the magnitude code of digit i (0 -> 0, 1 -> +1, 2 -> +2, 3 -> -1);
    ``select[..., i] = {code[1] ^ sign, code[0]}`` (00 -> -2B, 01 -> +B, 10 -> +2B, 11 -> -B);
    ``nonzero[..., i]`` is 1 where the digit is non-zero (the PP is forced to 0 otherwise).
    """

    sign: IntArray
    codes: IntArray
    select: IntArray
    nonzero: IntArray

    @property
    def digits(self) -> IntArray:
        """Signed digits ``(-1)^s * map(code)`` in -2..2, shape ``(..., 4)``."""
        magnitude = np.array([0, 1, 2, -1], dtype=np.int64)[self.codes]
        return np.where(self.sign[..., None] == 1, -magnitude, magnitude)


def ent_encode(a: npt.ArrayLike) -> EntCode:
    """EN-T encode INT8 values (reference section 5, steps 1-4), vectorised."""
    aa = as_int8(a)
    sign = (aa < 0).astype(np.int64)
    mag = np.abs(aa)  # 0..128
    codes = np.zeros((*aa.shape, DIGITS), dtype=np.int64)
    carry = np.zeros_like(aa)
    for i in range(DIGITS):
        v = ((mag >> (2 * i)) & 3) + carry
        codes[..., i] = v & 3
        carry = (v >= 3).astype(np.int64)
    select = (((codes >> 1) ^ sign[..., None]) << 1) | (codes & 1)
    nonzero = (codes != 0).astype(np.int64)
    return EntCode(sign=sign, codes=codes, select=select, nonzero=nonzero)


def ent_digits(a: npt.ArrayLike) -> IntArray:
    """Signed EN-T digits of INT8 values, shape ``a.shape + (4,)``; ``a = sum_i d_i 4^i``."""
    return ent_encode(a).digits


SELECT_MULTIPLIER = np.array([-2, 1, 2, -1], dtype=np.int64)
"""PP multiple of B for select codes 00, 01, 10, 11."""


def select_pp(select: npt.ArrayLike, nonzero: npt.ArrayLike, b: npt.ArrayLike) -> IntArray:
    """The PP selector: ``{-2B, +B, +2B, -B}[select]`` where ``nonzero`` is set, else 0."""
    sel = np.asarray(select, dtype=np.int64)
    if sel.size and (sel.min() < 0 or sel.max() > 3):
        raise SimError("select codes must be 0..3")
    return SELECT_MULTIPLIER[sel] * np.asarray(nonzero, dtype=np.int64) * as_int8(b, "B")


def nonzero_digits(a: npt.ArrayLike, encoding: str = "ent") -> IntArray:
    """Non-zero digits (terms) per INT8 operand under ``encoding``.

    ``ent`` (EN-T radix-4), ``booth`` (radix-4 Booth), ``binary`` (popcount of |a|, Pragmatic
    oneffsets) or ``naf`` (non-adjacent form of a, the signed power-of-two terms of Laconic).
    """
    aa = as_int8(a)
    if encoding == "ent":
        return ent_encode(aa).nonzero.sum(axis=-1)
    if encoding == "booth":
        return (booth_r4_digits(aa) != 0).sum(axis=-1)
    if encoding == "binary":
        mag = np.abs(aa)
        return ((mag[..., None] >> np.arange(8)) & 1).sum(axis=-1)
    if encoding == "naf":
        # NAF weight of x >= 0: popcount(xh ^ (x + xh)) with xh = x >> 1.
        mag = np.abs(aa)
        y = (mag >> 1) ^ (mag + (mag >> 1))
        return ((y[..., None] >> np.arange(10)) & 1).sum(axis=-1)
    raise SimError(f"unknown digit encoding {encoding!r}", accepted="ent, booth, binary, naf")


# --------------------------------------------------------------------------- carry-save


def csa_3to2(x: IntArray, y: IntArray, z: IntArray, width: int) -> tuple[IntArray, IntArray]:
    """One row of 3:2 counters on ``width``-bit unsigned vectors: (x^y^z, maj(x,y,z) << 1)."""
    mask = np.int64((1 << width) - 1)
    s = (x ^ y ^ z) & mask
    c = (((x & y) | (x & z) | (y & z)) << 1) & mask
    return s, c


def csa_tree(operands: list[IntArray], width: int) -> tuple[IntArray, IntArray]:
    """Reduce operands (any integers, taken mod 2^width) to a (sum, carry) pair of 3:2 rows.

    Triples are replaced in order until at most two vectors remain. Only
    ``(sum + carry) mod 2^width`` is meaningful; the two vectors depend on the tree shape.
    """
    _check_bits(width, "width")
    if not operands:
        raise SimError("csa_tree needs at least one operand")
    mask = np.int64((1 << width) - 1)
    vecs = [np.asarray(v, dtype=np.int64) & mask for v in operands]
    while len(vecs) > 2:
        nxt: list[IntArray] = []
        full = len(vecs) - len(vecs) % 3
        for i in range(0, full, 3):
            nxt.extend(csa_3to2(vecs[i], vecs[i + 1], vecs[i + 2], width))
        nxt.extend(vecs[full:])
        vecs = nxt
    if len(vecs) == 1:
        vecs.append(np.zeros_like(vecs[0]))
    return vecs[0], vecs[1]


def fuse(sum_vec: npt.ArrayLike, carry_vec: npt.ArrayLike, width: int) -> IntArray:
    """The carry-propagate adder: signed value of ``(sum + carry) mod 2^width``."""
    return wrap(np.asarray(sum_vec, dtype=np.int64) + np.asarray(carry_vec, dtype=np.int64),
                width)


def carry_save_gemm(a: npt.ArrayLike, b: npt.ArrayLike,
                    acc_bits: int = 32) -> tuple[IntArray, IntArray]:
    """OPT1 PE array: per output a 6-input CSA tree {PP0, PP1<<2, PP2<<4, PP3<<6, sum, carry}
    each k step, no CPA in the loop. Returns the final (sum, carry) vectors, shape (M, N).

    Vectorised over all M x N outputs; loops over K (one step per cycle of the PE).
    """
    aa, bb = _check_gemm(a, b)
    _check_bits(acc_bits, "acc_bits")
    m, n = aa.shape[0], bb.shape[1]
    digits = booth_r4_digits(aa)  # (M, K, 4)
    s = np.zeros((m, n), dtype=np.int64)
    c = np.zeros((m, n), dtype=np.int64)
    for k in range(aa.shape[1]):
        pps = [digits[:, k, i][:, None] * bb[k][None, :] * (4 ** i) for i in range(DIGITS)]
        s, c = csa_tree([*pps, s, c], acc_bits)
    return s, c


# --------------------------------------------------------------------------- same bit-weight


def safe_inter_bits(group: int) -> int:
    """Smallest signed width holding any same-bit-weight sum of ``group`` PPs in [-256, 256]."""
    if group < 1:
        raise SimError(f"group must be >= 1, got {group}")
    return int(group * 256).bit_length() + 1


def same_bit_weight_gemm(a: npt.ArrayLike, b: npt.ArrayLike, group: int = 16,
                         inter_bits: int | None = None, dot_bits: int = 32,
                         out_bits: int = 32) -> IntArray:
    """OPT2 reduction: per k-group of ``group`` lanes and digit j, S_j = sum_k d_j(a) b wrapped
    to ``inter_bits``; the group's dot product ``sum_j S_j 4^j`` wraps to ``dot_bits``; groups
    accumulate in ``out_bits``. K is zero-padded to a multiple of ``group``.

    ``inter_bits=None`` uses :func:`safe_inter_bits` (never wraps); ``inter_bits=13`` with
    ``group=16`` reproduces the public RTL, where S_j = +4096 wraps to -4096.
    """
    aa, bb = _check_gemm(a, b)
    width = safe_inter_bits(group) if inter_bits is None else inter_bits
    _check_bits(width, "inter_bits")
    m, k = aa.shape
    groups = -(-k // group)
    pad = groups * group - k
    digits = ent_digits(np.pad(aa, ((0, 0), (0, pad))))  # (M, Kp, 4)
    bp = np.pad(bb, ((0, pad), (0, 0))).reshape(groups, group, -1)  # (G, g, N)
    dg = digits.reshape(m, groups, group, DIGITS)  # (M, G, g, 4)
    sums = np.einsum("mgkj,gkn->mgjn", dg, bp)  # (M, G, 4, N)
    sums = wrap(sums, width)
    weights = (4 ** np.arange(DIGITS, dtype=np.int64))[None, None, :, None]
    dots = wrap((sums * weights).sum(axis=2), dot_bits)  # (M, G, N)
    return wrap(dots.sum(axis=1), out_bits)


# --------------------------------------------------------------------------- bit-serial OPT3


_LUT_CACHE: dict[str, npt.NDArray[np.int8]] = {}


def _lut(name: str) -> npt.NDArray[np.int8]:
    """Per-value tables over all 256 INT8 values (index a + 128): EN-T non-zero flags (256, 4)
    and NAF term counts (256,). Built once from the element-wise definitions above."""
    if name not in _LUT_CACHE:
        values = np.arange(INT8_MIN, INT8_MAX + 1)
        _LUT_CACHE["ent_nz"] = ent_encode(values).nonzero.astype(np.int8)
        _LUT_CACHE["naf"] = nonzero_digits(values, "naf").astype(np.int8)
    return _LUT_CACHE[name]


def group_nonzeros(a: npt.ArrayLike, group: int = OPT3_GROUP) -> IntArray:
    """nnz(m, g, j): non-zero EN-T digits of A[m, k] over k in group g at digit j.

    Shape (M, ceil(K / group), 4); K is zero-padded (zero operands have no non-zero digit).
    """
    aa = as_int8(a, "A")
    if aa.ndim != 2:
        raise SimError(f"A must be 2-D [M, K], got shape {aa.shape}")
    if group < 1:
        raise SimError(f"group must be >= 1, got {group}")
    m, k = aa.shape
    groups = -(-k // group)
    nz = _lut("ent_nz")[np.pad(aa, ((0, 0), (0, groups * group - k))) + 128]
    return nz.reshape(m, groups, group, DIGITS).sum(axis=2, dtype=np.int64)


def bitserial_row_cycles(a: npt.ArrayLike, group: int = OPT3_GROUP, ways: int = 1) -> IntArray:
    """OPT3/OPT4C cycles per A row: T(m) = sum_j sum_g max(1, nnz(m, g, j)). Shape (M,).

    ``ways > 1`` (OPT4E): ``ways`` consecutive groups run side by side into one shared
    compressor, so a set of groups costs the maximum of its members' cycles.
    """
    if ways < 1:
        raise SimError(f"ways must be >= 1, got {ways}")
    per_group = np.maximum(group_nonzeros(a, group), 1)  # (M, G, 4)
    if ways == 1:
        return per_group.sum(axis=(1, 2))
    m, groups, _ = per_group.shape
    sets = -(-groups // ways)
    padded = np.pad(per_group, ((0, 0), (0, sets * ways - groups), (0, 0)))
    return padded.reshape(m, sets, ways, DIGITS).max(axis=2).sum(axis=(1, 2))


def bitserial_gemm(a: npt.ArrayLike, b: npt.ArrayLike, acc_bits: int = OPT3_ACC_BITS,
                   out_bits: int = 32) -> IntArray:
    """OPT3 result: per digit pass j the PE sums d_j(a_k) b_k in a ``acc_bits`` carry-save
    accumulator, fuses it, shifts by 2j and accumulates into ``out_bits`` outside the PE."""
    aa, bb = _check_gemm(a, b)
    digits = ent_digits(aa)  # (M, K, 4)
    passes = wrap(np.einsum("mkj,kn->mjn", digits, bb), acc_bits)
    weights = (4 ** np.arange(DIGITS, dtype=np.int64))[None, :, None]
    return wrap((passes * weights).sum(axis=1), out_bits)


@dataclass(frozen=True)
class SerialStep:
    """One cycle of the OPT3 sparse encoder: digit j, group g, lane (0..group-1) and PP select.

    ``valid`` is 0 for the single idle cycle of an all-zero group; ``first`` marks a pass start.
    """

    j: int
    g: int
    lane: int
    select: int
    valid: int
    first: int


def bitserial_schedule(a_row: npt.ArrayLike, group: int = OPT3_GROUP) -> list[SerialStep]:
    """The per-cycle OPT3 schedule of one A row (K values): non-zero digits in lane order."""
    row = as_int8(a_row, "A row")
    if row.ndim != 1:
        raise SimError(f"A row must be 1-D, got shape {row.shape}")
    groups = -(-row.size // group)
    enc = ent_encode(np.pad(row, (0, groups * group - row.size)))
    steps: list[SerialStep] = []
    for j in range(DIGITS):
        for g in range(groups):
            lanes = [x for x in range(group) if enc.nonzero[g * group + x, j]]
            first = 1 if g == 0 else 0
            if not lanes:
                steps.append(SerialStep(j, g, 0, 0, 0, first))
            for i, lane in enumerate(lanes):
                sel = int(enc.select[g * group + lane, j])
                steps.append(SerialStep(j, g, lane, sel, 1, first if i == 0 else 0))
    return steps


# --------------------------------------------------------------------------- term-serial baseline


def laconic_group_cycles(a: npt.ArrayLike, b: npt.ArrayLike, lanes: int = 16) -> IntArray:
    """Laconic-style term-serial cycles per output and k-group of ``lanes`` pairs: a lane needs
    terms(a) * terms(b) cycles (NAF terms), lanes are synchronised, so a group takes the max
    over its lanes, at least 1. Shape (M, ceil(K / lanes), N)."""
    aa, bb = _check_gemm(a, b)
    m, k = aa.shape
    groups = -(-k // lanes)
    pad = groups * lanes - k
    ta = _lut("naf")[np.pad(aa, ((0, 0), (0, pad))) + 128]
    tb = _lut("naf")[np.pad(bb, ((0, pad), (0, 0))) + 128]
    ta = ta.reshape(m, groups, lanes)
    tb = tb.reshape(groups, lanes, -1)
    work = np.ones((m, groups, tb.shape[2]), dtype=np.int8)  # a group costs at least 1 cycle
    for lane in range(lanes):  # products <= 25 fit int8; loop keeps memory at (M, G, N)
        np.maximum(work, ta[:, :, lane, None] * tb[None, :, lane, :], out=work)
    return work.astype(np.int64)
