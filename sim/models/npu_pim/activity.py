"""Switching activity of the PIM bank GEMV unit (``rtl/pim/pim_gemv.sv``), int8 and fp16 builds.

Sample ``t``: one COMP beat (``lanes`` operand pairs as 16-bit words, ``vld[t]``, ``last[t]``)
is applied and sampled by one rising edge; every register is read after it. The unit is a
pipeline plus one accumulator:

* ``lvl0`` (the product registers, 32 bits per lane) = products of the beat sampled at ``t``
  (the RTL multiplies whatever is on the bus, valid or not);
* ``lvl_k`` (tree level k, ``lanes >> k`` 32-bit registers) = level-k pair sums of the beat
  sampled at ``t - k``: a delayed copy of the beat's partial sums, so its toggles are those of
  the undelayed sequence when the window starts and ends with the pipeline holding zeros;
* ``v``, ``l`` (valid / valid-and-last shift registers), ``res_valid``;
* ``acc`` / ``res``: one accumulate per valid beat, ``res`` and a cleared ``acc`` on the last.

The fp16 build multiplies exactly into fp32 and adds in IEEE binary32 with round-to-nearest-even;
numpy's float32 arithmetic is that arithmetic, and every NaN is the canonical quiet NaN.

Groups: ``reg_mult`` (lvl0), ``reg_tree`` (lvl1..), ``reg_acc`` (acc), ``reg_out`` (res,
res_valid), ``reg_ctrl`` (v, l). Every register's input is the output of its multiplier or adder,
so the nets switch as often as the registers they feed (a zero-delay view; glitches unseen).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.npu_pim.arith import CANONICAL_NAN, tree_levels

U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]
GROUPS = ("reg_mult", "reg_tree", "reg_acc", "reg_out", "reg_ctrl")
ACTIONS = {"reg_mult": ("pim.reg.toggle_bit", "pim.mult_{mode}.toggle_bit"),
           "reg_tree": ("pim.reg.toggle_bit", "pim.add_{acc}.toggle_bit"),
           "reg_acc": ("pim.reg.toggle_bit", "pim.add_{acc}.toggle_bit"),
           "reg_out": ("pim.reg.toggle_bit",), "reg_ctrl": ("pim.reg.toggle_bit",)}
"""Ledger actions per group toggle: the register bit, plus the multiplier / adder output bit that
drives it (the product and sum nets switch with the registers they feed); ``mode`` is fp16 or
int8, ``acc`` fp32 or int32 (rows in npu_pim.yaml)."""
CLOCK_ACTION = "pim.ff.clock_bit"
TRACE = Path(__file__).resolve().parents[3] / "workloads" / "traces" / "minilm-l6.npz"
TRACE_GEMV = "encoder.layer.0.attention.self.query"
"""A weight GEMM of the committed MiniLM trace (A = INT8 activations, B = INT8 weights)."""


@dataclass(frozen=True)
class BeatStream:
    """Per-sample inputs: ``a``, ``b`` (T, lanes) 16-bit words, ``vld``/``last`` (T,) 0/1.
    It must end with at least ``log2(lanes) + 2`` idle samples with zero operands."""

    a: U16
    b: U16
    vld: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]


def beat_stream(commands: list[tuple[U16, U16]], lanes: int) -> BeatStream:
    """Commands (a, b of shape (beats, lanes)) streamed back to back, then the idle tail."""
    tail = tree_levels(lanes) + 2
    a = [c[0] for c in commands] + [np.zeros((tail, lanes), dtype=np.uint16)]
    b = [c[1] for c in commands] + [np.zeros((tail, lanes), dtype=np.uint16)]
    vld = [np.ones(c[0].shape[0], dtype=np.int64) for c in commands]
    last = [np.arange(c[0].shape[0]) == c[0].shape[0] - 1 for c in commands]
    return BeatStream(np.concatenate(a).astype(np.uint16), np.concatenate(b).astype(np.uint16),
                      np.concatenate([*vld, np.zeros(tail, dtype=np.int64)]),
                      np.concatenate([*last, np.zeros(tail, dtype=bool)]).astype(np.int64))


def gemv_toggles(s: BeatStream, fp16: bool) -> dict[str, int]:
    """Toggle counts per group (:data:`GROUPS`) of the unit on stream ``s``, from the all-zero
    state after reset."""
    lanes = s.a.shape[1]
    levels = tree_levels(lanes)
    if s.vld[-(levels + 2):].any() or s.a[-(levels + 2):].any() or s.b[-(levels + 2):].any():
        raise SimError(f"the beat stream must end with {levels + 2} idle zero samples")
    level = _products(s.a, s.b, fp16)  # (T, lanes)
    out = {"reg_mult": _flips(level)}
    tree = 0
    while level.shape[1] > 1:
        level = _add(level[:, 0::2], level[:, 1::2], fp16)
        tree += _flips(level)
    out["reg_tree"] = tree
    sums = level[:, 0][s.vld == 1]
    acc, res = _accumulate(sums, s.last[s.vld == 1] == 1, fp16)
    out["reg_acc"] = _flips(acc[:, None])
    fire = (s.vld & s.last).astype(np.uint32)
    out["reg_out"] = _flips(res[:, None]) + _flips(fire[:, None])
    out["reg_ctrl"] = _flips(_shift_reg(s.vld.astype(np.uint32), levels + 1)) + _flips(
        _shift_reg(fire, levels + 1))
    return out


def _shift_reg(bit: U32, width: int) -> U32:
    """Values of a ``width``-bit shift register fed ``bit`` each sample (newest at bit 0)."""
    out = np.zeros(bit.size, dtype=np.uint32)
    for d in range(width):
        out[d:] |= bit[:bit.size - d] << np.uint32(d)
    return out


def _products(a: U16, b: U16, fp16: bool) -> U32:
    """lvl0 bits: exact fp32 products of fp16 words, or sign-extended int8 x int8 products."""
    if fp16:
        with np.errstate(invalid="ignore", over="ignore"):
            p = a.view(np.float16).astype(np.float32) * b.view(np.float16).astype(np.float32)
        return _canonical(p)
    lo_a = (a & 0xFF).astype(np.uint8).view(np.int8).astype(np.int32)
    lo_b = (b & 0xFF).astype(np.uint8).view(np.int8).astype(np.int32)
    return (lo_a * lo_b).view(np.uint32)


def _add(x: U32, y: U32, fp16: bool) -> U32:
    """32-bit adds of bit patterns: IEEE binary32 (RNE, canonical NaN) or wrapping integers."""
    if fp16:
        with np.errstate(invalid="ignore", over="ignore"):
            return _canonical(x.view(np.float32) + y.view(np.float32))
    return x + y


def _canonical(x: npt.NDArray[np.float32]) -> U32:
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).copy()
    bits[np.isnan(x)] = CANONICAL_NAN
    return bits


def _accumulate(sums: U32, last: npt.NDArray[np.bool_], fp16: bool) -> tuple[U32, U32]:
    """acc after each valid beat and res after each command, vectorised over the commands: one
    numpy step per beat position (commands are independent, each starts from acc = 0)."""
    ends = np.flatnonzero(last)
    if ends.size == 0 or ends[-1] != sums.size - 1:
        raise SimError("every command's last beat must be flagged")
    starts = np.concatenate([[0], ends[:-1] + 1])
    length = ends - starts + 1
    acc = np.zeros(sums.size, dtype=np.uint32)
    run = np.zeros(ends.size, dtype=np.uint32)
    for j in range(int(length.max())):
        live = j < length
        run[live] = _add(run[live], sums[starts[live] + j], fp16)
        acc[starts[live] + j] = run[live]
    res = acc[ends].copy()
    acc[ends] = 0
    return acc, res


def _flips(seq: npt.NDArray[np.unsignedinteger]) -> int:
    """Bit toggles of a sequence of register values (axis 0) that starts from zero."""
    u = np.asarray(seq).astype(np.uint64)
    return int(np.bitwise_count(u[0]).sum() + np.bitwise_count(u[1:] ^ u[:-1]).sum())


def flops(lanes: int) -> int:
    """Clocked flops of the unit: lvl0 and the tree registers (32 bits each), acc, res,
    res_valid and the two (levels + 1)-bit shift registers."""
    levels = tree_levels(lanes)
    return 32 * (2 * lanes - 1) + 64 + 1 + 2 * (levels + 1)


def toggle_ledger(toggles: dict[str, int], clocked_bits: float,
                  fp16: bool) -> dict[str, float]:
    """Ledger of an activity run: per group toggle its actions (:data:`ACTIONS`), plus
    ``clocked_bits`` flop-cycles (no clock gating)."""
    out: dict[str, float] = {CLOCK_ACTION: float(clocked_bits)}
    names = {"mode": "fp16", "acc": "fp32"} if fp16 else {"mode": "int8", "acc": "int32"}
    for group, count in toggles.items():
        for action in ACTIONS[group]:
            key = action.format(**names)
            out[key] = out.get(key, 0.0) + float(count)
    return out


def trace_commands(lanes: int, beats: int, count: int, fp16: bool,
                   path: Path = TRACE) -> list[tuple[U16, U16]]:
    """``count`` COMPS_READRES commands of ``beats`` beats from the committed MiniLM trace:
    command i is activation row 0 against weight column i over the first ``beats * lanes``
    inputs; int8 values sit in the low byte (int8 build) or are converted to fp16 (exact)."""
    if not path.is_file():
        raise SimError(f"MiniLM trace {path} is missing")
    with np.load(path) as data:
        act, w = data[f"{TRACE_GEMV}.a"], data[f"{TRACE_GEMV}.b"]
    k = beats * lanes
    return [(_words(np.asarray(act[0, :k]), fp16).reshape(beats, lanes),
             _words(np.asarray(w[:k, i]), fp16).reshape(beats, lanes)) for i in range(count)]


def _words(x: npt.NDArray[np.integer], fp16: bool) -> U16:
    """16-bit bus words of int8 values: fp16 bit patterns or the int8 byte."""
    if fp16:
        return x.astype(np.float16).view(np.uint16)
    return (x.astype(np.int64) & 0xFF).astype(np.uint16)
