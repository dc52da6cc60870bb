"""NE16 golden arithmetic vs naive per-element Python loops (independent reference)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.gap9 import arith

# ---------------------------------------------------------------- naive references (pure Python)


def _wrap(v: int) -> int:
    return ((v + 2**31) % 2**32) - 2**31


def naive_conv(x: np.ndarray, w: np.ndarray, stride: int, pad: int, depthwise: bool) -> np.ndarray:
    """Plain loops over output pixel, channel, tap; Python ints; wrap at the end."""
    h, wd, c = x.shape
    k_out, _, kh, kw = w.shape
    ho = (h + 2 * pad - kh) // stride + 1
    wo = (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((ho, wo, k_out), dtype=np.int64)
    for oy in range(ho):
        for ox in range(wo):
            for k in range(k_out):
                s = 0
                chans = [k] if depthwise else range(c)
                for ci in chans:
                    for dy in range(kh):
                        for dx in range(kw):
                            iy, ix = oy * stride + dy - pad, ox * stride + dx - pad
                            if 0 <= iy < h and 0 <= ix < wd:
                                wi = 0 if depthwise else ci
                                s += int(x[iy, ix, ci]) * int(w[k, wi, dy, dx])
                out[oy, ox, k] = _wrap(s)
    return out


def naive_nq(acc: int, scale: int, bias: int | None, shift: int, rounding: bool, relu: bool,
             out_bits: int) -> int:
    """Reference order per the NE16 RTL (arith.NQ_OVERFLOW): without bias the full product is
    shifted; with bias the product's low 32 bits plus the bias wrap at 32 bits. Then +round
    (saturating), relu, >>, clip."""
    if bias is None:
        v = acc * scale
        top = 2**47 - 1
    else:
        v = _wrap(_wrap(acc * scale) + bias)
        top = 2**31 - 1
    if rounding and shift > 0:
        v = min(top, v + (1 << (shift - 1)))
    if relu:
        v = max(v, 0)
    v = v >> shift  # Python >> on negative ints is arithmetic (floor)
    if relu:
        lo, hi = 0, (2**out_bits - 1) if out_bits < 32 else 2**31 - 1
    else:
        lo, hi = -(2 ** (out_bits - 1)), 2 ** (out_bits - 1) - 1
    return max(lo, min(hi, v))


def _rand_w(rng: np.random.Generator, shape: tuple[int, ...], qw: int) -> np.ndarray:
    return rng.integers(-(2 ** (qw - 1)), 2 ** (qw - 1), size=shape)


# ---------------------------------------------------------------- accumulation


@pytest.mark.parametrize("qw", [2, 3, 5, 8])
@pytest.mark.parametrize("stride,pad", [(1, 0), (1, 1), (2, 1)])
def test_conv3x3_matches_naive(qw: int, stride: int, pad: int) -> None:
    rng = np.random.default_rng(qw * 10 + stride)
    x = rng.integers(0, 256, size=(6, 7, 19))
    w = _rand_w(rng, (5, 19, 3, 3), qw)
    wt = arith.encode_weights(w, qw, "3x3")
    got = arith.accumulate(x, wt, stride=stride, padding=pad)
    np.testing.assert_array_equal(got, naive_conv(x, w, stride, pad, False))


@pytest.mark.parametrize("qw", [2, 4, 7])
def test_conv1x1_and_depthwise_match_naive(qw: int) -> None:
    rng = np.random.default_rng(qw)
    x = rng.integers(0, 256, size=(5, 4, 18))
    w1 = _rand_w(rng, (7, 18, 1, 1), qw)
    got1 = arith.accumulate(x, arith.encode_weights(w1, qw, "1x1"))
    np.testing.assert_array_equal(got1, naive_conv(x, w1, 1, 0, False))
    wd = _rand_w(rng, (18, 1, 3, 3), qw)
    gotd = arith.accumulate(x, arith.encode_weights(wd, qw, "dw"), padding=1)
    np.testing.assert_array_equal(gotd, naive_conv(x, wd, 1, 1, True))


def test_linear_matches_naive() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, size=40)
    w = _rand_w(rng, (9, 40), 6)
    got = arith.accumulate(x, arith.encode_weights(w, 6, "linear"))
    want = [_wrap(sum(int(x[i]) * int(w[k, i]) for i in range(40))) for k in range(9)]
    assert got.tolist() == want


def test_accumulator_wraps_at_32_bits() -> None:
    # A large layer-wide offset pushes every sum far past int32: the result must wrap.
    x = np.full((3, 3, 16), 255)
    w = np.full((2, 16, 3, 3), 2**30)  # all w_u = 0 with offset 2**30
    wt = arith.encode_weights(w, 4, "3x3", offset=2**30)
    got = arith.accumulate(x, wt)
    true = 255 * 16 * 9 * 2**30
    assert got[0, 0, 0] == _wrap(true)
    assert got[0, 0, 0] != true


def test_custom_offset_equals_signed_weights() -> None:
    rng = np.random.default_rng(9)
    x = rng.integers(0, 256, size=(4, 4, 16))
    w = rng.integers(-3, 5, size=(3, 16, 3, 3))  # fits 3 bits with offset -3
    wt = arith.encode_weights(w, 3, "3x3", offset=-3)
    assert wt.w_u.min() >= 0 and wt.w_u.max() <= 7
    np.testing.assert_array_equal(arith.accumulate(x, wt), naive_conv(x, w, 1, 0, False))


# ---------------------------------------------------------------- normalisation / quantisation


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("out_bits", [8, 16, 32])
@pytest.mark.parametrize("rounding", [True, False])
def test_normquant_matches_naive(relu: bool, out_bits: int, rounding: bool) -> None:
    rng = np.random.default_rng(out_bits + relu)
    acc = np.concatenate([rng.integers(-(2**31), 2**31, size=200),
                          [0, -1, 1, 2**31 - 1, -(2**31), 2**24, -(2**24)]])
    k = acc.size
    scale = rng.integers(0, 256, size=k)
    bias = rng.integers(-(2**31), 2**31, size=k)
    bias[:3] = [2**31 - 1, -(2**31), 0]
    for shift in (0, 1, 7, 31):
        for with_bias in (True, False):
            nq = arith.make_normquant(k, scale=scale, bias=bias if with_bias else None,
                                      shift=shift, rounding=rounding, relu=relu,
                                      out_bits=out_bits)
            got = arith.normquant(acc, nq)
            want = [naive_nq(int(a), int(s), int(b) if with_bias else None, shift, rounding,
                             relu, out_bits) for a, s, b in zip(acc, scale, bias, strict=True)]
            assert got.tolist() == want


def test_normquant_without_bias_keeps_the_full_product_ne16_rtl() -> None:
    """NE16 RTL (ne16_ctrl.sv: NORMQUANT shifts when there is no bias; ne16_normquant.sv: 48-bit
    product): 2**30 * 255 >> 4 is 255 * 2**26 > INT32_MAX, so a signed 32-bit output saturates.
    Wrapping the product to 32 bits first would give -2**26."""
    acc = np.array([2**30, -(2**30)])
    nq = arith.make_normquant(2, scale=255, bias=None, shift=4, relu=False, out_bits=32)
    assert arith.normquant(acc, nq).tolist() == [2**31 - 1, -(2**31)]
    wrapped_first = arith.wrap32(np.array([2**30 * 255])) >> 4  # negative control
    assert wrapped_first.tolist() == [-(2**26)]


def test_normquant_bias_add_wraps_ne16_rtl() -> None:
    """NE16 RTL (ne16_normquant_bias.sv adds bias and accumulator in 32 bits; the shifter
    saturates only after): INT32_MAX + 1 wraps to INT32_MIN, so the 8-bit signed output is -128
    (a saturating add would give +127). The product is wrapped to 32 bits before the add."""
    acc = np.array([2**31 - 1, 2**30])
    nq = arith.make_normquant(2, scale=[1, 4], bias=[1, 0], shift=0, relu=False, out_bits=8)
    # channel 0: INT32_MAX + 1 -> INT32_MIN -> -128; channel 1: 2**32 wraps to 0 -> 0
    assert arith.normquant(acc, nq).tolist() == [-128, 0]
    saturating = min(2**31 - 1, (2**31 - 1) + 1)  # negative control: the other rule
    assert max(-128, min(127, saturating)) == 127


def test_normquant_per_channel_shift_and_disabled() -> None:
    acc = np.array([1000, -1000, 5000])
    nq = arith.make_normquant(3, scale=[1, 2, 3], shift=[1, 2, 3], relu=False)
    assert arith.normquant(acc, nq).tolist() == [127, -128, 127]
    nq2 = arith.make_normquant(3, scale=[1, 1, 1], shift=[1, 2, 3], relu=False, out_bits=16)
    assert arith.normquant(acc, nq2).tolist() == [500, -250, 625]
    raw = arith.make_normquant(3, enabled=False, out_bits=32)
    assert arith.normquant(acc, raw).tolist() == [1000, -1000, 5000]


def test_layer_end_to_end_small() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(3, 3, 16))
    w = _rand_w(rng, (4, 16, 3, 3), 5)
    nq = arith.make_normquant(4, scale=[3, 5, 7, 9], bias=[-100, 0, 100, 2000], shift=9,
                              rounding=True, relu=True)
    y = arith.ne16_layer(x, arith.encode_weights(w, 5, "3x3"), nq)
    acc = naive_conv(x, w, 1, 0, False)
    want = [naive_nq(int(acc[0, 0, k]), [3, 5, 7, 9][k], [-100, 0, 100, 2000][k], 9, True, True, 8)
            for k in range(4)]
    assert y[0, 0].tolist() == want


# ---------------------------------------------------------------- weight layout and footprint


@pytest.mark.parametrize("mode,shape", [("3x3", (5, 20, 3, 3)), ("1x1", (7, 33, 1, 1)),
                                        ("dw", (21, 1, 3, 3)), ("linear", (3, 50, 1, 1))])
@pytest.mark.parametrize("qw", [2, 3, 6, 8])
def test_pack_roundtrip_and_footprint(mode: arith.Mode, shape: tuple[int, ...], qw: int) -> None:
    rng = np.random.default_rng(qw)
    w = _rand_w(rng, shape, qw)
    wt = arith.encode_weights(w, qw, mode)
    data = arith.pack_weights(wt)
    k_out, k_in = shape[0], shape[1] if mode != "dw" else shape[0]
    taps = shape[2] * shape[3]
    groups = -(-k_in // 16)
    expected = (groups * qw * 9 * 2) if mode == "dw" else k_out * groups * qw * taps * 2
    assert data.size == expected
    eight_bit = (groups * 16 * 9) if mode == "dw" else k_out * groups * 16 * taps
    assert data.size * 8 == eight_bit * qw  # exactly Qw/8 of the 8-bit (padded) footprint
    back = arith.unpack_weights(data, k_out, k_in, qw, mode)
    np.testing.assert_array_equal(back.signed(), w)


def test_pack_bit_order_by_hand() -> None:
    # One output channel, 16 input channels, 1x1, Qw=2; w_u = channel index mod 4.
    w_u = np.arange(16) % 4
    w = (w_u - 2).reshape(1, 16, 1, 1)
    data = arith.pack_weights(arith.encode_weights(w, 2, "1x1"))
    # bit-plane 0: channels with odd w_u -> bits 1,3,5,7 of each byte -> 0xAA 0xAA
    # bit-plane 1: channels with w_u in {2,3} -> bits 2,3,6,7 -> 0xCC 0xCC
    assert data.tolist() == [0xAA, 0xAA, 0xCC, 0xCC]


# ---------------------------------------------------------------- errors


def test_bad_parameters_are_sim_errors() -> None:
    w = np.zeros((2, 16, 3, 3), dtype=np.int64)
    with pytest.raises(SimError, match=r"2\.\.8"):
        arith.encode_weights(w, 9, "3x3")
    with pytest.raises(SimError, match="do not fit"):
        arith.encode_weights(w + 8, 4, "3x3")
    with pytest.raises(SimError, match="mode"):
        arith.encode_weights(w, 4, "5x5")  # type: ignore[arg-type]
    with pytest.raises(SimError, match="output width"):
        arith.make_normquant(2, out_bits=12)
    with pytest.raises(SimError, match="uint8"):
        arith.accumulate(np.full((3, 3, 16), 300), arith.encode_weights(w, 4, "3x3"))
    with pytest.raises(SimError, match="stride"):
        arith.accumulate(np.zeros((3, 3, 16)), arith.encode_weights(w, 4, "3x3"), stride=3)
