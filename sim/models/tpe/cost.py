"""Component inventories, per-cycle actions and critical paths of the TPE PE variants.

Every design is built from a handful of primitives whose area (um^2), energy per action (pJ) and
delay (ps) are rows of ``sim/tech/tables/tpe.yaml``; no constant lives here:

=============  ===========================================  ==================
component      what one instance is                         ledger action
=============  ===========================================  ==================
``tpe.ff``     one flip-flop bit                             ``tpe.ff.clock``
``tpe.fa``     one 3:2 counter (full adder) of a CSA tree    ``tpe.fa.op``
``tpe.cpa``    one bit of a carry-propagate adder            ``tpe.cpa.op``
``tpe.ppg``    one bit of a radix-4 PP selector (Booth/EN-T)  ``tpe.ppg.op``
``tpe.enc``    one radix-4 digit encoder (Booth or EN-T)      ``tpe.enc.op``
``tpe.mux``    one bit of a 4:1 select                       ``tpe.mux.op``
``tpe.and``    one AND/one-hot decode gate                   ``tpe.and.op``
=============  ===========================================  ==================

Counts are structural: the FA count of a reduction comes from :func:`reduce_columns` applied to
the bit columns of its operands (Wallace 3:2 rows, carries into the next column, truncated at the
width), so the count and the logic depth follow the widths, not a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.core.errors import SimError

PRIMITIVES = ("ff", "fa", "cpa", "ppg", "enc", "mux", "and")
ACTION = {"ff": "clock", "fa": "op", "cpa": "op", "ppg": "op", "enc": "op", "mux": "op",
          "and": "op"}
PP_BITS = 11
"""Bits of one radix-4 PP with the sign-extension trick: 10-bit {0, +-B, +-2B} + inverted sign."""


@dataclass(frozen=True)
class Operand:
    """A row of bits entering a reduction: columns ``lsb .. lsb + width - 1``."""

    lsb: int
    width: int


def column_heights(operands: list[Operand], width: int) -> list[int]:
    """Bits per column 0..width-1 contributed by the operands (columns >= width are dropped)."""
    heights = [0] * width
    for op in operands:
        for c in range(op.lsb, min(op.lsb + op.width, width)):
            heights[c] += 1
    return heights


DADDA_HEIGHTS = (2, 3, 4, 6, 9, 13, 19, 28, 42, 63, 94, 141, 211, 316)


def dadda_levels(max_height: int) -> int:
    """3:2 levels needed to reduce columns of ``max_height`` bits to two rows (Dadda)."""
    if max_height > DADDA_HEIGHTS[-1]:
        raise SimError(f"reduction of {max_height} rows is beyond the model's range")
    return sum(1 for d in DADDA_HEIGHTS if d < max_height)


def reduce_columns(heights: list[int]) -> tuple[int, int]:
    """Reduction of bit columns to at most two rows: (full adders, 3:2 levels).

    The FA count follows Wallace rows (every triple in a column becomes a sum bit in the column
    and a carry in the next one; carries past the top column are dropped, i.e. mod 2^width);
    the depth is Dadda's, which a synthesis tool reaches by placing late carries.
    """
    h = list(heights)
    fas = 0
    guard = 0
    while h and max(h) > 2 and guard < 64:
        new = [0] * len(h)
        for c, x in enumerate(h):
            f = x // 3
            fas += f
            new[c] += x - 2 * f
            if c + 1 < len(h):
                new[c + 1] += f
        h = new
        guard += 1
    return fas, dadda_levels(max(heights) if heights else 0)


def booth_pps(rows: int = 4) -> list[Operand]:
    """Operands of ``rows`` radix-4 PPs with the sign-extension trick (the constant row it
    needs is folded into the tree: constant-1 inputs turn FAs into half adders)."""
    return [Operand(2 * i, PP_BITS) for i in range(rows)]


def cpa_levels(width: int) -> int:
    """Logic levels of a parallel-prefix CPA of ``width`` bits: ceil(log2(width))."""
    return max(1, math.ceil(math.log2(max(width, 2))))


@dataclass
class Block:
    """A hardware block: primitive instance counts, actions per active cycle, critical path.

    ``counts``: primitive -> instances; ``activity``: primitive -> actions per cycle (defaults
    to one per instance); ``path``: delay row -> how many times it lies on the critical path.
    """

    name: str
    counts: dict[str, float] = field(default_factory=dict)
    activity: dict[str, float] = field(default_factory=dict)
    path: dict[str, float] = field(default_factory=dict)

    def add(self, prim: str, n: float, active: float | None = None) -> Block:
        """Add ``n`` instances of a primitive, ``active`` of them acting per cycle (default n)."""
        if prim not in PRIMITIVES:
            raise SimError(f"unknown primitive {prim!r}", accepted=", ".join(PRIMITIVES))
        self.counts[prim] = self.counts.get(prim, 0.0) + n
        self.activity[prim] = self.activity.get(prim, 0.0) + (n if active is None else active)
        return self

    def scaled(self, factor: float, name: str | None = None) -> Block:
        """This block replicated ``factor`` times (same critical path)."""
        return Block(name or self.name, {k: v * factor for k, v in self.counts.items()},
                     {k: v * factor for k, v in self.activity.items()}, dict(self.path))

    def merged(self, other: Block, name: str | None = None) -> Block:
        """Union of two blocks (counts and activities add); keeps this block's critical path."""
        out = Block(name or self.name, dict(self.counts), dict(self.activity), dict(self.path))
        for k, v in other.counts.items():
            out.counts[k] = out.counts.get(k, 0.0) + v
        for k, v in other.activity.items():
            out.activity[k] = out.activity.get(k, 0.0) + v
        return out

    def inventory(self) -> dict[str, float]:
        """Component -> instance count, keyed like the tech table (``tpe.<primitive>``)."""
        return {f"tpe.{k}": v for k, v in sorted(self.counts.items()) if v}

    def actions(self, cycles: float = 1.0) -> dict[str, float]:
        """Ledger counts (``tpe.<primitive>.<action>``) for ``cycles`` active cycles."""
        return {f"tpe.{k}.{ACTION[k]}": v * cycles for k, v in sorted(self.activity.items()) if v}


def reduction(block: Block, operands: list[Operand], width: int) -> int:
    """Add a CSA reduction of ``operands`` at ``width`` bits to ``block``; return its levels."""
    fas, levels = reduce_columns(column_heights(operands, width))
    block.add("fa", fas)
    return levels


def _path(**stages: float) -> dict[str, float]:
    return {f"tpe.{k}": float(v) for k, v in stages.items() if v}


# --------------------------------------------------------------------------- PE variants


def mac_pe(acc_bits: int = 32, operand_regs: int = 16) -> Block:
    """Baseline MAC PE: operand registers, Booth multiplier merged with the accumulator adder
    (4 PPs + constant + acc reduced to two rows), ``acc_bits`` CPA, accumulator register."""
    b = Block("mac_pe").add("ff", operand_regs + acc_bits).add("enc", 4).add("ppg", 4 * PP_BITS)
    levels = reduction(b, [*booth_pps(), Operand(0, acc_bits)], acc_bits)
    b.add("cpa", acc_bits)
    b.path = _path(ff=1, enc=1, ppg=1, fa=levels, cpa=cpa_levels(acc_bits))
    return b


def opt1_pe(acc_bits: int = 32, operand_regs: int = 16) -> Block:
    """OPT1 PE: Booth PPs, one CSA tree over {4 PPs, constant, acc_sum, acc_carry}, both
    accumulator vectors registered; no CPA in the loop (fused once per output, outside)."""
    b = Block("opt1_pe").add("ff", operand_regs + 2 * acc_bits).add("enc", 4)
    b.add("ppg", 4 * PP_BITS)
    levels = reduction(b, [*booth_pps(), Operand(0, acc_bits), Operand(0, acc_bits)],
                       acc_bits)
    b.path = _path(ff=1, enc=1, ppg=1, fa=levels)
    return b


def fuse_cpa(width: int) -> Block:
    """The carry-propagate adder that fuses a (sum, carry) pair, with its result register."""
    b = Block("fuse").add("cpa", width).add("ff", width)
    b.path = _path(ff=1, cpa=cpa_levels(width))
    return b


def multi_operand_adder(n_ops: int, width: int, name: str = "adder") -> Block:
    """A registered ``n_ops``-input adder of ``width`` bits: CSA rows then one CPA."""
    b = Block(name).add("ff", width)
    levels = reduction(b, [Operand(0, width)] * n_ops, width)
    b.add("cpa", width)
    b.path = _path(ff=1, fa=levels, cpa=cpa_levels(width))
    return b


def booth_multiplier(product_bits: int = 16, registered: bool = True) -> Block:
    """A stand-alone Booth 8x8 multiplier with its own CPA (and product register)."""
    b = Block("mult").add("enc", 4).add("ppg", 4 * PP_BITS)
    levels = reduction(b, booth_pps(), product_bits)
    b.add("cpa", product_bits)
    if registered:
        b.add("ff", product_bits)
    b.path = _path(ff=1, enc=1, ppg=1, fa=levels, cpa=cpa_levels(product_bits))
    return b


ENT_NEGATE_BITS = 8
"""Sign-magnitude conversion of an EN-T operand encoder: an 8-bit conditional negate (CPA bits)."""


def ent_operand_encoders(block: Block, operands: int) -> Block:
    """Add ``operands`` EN-T encoders: |a| (8-bit conditional negate) + 4 digit encoders each."""
    return block.add("cpa", ENT_NEGATE_BITS * operands).add("enc", 4 * operands)


def ent_encoder(operands: int) -> Block:
    """Shared EN-T vector encoder: ``operands`` INT8 inputs -> 4 x (2-bit select + flag) each,
    registered input and output (reference section 5, three register stages collapsed to two)."""
    b = ent_operand_encoders(Block("ent_encoder").add("ff", operands * (8 + 12)), operands)
    b.path = _path(ff=1, enc=1)
    return b


def opt2_column(k: int = 16, inter_bits: int = 14, dot_bits: int = 20) -> Block:
    """OPT2 column (one output n): K stationary weights, 4K registered PPs from the broadcast
    encoded A row, per digit two levels of 4-input adders at ``inter_bits``, final shift-add."""
    b = Block("opt2_col").add("ff", k * 8).add("ppg", 4 * k * (PP_BITS - 1))
    b.add("ff", 4 * k * (PP_BITS - 1))  # registered PPs
    groups = max(1, math.ceil(k / 4))
    for _ in range(4):  # digit positions j
        b = b.merged(multi_operand_adder(4, inter_bits).scaled(groups))
        b = b.merged(multi_operand_adder(groups, inter_bits))
    final = Block("final")
    lv = reduction(final, [Operand(2 * j, inter_bits) for j in range(4)], dot_bits)
    final.add("cpa", dot_bits).add("ff", dot_bits)
    b = b.merged(final, "opt2_col")
    stage = _path(ff=1, fa=lv, cpa=cpa_levels(dot_bits))
    b.path = stage
    return b


def mux4_tree(inputs: int) -> int:
    """4:1 select cells per bit of an ``inputs``:1 multiplexer."""
    return max(0, math.ceil((inputs - 1) / 3))


LOCAL_K = 16
"""k-lanes of A held by a bit-slice column at a time (the RTL's K; B read by lane index)."""


def opt3_pe(acc_bits: int = 26, own_encoder: bool = True, local_k: int = LOCAL_K) -> Block:
    """OPT3 sparsity-encoded bit-serial PE: B[k] picked by the lane index from the local
    ``local_k`` values, registered select and B, candidate {+-B, +-2B} 4:1 mux, one 3:2 CSA row
    into registered (sum, carry).

    ``own_encoder``: the PE carries its own sparse encoder (OPT3); OPT4C shares it per column.
    """
    b = Block("opt3_pe" if own_encoder else "opt4c_pe")
    b.add("ff", 2 * acc_bits + 3 + 8)  # (sum, carry), select + valid, B
    b.add("mux", PP_BITS - 1 + 8 * mux4_tree(local_k))  # candidate select, B lane select
    b.add("fa", acc_bits)  # one 3:2 row
    if own_encoder:
        b = b.merged(sparse_encoder(local_k=local_k), b.name)
    b.path = _path(ff=1, mux=1, fa=1)
    return b


def sparse_encoder(group: int = 4, local_k: int = LOCAL_K, ways: int = 1) -> Block:
    """Sparse encoder + schedule counters: EN-T encoders of the ``local_k`` A values (A is not
    pre-encoded), per way the current group's flags and selects picked by digit and group,
    a remaining-lanes mask, priority pick, registered step (select, lane, flags), row/digit/group
    counters."""
    b = ent_operand_encoders(Block("sparse_encoder"), local_k)
    candidates = 4 * max(1, local_k // (group * ways))  # (digit, group) pairs one way reads
    b.add("mux", ways * group * 3 * mux4_tree(candidates))
    b.add("ff", ways * (group + 2 + 1 + 8) + 8 + 2 + 8 + 4)
    b.add("and", ways * 6 * group)
    b.path = _path(ff=1, mux=2, **{"and": 3})
    return b


def bitserial_post(acc_bits: int = 26, out_bits: int = 32) -> Block:
    """Per-output pass fuse (``acc_bits`` CPA), shift by 2j and ``out_bits`` accumulation.

    Acts once per digit pass, so its activity is set per pass by the caller (zero here)."""
    b = Block("post")
    b.add("cpa", acc_bits + out_bits, active=0).add("ff", out_bits, active=0)
    b.path = _path(ff=1, cpa=cpa_levels(out_bits))
    return b


def opt4e_group(acc_bits: int = 26, ways: int = 4) -> Block:
    """OPT4E: ``ways`` candidate generators + muxes feeding one shared compressor
    {``ways`` PPs, sum, carry} and one (sum, carry) register pair."""
    b = Block("opt4e_group").add("ff", 2 * acc_bits + ways * (3 + 8))
    # with ways x 4 lanes = LOCAL_K every way reads B from its own group of 4 lanes
    b.add("mux", ways * (PP_BITS - 1 + 8 * mux4_tree(max(4, LOCAL_K // ways))))
    levels = reduction(b, [Operand(0, acc_bits)] * (ways + 2), acc_bits)
    b.path = _path(ff=1, mux=1, fa=levels)
    return b


def laconic_pe(lanes: int = 16, out_bits: int = 32) -> Block:
    """Laconic-style term-serial PE: per lane registered term lists of both operands (4 terms x
    (3-bit exponent + sign), 2 operands), a 4-bit exponent adder and a one-hot decoder; per PE
    16 bit-position population counters over the lanes, histogram registers, final shift-add."""
    positions = 16
    b = Block("laconic_pe").add("ff", lanes * 2 * 4 * 4)
    b.add("fa", lanes * 4).add("and", lanes * positions)
    count_bits = max(1, math.ceil(math.log2(lanes + 1)))
    b.add("fa", positions * (lanes - count_bits))  # per position popcount tree of the lanes
    b.add("ff", positions * 8)  # per-position histogram counters
    b.add("cpa", positions * 8)  # counter increments
    b.add("cpa", out_bits).add("ff", out_bits)  # final shift-add
    levels = dadda_levels(lanes)
    b.path = _path(ff=1, fa=1 + levels, **{"and": 2}, cpa=cpa_levels(8))
    return b
