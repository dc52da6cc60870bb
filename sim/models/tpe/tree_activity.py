"""Switching activity of the multiplier-adder tree (``rtl/tpe/tpe_opt2.sv``), MAC and OPT2.

The tree is a pure pipeline (no accumulator feeds back), so every register and net at sample
``t`` is a function of the inputs a few samples earlier and the whole window is computed at once
with numpy, in chunks of samples. Sample ``t``: input row ``a[t]`` (K lanes), the weights
``w[t]`` (K x N, the fold's stationary B block; a port of the RTL) and ``vld[t]`` are applied,
then one rising edge samples them; nets are read settled (zero delay) before the next input.

* MAC columns: ``a_r = a[t]``, ``v`` (4-bit valid shift), ``prod = a[t-1] w[t]`` (16-bit
  registers), ``l1`` = sum of four products (18 bits), ``dot`` = sum of the ``l1`` (20 bits).
* OPT2 columns: ``a_r``, ``v`` (6 bits), registered EN-T codes of ``a[t-1]``, registered 10-bit
  PPs ``pp(code(a[t-2]), w[t])``, per digit ``l1`` (IW bits, four PPs each) and ``l2`` (IW),
  ``dot = sum_j l2_j << 2j`` (20 bits).

Groups (ledger action in :data:`TREE_ACTION`): ``reg_operand`` (a_r), ``reg_valid`` (v),
``reg_code`` (OPT2 codes), ``reg_prod`` / ``reg_pp`` (product / PP registers), ``reg_sum`` (l1,
l2, dot registers), ``enc`` (OPT2 encoder outputs), ``ppg`` (OPT2 PP-selector outputs) — all
readable in the RTL and compared with it exactly — plus three groups the RTL bench cannot read:
``mult`` (the MAC's product nets ``a_r w``: inside ``always_ff`` expressions), ``cpa`` (the
outputs of each 2-input adder of every multi-operand sum, taken left to right as the RTL writes
them; a synthesis tool may build the sums differently) and ``reg_weight`` (the design's
stationary weight registers, 8 K N bits, which the RTL bench drives from a port).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.tpe import arith
from sim.models.tpe.activity import _ent_lut, _pop_sum

IntArray = npt.NDArray[np.int64]
TREE_GROUPS = {"mac": ("reg_operand", "reg_valid", "reg_prod", "reg_sum", "reg_weight", "mult",
                       "cpa"),
               "opt2": ("reg_operand", "reg_valid", "reg_code", "reg_pp", "reg_sum", "reg_weight",
                        "enc", "ppg", "cpa")}
MODEL_ONLY = ("reg_weight", "mult", "cpa")
"""Groups the RTL bench cannot read (see the module docstring)."""
TREE_ACTION = {"reg_operand": "tpe.reg.toggle_bit", "reg_valid": "tpe.reg.toggle_bit",
               "reg_code": "tpe.reg.toggle_bit", "reg_prod": "tpe.reg.toggle_bit",
               "reg_pp": "tpe.reg.toggle_bit", "reg_sum": "tpe.reg.toggle_bit",
               "reg_weight": "tpe.reg.toggle_bit", "mult": "tpe.mult.toggle_bit",
               "cpa": "tpe.cpa.toggle_bit", "enc": "tpe.enc.toggle_bit",
               "ppg": "tpe.ppg.toggle_bit"}
DOT_BITS = 20
DEPTH = 6
"""Pipeline depth: samples of zero input before the window that make every node zero."""
CHUNK = 2048
"""Samples per numpy chunk."""
TAIL = DEPTH + 1
"""Idle samples (zero inputs) after the rows: the pipeline empties and every node returns to 0."""


@dataclass(frozen=True)
class TreeStream:
    """Inputs of one tree column group, per sample: rows ``a`` (T, K), the weight block index
    ``fold`` (T,) into ``w`` (F, K, N) (-1: zero weights) and ``vld`` (T,)."""

    a: IntArray
    fold: IntArray
    w: IntArray
    vld: IntArray


def tree_stream(a: npt.ArrayLike, b: npt.ArrayLike, k: int, n: int) -> TreeStream:
    """Sample stream of C = A[M, K] B[K, N] on a tree of ``k`` lanes x ``n`` columns: N folds
    outer, K folds inner, M rows per fold (zero-padded lanes/columns), then :data:`TAIL` idle
    samples with zero inputs."""
    aa, bb = arith.as_int8(a, "A"), arith.as_int8(b, "B")
    if k % 4:
        raise SimError(f"tree activity needs k a multiple of 4, got {k}")
    m, kk = aa.shape
    kf, nf = -(-kk // k), -(-bb.shape[1] // n)
    ap = np.zeros((m, kf * k), dtype=np.int64)
    ap[:, :kk] = aa
    bp = np.zeros((kf * k, nf * n), dtype=np.int64)
    bp[:kk, :bb.shape[1]] = bb
    w = bp.reshape(kf, k, nf, n).transpose(2, 0, 1, 3).reshape(nf * kf, k, n)
    rows = np.tile(ap.reshape(m, kf, k).transpose(1, 0, 2), (nf, 1, 1)).reshape(-1, k)
    fold = np.repeat(np.arange(nf * kf), m)
    tail = np.zeros((TAIL, k), dtype=np.int64)
    return TreeStream(np.concatenate([rows, tail]),
                      np.concatenate([fold, np.full(TAIL, -1)]), w,
                      np.concatenate([np.ones(len(fold), dtype=np.int64),
                                      np.zeros(TAIL, dtype=np.int64)]))


def tree_toggles(kind: str, s: TreeStream, iw: int = 14) -> dict[str, int]:
    """Toggle counts per group (:data:`TREE_GROUPS`) of the ``kind`` ('mac' or 'opt2') columns
    of ``rtl/tpe/tpe_opt2.sv`` on stream ``s``, from the all-zero state; ``iw`` is OPT2's
    intermediate width (bits)."""
    if kind not in TREE_GROUPS:
        raise SimError(f"no tree activity model for PE {kind!r}", accepted="mac, opt2")
    k = s.a.shape[1]
    if k % 4 or s.w.shape[1] != k:
        raise SimError(f"tree activity needs K a multiple of 4 and w of shape (F, {k}, N)")
    pad = np.zeros((DEPTH, k), dtype=np.int64)
    a = np.concatenate([pad, s.a]).astype(np.int64)
    w = np.concatenate([s.w.astype(np.int64), np.zeros((1, *s.w.shape[1:]), dtype=np.int64)])
    fold = np.concatenate([np.full(DEPTH, -1), s.fold])
    vld = np.concatenate([np.zeros(DEPTH, dtype=np.int64), s.vld])
    total = dict.fromkeys(TREE_GROUPS[kind], 0)
    for lo in range(DEPTH, a.shape[0], CHUNK):
        hi = min(lo + CHUNK, a.shape[0])
        part = slice(lo - DEPTH, hi)
        nodes = _nodes(kind, a[part], w[fold[part]], vld[part], DEPTH - 1, hi - lo + DEPTH, iw)
        for group, values in nodes.items():
            total[group] += sum(_pop_sum(x[1:] ^ x[:-1]) for x in values)
    return total


def _nodes(kind: str, a: IntArray, w: IntArray, vld: IntArray, lo: int, hi: int,
           iw: int) -> dict[str, list[npt.NDArray[np.uint64]]]:
    """Values of every node at padded samples lo .. hi - 1 (lo >= DEPTH - 1), as uint64."""
    def at(d: int) -> slice:
        return slice(lo - d, hi - d)

    valid_bits = 4 if kind == "mac" else 6
    v = np.zeros(hi - lo, dtype=np.int64)
    for d in range(valid_bits):
        v |= vld[at(d)] << d
    out = {"reg_operand": [_u(a[at(0)], 8)], "reg_valid": [_u(v, valid_bits)],
           "reg_weight": [_u(w[at(0)], 8)]}
    if kind == "mac":
        prods = [a[at(1 + d)][:, :, None] * w[at(d)] for d in range(3)]  # prod reg at t - d
        l1 = [_total(_quads(p), 18) for p in prods[1:]]  # l1 reg at t, t - 1: (T, K/4, N)
        return {**out, "mult": [_u(a[at(0)][:, :, None] * w[at(0)], 16)],
                "reg_prod": [_u(prods[0], 16)],
                "reg_sum": [_u(l1[0], 18),
                            _u(_total(_lanes(_sext(l1[1], 18)), DOT_BITS), DOT_BITS)],
                "cpa": [_u(x, 18) for x in _sum_chain(_quads(prods[0]), 18)]
                + [_u(x, DOT_BITS) for x in _sum_chain(_lanes(_sext(l1[0], 18)), DOT_BITS)]}
    return {**out, **_opt2_nodes(a, w, lo, hi, iw)}


def _opt2_nodes(a: IntArray, w: IntArray, lo: int, hi: int,
                iw: int) -> dict[str, list[npt.NDArray[np.uint64]]]:
    """OPT2 encoder, code, PP, l1/l2/dot registers and adder nets at samples lo .. hi - 1."""
    lut = _ent_lut().astype(np.int64)

    def at(d: int) -> slice:
        return slice(lo - d, hi - d)

    def pps(code: IntArray, ww: IntArray) -> IntArray:
        """10-bit-wrapped signed PPs (T, K, 4, N) of codes (T, K) against weights (T, K, N)."""
        sel = (code[..., None] >> (2 * np.arange(arith.DIGITS))) & 3
        nz = (code[..., None] >> (8 + np.arange(arith.DIGITS))) & 1
        return (arith.SELECT_MULTIPLIER[sel] * nz)[..., None] * ww[:, :, None, :]

    k = hi - lo
    pp_r = pps(lut[a[lo - 5:hi - 2] + 128], w[lo - 3:hi])  # PP registers at t = lo - 3 .. hi - 1
    l1 = _total(_quads(pp_r[:k + 2]), iw)  # l1 registers at lo - 2 .. hi - 1: (T, K/4, 4, N)
    l2 = _total(_lanes(l1[:k + 1]), iw)  # l2 registers at lo - 1 .. hi - 1: (T, 4, N)
    return {"reg_code": [_u(lut[a[at(1)] + 128], 12)], "enc": [_u(lut[a[at(0)] + 128], 12)],
            "ppg": [_u(pps(lut[a[at(1)] + 128], w[at(0)]), 10)],
            "reg_pp": [_u(pp_r[3:], 10)],
            "reg_sum": [_u(l1[2:], iw), _u(l2[1:], iw),
                        _u(_total(_digits(l2[:k], iw), DOT_BITS), DOT_BITS)],
            "cpa": [_u(x, iw) for x in _sum_chain(_quads(pp_r[3:]), iw)
                    + _sum_chain(_lanes(l1[2:]), iw)]
            + [_u(x, DOT_BITS) for x in _sum_chain(_digits(l2[1:], iw), DOT_BITS)]}


def _sext(x: IntArray, bits: int) -> IntArray:
    """The low ``bits`` of x as signed values."""
    x = x & ((1 << bits) - 1)
    return np.where(x >> (bits - 1), x - (1 << bits), x)


def _sum_chain(ops: list[IntArray], bits: int) -> list[IntArray]:
    """Outputs of the 2-input adders of ``((o0 + o1) + o2) + ..``, wrapped to ``bits`` (none for
    a single operand)."""
    mask = (1 << bits) - 1
    out: list[IntArray] = []
    acc = ops[0]
    for op in ops[1:]:
        acc = (acc + op) & mask
        out.append(acc)
    return out


def _total(ops: list[IntArray], bits: int) -> IntArray:
    """The sum of ``ops`` wrapped to ``bits`` (the last adder output, or the single operand)."""
    chain = _sum_chain(ops, bits)
    return chain[-1] if chain else ops[0] & ((1 << bits) - 1)


def _quads(p: IntArray) -> list[IntArray]:
    """The four operands of every four-lane sum over lanes 4q .. 4q + 3 (axis 1) of ``p``."""
    grouped = p.reshape(p.shape[0], -1, 4, *p.shape[2:])
    return [grouped[:, :, i] for i in range(4)]


def _lanes(x: IntArray) -> list[IntArray]:
    """The operands along axis 1 (the four-lane groups), in order."""
    return [x[:, q] for q in range(x.shape[1])]


def _digits(l2: IntArray, iw: int) -> list[IntArray]:
    """OPT2 read-out operands ``sext(l2_j) << 2j`` (l2: (T, 4, N), ``iw`` bits)."""
    return [_sext(l2[:, j], iw) << (2 * j) for j in range(arith.DIGITS)]


def _u(x: npt.NDArray[np.integer], bits: int) -> npt.NDArray[np.uint64]:
    """The low ``bits`` of x as uint64 (for popcounts)."""
    return (np.asarray(x, dtype=np.int64) & ((1 << bits) - 1)).view(np.uint64)


def tree_flops(kind: str, k: int, n: int, iw: int = 14) -> int:
    """Clocked flops of ``k`` x ``n`` tree columns: the RTL's registers plus the design's
    stationary weight registers (8 k n)."""
    q = k // 4
    if kind == "mac":
        return 8 * k + 4 + 16 * k * n + 18 * q * n + DOT_BITS * n + 8 * k * n
    return (8 * k + 6 + 12 * k + 40 * k * n + iw * 4 * q * n + iw * 4 * n + DOT_BITS * n
            + 8 * k * n)
