"""NE16 bit-exact arithmetic: weight encoding with offset, bit-serial conv, norm/quant.

This is the golden model shared by the timing model and the cocotb benches (``rtl/gap9``).

Arithmetic (reference ``shared/reference/gap9.md`` section 3):

* activations ``x`` are uint8 (HWC layout, ``x[h, w, c]``);
* weights are stored **unsigned**: ``w_u = w - W_off`` with ``0 <= w_u < 2**Qw``; the default
  offset is ``W_off = -2**(Qw-1)`` (symmetric signed weights), a layer-wide offset register may
  hold any int32;
* the engine accumulates the bit-planes ``sum_b 2**b * sum x * bit_b(w_u)`` and, in the
  weight-offset pass, ``W_off * sum x``; the accumulator is 32-bit and wraps;
* normalisation/quantisation per output channel ``k`` (overflow behaviour: see
  :data:`NQ_OVERFLOW`): ``acc * scale_k``, ``+ bias_k`` if enabled, ``+ 2**(s-1)`` if rounding,
  ReLU, arithmetic ``>> s``, saturation to the output type (unsigned if ReLU, else signed;
  8/16/32 bit).

Modes: ``"3x3"`` (dense 3x3), ``"1x1"``, ``"dw"`` (depthwise 3x3) and ``"linear"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.shapes import ceil_div

Mode = Literal["3x3", "1x1", "dw", "linear"]
MODES: tuple[Mode, ...] = ("3x3", "1x1", "dw", "linear")
OUT_BITS = (8, 16, 32)
LANES = 16  # input channels per k_in subtile (NE16)

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

NQ_OVERFLOW = "ne16-rtl"
"""The one overflow rule of normalisation/quantisation, taken from the NE16 RTL
(pulp-platform/ne16: ``ne16_ctrl.sv``, ``ne16_normquant.sv``, ``ne16_normquant_bias.sv``,
``ne16_normquant_shifter.sv``):

* **no bias**: the NORMQUANT phase shifts and saturates the multiplier's full product, held in a
  48-bit register (:data:`NQ_PRODUCT_BITS`), so ``acc * scale`` never wraps at 32 bits;
* **bias**: the NORMQUANT phase writes the product back unshifted in 32-bit mode, i.e. its low
  32 bits (wraps), and NORMQUANT_BIAS adds the bias in the 32-bit accumulator width, which
  **wraps** too; only the final shift saturates to the output type.

The independent pulp-nnx functional model behaves the same way (64-bit product without bias,
32-bit wrapping bias add); rounding (not in that model) adds ``2**(s-1)`` saturating at the
width of the value being shifted."""
NQ_PRODUCT_BITS = 48


def wrap32(v: npt.ArrayLike) -> I64:
    """Wrap integers to the signed 32-bit range (two's complement), as int64."""
    a = np.asarray(v, dtype=np.int64)
    return ((a + 2**31) & 0xFFFFFFFF) - 2**31


def wrap_bits(v: npt.ArrayLike, bits: int) -> I64:
    """Wrap integers to the signed ``bits``-bit range (two's complement), as int64."""
    a = np.asarray(v, dtype=np.int64)
    half = np.int64(1) << (bits - 1)
    return ((a + half) & ((np.int64(1) << bits) - 1)) - half


def sat32(v: npt.ArrayLike) -> I64:
    """Saturate integers to the signed 32-bit range, as int64."""
    return np.clip(np.asarray(v, dtype=np.int64), INT32_MIN, INT32_MAX)


def kernel_size(mode: Mode) -> int:
    """Filter side of a mode: 3 for 3x3 and depthwise, 1 for 1x1 and linear."""
    return 3 if mode in ("3x3", "dw") else 1


def _check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise SimError(f"unknown NE16 mode {mode!r}", accepted=", ".join(MODES))
    return mode


def _check_qw(qw: int) -> int:
    if not isinstance(qw, int | np.integer) or not 2 <= int(qw) <= 8:
        raise SimError(f"NE16 weight bits must be an integer in 2..8, got {qw!r}", accepted="2..8")
    return int(qw)


@dataclass(frozen=True)
class Ne16Weights:
    """Weights as NE16 stores them: unsigned ``w_u`` (Qw bits) plus a layer-wide offset.

    ``w_u`` has shape (K_out, K_in, kh, kw) for 3x3/1x1, (C, 1, 3, 3) for depthwise and
    (K_out, K_in, 1, 1) for linear. Effective weight = ``w_u + offset``.
    """

    w_u: npt.NDArray[np.int64]
    qw: int
    offset: int
    mode: Mode

    def signed(self) -> I64:
        """The effective (signed) weights ``w_u + offset``."""
        return self.w_u + self.offset


def encode_weights(w: npt.ArrayLike, qw: int, mode: Mode, offset: int | None = None) -> Ne16Weights:
    """Store signed weights ``w`` with ``Qw`` bits and weight offset (default ``-2**(Qw-1)``).

    Raises SimError if a weight does not fit ``[offset, offset + 2**Qw - 1]`` or the shape does
    not fit the mode.
    """
    mode = _check_mode(mode)
    qw = _check_qw(qw)
    arr = np.asarray(w, dtype=np.int64)
    if mode == "linear" and arr.ndim == 2:
        arr = arr[:, :, None, None]
    k = kernel_size(mode)
    if arr.ndim != 4 or arr.shape[2:] != (k, k):
        raise SimError(f"NE16 {mode} weights need shape (K_out, K_in, {k}, {k}), got {arr.shape}")
    if mode == "dw" and arr.shape[1] != 1:
        raise SimError(f"depthwise weights need shape (C, 1, 3, 3), got {arr.shape}")
    off = -(2 ** (qw - 1)) if offset is None else int(offset)
    if not INT32_MIN <= off <= INT32_MAX:
        raise SimError(f"weight offset {off} does not fit int32")
    w_u = arr - off
    if arr.size and (w_u.min() < 0 or w_u.max() >= 2**qw):
        raise SimError(f"weights in [{arr.min()}, {arr.max()}] do not fit {qw} bits with offset "
                       f"{off}", accepted=f"[{off}, {off + 2**qw - 1}]")
    return Ne16Weights(w_u=w_u, qw=qw, offset=off, mode=mode)


def weight_bytes(k_out: int, k_in: int, qw: int, mode: Mode) -> int:
    """Bytes of NE16-packed weights: K_out*ceil(K_in/16)*Qw*k^2*2 (depthwise: ceil(C/16)*Qw*9*2)."""
    if mode == "dw":
        return ceil_div(k_out, LANES) * qw * 9 * 2
    k = kernel_size(mode)
    return k_out * ceil_div(k_in, LANES) * qw * k * k * 2


def pack_weights(wt: Ne16Weights) -> U8:
    """NE16 weight memory image (bytes, uint8).

    Order (c_out, ceil(c_in/16), Qw bit-planes, kh*kw, 16 input-channel bits in 2 bytes,
    little-endian: channel ``16*s + i`` is bit ``i % 8`` of byte ``i // 8``). Depthwise:
    (ceil(C/16), Qw, 9, 2 bytes) with the 16 channels of a group as the 16 bits.
    """
    w_u = wt.w_u
    bits: npt.NDArray[np.int64]
    if wt.mode == "dw":
        c = w_u.shape[0]
        n_in = ceil_div(c, LANES)
        pad = np.zeros((n_in * LANES, 9), dtype=np.int64)
        pad[:c] = w_u.reshape(c, 9)
        gd = pad.reshape(n_in, LANES, 9)  # (group, lane, tap)
        gb = (gd[:, None, :, :] >> np.arange(wt.qw)[None, :, None, None]) & 1  # (g, b, lane, tap)
        bits = gb.transpose(0, 1, 3, 2)  # (g, b, tap, lane)
    else:
        k_out, k_in, kh, kw = w_u.shape
        n_in = ceil_div(k_in, LANES)
        padk = np.zeros((k_out, n_in * LANES, kh * kw), dtype=np.int64)
        padk[:, :k_in] = w_u.reshape(k_out, k_in, kh * kw)
        g = padk.reshape(k_out, n_in, LANES, kh * kw)  # (k, s, lane, tap)
        shifts = np.arange(wt.qw)[None, None, :, None, None]
        kb = (g[:, :, None, :, :] >> shifts) & 1  # (k, s, b, lane, tap)
        bits = kb.transpose(0, 1, 2, 4, 3)  # (k, s, b, tap, lane)
    flat = bits.reshape(-1, 2, 8).astype(np.uint8)
    return (flat << np.arange(8, dtype=np.uint8)).sum(axis=2).astype(np.uint8).reshape(-1)


def unpack_weights(data: U8, k_out: int, k_in: int, qw: int, mode: Mode,
                   offset: int | None = None) -> Ne16Weights:
    """Inverse of :func:`pack_weights` (padding channels are dropped)."""
    mode = _check_mode(mode)
    qw = _check_qw(qw)
    need = weight_bytes(k_out, k_in, qw, mode)
    if data.size != need:
        raise SimError(f"packed weights have {data.size} bytes, expected {need}")
    bits = ((data[:, None] >> np.arange(8, dtype=np.uint8)) & 1).astype(np.int64).reshape(-1)
    off = -(2 ** (qw - 1)) if offset is None else int(offset)
    planes = 2 ** np.arange(qw, dtype=np.int64)
    if mode == "dw":
        n_in = ceil_div(k_out, LANES)
        b = bits.reshape(n_in, qw, 9, LANES)
        w = np.einsum("gbtl,b->glt", b, planes).reshape(n_in * LANES, 9)[:k_out]
        return Ne16Weights(w_u=w.reshape(k_out, 1, 3, 3), qw=qw, offset=off, mode=mode)
    k = kernel_size(mode)
    n_in = ceil_div(k_in, LANES)
    b = bits.reshape(k_out, n_in, qw, k * k, LANES)
    w = np.einsum("ksbtl,b->kslt", b, planes).reshape(k_out, n_in * LANES, k * k)[:, :k_in]
    return Ne16Weights(w_u=w.reshape(k_out, k_in, k, k), qw=qw, offset=off, mode=mode)


@dataclass(frozen=True)
class NormQuant:
    """Normalisation/quantisation settings of a layer.

    scale: per-output-channel unsigned multipliers (< 2**scale_bits); bias: int32 per channel or
    None; shift: right shift 0..31 (layer-wide int, or per-channel array); rounding adds
    2**(shift-1) before the shift; relu clamps negatives (and makes the output unsigned);
    out_bits 8/16/32. ``enabled=False`` returns the raw 32-bit accumulator.
    """

    scale: npt.NDArray[np.int64]
    bias: npt.NDArray[np.int64] | None
    shift: int | npt.NDArray[np.int64]
    rounding: bool = False
    relu: bool = True
    out_bits: int = 8
    scale_bits: int = 8
    enabled: bool = True

    def out_range(self) -> tuple[int, int]:
        """(min, max) of the output type."""
        if self.relu:
            return 0, 2**self.out_bits - 1 if self.out_bits < 32 else INT32_MAX
        return -(2 ** (self.out_bits - 1)), 2 ** (self.out_bits - 1) - 1


def make_normquant(k_out: int, *, scale: npt.ArrayLike = 1, bias: npt.ArrayLike | None = None,
                   shift: int | npt.ArrayLike = 0, rounding: bool = False, relu: bool = True,
                   out_bits: int = 8, scale_bits: int = 8, enabled: bool = True) -> NormQuant:
    """Validated :class:`NormQuant` for ``k_out`` channels (scalars are broadcast)."""
    if out_bits not in OUT_BITS:
        raise SimError(f"NE16 output width {out_bits} not supported", accepted="8, 16, 32")
    if scale_bits not in (8, 16, 32):
        raise SimError(f"NE16 scale width {scale_bits} not supported", accepted="8, 16, 32")
    sc = np.broadcast_to(np.asarray(scale, dtype=np.int64), (k_out,)).copy()
    if sc.min() < 0 or sc.max() >= 2**scale_bits:
        raise SimError(f"scale must be in [0, 2**{scale_bits}), got [{sc.min()}, {sc.max()}]")
    bi = None
    if bias is not None:
        bi = np.broadcast_to(np.asarray(bias, dtype=np.int64), (k_out,)).copy()
        if bi.min() < INT32_MIN or bi.max() > INT32_MAX:
            raise SimError("bias must fit int32")
    sh: int | npt.NDArray[np.int64]
    if np.ndim(shift) == 0:
        sh = int(shift)  # type: ignore[arg-type]
        lo, hi = sh, sh
    else:
        sh = np.broadcast_to(np.asarray(shift, dtype=np.int64), (k_out,)).copy()
        lo, hi = int(sh.min()), int(sh.max())
    if lo < 0 or hi > 31:
        raise SimError(f"right shift must be in 0..31, got [{lo}, {hi}]", accepted="0..31")
    if not enabled and out_bits != 32:
        raise SimError("without normalisation/quantisation the output width must be 32")
    return NormQuant(scale=sc, bias=bi, shift=sh, rounding=rounding, relu=relu,
                     out_bits=out_bits, scale_bits=scale_bits, enabled=enabled)


def normquant(acc: npt.ArrayLike, nq: NormQuant, channel_axis: int = -1) -> I64:
    """Apply normalisation/quantisation to int32 accumulators (channels on ``channel_axis``)."""
    a = wrap32(acc)
    if not nq.enabled:
        return a
    a = np.moveaxis(a, channel_axis, -1)
    shift = np.asarray(nq.shift, dtype=np.int64)
    half = np.where(shift > 0, np.left_shift(1, np.maximum(shift - 1, 0)), 0)
    product = wrap_bits(a * nq.scale, NQ_PRODUCT_BITS)  # int64 products wrap mod 2**64 first
    if nq.bias is None:  # NQ_OVERFLOW: shift the full product
        v = product
        if nq.rounding:
            v = np.minimum(v + half, 2 ** (NQ_PRODUCT_BITS - 1) - 1)
    else:  # NQ_OVERFLOW: low 32 bits of the product, bias added mod 2**32
        v = wrap32(wrap32(product) + nq.bias)
        if nq.rounding:
            v = sat32(v + half)
    if nq.relu:
        v = np.maximum(v, 0)
    v = v >> shift
    lo, hi = nq.out_range()
    return np.moveaxis(np.clip(v, lo, hi), -1, channel_axis)


def _check_x(x: npt.ArrayLike, ndim: int) -> I64:
    arr = np.asarray(x)
    if arr.ndim != ndim:
        raise SimError(f"NE16 input needs {ndim} dimensions, got shape {arr.shape}")
    a = arr.astype(np.int64)
    if a.size and (a.min() < 0 or a.max() > 255):
        raise SimError("NE16 activations must be uint8 (0..255)")
    return a


def _windows(x: I64, k: int, stride: int, padding: int, pad_value: int) -> I64:
    """Sliding windows (Ho, Wo, C, k*k) of an HWC tensor."""
    xp = np.pad(x, ((padding, padding), (padding, padding), (0, 0)), constant_values=pad_value)
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(0, 1))  # (H', W', C, k, k)
    win = win[::stride, ::stride]
    return win.reshape(*win.shape[:3], k * k)


def accumulate(x: npt.ArrayLike, wt: Ne16Weights, stride: int = 1, padding: int = 0,
               pad_value: int = 0) -> I64:
    """The NE16 accumulators (int32, wrapped) of a layer, computed the engine's way.

    ``x``: HWC uint8 (linear: a vector of K_in). Returns (Ho, Wo, K_out) (linear: (K_out,)).
    The sum runs over weight bit-planes of ``w_u`` scaled by ``2**b`` plus the weight-offset
    pass ``W_off * sum(x)``, wrapped to 32 bits.
    """
    if stride not in (1, 2):
        raise SimError(f"NE16 stride must be 1 or 2, got {stride}", accepted="1, 2")
    planes = [((wt.w_u >> b) & 1) << b for b in range(wt.qw)]
    w_sum = np.sum(planes, axis=0)  # == w_u, bit-plane by bit-plane
    if wt.mode == "linear":
        xv = _check_x(x, 1)
        if xv.shape[0] != wt.w_u.shape[1]:
            raise SimError(f"linear input has {xv.shape[0]} values, weights expect "
                           f"{wt.w_u.shape[1]}")
        acc = w_sum[:, :, 0, 0] @ xv + wt.offset * xv.sum()
        return wrap32(acc)
    xa = _check_x(x, 3)
    k = kernel_size(wt.mode)
    c_in = xa.shape[2]
    if wt.mode == "dw":
        if c_in != wt.w_u.shape[0]:
            raise SimError(f"depthwise input has {c_in} channels, weights {wt.w_u.shape[0]}")
    elif c_in != wt.w_u.shape[1]:
        raise SimError(f"input has {c_in} channels, weights expect {wt.w_u.shape[1]}")
    if xa.shape[0] + 2 * padding < k or xa.shape[1] + 2 * padding < k:
        raise SimError(f"input {xa.shape[:2]} is smaller than the {k}x{k} kernel")
    win = _windows(xa, k, stride, padding, pad_value)  # (Ho, Wo, C, taps)
    xsum_tap = win.sum(axis=3)  # (Ho, Wo, C)
    if wt.mode == "dw":
        wflat = w_sum.reshape(c_in, k * k)
        acc = np.einsum("hwct,ct->hwc", win, wflat) + wt.offset * xsum_tap
    else:
        wflat = w_sum.reshape(w_sum.shape[0], c_in * k * k)
        ho, wo = win.shape[:2]
        acc = win.reshape(ho * wo, -1) @ wflat.T + wt.offset * xsum_tap.sum(axis=2).reshape(-1, 1)
        acc = acc.reshape(ho, wo, -1)
    return wrap32(acc)


def ne16_layer(x: npt.ArrayLike, wt: Ne16Weights, nq: NormQuant, stride: int = 1,
               padding: int = 0, pad_value: int = 0) -> I64:
    """Full NE16 layer: accumulate then normalise/quantise. Returns int64 values of the output
    type (HWC, or a vector for linear)."""
    acc = accumulate(x, wt, stride=stride, padding=padding, pad_value=pad_value)
    if nq.scale.shape[0] != acc.shape[-1]:
        raise SimError(f"norm/quant has {nq.scale.shape[0]} channels, layer {acc.shape[-1]}")
    return normquant(acc, nq)


def quantise_symmetric(w: npt.ArrayLike, qw: int, axis: int = 0) -> tuple[I64, npt.NDArray[
        np.float64]]:
    """Per-channel symmetric quantisation of float weights to ``Qw`` bits (NE16 default offset).

    Returns (integer weights in [-2**(Qw-1), 2**(Qw-1)-1], per-channel step size). The step is
    max|w| / (2**(Qw-1) - 1) with round-to-nearest, so the integers fit the default offset.
    """
    qw = _check_qw(qw)
    arr = np.asarray(w, dtype=np.float64)
    red = tuple(i for i in range(arr.ndim) if i != axis % arr.ndim)
    amax = np.max(np.abs(arr), axis=red, keepdims=True)
    qmax = 2 ** (qw - 1) - 1
    step = np.where(amax > 0, amax / qmax, 1.0)
    q = np.clip(np.rint(arr / step), -qmax - 1, qmax).astype(np.int64)
    return q, step.reshape(-1)
