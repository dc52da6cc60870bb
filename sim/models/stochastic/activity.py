"""Switching activity of the Roberts units of ``rtl/sc``: the stochastic one (``sc_roberts.sv``)
and the binary one (``bin_roberts.sv``), from the actual pixels.

Stochastic unit, pixels streamed back to back (``in_valid`` held high) from reset; samples are
the register values after each rising edge from the edge that accepts pixel 0 (E0), and the nets
settled after it (zero delay). Pixel p occupies samples pN .. pN + N - 1 (local cycle t): input
registers = pixel p, LFSRs = R_t (reloaded with their seeds at every accept), t, cnt = sum of y
over the cycles before t, busy; ``out_valid`` pulses and ``out_count`` takes pixel p - 1's count
at t = 0. After the last pixel one more edge ends it (the LFSRs step once more, busy falls,
out_valid pulses) and the unit idles. Every pixel sees the same LFSR sequence, so the whole image
is computed as (pixels, N) arrays.

Groups: ``reg_input`` (ra, rb, rc, rd), ``reg_lfsr`` (the three LFSR states), ``reg_count``
(cnt and the cycle counter t), ``reg_ctrl`` (busy, out_valid), ``reg_out`` (out_count), ``sng``
(the five comparator outputs: the SNG bits a, b, c, d and the select), ``core`` (y), and
``xor`` (a ^ d, b ^ c: inside the core's expression, not readable by a bench).

Binary unit, one window per cycle then idle cycles with zero inputs: groups ``in`` (the 32 input
port bits), ``sub`` (diff_ad, diff_bc, 9 bits each), ``abs`` (abs_ad, abs_bc), ``add`` (g) and
``reg_out`` (out_g, out_valid).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.stochastic.roberts import SELECT_CODE, LfsrConfig
from sim.models.stochastic.sng import lfsr_states

IntArray = npt.NDArray[np.int64]
SC_GROUPS = ("reg_input", "reg_lfsr", "reg_count", "reg_ctrl", "reg_out", "sng", "core", "xor")
BIN_GROUPS = ("in", "sub", "abs", "add", "reg_out")
CHUNK = 1 << 20
"""(pixel, cycle) elements per numpy chunk."""


@dataclass(frozen=True)
class ScUnit:
    """Parameters of one ``sc_roberts`` build: stream length ``n`` and the LFSRs."""

    n: int
    lfsr: LfsrConfig = field(default_factory=LfsrConfig)
    select_code: int = SELECT_CODE

    @property
    def t_bits(self) -> int:
        """Width of the cycle counter t (bits)."""
        return max(1, (self.n - 1).bit_length())

    @property
    def count_bits(self) -> int:
        """Width of cnt and out_count (bits): clog2(N + 1)."""
        return self.n.bit_length()

    def states(self) -> IntArray:
        """(N + 1, 3) LFSR states R_0 .. R_N of the (a, d), (b, c) and select LFSRs."""
        return np.stack([lfsr_states(t, s, 8, self.n + 1)
                         for t, s in zip(self.lfsr.taps, self.lfsr.seeds, strict=True)], axis=1)


def _pop(x: npt.ArrayLike) -> int:
    return int(np.bitwise_count(np.asarray(x, dtype=np.int64).view(np.uint64)).sum())



def _checked(unit: ScUnit, corners: npt.ArrayLike) -> tuple[np.ndarray, int, int]:
    """``corners`` as a (P, 4) int64 array of 0..255 pixels, with the stream length N (cycles)
    and P; a SimError for anything else or for N < 2."""
    px = np.asarray(corners, dtype=np.int64)
    if px.ndim != 2 or px.shape[1] != 4 or px.shape[0] < 1 or px.min() < 0 or px.max() > 255:
        raise SimError(f"pixels must be (P >= 1, 4) values 0..255, got shape {px.shape}")
    if unit.n < 2:
        raise SimError(f"the activity model needs streams of N >= 2 cycles, got {unit.n}")
    return px, unit.n, px.shape[0]

def sc_toggles(unit: ScUnit, corners: npt.ArrayLike) -> dict[str, int]:
    """Toggle counts per group (:data:`SC_GROUPS`) of ``sc_roberts`` on the windows ``corners``
    (P, 4) = (a, b, c, d) per pixel, streamed back to back, from the sample after E0."""
    px, n, p = _checked(unit, corners)
    r = unit.states()
    steps = np.arange(n)
    out = dict.fromkeys(SC_GROUPS, 0)
    out["reg_input"] = _pop(px[1:] ^ px[:-1])
    lfsr_pixel = _pop(r[1:n] ^ r[:n - 1])
    out["reg_lfsr"] = p * lfsr_pixel + (p - 1) * _pop(r[0] ^ r[n - 1]) + _pop(r[n] ^ r[n - 1])
    t_pixel = _pop(steps[1:] ^ steps[:-1])
    out["reg_ctrl"] = 2 * p + 1  # out_valid pulses after every pixel; busy falls at the end
    counts = np.zeros(p, dtype=np.int64)
    cmask = (1 << unit.count_bits) - 1
    count_toggles = 0
    last_cnt = np.int64(0)
    prev_nets: npt.NDArray[np.int64] | None = None
    step = max(1, CHUNK // n)
    for lo in range(0, p, step):
        chunk = px[lo:lo + step]
        nets = _sc_nets(unit, chunk, r[:n])  # (C, N, 8) bits: a b c d sel y xad xbc
        cnt = np.cumsum(nets[:, :, 5], axis=1) - nets[:, :, 5]  # cnt at each cycle
        counts[lo:lo + step] = (cnt[:, -1] + nets[:, -1, 5]) & cmask
        cnt &= cmask
        count_toggles += _pop(cnt[:, 1:] ^ cnt[:, :-1]) + _pop(cnt[1:, 0] ^ cnt[:-1, -1])
        if lo:
            count_toggles += _pop(cnt[0, 0] ^ last_cnt)
        last_cnt = cnt[-1, -1]
        flat = nets.reshape(-1, 8)
        seq = flat if prev_nets is None else np.concatenate([prev_nets[None], flat])
        flips = (seq[1:] ^ seq[:-1]).sum(axis=0)
        out["sng"] += int(flips[:5].sum())
        out["core"] += int(flips[5])
        out["xor"] += int(flips[6:].sum())
        prev_nets = flat[-1]
    out["reg_count"] = count_toggles + p * t_pixel + (p - 1) * _pop(n - 1)
    results = np.concatenate([[0], counts])
    out["reg_out"] = _pop(results[1:] ^ results[:-1])
    # the edge after the last pixel: the LFSRs step to R_N, the nets follow
    end = _sc_nets(unit, px[-1:], r[n:n + 1]).reshape(8)
    flips = end ^ (end if prev_nets is None else prev_nets)
    out["sng"] += int(flips[:5].sum())
    out["core"] += int(flips[5])
    out["xor"] += int(flips[6:].sum())
    return out


def _sc_nets(unit: ScUnit, px: IntArray, r: IntArray) -> npt.NDArray[np.int64]:
    """Net bits (C, T, 8) = SNG bits a, b, c, d, select, y, a ^ d, b ^ c for pixels ``px``
    (C, 4) against LFSR states ``r`` (T, 3)."""
    ad, bc, s = r[:, 0], r[:, 1], r[:, 2]
    a = (ad[None, :] <= px[:, 0:1]).astype(np.int64)
    b = (bc[None, :] <= px[:, 1:2]).astype(np.int64)
    c = (bc[None, :] <= px[:, 2:3]).astype(np.int64)
    d = (ad[None, :] <= px[:, 3:4]).astype(np.int64)
    sel = np.broadcast_to((s <= unit.select_code).astype(np.int64)[None, :], a.shape)
    xad, xbc = a ^ d, b ^ c
    y = np.where(sel == 1, xad, xbc)
    return np.stack([a, b, c, d, sel, y, xad, xbc], axis=2)


def sc_flops(unit: ScUnit) -> int:
    """Clocked flops of ``sc_roberts``: 4 x 8 input, 3 x 8 LFSR, t, cnt, out_count, busy,
    out_valid."""
    return 32 + 24 + unit.t_bits + 2 * unit.count_bits + 2


def bin_toggles(corners: npt.ArrayLike, idle: int = 2) -> dict[str, int]:
    """Toggle counts per group (:data:`BIN_GROUPS`) of ``bin_roberts`` on the windows
    ``corners`` (P, 4), one per cycle with ``in_valid``, then ``idle`` (>= 2) cycles of zero
    inputs without it, from the reset state (zero inputs)."""
    px = np.asarray(corners, dtype=np.int64)
    if px.ndim != 2 or px.shape[1] != 4 or px.min(initial=0) < 0 or px.max(initial=0) > 255:
        raise SimError(f"pixels must be (P, 4) values 0..255, got shape {px.shape}")
    if idle < 2:
        raise SimError("bin_toggles needs at least 2 idle cycles (out_valid falls)")
    seq = np.concatenate([np.zeros((1, 4), np.int64), px, np.zeros((idle, 4), np.int64)])
    diff_ad = (seq[:, 0] - seq[:, 3]) & 0x1FF
    diff_bc = (seq[:, 1] - seq[:, 2]) & 0x1FF
    abs_ad, abs_bc = np.abs(seq[:, 0] - seq[:, 3]), np.abs(seq[:, 1] - seq[:, 2])
    g = abs_ad + abs_bc
    out_g = np.concatenate([[0], g[1:px.shape[0] + 1], np.full(idle, g[px.shape[0]])])
    valid = np.concatenate([[0], np.ones(px.shape[0], np.int64), np.zeros(idle, np.int64)])

    def flips(*xs: IntArray) -> int:
        return sum(_pop(x[1:] ^ x[:-1]) for x in xs)

    return {"in": flips(seq), "sub": flips(diff_ad, diff_bc), "abs": flips(abs_ad, abs_bc),
            "add": flips(g), "reg_out": flips(out_g, valid)}


BIN_FLOPS = 10
"""Clocked flops of ``bin_roberts``: out_g (9) and out_valid."""


def corner_rows(tile: npt.ArrayLike) -> IntArray:
    """The (a, b, c, d) corners of every Roberts window of ``tile``, row-major, as (P, 4)."""
    from sim.models.stochastic.roberts import as_uint8, windows

    return np.stack([w.ravel() for w in windows(as_uint8(tile))], axis=1)


def toggle_cases(rows: int, cols: int, seed: int = 18) -> dict[str, IntArray]:
    """Bench windows (P, 4): a camera crop (the family's sample image), the same windows with
    half the pixels zeroed, uniform random pixels, all zeros."""
    from sim.models.stochastic.rtl import bench_tiles

    rng = np.random.default_rng(seed)
    camera = corner_rows(bench_tiles(rows, cols)["camera"])
    return {"camera": camera, "camera_half_zero": np.where(rng.random(camera.shape) < 0.5,
                                                           camera, 0),
            "random": rng.integers(0, 256, camera.shape), "zeros": np.zeros_like(camera)}


def sc_image_toggles(unit: ScUnit, corners: npt.ArrayLike) -> dict[str, int]:
    """:func:`sc_toggles` (equal by test) at image scale. Every SNG bit sequence depends on one
    pixel value and every XOR sequence on one pair, so their toggles within a pixel come from
    tables over the 256 values (pairs); y, which mixes all four values, is formed per pixel on
    bit-packed sequences (cycle t at bit t; a copy shifted by one cycle gives the previous bit).
    Counter toggles follow from the counts: counting from 0 to c, holding in between, flips
    2c - popcount(c) bits."""
    px, n, p = _checked(unit, corners)
    r = unit.states()
    t = _tables(unit)
    a, b, c, d = px.T
    out = dict.fromkeys(SC_GROUPS, 0)
    out["reg_input"] = _pop(px[1:] ^ px[:-1])
    out["reg_lfsr"] = (p * _pop(r[1:n] ^ r[:n - 1]) + (p - 1) * _pop(r[0] ^ r[n - 1])
                       + _pop(r[n] ^ r[n - 1]))
    out["reg_ctrl"] = 2 * p + 1
    # first / last cycle bits per pixel: a, b, c, d, sel, then xad, xbc, y
    first = _edge_bits(t.bit_ad[:, 0], t.bit_bc[:, 0], bool(t.sel[0]), a, b, c, d)
    last = _edge_bits(t.bit_ad[:, -1], t.bit_bc[:, -1], bool(t.sel[-1]), a, b, c, d)
    final = _edge_bits(r[n, 0] <= np.arange(256), r[n, 1] <= np.arange(256),
                       bool(r[n, 2] <= unit.select_code), a[-1:], b[-1:], c[-1:], d[-1:])
    flips = (first[1:] != last[:-1]).sum(axis=0) + (final[0] != last[-1])
    y, y_prev = (_y_packed(pk, a, b, c, d) for pk in (t.packed, t.shifted))
    out["sng"] = int(t.tog[0][a].sum() + t.tog[1][b].sum() + t.tog[1][c].sum()
                     + t.tog[0][d].sum() + p * t.sel_tog + flips[:5].sum())
    out["xor"] = int(t.tog_pair[0][a, d].sum() + t.tog_pair[1][b, c].sum() + flips[5:7].sum())
    out["core"] = _pop_u8((y ^ y_prev) & t.within) + int(flips[7])
    cmask = (1 << unit.count_bits) - 1
    before_last = np.bitwise_count(y & t.head).sum(axis=1, dtype=np.int64) & cmask
    counts = (before_last + last[:, 7]) & cmask
    steps = np.arange(n)
    out["reg_count"] = (int((2 * before_last).sum()) - _pop(before_last) + _pop(before_last[:-1])
                        + p * _pop(steps[1:] ^ steps[:-1]) + (p - 1) * _pop(n - 1))
    results = np.concatenate([[0], counts])
    out["reg_out"] = _pop(results[1:] ^ results[:-1])
    return out


def _pop_u8(x: npt.NDArray[np.uint8]) -> int:
    return int(np.bitwise_count(x).sum(dtype=np.int64))


def _edge_bits(bit_ad: npt.NDArray[np.bool_], bit_bc: npt.NDArray[np.bool_], sel: bool,
               a: IntArray, b: IntArray, c: IntArray, d: IntArray) -> IntArray:
    """Per pixel the net bits (a, b, c, d, sel, a ^ d, b ^ c, y) at one cycle, from the SNG bit
    of every value at that cycle."""
    bits = np.stack([bit_ad[a], bit_bc[b], bit_bc[c], bit_ad[d]], axis=1).astype(np.int64)
    xad, xbc = bits[:, 0] ^ bits[:, 3], bits[:, 1] ^ bits[:, 2]
    y = xad if sel else xbc
    return np.column_stack([bits, np.full(len(a), int(sel)), xad, xbc, y])


def _y_packed(packed: tuple[npt.NDArray[np.uint8], ...], a: IntArray, b: IntArray,
              c: IntArray, d: IntArray) -> npt.NDArray[np.uint8]:
    """y = sel ? a ^ d : b ^ c per pixel as packed bits (``packed`` = (ad, bc, sel) tables)."""
    ad, bc, sel = packed
    return np.asarray((sel & (ad[a] ^ ad[d])) | (~sel & (bc[b] ^ bc[c])), dtype=np.uint8)


@dataclass(frozen=True)
class _Tables:
    """Per ``sc_roberts`` build: SNG bits (256, N) of every value for the (a, d) and (b, c)
    LFSRs, the select bits, their toggles within a pixel (per value, per pair), the bit-packed
    sequences and the same shifted by one cycle, and the masks of cycles 1..N-1 (``within``)
    and 0..N-2 (``head``)."""

    bit_ad: npt.NDArray[np.bool_]
    bit_bc: npt.NDArray[np.bool_]
    sel: npt.NDArray[np.bool_]
    tog: tuple[IntArray, IntArray]
    tog_pair: tuple[IntArray, IntArray]
    sel_tog: int
    packed: tuple[npt.NDArray[np.uint8], ...]
    shifted: tuple[npt.NDArray[np.uint8], ...]
    within: npt.NDArray[np.uint8]
    head: npt.NDArray[np.uint8]


_TABLES: dict[ScUnit, _Tables] = {}


def _tables(unit: ScUnit) -> _Tables:
    if unit not in _TABLES:
        n = unit.n
        r = unit.states()[:n]
        values = np.arange(256)[:, None]
        bits = (r[None, :, 0] <= values, r[None, :, 1] <= values)
        sel = r[:, 2] <= unit.select_code

        def shift(x: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
            out = np.zeros_like(x)
            out[..., 1:] = x[..., :-1]
            return out

        def tog_pair(x: npt.NDArray[np.bool_]) -> IntArray:
            pair = x[:, None, :] ^ x[None, :, :]
            return (pair[..., 1:] != pair[..., :-1]).sum(axis=2)

        cycles = np.arange(n)
        _TABLES[unit] = _Tables(
            bits[0], bits[1], sel,
            ((bits[0][:, 1:] != bits[0][:, :-1]).sum(axis=1),
             (bits[1][:, 1:] != bits[1][:, :-1]).sum(axis=1)),
            (tog_pair(bits[0]), tog_pair(bits[1])), int((sel[1:] != sel[:-1]).sum()),
            tuple(np.packbits(x, axis=-1) for x in (*bits, sel)),
            tuple(np.packbits(shift(x), axis=-1) for x in (*bits, sel)),
            np.packbits(cycles >= 1), np.packbits(cycles <= n - 2))
    return _TABLES[unit]


def sc_ledger(unit: ScUnit, corners: npt.ArrayLike, clocked_cycles: int) -> dict[str, float]:
    """Activity ledger of one ``sc_roberts`` unit on the windows ``corners`` (P, 4): register,
    comparator-input, XOR, MUX and counter toggles, the LFSR feedback per step (every busy
    cycle, whatever the data) and every flop clocked for ``clocked_cycles``."""
    px = np.asarray(corners, dtype=np.int64)
    tog = sc_image_toggles(unit, px)
    p, n = px.shape[0], unit.n
    r = unit.states()
    per_lfsr = [p * _pop(r[1:n, j] ^ r[:n - 1, j]) + (p - 1) * _pop(r[0, j] ^ r[n - 1, j])
                + _pop(r[n, j] ^ r[n - 1, j]) for j in range(3)]
    regs = sum(tog[g] for g in ("reg_input", "reg_lfsr", "reg_count", "reg_ctrl", "reg_out"))
    return {"sc_reg.toggle_bit": float(regs),
            "sc_cmp8.toggle_bit": float(2 * per_lfsr[0] + 2 * per_lfsr[1] + per_lfsr[2]
                                        + tog["reg_input"]),
            "sc_xor2.toggle_bit": float(tog["xor"]), "sc_mux2.toggle_bit": float(tog["core"]),
            "sc_ha.toggle_bit": float(tog["reg_count"]), "sc_lfsr8.step": float(3 * p * n),
            "sc_dff.clock_bit": float(sc_flops(unit) * clocked_cycles)}


def bin_ledger(corners: npt.ArrayLike, clocked_cycles: int) -> dict[str, float]:
    """Activity ledger of one ``bin_roberts`` unit on the windows ``corners`` (P, 4): the
    subtractor, absolute-value and adder output toggles, the output register toggles and its
    flops clocked for ``clocked_cycles`` (the input ports are the upstream's registers)."""
    tog = bin_toggles(corners)
    return {"bin_sub8.toggle_bit": float(tog["sub"]), "bin_abs8.toggle_bit": float(tog["abs"]),
            "bin_add8.toggle_bit": float(tog["add"]), "sc_reg.toggle_bit": float(tog["reg_out"]),
            "sc_dff.clock_bit": float(BIN_FLOPS * clocked_cycles)}
