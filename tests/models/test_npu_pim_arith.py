"""Golden PIM GEMV arithmetic: fixed adder-tree order, RNE, NaN policy, int8 wrap, timing."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.npu_pim.arith import CANONICAL_NAN, gemv_fp16_bits, gemv_int8, unit_cycles


def f16(values: list[list[float]]) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(values, dtype=np.float16).view(np.uint16)


def f32_bits(x: float) -> int:
    return int(np.array(x, dtype=np.float32).view(np.uint32))


def test_tree_order_is_fixed_and_not_sequential() -> None:
    # Products 2^24, 1, 1, 1 (4096*4096 and 1*1). Tree: (2^24 + 1) rounds to 2^24 (tie to
    # even), (1 + 1) = 2, 2^24 + 2 is exact. A sequential sum would give 2^24.
    a = f16([[4096.0, 1.0, 1.0, 1.0]])
    assert gemv_fp16_bits(a, a) == f32_bits(2.0**24 + 2)
    seq = np.float32(0)
    for p in (2.0**24, 1.0, 1.0, 1.0):
        seq = np.float32(seq + np.float32(p))
    assert f32_bits(float(seq)) == f32_bits(2.0**24)


def test_accumulator_adds_tree_sums_in_beat_order() -> None:
    # Beat sums 2^24, then 1, then 1: acc = ((0 + 2^24) + 1) + 1 = 2^24 (each add ties to even).
    a = f16([[4096.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    b = f16([[4096.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    assert gemv_fp16_bits(a, b) == f32_bits(2.0**24)


def test_nan_inf_policy() -> None:
    inf_zero = gemv_fp16_bits(f16([[np.inf, 1.0]]), f16([[0.0, 1.0]]))
    assert inf_zero == CANONICAL_NAN
    payload = np.array([[0x7E55, 0x3C00]], dtype=np.uint16)  # NaN with a payload
    assert gemv_fp16_bits(payload, f16([[1.0, 1.0]])) == CANONICAL_NAN
    assert gemv_fp16_bits(f16([[np.inf, -np.inf]]), f16([[1.0, 1.0]])) == CANONICAL_NAN
    assert gemv_fp16_bits(f16([[np.inf, 5.0]]), f16([[-1.0, 1.0]])) == 0xFF800000


def test_fp16_subnormals_are_exact() -> None:
    # Smallest fp16 subnormal squared = 2^-48, exactly representable in fp32 (normal).
    tiny = f16([[2.0**-24, 0.0]])
    assert gemv_fp16_bits(tiny, tiny) == f32_bits(2.0**-48)


def test_int8_wraps_at_32_bits() -> None:
    beats = 8193  # 16 lanes x 16384 x 8193 = 2^31 + 2^18 -> wraps negative
    a = np.full((beats, 16), -128, dtype=np.int8)
    want = (16 * 16384 * beats) - 2**32
    assert gemv_int8(a, a) == want


def test_unit_cycles_and_errors() -> None:
    # first beat edge + 4 tree levels + accumulate edge: 6 for one beat on 16 lanes
    assert unit_cycles(1, 16) == 6
    assert unit_cycles(8, 16, spacing=2) == 7 * 2 + 6
    assert unit_cycles(8, 4) == 7 + 2 + 2
    with pytest.raises(SimError, match="power of two"):
        unit_cycles(1, 12)
    with pytest.raises(SimError):
        gemv_int8(np.zeros((2, 4)), np.zeros((2, 8)))
