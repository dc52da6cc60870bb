"""Analytic gate inventory of the NE16-style engine slice (``ne16_engine`` in
``rtl/gap9/ne16_slice.sv``), in tech-table components.

This is the count an architect makes from the engine's block diagram: storage bits (``reg``),
adder trees as carry-save rows of full adders (``fa``) plus one carry-propagate adder
(``add_int<w>``), multipliers (``mult_int<a>x<b>``), comparators (``cmp_int<w>``), selects
(``mux2``) and gating (``and2``). Widths follow the engine's parameters; no count is fitted to
synthesis. ``sim rtl synth gap9`` sets it beside Yosys' netlist of the same engine, and the gap9
model takes NE16's area from it (:func:`ne16_inventory`); its energy still comes from GAP9's
published power (``sim/tech/tables/gap9.yaml``), not from gates.
"""

from __future__ import annotations

from math import ceil, log2

from sim.models.gap9.cycles import K_SUB

Inventory = dict[str, float]

ACC_BITS = 32
"""Accumulator width (bits)."""
STREAM_LANES = 32
"""Normquant lanes of a streamout beat (256-bit beat of 8-bit outputs)."""
OUT_CHANNELS_PER_BEAT = (32, 16, 8)
"""Channels per 256-bit beat at 8-, 16- and 32-bit outputs."""
CONTROL_REG_BITS = 4 + 16 + 5 + 7 + 4 + 16 + 4 + 2
"""state, cnt, nin, kk, bb, pix, beat, done and o_valid (bits)."""
NE16_SIDE = 3
"""NE16 computes 3 x 3 output pixels (9 columns) at a time."""
NE16_LANES = 16
"""NE16's input channels per cycle and tap."""


def _merge(*parts: Inventory) -> Inventory:
    out: Inventory = {}
    for part in parts:
        for key, n in part.items():
            out[key] = out.get(key, 0.0) + n
    return out


def _times(part: Inventory, n: float) -> Inventory:
    return {key: v * n for key, v in part.items()}


def _bits(max_value: int) -> int:
    """Bits of an unsigned value up to ``max_value``."""
    return max(1, max_value.bit_length())


def adder_tree(operands: int, width: int) -> Inventory:
    """Sum of ``operands`` unsigned ``width``-bit values: (operands - 2) carry-save rows of
    ``width`` full adders, then one carry-propagate adder of the result width."""
    if operands < 2:
        return {}
    out_width = width + ceil(log2(operands))
    rows = {"fa": float((operands - 2) * width)} if operands > 2 else {}
    return _merge(rows, {f"add_int{out_width}": 1.0})


def _slot_candidates(kmax: int, slot: int, stride: int) -> int:
    """Channels slot, slot + stride, ... below kmax: the inputs of one read select."""
    return max(0, ceil((kmax - slot) / stride))


def _select(candidates: int, width: int) -> Inventory:
    """A ``candidates``-to-1 select of ``width`` bits as a mux2 tree."""
    return {"mux2": float(max(0, candidates - 1) * width)}


def column_inventory(lanes: int, kmax: int) -> Inventory:
    """One output pixel (``ne16_column``): 9 x lanes 1x8-bit products, their per-tap and total
    sums, the weight-offset sum and product, and kmax accumulators with MV / scale / bias update
    and the normquant shifters (4 on the 40-bit products, 8 after the bias add)."""
    tap_sum_bits = _bits(lanes * 255)
    offset_sum_bits = _bits(9 * lanes * 255)
    acc = ACC_BITS
    reads = [_select(_slot_candidates(kmax, j, 4), acc) for j in range(8)]
    return _merge(
        {"and2": 2.0 * 9 * lanes * 8},                          # weight and offset-sum gating
        _times(adder_tree(lanes, 8), 9),                        # per-tap product sums
        adder_tree(9, tap_sum_bits),                            # 3x3: taps summed
        adder_tree(8, tap_sum_bits),                            # 1x1: taps weighted 2^t
        adder_tree(9 * lanes, 8),                               # weight-offset input sum
        {"mux2": float(acc + acc * 4)},                         # 1x1 select, shift by bb
        {f"mult_int{acc}x{offset_sum_bits}": 1.0, "and2": float(acc)},  # woff x sum, first bit
        adder_tree(3, acc),                                     # acc + products + offset
        *reads, _select(4, acc),                                # 8 read slots, MV slot
        {f"mult_int{acc}x8": 4.0, "mux2": 4.0 * acc},           # NQM: 4 scales, bias_en select
        _times(quant_inventory(acc + 8), 4),                    # NQM shifters (no bias)
        {f"add_int{acc}": 8.0},                                 # NQB: 8 bias adds (wrapping)
        _times(quant_inventory(acc), 8),                        # NQB shifters
        {"reg": float(kmax * acc), "mux2": 2.0 * kmax * acc, "and2": float(kmax * acc)},
    )


def quant_inventory(width: int) -> Inventory:
    """One normquant shifter (``ne16_quant``) on a ``width``-bit value: rounding add and
    saturation, ReLU, arithmetic shift by 0..31, clipping to the output width."""
    return {f"add_int{width + 1}": 1.0, f"cmp_int{width + 1}": 1.0, f"cmp_int{width}": 2.0,
            "and2": float(width), "mux2": float((width + 1) + 5 * width + 2 * width)}


def ne16_inventory(prefix: str = "ne16.") -> Inventory:
    """NE16 at its geometry (3 x 3 output pixels, 16 input lanes, 32 output channels per
    subtile) for the gap9 model's area, keys prefixed with the unit (``ne16.fa``, ...)."""
    inventory = engine_inventory(NE16_SIDE, NE16_LANES, K_SUB)
    return {prefix + key: n for key, n in inventory.items()}


def engine_inventory(side: int, lanes: int, kmax: int) -> Inventory:
    """The engine (``ne16_engine``) at SIDE x SIDE columns, LANES lanes, KMAX channels."""
    cols = side * side
    window = (side + 2) ** 2
    pixel_bits = lanes * 8
    acc = ACC_BITS
    lane_selects = []
    for j in range(STREAM_LANES):
        n = sum(_slot_candidates(kmax, j, per_beat) for per_beat in OUT_CHANNELS_PER_BEAT
                if j < per_beat)
        lane_selects.append(_merge(_select(n, acc), {"and2": float(acc)}))
    return _merge(
        _times(column_inventory(lanes, kmax), cols),
        {"reg": float(window * pixel_bits)},                    # input window shift register
        {"mux2": float(cols * 9 * pixel_bits + 2 * 9 * lanes)},  # 1x1 tap select, bit masks
        _select(cols, kmax * acc),                              # streamout pixel row
        *lane_selects,
        {"mux2": 2.0 * 256, "reg": 256.0 + CONTROL_REG_BITS},   # beat packing, o_data, control
        {"add_int16": 8.0, "cmp_int16": 6.0, "mult_int7x4": 1.0, "mult_int7x5": 1.0,
         "mult_int12x4": 1.0},                                  # counters, lengths, addresses
    )
