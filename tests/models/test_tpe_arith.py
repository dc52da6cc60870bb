"""Bit-exact checks of sim.models.tpe.arith against independent per-element Python brute force."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.tpe import arith

ALL_INT8 = np.arange(-128, 128)
RNG = np.random.default_rng(1234)


def py_wrap(x: int, bits: int) -> int:
    """Signed wrap with Python ints."""
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


def py_ent(a: int) -> list[int]:
    """EN-T digits (LSB first) following the reference's four steps literally."""
    s, m = (1 if a < 0 else 0), abs(a)
    carry, out = 0, []
    for i in range(4):
        v = (m >> (2 * i)) % 4 + carry
        code = v % 4
        carry = 1 if v >= 3 else 0
        mag = {0: 0, 1: 1, 2: 2, 3: -1}[code]
        out.append(-mag if s else mag)
    return out


def py_booth(a: int) -> list[int]:
    """Radix-4 Booth digits from the two's-complement bits."""
    u = a & 0xFF
    bit = [0] + [(u >> i) & 1 for i in range(8)]  # bit[0] is a_{-1}
    return [-2 * bit[2 * i + 2] + bit[2 * i + 1] + bit[2 * i] for i in range(4)]


def py_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer GEMM with Python ints (object arrays)."""
    return np.array([[sum(int(x) * int(y) for x, y in zip(row, col, strict=True))
                      for col in b.T] for row in a], dtype=object)


def rand8(*shape: int) -> np.ndarray:
    return RNG.integers(-128, 128, size=shape)


def test_ent_digits_match_rule_for_all_int8() -> None:
    got = arith.ent_digits(ALL_INT8)
    expect = np.array([py_ent(int(a)) for a in ALL_INT8])
    assert np.array_equal(got, expect)
    assert np.array_equal(got @ np.array([1, 4, 16, 64]), ALL_INT8)


def test_ent_published_examples() -> None:
    # reference: 91 -> (1, 2, -1, -1) and 124 -> (2, 0, -1, 0), MSB digit first
    assert arith.ent_digits(np.array([91]))[0][::-1].tolist() == [1, 2, -1, -1]
    assert arith.ent_digits(np.array([124]))[0][::-1].tolist() == [2, 0, -1, 0]


def test_booth_digits_for_all_int8() -> None:
    got = arith.booth_r4_digits(ALL_INT8)
    assert np.array_equal(got, np.array([py_booth(int(a)) for a in ALL_INT8]))
    assert np.array_equal(got @ np.array([1, 4, 16, 64]), ALL_INT8)
    pp = arith.booth_partial_products(ALL_INT8[:, None], ALL_INT8[None, :])
    assert np.array_equal(pp @ np.array([1, 4, 16, 64]), np.outer(ALL_INT8, ALL_INT8))


def test_select_codes_follow_table() -> None:
    enc = arith.ent_encode(ALL_INT8)
    table = {0b00: -2, 0b01: 1, 0b10: 2, 0b11: -1}
    for idx, a in enumerate(ALL_INT8):
        for j in range(4):
            sel = int(enc.select[idx, j])
            assert sel == (((int(enc.codes[idx, j]) >> 1) ^ int(a < 0)) << 1
                           | (int(enc.codes[idx, j]) & 1))
            want = py_ent(int(a))[j]
            got = table[sel] if enc.nonzero[idx, j] else 0
            assert got == want
    b = rand8(256)
    pp = arith.select_pp(enc.select, enc.nonzero, b[:, None])
    assert np.array_equal((pp * [1, 4, 16, 64]).sum(axis=1), ALL_INT8 * b)


@pytest.mark.parametrize("encoding", ["ent", "booth", "binary", "naf"])
def test_nonzero_digit_counts(encoding: str) -> None:
    def naf(v: int) -> int:
        v, c = abs(v), 0
        while v:
            if v & 1:
                c += 1
                v -= 2 - (v % 4)
            v //= 2
        return c

    brute = {
        "ent": lambda a: sum(d != 0 for d in py_ent(a)),
        "booth": lambda a: sum(d != 0 for d in py_booth(a)),
        "binary": lambda a: bin(abs(a)).count("1"),
        "naf": naf,
    }[encoding]
    got = arith.nonzero_digits(ALL_INT8, encoding)
    assert got.tolist() == [brute(int(a)) for a in ALL_INT8]


def test_uniform_int8_averages_match_reference() -> None:
    # reference table, uniform INT8 row: EN-T 2.918, Booth 3.000, popcount 3.504
    assert arith.nonzero_digits(ALL_INT8, "ent").mean() == pytest.approx(2.918, abs=5e-4)
    assert arith.nonzero_digits(ALL_INT8, "booth").mean() == pytest.approx(3.000, abs=5e-4)
    assert arith.nonzero_digits(ALL_INT8, "binary").mean() == pytest.approx(3.504, abs=5e-4)


@pytest.mark.parametrize("width", [8, 13, 26, 32])
def test_csa_tree_sum_plus_carry(width: int) -> None:
    for count in (1, 2, 3, 6, 7):
        ops = [RNG.integers(-(2**20), 2**20, size=50) for _ in range(count)]
        s, c = arith.csa_tree(ops, width)
        for i in range(50):
            want = py_wrap(sum(int(o[i]) for o in ops), width)
            assert py_wrap(int(s[i]) + int(c[i]), width) == want


@pytest.mark.parametrize("acc_bits", [20, 32])
def test_carry_save_gemm_matches_exact_dot(acc_bits: int) -> None:
    a, b = rand8(5, 40), rand8(40, 6)
    s, c = arith.carry_save_gemm(a, b, acc_bits)
    exact = py_dot(a, b)
    for i in range(5):
        for j in range(6):
            assert py_wrap(int(s[i, j]) + int(c[i, j]), acc_bits) == py_wrap(exact[i, j], acc_bits)


def test_mac_and_bitserial_gemm_exact() -> None:
    a, b = rand8(7, 33), rand8(33, 5)
    exact = np.array(py_dot(a, b), dtype=np.int64)
    assert np.array_equal(arith.mac_gemm(a, b), exact)
    assert np.array_equal(arith.bitserial_gemm(a, b), exact)
    assert np.array_equal(arith.same_bit_weight_gemm(a, b), exact)


def test_accumulator_wrap_all_minus_128() -> None:
    k = 2**16 + 3  # 16384 * K overflows 32-bit signed
    a = np.full((1, k), -128)
    b = np.full((k, 1), -128)
    assert arith.mac_gemm(a, b)[0, 0] == py_wrap(16384 * k, 32)
    assert arith.mac_gemm(a, b, acc_bits=20)[0, 0] == py_wrap(16384 * k, 20)


def test_same_bit_weight_narrow_wrap_reproduces_reference_cases() -> None:
    b = np.full((16, 1), -128)
    row_m2 = np.full((1, 16), -2)
    row_m128 = np.full((1, 16), -128)
    # safe default: exact
    assert arith.same_bit_weight_gemm(row_m2, b)[0, 0] == 4096
    assert arith.same_bit_weight_gemm(row_m128, b)[0, 0] == 262144
    # public RTL widths: 13-bit intermediate, 20-bit dot product
    narrow = {"inter_bits": 13, "dot_bits": 20}
    assert arith.same_bit_weight_gemm(row_m2, b, **narrow)[0, 0] == -4096
    assert arith.same_bit_weight_gemm(row_m128, b, **narrow)[0, 0] == -262144
    # random data does not hit the wrap
    a, bb = rand8(50, 16), rand8(16, 40)
    assert np.array_equal(arith.same_bit_weight_gemm(a, bb, **narrow),
                          np.array(py_dot(a, bb), dtype=np.int64))
    assert arith.safe_inter_bits(16) == 14


def brute_cycles(row: np.ndarray) -> int:
    """Reference rule: sum over j and groups of 4 of max(1, non-zero digits)."""
    total = 0
    padded = list(row) + [0] * (-len(row) % 4)
    for j in range(4):
        for g in range(0, len(padded), 4):
            nnz = sum(py_ent(int(x))[j] != 0 for x in padded[g:g + 4])
            total += max(1, nnz)
    return total


def test_bitserial_cycles_and_schedule() -> None:
    a = np.concatenate([rand8(6, 18), np.zeros((1, 18), dtype=np.int64),
                        np.full((1, 18), 85)])  # 85 = 1+4+16+64: four non-zero digits
    got = arith.bitserial_row_cycles(a)
    assert got.tolist() == [brute_cycles(r) for r in a]
    assert got[-2] == 4 * 5  # all-zero row: 1 cycle per group and digit (K=18 -> 5 groups)
    assert got[-1] == 4 * (4 + 4 + 4 + 4 + 2)  # dense: 4 cycles per MAC (last group 2 lanes)
    b = rand8(18)
    for row, cyc in zip(a, got, strict=True):
        steps = arith.bitserial_schedule(row)
        assert len(steps) == cyc
        acc = 0
        for st in steps:
            if st.valid:
                k = st.g * 4 + st.lane
                acc += {0: -2, 1: 1, 2: 2, 3: -1}[st.select] * int(b[k]) * 4 ** st.j
        assert acc == sum(int(x) * int(y) for x, y in zip(row, b, strict=True))


def test_laconic_cycles_brute_force() -> None:
    a, b = rand8(3, 20), rand8(20, 4)
    got = arith.laconic_group_cycles(a, b, lanes=8)
    ta = arith.nonzero_digits(np.pad(a, ((0, 0), (0, 4))), "naf")
    tb = arith.nonzero_digits(np.pad(b, ((0, 4), (0, 0))), "naf")
    for m in range(3):
        for n in range(4):
            for g in range(3):
                want = max(1, max(int(ta[m, k]) * int(tb[k, n]) for k in range(8 * g, 8 * g + 8)))
                assert got[m, g, n] == want


@pytest.mark.parametrize("bad", [np.array([128]), np.array([-129]), np.array([1.5])])
def test_bad_operands_raise_simerror(bad: np.ndarray) -> None:
    with pytest.raises(SimError):
        arith.ent_digits(bad)


def test_shape_mismatch_raises() -> None:
    with pytest.raises(SimError, match="shapes do not match"):
        arith.mac_gemm(rand8(2, 3), rand8(4, 2))
    with pytest.raises(SimError):
        arith.wrap(np.array([1]), 1)
