"""Switching activity of the word-parallel TPE PEs (MAC, OPT1) from the actual operand stream.

The model mirrors ``rtl/tpe/tpe_pe.sv`` edge by edge. Per edge t the PE samples the inputs
``a[t], b[t], vld[t], clr[t]``; its registers become ``a_r = a``, ``b_r = b``,
``v_r = vld & ~clr`` and

* MAC:  ``acc <- 0`` on clr, else ``acc + a_r*b_r`` when the previous ``v_r`` was set;
* OPT1: ``(sum, carry) <- 0`` on clr, else the 6-input CSA tree {PP0..PP3, sum, carry}.

Combinational nodes are the settled (zero-delay) values in the cycle after each edge: the MAC's
16-bit product ``prod`` and its W-bit adder output ``acc + prod``; OPT1's four W-bit Booth PPs and
the eight W-bit 3:2 outputs ``s1, c1 .. s4, c4``. A toggle is one bit that differs between two
consecutive cycles; glitches within a cycle are not seen (zero-delay model).

Component groups (ledger action ``tpe.<group>.toggle_bit``):

==============  =====================================  ======================================
group           MAC                                    OPT1
==============  =====================================  ======================================
reg_operand     a_r, b_r (16 bits)                     a_r, b_r (16 bits)
reg_valid       v_r                                    v_r
reg_acc         acc (W)                                sum, carry (2W)
mult            prod (16)                              -
ppg             -                                      pp[0..3] (4W)
csa             -                                      s1, c1 .. s4, c4 (8W)
cpa             acc + prod (W)                         -
==============  =====================================  ======================================

Everything is vectorised over *lanes* (independent PEs, axis 1); MAC values are computed for the
whole window at once (prefix sums), OPT1's carry-save state needs one numpy step per edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.tpe import arith

IntArray = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
PE_KINDS = ("mac", "opt1")
GROUPS = {"mac": ("reg_operand", "reg_valid", "reg_acc", "mult", "cpa"),
          "opt1": ("reg_operand", "reg_valid", "reg_acc", "ppg", "csa")}
OPERAND_BITS = 8


def flops(kind: str, width: int, valid: bool = True) -> int:
    """Clocked flip-flops of one PE: a_r, b_r, the accumulator register(s) and (``valid``) v_r;
    the array PEs of ``tpe_arrays.sv`` have no valid flop."""
    return 2 * OPERAND_BITS + int(valid) + (width if kind == "mac" else 2 * width)


@dataclass(frozen=True)
class Stream:
    """Per-edge PE inputs, shape (T, L): T edges, L independent lanes (PEs).

    ``a``/``b`` are INT8 values, ``vld``/``clr`` 0/1 (any integer dtype; int8 keeps long
    streams small). ``prev_a``/``prev_b`` (shape (L,)) are the operand registers before edge 0
    (the accumulators and ``v_r`` start at 0).
    """

    a: npt.NDArray[np.integer]
    b: npt.NDArray[np.integer]
    vld: npt.NDArray[np.integer]
    clr: npt.NDArray[np.integer]
    prev_a: IntArray
    prev_b: IntArray

    def lanes(self, part: slice) -> Stream:
        """The sub-stream of lanes ``part`` as int64."""
        def cut(x: npt.NDArray[np.integer]) -> IntArray:
            return np.asarray(x[:, part], dtype=np.int64)

        return Stream(cut(self.a), cut(self.b), cut(self.vld), cut(self.clr),
                      self.prev_a[part], self.prev_b[part])


def make_stream(a: npt.ArrayLike, b: npt.ArrayLike, vld: npt.ArrayLike,
                clr: npt.ArrayLike) -> Stream:
    """A single-lane or multi-lane :class:`Stream` from per-edge arrays ((T,) or (T, L))."""
    aa, bb = arith.as_int8(a, "a"), arith.as_int8(b, "b")
    vv, cc = np.asarray(vld, dtype=np.int64), np.asarray(clr, dtype=np.int64)
    if aa.ndim == 1:
        aa, bb, vv, cc = aa[:, None], bb[:, None], vv[:, None], cc[:, None]
    if not aa.shape == bb.shape == vv.shape == cc.shape or aa.ndim != 2:
        raise SimError(f"stream arrays must share one (T, L) shape, got {aa.shape}, {bb.shape}, "
                       f"{vv.shape}, {cc.shape}")
    zero = np.zeros(aa.shape[1], dtype=np.int64)
    return Stream(aa, bb, vv & 1, cc & 1, zero, zero)


def _count(seq: npt.NDArray[np.generic], width: int, first: npt.NDArray[np.generic]) -> int:
    """Bit toggles of the ``width``-bit values ``seq`` (T, ...) after the state ``first``."""
    mask = np.uint64((1 << width) - 1)
    full = np.concatenate([np.asarray(first)[None], seq]).astype(np.int64).view(np.uint64)
    return int(np.bitwise_count((full[1:] ^ full[:-1]) & mask).sum(dtype=np.int64))


def _operand_toggles(s: Stream) -> dict[str, int]:
    v_r = s.vld.astype(np.int64) & (1 - s.clr.astype(np.int64))
    return {"reg_operand": _count(s.a, 8, s.prev_a) + _count(s.b, 8, s.prev_b),
            "reg_valid": _count(v_r, 1, np.zeros(v_r.shape[1], dtype=np.int64))}


CHUNK_ELEMENTS = 1 << 21
"""Lane chunk of the vectorised MAC model: at most this many (edge, lane) values at once."""


def mac_toggles(s: Stream, width: int) -> dict[str, int]:
    """Toggle counts per group of MAC PEs of accumulator ``width`` over the stream (summed over
    lanes; processed in lane chunks of at most :data:`CHUNK_ELEMENTS` values)."""
    edges, lanes = s.a.shape
    step = max(1, CHUNK_ELEMENTS // max(edges, 1))
    total: dict[str, int] = {}
    for lo in range(0, lanes, step):
        for key, v in _mac_chunk(s.lanes(slice(lo, lo + step)), width).items():
            total[key] = total.get(key, 0) + v
    return total


def _mac_chunk(s: Stream, width: int) -> dict[str, int]:
    prod = s.a * s.b  # settled product in the cycle after each edge
    prev_prod = s.prev_a * s.prev_b
    v_r = s.vld & (1 - s.clr)
    # contribution added at edge t: v_r and prod of the cycle before (edge 0: the initial state)
    contrib = np.concatenate([np.zeros((1, prod.shape[1]), dtype=np.int64),
                              v_r[:-1] * prod[:-1]])
    csum = np.cumsum(contrib, axis=0)
    t = np.arange(prod.shape[0])[:, None]
    last_clr = np.maximum.accumulate(np.where(s.clr == 1, t, -1), axis=0)
    base = np.where(last_clr >= 0, np.take_along_axis(csum, np.maximum(last_clr, 0), axis=0), 0)
    acc = arith.wrap(csum - base, width)
    zero = np.zeros(prod.shape[1], dtype=np.int64)
    out = _operand_toggles(s)
    out["reg_acc"] = _count(acc, width, zero)
    out["mult"] = _count(prod, 16, prev_prod)
    out["cpa"] = _count(acc + prod, width, prev_prod)
    return out


def _booth_pps(a: IntArray, b: IntArray, width: int) -> list[U64]:
    """The four W-bit Booth PP nets ``d_i(a) b 4^i`` (sign-extended, as uint64 bit patterns)."""
    digits = arith.booth_r4_digits(a)
    mask = np.uint64((1 << width) - 1)
    return [(digits[..., i] * b * (4 ** i)).view(np.uint64) & mask for i in range(arith.DIGITS)]


def _csa(x: U64, y: U64, z: U64, mask: np.uint64) -> tuple[U64, U64]:
    return x ^ y ^ z, (((x & y) | (z & (x | y))) << np.uint64(1)) & mask


def opt1_toggles(s: Stream, width: int) -> dict[str, int]:
    """Toggle counts per group of OPT1 PEs of accumulator ``width`` over the stream."""
    mask = np.uint64((1 << width) - 1)
    lanes = s.a.shape[1]
    v_r = s.vld.astype(np.int64) & (1 - s.clr.astype(np.int64))
    zero = np.zeros(lanes, dtype=np.uint64)
    pp_prev = _booth_pps(s.prev_a, s.prev_b, width)
    acc = [zero, zero]  # sum, carry
    nodes_prev = _tree(pp_prev, acc, mask)
    counts = {"reg_acc": 0, "ppg": 0, "csa": 0}
    valid_before = np.zeros(lanes, dtype=np.int64)
    for t in range(s.a.shape[0]):
        nxt = [np.where(valid_before == 1, nodes_prev[6 + i], acc[i]) for i in range(2)]
        nxt = [np.where(s.clr[t] == 1, zero, v) for v in nxt]
        counts["reg_acc"] += sum(_pop(n ^ o) for n, o in zip(nxt, acc, strict=True))
        acc = nxt
        pp = _booth_pps(s.a[t].astype(np.int64), s.b[t].astype(np.int64), width)
        nodes = _tree(pp, acc, mask)
        counts["ppg"] += sum(_pop(n ^ o) for n, o in zip(pp, pp_prev, strict=True))
        counts["csa"] += sum(_pop(n ^ o) for n, o in zip(nodes, nodes_prev, strict=True))
        pp_prev, nodes_prev, valid_before = pp, nodes, v_r[t]
    return {**_operand_toggles(s), **counts}


def _tree(pp: list[U64], acc: list[U64], mask: np.uint64) -> list[U64]:
    """The OPT1 CSA nodes s1, c1, s2, c2, s3, c3, s4, c4 (rtl/tpe/tpe_pe.sv wiring)."""
    s1, c1 = _csa(pp[0], pp[1], pp[2], mask)
    s2, c2 = _csa(pp[3], acc[0], acc[1], mask)
    s3, c3 = _csa(s1, c1, s2, mask)
    s4, c4 = _csa(s3, c3, c2, mask)
    return [s1, c1, s2, c2, s3, c3, s4, c4]


def _pop(x: U64) -> int:
    return int(np.bitwise_count(x).sum(dtype=np.int64))


def pe_toggles(kind: str, s: Stream, width: int) -> dict[str, int]:
    """Toggle counts per component group (see the module table) of ``kind`` PEs."""
    if kind == "mac":
        return mac_toggles(s, width)
    if kind == "opt1":
        return opt1_toggles(s, width)
    raise SimError(f"no activity model for PE {kind!r}", accepted=", ".join(PE_KINDS))


def os_stream(a: npt.ArrayLike, b: npt.ArrayLike) -> Stream:
    """The PE streams of C = A[M, K] B[K, N] on output-stationary PEs: lane (m, n) gets beats
    ``(A[m, k], B[k, n])`` for k = 0..K-1, then one idle edge (its last accumulate) and one
    clear edge (the next fold's start). Shape (K + 2, M * N), int8."""
    aa, bb = arith.as_int8(a, "A"), arith.as_int8(b, "B")
    m, k = aa.shape
    n = bb.shape[1]
    edges = k + 2
    sa = np.zeros((edges, m, n), dtype=np.int8)
    sb = np.zeros((edges, m, n), dtype=np.int8)
    sa[:k] = aa.T[:, :, None]
    sb[:k] = bb[:, None, :]
    vld = np.zeros((edges, m * n), dtype=np.int8)
    vld[:k] = 1
    clr = np.zeros_like(vld)
    clr[k + 1] = 1
    zero = np.zeros(m * n, dtype=np.int64)
    return Stream(sa.reshape(edges, -1), sb.reshape(edges, -1), vld, clr, zero, zero)


TRACE = Path(__file__).resolve().parents[3] / "workloads" / "traces" / "minilm-l6.npz"
TRACE_LAYER = "encoder.layer.0"
TRACE_GEMMS = ("attention.self.query", "attention.self.key", "attention.self.value",
               "attention.output.dense", "intermediate.dense", "output.dense")
"""The six weight GEMMs of one MiniLM encoder layer in the committed trace (A = activations
[tokens, K], B = INT8 weights [K, N])."""


def trace_gemms(path: Path = TRACE) -> dict[str, tuple[IntArray, IntArray]]:
    """The INT8 (A, B) operands of every weight GEMM of layer 0 in the committed MiniLM trace."""
    if not path.is_file():
        raise SimError(f"MiniLM trace {path} is missing")
    with np.load(path) as data:
        return {g: (data[f"{TRACE_LAYER}.{g}.a"].astype(np.int64),
                    data[f"{TRACE_LAYER}.{g}.b"].astype(np.int64)) for g in TRACE_GEMMS}



# --------------------------------------------------------------------------- whole GEMMs, fast

U32 = npt.NDArray[np.uint32]
GEMM_CHUNK = 1 << 21
"""(m, k, n) values per chunk of the vectorised MAC path."""


def _pop_sum(x: npt.NDArray[np.unsignedinteger]) -> int:
    return int(np.bitwise_count(x).sum(dtype=np.int64))


def _run_toggles(seq: npt.NDArray[np.unsignedinteger], axis: int) -> int:
    """Toggles of per-lane sequences along ``axis`` that start from and end in zero."""
    n = seq.shape[axis]
    inner: npt.NDArray[np.unsignedinteger] = np.bitwise_xor(
        np.take(seq, np.arange(1, n), axis=axis), np.take(seq, np.arange(n - 1), axis=axis))
    return (_pop_sum(np.take(seq, 0, axis=axis)) + _pop_sum(inner)
            + _pop_sum(np.take(seq, n - 1, axis=axis)))


def _mask32(width: int) -> np.uint32:
    if not 2 <= width <= 32:
        raise SimError(f"the GEMM activity path needs accumulator widths 2..32, got {width}")
    return np.uint32((1 << width) - 1)


def os_gemm_toggles(kind: str, a: npt.ArrayLike, b: npt.ArrayLike, width: int) -> dict[str, int]:
    """Toggle counts per group of C = A[M, K] B[K, N] on output-stationary ``kind`` PEs: the
    same counts as ``pe_toggles(kind, os_stream(a, b), width)`` (checked by the tests), computed
    on 32-bit lanes without building the (K + 2, M N) stream."""
    aa, bb = arith.as_int8(a, "A"), arith.as_int8(b, "B")
    m, k = aa.shape
    n = bb.shape[1]
    mask = _mask32(width)
    ua = (aa.astype(np.int32).view(np.uint32) & 0xFF).astype(np.uint32)
    ub = (bb.astype(np.int32).view(np.uint32) & 0xFF).astype(np.uint32)
    out = {"reg_operand": n * _run_toggles(ua, 1) + m * _run_toggles(ub, 0),
           "reg_valid": 2 * m * n if k else 0}
    if kind == "mac":
        out.update(_mac_gemm(aa, bb, mask))
    elif kind == "opt1":
        out.update(_opt1_gemm(aa, bb, mask))
    else:
        raise SimError(f"no activity model for PE {kind!r}", accepted=", ".join(PE_KINDS))
    return out


def _mac_gemm(aa: IntArray, bb: IntArray, mask: np.uint32) -> dict[str, int]:
    """MAC product (16-bit) and accumulator/adder toggles; the adder output runs one cycle ahead
    of the accumulator over the same values, so both count the same."""
    m, k = aa.shape
    a32, b32 = aa.astype(np.int32), bb.astype(np.int32)
    step = max(1, GEMM_CHUNK // max(m * k, 1))
    mult = acc = 0
    for lo in range(0, bb.shape[1], step):
        prod = a32[:, :, None] * b32[None, :, lo:lo + step]  # (M, K, n)
        mult += _run_toggles(prod.view(np.uint32) & np.uint32(0xFFFF), 1)
        sums = np.cumsum(prod, axis=1, dtype=np.int32).view(np.uint32) & mask
        acc += _run_toggles(sums, 1)
    return {"reg_acc": acc, "mult": mult, "cpa": acc}


def _opt1_gemm(aa: IntArray, bb: IntArray, mask: np.uint32) -> dict[str, int]:
    """OPT1 PPs, CSA nets and (sum, carry) toggles: one step per edge over all M x N lanes."""
    m, k = aa.shape
    n = bb.shape[1]
    weights = (4 ** np.arange(arith.DIGITS)).astype(np.int32)
    digits = (arith.booth_r4_digits(aa) * weights).astype(np.int32)  # (M, K, 4), shifted
    b32 = bb.astype(np.int32)
    zero = np.zeros((m, n), dtype=np.uint32)
    pp_prev = [zero] * arith.DIGITS
    nodes_prev = [zero] * 8
    acc = [zero, zero]
    counts = {"reg_acc": 0, "ppg": 0, "csa": 0}
    for t in range(k + 2):
        before = acc
        if 1 <= t <= k:  # edge t accumulates the cycle before; edge k + 1 clears
            acc = [nodes_prev[6], nodes_prev[7]]
        elif t == k + 1:
            acc = [zero, zero]
        counts["reg_acc"] += sum(_pop_sum(x ^ y) for x, y in zip(acc, before, strict=True))
        if t < k:
            pp = [np.multiply.outer(digits[:, t, i], b32[t]).view(np.uint32) & mask
                  for i in range(arith.DIGITS)]
        else:
            pp = [zero] * arith.DIGITS
        nodes = _tree32(pp, acc, mask)
        counts["ppg"] += sum(_pop_sum(x ^ y) for x, y in zip(pp, pp_prev, strict=True))
        counts["csa"] += sum(_pop_sum(x ^ y) for x, y in zip(nodes, nodes_prev, strict=True))
        pp_prev, nodes_prev = pp, nodes
    return counts


def _csa32(x: U32, y: U32, z: U32, mask: np.uint32) -> tuple[U32, U32]:
    carry = (x & y) | (z & (x | y))
    carry <<= np.uint32(1)
    if mask != np.uint32(0xFFFFFFFF):
        carry &= mask
    total = x ^ y
    total ^= z
    return total, carry


def _tree32(pp: list[U32], acc: list[U32], mask: np.uint32) -> list[U32]:
    """:func:`_tree` on 32-bit lanes."""
    s1, c1 = _csa32(pp[0], pp[1], pp[2], mask)
    s2, c2 = _csa32(pp[3], acc[0], acc[1], mask)
    s3, c3 = _csa32(s1, c1, s2, mask)
    s4, c4 = _csa32(s3, c3, c2, mask)
    return [s1, c1, s2, c2, s3, c3, s4, c4]


# --------------------------------------------------------------------------- ledger

GROUP_ACTION = {"reg_operand": "tpe.reg.toggle_bit", "reg_valid": "tpe.reg.toggle_bit",
                "reg_acc": "tpe.reg.toggle_bit", "mult": "tpe.mult.toggle_bit",
                "cpa": "tpe.cpa.toggle_bit", "ppg": "tpe.ppg.toggle_bit",
                "csa": "tpe.fa.toggle_bit", "enc": "tpe.enc.toggle_bit"}
"""Ledger action charged per toggle of each component group (tech rows in tpe.yaml)."""
CLOCK_ACTION = "tpe.ff.clock_bit"


def toggle_ledger(toggles: dict[str, int], clocked_bits: float,
                  actions: dict[str, str] | None = None) -> dict[str, float]:
    """Ledger of an activity run: toggles per action (``actions``: group -> action, default
    :data:`GROUP_ACTION`), plus ``clocked_bits`` flop-cycles (every flop of the engine clocked
    every cycle: no clock gating)."""
    out: dict[str, float] = {CLOCK_ACTION: float(clocked_bits)}
    for group, count in toggles.items():
        action = (GROUP_ACTION if actions is None else actions)[group]
        out[action] = out.get(action, 0.0) + float(count)
    return out


# --------------------------------------------------------------------------- OS array, per fold


def os_array_toggles(kind: str, a: npt.ArrayLike, b: npt.ArrayLike, rows: int,
                     cols: int) -> dict[str, int]:
    """Toggle counts per group of all PEs of an output-stationary ``rows x cols`` array
    (``rtl/tpe/tpe_arrays.sv``: skewed feeds, operands forwarded right and down, R drain edges
    shifting the accumulators down) over every fold of C = A[M, K] B[K, N].

    Mirrors the RTL cycle by cycle from the state after each fold's start edge (all PE registers
    zero), vectorised over the PEs of all folds. Unlike the word-parallel PE of ``tpe_pe.sv``, the
    array's PE registers only the forwarded operands: its product, PPs and adder act on the
    incoming operands ``a_in``/``b_in`` in the same cycle. Groups as in the module table, PE
    state only (the drain's output registers and fuse adders are not PE groups)."""
    aa, bb = arith.as_int8(a, "A"), arith.as_int8(b, "B")
    m, k = aa.shape
    n = bb.shape[1]
    fm, fn = -(-m // rows), -(-n // cols)
    at = np.zeros((fm * rows, k), dtype=np.int64)
    at[:m] = aa
    bt = np.zeros((k, fn * cols), dtype=np.int64)
    bt[:, :n] = bb
    a_tiles = np.repeat(at.reshape(fm, rows, k), fn, axis=0)  # fold f = (fi, fj)
    b_tiles = np.tile(bt.reshape(k, fn, cols).transpose(1, 0, 2), (fm, 1, 1))
    return _os_folds(kind, a_tiles, b_tiles)


def _os_folds(kind: str, a_tiles: IntArray, b_tiles: IntArray) -> dict[str, int]:
    """Cycle-by-cycle OS array state over folds (F, R, T) x (F, T, C), all folds at once.

    The PEs' incoming operands move like the RTL's: after a stream edge column j's A input is
    column j-1's previous one (row i's B input row i-1's), column 0 (row 0) takes the skewed edge
    feed, beat ``cyc - i`` (``cyc - j``), zero outside the stream; in the drain the operand
    registers hold, so the inputs stop moving."""
    folds, rows, t_len = a_tiles.shape
    cols = b_tiles.shape[2]
    pad = rows + cols
    a_pad = np.zeros((folds, rows, t_len + 2 * pad), dtype=np.int32)
    a_pad[:, :, pad:pad + t_len] = a_tiles
    b_pad = np.zeros((folds, t_len + 2 * pad, cols), dtype=np.int32)
    b_pad[:, pad:pad + t_len] = b_tiles
    d_pad = _booth_lut()[a_pad + 128] if kind == "opt1" else None  # (F, R, Tp, 4), shifted
    ar, ac = np.arange(rows), np.arange(cols)
    stream_edges = t_len + rows + cols - 2
    zero = np.zeros((folds, rows, cols), dtype=np.uint32)
    regs = [zero, zero, zero, zero]  # a_reg, b_reg (8-bit patterns), s_acc, c_acc
    total = {g: np.zeros((folds, rows, cols), dtype=np.uint32) for g in GROUPS[kind]}
    a_in = np.zeros((folds, rows, cols), dtype=np.int32)
    b_in = np.zeros_like(a_in)
    dig = None if d_pad is None else np.zeros((folds, rows, cols, arith.DIGITS), dtype=np.int32)
    _feed(a_in, b_in, dig, a_pad, b_pad, d_pad, 0 + pad, ar, ac)
    nodes = _os_nodes32(kind, a_in, b_in, dig, regs[2], regs[3])
    for cyc in range(stream_edges + rows):
        if cyc < stream_edges:  # stream edge: operands forwarded, accumulators updated
            new = [a_in.view(np.uint32) & np.uint32(0xFF), b_in.view(np.uint32) & np.uint32(0xFF),
                   nodes[-2], nodes[-1]]
            a_in, b_in, dig = _forward(a_in, b_in, dig)
            if cyc + 1 < stream_edges:
                _feed(a_in, b_in, dig, a_pad, b_pad, d_pad, cyc + 1 + pad, ar, ac)
        else:  # drain edge: accumulators shift down one row, row 0 clears
            new = [regs[0], regs[1], _shift_down(regs[2]), _shift_down(regs[3])]
        for reg, group in ((0, "reg_operand"), (1, "reg_operand"), (2, "reg_acc"),
                           (3, "reg_acc")):
            total[group] += np.bitwise_count(new[reg] ^ regs[reg])
        regs = new
        settled = _os_nodes32(kind, a_in, b_in, dig, regs[2], regs[3])
        _count_nodes(kind, total, settled, nodes)
        nodes = settled
    return {g: int(v.sum(dtype=np.int64)) for g, v in total.items() if g != "reg_valid"}


_BOOTH_LUT: list[npt.NDArray[np.int32]] = []


def _booth_lut() -> npt.NDArray[np.int32]:
    """Booth digits x 4^q of all 256 INT8 values (index a + 128), shape (256, 4)."""
    if not _BOOTH_LUT:
        weights = 4 ** np.arange(arith.DIGITS)
        _BOOTH_LUT.append((arith.booth_r4_digits(np.arange(-128, 128)) * weights)
                          .astype(np.int32))
    return _BOOTH_LUT[0]


def _forward(a_in: npt.NDArray[np.int32], b_in: npt.NDArray[np.int32],
             dig: npt.NDArray[np.int32] | None) -> tuple[npt.NDArray[np.int32],
                                                        npt.NDArray[np.int32],
                                                        npt.NDArray[np.int32] | None]:
    """Inputs after a stream edge: A moves one column right, B one row down, edges zero."""
    na, nb = np.zeros_like(a_in), np.zeros_like(b_in)
    na[:, :, 1:] = a_in[:, :, :-1]
    nb[:, 1:] = b_in[:, :-1]
    nd = None
    if dig is not None:
        nd = np.zeros_like(dig)
        nd[:, :, 1:] = dig[:, :, :-1]
    return na, nb, nd


def _feed(a_in: npt.NDArray[np.int32], b_in: npt.NDArray[np.int32],
          dig: npt.NDArray[np.int32] | None, a_pad: npt.NDArray[np.int32],
          b_pad: npt.NDArray[np.int32], d_pad: npt.NDArray[np.int32] | None, col: int,
          ar: IntArray, ac: IntArray) -> None:
    """Edge feeds of a stream cycle (``col`` = cycle + pad): row i gets A beat cycle - i,
    column j gets B beat cycle - j."""
    a_in[:, :, 0] = a_pad[:, ar, col - ar]
    b_in[:, 0, :] = b_pad[:, col - ac, ac]
    if dig is not None and d_pad is not None:
        dig[:, :, 0] = d_pad[:, ar, col - ar]


def _shift_down(acc: U32) -> U32:
    return np.concatenate([np.zeros_like(acc[:, :1]), acc[:, :-1]], axis=1)


def _os_nodes32(kind: str, a_in: npt.NDArray[np.int32], b_in: npt.NDArray[np.int32],
                dig: npt.NDArray[np.int32] | None, s_acc: U32, c_acc: U32) -> list[U32]:
    """Combinational nets of every PE (32-bit); the last two are the accumulators' next values:
    MAC [product (16 b), adder output, adder output, 0]; OPT1 [PP0..PP3, s1, c1 .. s4, c4]."""
    mask = np.uint32(0xFFFFFFFF)
    if kind == "mac":
        prod = (a_in * b_in).view(np.uint32)
        nxt = s_acc + prod
        return [prod & np.uint32(0xFFFF), nxt, nxt, c_acc]
    assert dig is not None
    pp = [(dig[..., q] * b_in).view(np.uint32) for q in range(arith.DIGITS)]
    return [*pp, *_tree32(pp, [s_acc, c_acc], mask)]


def _count_nodes(kind: str, total: dict[str, npt.NDArray[np.uint32]], now: list[U32],
                 prev: list[U32]) -> None:
    """Add the toggles of the combinational nets between two settled cycles."""
    flips = np.empty_like(now[0])
    bits = np.empty(now[0].shape, dtype=np.uint8)
    pairs = ([(0, "mult"), (1, "cpa")] if kind == "mac"
             else [(q, "ppg") for q in range(4)] + [(q, "csa") for q in range(4, 12)])
    for q, group in pairs:
        np.bitwise_xor(now[q], prev[q], out=flips)
        np.bitwise_count(flips, out=bits)
        np.add(total[group], bits, out=total[group])


# --------------------------------------------------------------------------- WS array, per fold


@dataclass(frozen=True)
class WsFold:
    """One weight-stationary fold of ``rtl/tpe/tpe_arrays.sv``: A tile [T, R], weights [R, C],
    partial sums in [T, C] (32-bit values), and the weights left in the array by the fold
    before (the weight registers have no reset)."""

    a: IntArray
    w: IntArray
    p: IntArray
    prev_w: IntArray


def ws_array_toggles(kind: str, folds: list[WsFold]) -> dict[str, int]:
    """Toggle counts per group of all PEs of a weight-stationary array over ``folds`` (same
    shapes), mirroring the RTL cycle by cycle from each fold's start edge: R preload edges shift
    the weights down, then A rows enter row i at cycle R + t + i moving right, partial sums (and
    OPT1 carries) move down, until ``done``. Groups: reg_operand = a_reg + w_reg, reg_acc =
    ps_reg (+ pc_reg), and the nets of the module table."""
    a = np.stack([f.a for f in folds]).astype(np.int32)  # (F, T, R)
    w = np.stack([f.w for f in folds]).astype(np.int32)  # (F, R, C)
    p = (np.stack([f.p for f in folds]).astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)
    nf, t_len, rows = a.shape
    cols = w.shape[2]
    last = 2 * rows + cols - (2 if kind == "opt1" else 3)
    zero32 = np.zeros((nf, rows, cols), dtype=np.uint32)
    regs = {"w": np.stack([f.prev_w for f in folds]).astype(np.int32),
            "a": np.zeros((nf, rows, cols), dtype=np.int32), "ps": zero32, "pc": zero32}
    total = dict.fromkeys(GROUPS[kind], 0)
    total.pop("reg_valid")
    nodes = _ws_nodes(kind, a, p, regs, 0, True, rows)
    for cyc in range(last + t_len + 1):
        if cyc < rows:  # preload: row 0 takes W[R-1-cyc], the rest shift down
            new_w = np.concatenate([w[:, rows - 1 - cyc][:, None], regs["w"][:, :-1]], axis=1)
            new = {**regs, "w": new_w}
        else:
            new = {"w": regs["w"], "a": nodes[0], "ps": nodes[-2], "pc": nodes[-1]}
        total["reg_operand"] += _pop8(new["a"] ^ regs["a"]) + _pop8(new["w"] ^ regs["w"])
        total["reg_acc"] += _pop_sum(new["ps"] ^ regs["ps"]) + _pop_sum(new["pc"] ^ regs["pc"])
        regs = new
        settled = _ws_nodes(kind, a, p, regs, cyc + 1, cyc < last + t_len, rows)
        for group, x, y in _ws_pairs(kind, settled, nodes):
            total[group] += _pop_sum(x ^ y)
        nodes = settled
    return total


def _pop8(x: npt.NDArray[np.int32]) -> int:
    return _pop_sum(x.view(np.uint32) & np.uint32(0xFF))


def _ws_nodes(kind: str, a: npt.NDArray[np.int32], p: U32, regs: dict[str, npt.NDArray[Any]],
              cyc: int, busy: bool, rows: int) -> list[npt.NDArray[Any]]:
    """[a_in, nets..., s_nxt, c_nxt] of every PE in cycle ``cyc`` (``busy``: before done)."""
    t_len = a.shape[1]
    cols = p.shape[2]
    stream = busy and cyc >= rows
    ti = cyc - rows - np.arange(rows)
    a_ok = stream & (ti >= 0) & (ti < t_len)
    a_feed = a[:, np.clip(ti, 0, t_len - 1), np.arange(rows)] * a_ok
    tj = cyc - rows - np.arange(cols)
    p_ok = stream & (tj >= 0) & (tj < t_len)
    p_feed = p[:, np.clip(tj, 0, t_len - 1), np.arange(cols)] * p_ok.astype(np.uint32)
    a_in = np.concatenate([a_feed[:, :, None], regs["a"][:, :, :-1]], axis=2)
    ps_in = np.concatenate([p_feed[:, None, :], regs["ps"][:, :-1]], axis=1)
    pc_in = np.concatenate([np.zeros_like(p_feed)[:, None, :], regs["pc"][:, :-1]], axis=1)
    mask = np.uint32(0xFFFFFFFF)
    if kind == "mac":
        prod = (a_in * regs["w"]).view(np.uint32)
        nxt = ps_in + prod
        return [a_in, prod & np.uint32(0xFFFF), nxt, nxt, np.zeros_like(nxt)]
    dig = _booth_lut()[a_in + 128]
    pp = [(dig[..., q] * regs["w"]).view(np.uint32) for q in range(arith.DIGITS)]
    return [a_in, *pp, *_tree32(pp, [ps_in, pc_in], mask)]


def _ws_pairs(kind: str, now: list[npt.NDArray[Any]],
              prev: list[npt.NDArray[Any]]) -> list[tuple[str, U32, U32]]:
    if kind == "mac":
        return [("mult", now[1], prev[1]), ("cpa", now[2], prev[2])]
    return ([("ppg", now[q], prev[q]) for q in range(1, 5)]
            + [("csa", now[q], prev[q]) for q in range(5, 13)])


def ws_gemm_folds(a: npt.ArrayLike, b: npt.ArrayLike, rows: int, cols: int) -> list[WsFold]:
    """The folds of C = A[M, K] B[K, N] on a weight-stationary ``rows x cols`` array, in the
    order the benches run them (N folds outer, K folds inner): K on rows, N on columns, all M rows
    streamed; each K fold takes the partial sums of the folds before (32-bit wrap)."""
    aa, bb = arith.as_int8(a, "A"), arith.as_int8(b, "B")
    m, k = aa.shape
    n = bb.shape[1]
    kp, np_ = -(-k // rows) * rows, -(-n // cols) * cols
    ap = np.zeros((m, kp), dtype=np.int64)
    ap[:, :k] = aa
    bp = np.zeros((kp, np_), dtype=np.int64)
    bp[:k, :n] = bb
    folds = []
    prev = np.zeros((rows, cols), dtype=np.int64)
    for n0 in range(0, np_, cols):
        psum = np.zeros((m, cols), dtype=np.int64)
        for k0 in range(0, kp, rows):
            w = bp[k0:k0 + rows, n0:n0 + cols]
            a_tile = ap[:, k0:k0 + rows]
            folds.append(WsFold(a_tile, w, arith.wrap(psum, 32), prev))
            psum = psum + a_tile @ w
            prev = w
    return folds


# --------------------------------------------------------------------------- 3-D cube


def cube_toggles(kind: str, xa: npt.ArrayLike, xb: npt.ArrayLike) -> dict[str, int]:
    """Toggle counts per group of all PEs of the 3-D cube of ``rtl/tpe/tpe_arrays.sv`` (X x Y x Z
    PEs; A moves +z, B +x, partial sums +y; A[i][k] enters through an i + k register delay line,
    B[k][j] through k + j) for the per-cycle input tiles ``xa`` (E, X, Y) and ``xb`` (E, Y, Z),
    from an all-zero state. Tile e is applied right after edge e (as a register would), so PE
    (i, k, j) sees tile ``e - i - j - k`` in cycle e. Counts compare consecutive settled cycles;
    OPT1 reduces {PP0..PP3, s_in, c_in} with the RTL's chain of 3:2 rows (``tpe_csa_n``)."""
    a = arith.as_int8(xa, "A tiles").astype(np.int32)
    b = arith.as_int8(xb, "B tiles").astype(np.int32)
    edges, x, y = a.shape
    z = b.shape[2]
    ii, kk, jj = np.meshgrid(np.arange(x), np.arange(y), np.arange(z), indexing="ij")
    lag = ii + kk + jj
    a_pad = np.concatenate([np.zeros((x + y + z, x, y), dtype=np.int32), a])
    b_pad = np.concatenate([np.zeros((x + y + z, y, z), dtype=np.int32), b])
    off = x + y + z
    zero = np.zeros((x, y, z), dtype=np.uint32)
    ps, pc = zero, zero
    total = dict.fromkeys(GROUPS[kind], 0)
    total.pop("reg_valid")
    prev_nodes = _cube_nodes(kind, np.zeros((x, y, z), np.int32), np.zeros((x, y, z), np.int32),
                             zero, zero)
    prev_ops = (np.zeros((x, y, z), np.int32), np.zeros((x, y, z), np.int32))
    for e in range(edges):
        a_in = a_pad[e - lag + off, ii, kk]
        b_in = b_pad[e - lag + off, kk, jj]
        s_in = np.concatenate([zero[:, :1], ps[:, :-1]], axis=1)
        c_in = np.concatenate([zero[:, :1], pc[:, :-1]], axis=1)
        nodes = _cube_nodes(kind, a_in, b_in, s_in, c_in)
        for group, now, old in _ws_pairs(kind, [a_in, *nodes], [a_in, *prev_nodes]):
            total[group] += _pop_sum(now ^ old)
        # registers at edge e + 1: a_reg/b_reg take a_in/b_in, ps/pc the tree output
        total["reg_operand"] += _pop8(a_in ^ prev_ops[0]) + _pop8(b_in ^ prev_ops[1])
        total["reg_acc"] += _pop_sum(nodes[-2] ^ ps) + _pop_sum(nodes[-1] ^ pc)
        ps, pc = nodes[-2], nodes[-1]
        prev_nodes, prev_ops = nodes, (a_in, b_in)
    return total


def _cube_nodes(kind: str, a_in: npt.NDArray[np.int32], b_in: npt.NDArray[np.int32], s_in: U32,
                c_in: U32) -> list[U32]:
    """MAC [product, adder output, adder output, 0]; OPT1 [PP0..3, the four 3:2 rows' (sum,
    carry) of tpe_csa_n in row order]; the last two are the next (ps, pc)."""
    if kind == "mac":
        prod = (a_in * b_in).view(np.uint32)
        nxt = s_in + prod
        return [prod & np.uint32(0xFFFF), nxt, nxt, np.zeros_like(nxt)]
    dig = _booth_lut()[a_in + 128]
    pp = [(dig[..., q] * b_in).view(np.uint32) for q in range(arith.DIGITS)]
    mask = np.uint32(0xFFFFFFFF)
    s1, c1 = _csa32(pp[3], s_in, c_in, mask)
    s2, c2 = _csa32(pp[2], s1, c1, mask)
    s3, c3 = _csa32(pp[1], s2, c2, mask)
    s4, c4 = _csa32(pp[0], s3, c3, mask)
    return [*pp, s1, c1, s2, c2, s3, c3, s4, c4]


def cube_stream(a: npt.ArrayLike, b: npt.ArrayLike, x: int, y: int,
                z: int) -> tuple[IntArray, IntArray]:
    """Per-cycle input tiles of C = A[M, K] B[K, N] on an X x Y x Z cube: for each output block
    (M blocks outer, N blocks inner) its K tiles back to back, then X + Y + Z zero tiles (drain).
    Shapes (E, X, Y) and (E, Y, Z)."""
    aa, bb = arith.as_int8(a, "A"), arith.as_int8(b, "B")
    m, k = aa.shape
    n = bb.shape[1]
    mb, kb, nb = -(-m // x), -(-k // y), -(-n // z)
    ap = np.zeros((mb * x, kb * y), dtype=np.int64)
    ap[:m, :k] = aa
    bp = np.zeros((kb * y, nb * z), dtype=np.int64)
    bp[:k, :n] = bb
    at = ap.reshape(mb, x, kb, y).transpose(0, 2, 1, 3)  # (mb, kb, x, y)
    bt = bp.reshape(kb, y, nb, z).transpose(2, 0, 1, 3)  # (nb, kb, y, z)
    xa = np.broadcast_to(at[:, None], (mb, nb, kb, x, y)).reshape(-1, x, y)
    xb = np.broadcast_to(bt[None], (mb, nb, kb, y, z)).reshape(-1, y, z)
    tail = x + y + z
    return (np.concatenate([xa, np.zeros((tail, x, y), dtype=np.int64)]),
            np.concatenate([xb, np.zeros((tail, y, z), dtype=np.int64)]))


# --------------------------------------------------------------------------- 2D-matrix

MATRIX_GROUPS = {"mac": ("reg_operand", "reg_acc", "mult", "cpa"),
                 "opt2": ("reg_operand", "reg_acc", "enc", "ppg", "csa", "cpa")}
"""2D-matrix groups: reg_operand = tile registers a_r, b_r (+ OPT2's b_r2 and registered EN-T
codes); reg_acc = acc (MAC) or (s, c) (OPT2); mult = the MAC PE's KT 16-bit products (inside an
always_comb block in the RTL: counted by the model, not readable by a bench); cpa = the MAC PE's
dot-product net (the adder tree's output) or OPT2's read-out adder s + c; enc = OPT2's EN-T
encoder outputs (select + non-zero flags); ppg = its 10-bit PP nets; csa = the 3:2 chain of
``tpe_csa_n``."""


@dataclass(frozen=True)
class TileInputs:
    """Per-cycle inputs of a tile-streaming array: A tiles (E, MT, KT), B tiles (E, KT, NT) and
    the first/last/valid flags (E,) of each tile."""

    a: IntArray
    b: IntArray
    first: IntArray
    last: IntArray
    tvld: IntArray


def matrix_tiles(a: npt.ArrayLike, b: npt.ArrayLike, mt: int, nt: int, kt: int) -> TileInputs:
    """Tile stream of C = A[M, K] B[K, N] on an MT x NT x KT 2D-matrix (M blocks outer, N blocks
    inner, the K tiles of a block in a row flagged first/last), then three idle cycles (the
    pipeline drains)."""
    xa, xb = cube_stream(a, b, mt, kt, nt)
    kb = -(-arith.as_int8(a, "A").shape[1] // kt)
    tiles = xa.shape[0] - (mt + kt + nt)
    pos = np.arange(tiles) % kb
    idle = 3

    def frame(body: IntArray) -> IntArray:
        return np.concatenate([body, np.zeros((idle, *body.shape[1:]), dtype=np.int64)])

    return TileInputs(frame(xa[:tiles]), frame(xb[:tiles]),
                      frame((pos == 0).astype(np.int64)), frame((pos == kb - 1).astype(np.int64)),
                      frame(np.ones(tiles, dtype=np.int64)))


def matrix_toggles(kind: str, t: TileInputs) -> dict[str, int]:
    """Toggle counts per group (:data:`MATRIX_GROUPS`) of the 2D-matrix of
    ``rtl/tpe/tpe_arrays.sv`` (MAC or OPT2) for the tile stream ``t``, from an all-zero state;
    tile e is applied right after edge e. Registers: a_r, b_r <- tile; b_r2 <- b_r; OPT2 codes
    <- encoder(a_r); MAC acc <- (first ? 0 : acc) + dot(a_r, b_r) one edge after a valid tile;
    OPT2 (s, c) <- 3:2 chain {PPs(codes, b_r2), s, c (zero on first)} two edges after it."""
    a = t.a.astype(np.int32)
    b = t.b.astype(np.int32)
    edges, mt, kt = a.shape
    nt = b.shape[2]
    lut = _ent_lut()
    zero_pe = np.zeros((mt, nt), dtype=np.uint32)
    regs: dict[str, npt.NDArray[Any]] = {
        "a_r": np.zeros((mt, kt), np.int32), "b_r": np.zeros((kt, nt), np.int32),
        "b_r2": np.zeros((kt, nt), np.int32), "code": np.zeros((mt, kt), np.int32),
        "s": zero_pe, "c": zero_pe, "f1": np.zeros(3, np.int64), "f2": np.zeros(3, np.int64)}
    total = dict.fromkeys(MATRIX_GROUPS[kind], 0)
    prev = _matrix_nets(kind, regs, lut)
    for e in range(edges):
        if e:  # edge e: registers from the settled cycle before (tile e - 1 applied)
            nets = prev
            new = {"a_r": a[e - 1], "b_r": b[e - 1], "b_r2": regs["b_r"],
                   "code": lut[regs["a_r"] + 128] if kind == "opt2" else regs["code"],
                   "f1": np.array([t.tvld[e - 1], t.first[e - 1], t.last[e - 1]]),
                   "f2": regs["f1"]}
            if kind == "mac":
                upd = regs["f1"][0] == 1
                base = zero_pe if regs["f1"][1] else regs["s"]
                new["s"] = base + nets["cpa"] if upd else regs["s"]
                new["c"] = regs["c"]
            else:
                upd = regs["f2"][0] == 1
                new["s"] = nets["csa"][-2] if upd else regs["s"]
                new["c"] = nets["csa"][-1] if upd else regs["c"]
            total["reg_operand"] += _matrix_operand_flips(kind, new, regs)
            total["reg_acc"] += _pop_sum(new["s"] ^ regs["s"]) + _pop_sum(new["c"] ^ regs["c"])
            regs = new
        nets = _matrix_nets(kind, regs, lut)
        for group in MATRIX_GROUPS[kind][2:]:
            total[group] += sum(_pop_sum(x ^ y) for x, y in
                                zip(_as_list(nets[group]), _as_list(prev[group]), strict=True))
        prev = nets
    return total


def _as_list(x: Any) -> list[U32]:
    return list(x) if isinstance(x, list) else [x]


def _matrix_operand_flips(kind: str, new: dict[str, Any], old: dict[str, Any]) -> int:
    keys = ("a_r", "b_r") if kind == "mac" else ("a_r", "b_r", "b_r2", "code")
    return sum(_pop8(new[k] ^ old[k]) if k != "code" else _pop_sum(
        (new[k] ^ old[k]).view(np.uint32) & np.uint32(0xFFF)) for k in keys)


_ENT_LUT: list[npt.NDArray[np.int32]] = []


def _ent_lut() -> npt.NDArray[np.int32]:
    """``tpe_ent_enc`` outputs of all 256 INT8 values (index a + 128) as one 12-bit code:
    select bits 0..7 (digit j at 2j), non-zero flags 8..11."""
    if not _ENT_LUT:
        enc = arith.ent_encode(np.arange(-128, 128))
        sel = (enc.select << (2 * np.arange(arith.DIGITS))).sum(axis=-1)
        nz = (enc.nonzero << np.arange(arith.DIGITS)).sum(axis=-1) << 8
        _ENT_LUT.append((sel | nz).astype(np.int32))
    return _ENT_LUT[0]


def _matrix_nets(kind: str, regs: dict[str, Any], lut: npt.NDArray[np.int32]) -> dict[str, Any]:
    """Settled nets of every PE from the registers (zero delay)."""
    if kind == "mac":
        prods = regs["a_r"][:, :, None] * regs["b_r"][None, :, :]  # (MT, KT, NT)
        dot = prods.sum(axis=1, dtype=np.int64)
        return {"mult": [(prods[:, q] & 0xFFFF).astype(np.uint32) for q in range(prods.shape[1])],
                "cpa": (dot & 0xFFFFFFFF).astype(np.uint32)}
    code = regs["code"]  # (MT, KT): registered EN-T codes of the previous A tile
    sel = (code[..., None] >> (2 * np.arange(arith.DIGITS))) & 3  # (MT, KT, 4)
    nz = (code[..., None] >> (8 + np.arange(arith.DIGITS))) & 1
    mult = arith.SELECT_MULTIPLIER[sel] * nz  # (MT, KT, 4)
    pp10 = (mult[:, :, :, None] * regs["b_r2"][None, :, None, :].astype(np.int64))  # (MT,KT,4,NT)
    pps = [((pp10[:, q, d, :] << (2 * d)) & 0xFFFFFFFF).astype(np.uint32)
           for q in range(code.shape[1]) for d in range(arith.DIGITS)]  # each (MT, NT)
    first = regs["f2"][1] == 1
    s_in = np.zeros_like(regs["s"]) if first else regs["s"]
    c_in = np.zeros_like(regs["c"]) if first else regs["c"]
    chain = _csa_chain([*pps, s_in, c_in])
    return {"enc": (lut[regs["a_r"] + 128].view(np.uint32) & np.uint32(0xFFF)),
            "ppg": [(pp10[:, q, d, :] & 0x3FF).astype(np.uint32)
                    for q in range(code.shape[1]) for d in range(arith.DIGITS)],
            "csa": chain, "cpa": regs["s"] + regs["c"]}


def _csa_chain(ops: list[U32]) -> list[U32]:
    """``tpe_csa_n``: row t reduces operand N-3-t with the previous row's (sum, carry); the first
    row takes the last three operands. Returns every row's sum and carry in row order."""
    mask = np.uint32(0xFFFFFFFF)
    s, c = _csa32(ops[-3], ops[-2], ops[-1], mask)
    out = [s, c]
    for op in reversed(ops[:-3]):
        s, c = _csa32(op, s, c, mask)
        out += [s, c]
    return out


def matrix_flops(kind: str, mt: int, nt: int, kt: int) -> int:
    """Clocked flops of the 2D-matrix RTL: tile registers, flag pipeline, per-PE accumulators
    and valid bits (OPT2: also b_r2, the registered EN-T codes and the (sum, carry) pairs)."""
    tiles = 8 * kt * (mt + nt) + 3 + mt * nt * (32 + 1)
    if kind == "mac":
        return tiles
    return tiles + 8 * kt * nt + 12 * mt * kt + 3 + 32 * mt * nt


def matrix_gemm_toggles(kind: str, a: npt.ArrayLike, b: npt.ArrayLike, mt: int, nt: int,
                        kt: int) -> dict[str, int]:
    """:func:`matrix_toggles` of :func:`matrix_tiles` (equal by test), vectorised over time: every
    register is a delayed copy of the tile stream except the accumulators; the MAC's is a segmented
    prefix sum, OPT2's (sum, carry) runs one step per K tile over all output blocks at once (the
    blocks are independent: each starts from zero)."""
    t = matrix_tiles(a, b, mt, nt, kt)
    kb = -(-arith.as_int8(a, "A").shape[1] // kt)
    xa, xb = t.a.astype(np.int32), t.b.astype(np.int32)
    a_r = _delay(xa, 1)
    b_r = _delay(xb, 1)
    total = {"reg_operand": _seq_flips8(a_r) + _seq_flips8(b_r)}
    if kind == "mac":
        return {**total, **_matrix_mac_fast(a_r, b_r, t)}
    lut = _ent_lut()
    code = _delay(lut[xa + 128], 2)
    total["reg_operand"] += _seq_flips8(_delay(xb, 2)) + _seq_flips(code & 0xFFF)
    total["enc"] = _seq_flips(lut[a_r + 128] & 0xFFF)
    return {**total, **_matrix_opt2_fast(t, kb, lut)}


def _delay(x: npt.NDArray[np.int32], n: int) -> npt.NDArray[np.int32]:
    """The sequence x delayed by n samples (zeros first), same length."""
    out = np.zeros_like(x)
    out[n:] = x[:-n]
    return out


def _seq_flips(seq: npt.NDArray[np.integer]) -> int:
    """Toggles of a sequence (axis 0) starting from zero."""
    u = np.asarray(seq).astype(np.int64).view(np.uint64)
    return _pop_sum(u[0]) + _pop_sum(u[1:] ^ u[:-1])


def _seq_flips8(seq: npt.NDArray[np.int32]) -> int:
    return _seq_flips(seq & 0xFF)


def _matrix_mac_fast(a_r: npt.NDArray[np.int32], b_r: npt.NDArray[np.int32],
                     t: TileInputs) -> dict[str, int]:
    prods = a_r[:, :, :, None] * b_r[:, None, :, :]  # (T, MT, KT, NT)
    dot = prods.sum(axis=2, dtype=np.int64)  # (T, MT, NT)
    out = {"mult": _seq_flips(prods & 0xFFFF), "cpa": _seq_flips(dot & 0xFFFFFFFF)}
    # tile tau adds dot[tau + 1] (its products settle one cycle after it is applied)
    tiles = len(t.tvld)
    contrib = np.zeros_like(dot)
    contrib[:tiles - 1] = dot[1:] * t.tvld[:-1, None, None]
    csum = np.cumsum(contrib, axis=0)
    idx = np.arange(tiles)
    start = np.maximum.accumulate(np.where((t.first == 1) & (t.tvld == 1), idx, 0))
    base = np.where(start[:, None, None] > 0, csum[np.maximum(start - 1, 0)], 0)
    acc = (csum - base) & 0xFFFFFFFF  # accumulator after each tile (holds when idle)
    out["reg_acc"] = _seq_flips(acc)
    return out


def _matrix_opt2_fast(t: TileInputs, kb: int, lut: npt.NDArray[np.int32]) -> dict[str, int]:
    """OPT2 PP nets, 3:2 chain, (sum, carry) and read-out toggles. Tile tau's chain settles in
    sample tau + 2 from its PPs and the state after tile tau - 1 (zero at a block's first tile);
    consecutive samples are consecutive tiles, so toggles are taken tile to tile: within a block
    in the loop, across block boundaries (first tile vs the previous block's last) after it."""
    tiles = int(t.tvld.sum())
    mt, kt = t.a.shape[1:]
    nt = t.b.shape[2]
    blocks = tiles // kb
    code = lut[t.a[:tiles].astype(np.int32) + 128].reshape(blocks, kb, mt, kt)
    bb = t.b[:tiles].astype(np.int64).reshape(blocks, kb, kt, nt)
    sel = (code[..., None] >> (2 * np.arange(arith.DIGITS))) & 3  # (B, kb, MT, KT, 4)
    nz = (code[..., None] >> (8 + np.arange(arith.DIGITS))) & 1
    mult = (arith.SELECT_MULTIPLIER[sel] * nz).astype(np.int64)
    zero = np.zeros((blocks, mt, nt), dtype=np.uint32)
    counts = {"ppg": 0, "csa": 0, "reg_acc": 0, "cpa": 0}
    ends: dict[str, list[list[U32]]] = {}
    state = [zero, zero]
    prev: list[list[U32]] = []
    for p in range(kb):
        pp10 = mult[:, p, :, :, :, None] * bb[:, p, None, :, None, :]  # (B, MT, KT, 4, NT)
        pp = [(pp10[:, :, q, d, :] & 0x3FF).astype(np.uint32)
              for q in range(kt) for d in range(arith.DIGITS)]
        ops = [((pp10[:, :, q, d, :] << (2 * d)) & 0xFFFFFFFF).astype(np.uint32)
               for q in range(kt) for d in range(arith.DIGITS)]
        nodes = _csa_chain([*ops, *(state if p else [zero, zero])])
        now = [pp, nodes, nodes[-2:], [nodes[-2] + nodes[-1]]]
        if p:
            for group, x, y in zip(("ppg", "csa", "reg_acc", "cpa"), now, prev, strict=True):
                counts[group] += sum(_pop_sum(u ^ v) for u, v in zip(x, y, strict=True))
        else:
            ends["first"] = now
        state, prev = nodes[-2:], now
    ends["last"] = prev
    for n, group in enumerate(("ppg", "csa", "reg_acc", "cpa")):
        counts[group] += sum(_pop_sum(u ^ _prev_block(v)) for u, v in
                             zip(ends["first"][n], ends["last"][n], strict=True))
    # the idle sample after the last tile: no PPs, the last state (not cleared)
    last = [x[-1:] for x in ends["last"][1]]
    idle = _csa_chain([zero[-1:]] * (kt * arith.DIGITS) + last[-2:])
    counts["csa"] += sum(_pop_sum(x ^ y) for x, y in zip(idle, last, strict=True))
    counts["ppg"] += sum(_pop_sum(y[-1:]) for y in ends["last"][0])
    return counts


def _prev_block(x: U32) -> U32:
    """Per block, the same array of the block before (zero before the first)."""
    return np.concatenate([np.zeros_like(x[:1]), x[:-1]])
