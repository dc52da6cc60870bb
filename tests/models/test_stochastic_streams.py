"""Bit-packed streams, gates, counters and SCC against plain boolean-array oracles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from sim.core.errors import SimError
from sim.models.stochastic import streams as st

RNG = np.random.default_rng(1)


@pytest.mark.parametrize("n", [1, 63, 64, 65, 200, 256])
def test_pack_roundtrip_and_zero_tail(n: int) -> None:
    bits = RNG.random((5, n)) < 0.5
    words = st.pack(bits)
    assert words.shape == (5, -(-n // 64))
    assert np.array_equal(st.unpack(words, n), bits)
    assert np.array_equal(st.popcount(words), bits.sum(axis=1))
    full = st.unpack(words, words.shape[1] * 64)
    assert not full[:, n:].any()


def test_gates_match_boolean_logic() -> None:
    n = 130
    a, b, s = (RNG.random((7, n)) < p for p in (0.3, 0.6, 0.5))
    pa, pb, ps = st.pack(a), st.pack(b), st.pack(s)
    cases = {
        "not": (st.s_not(pa, n), ~a),
        "and": (st.s_and(pa, pb), a & b),
        "or": (st.s_or(pa, pb), a | b),
        "xor": (st.s_xor(pa, pb), a ^ b),
        "xnor": (st.s_xnor(pa, pb, n), ~(a ^ b)),
        "mux": (st.s_mux(ps, pa, pb), np.where(s, a, b)),
    }
    for name, (got, want) in cases.items():
        assert np.array_equal(st.unpack(got, n), want), name
        assert np.array_equal(st.counter(got), want.sum(axis=1)), name


def _scc_probability_form(x: np.ndarray, y: np.ndarray) -> float:
    """SCC from the probability form of the reference (an independent formula)."""
    px, py, pxy = x.mean(), y.mean(), (x & y).mean()
    delta = pxy - px * py
    den = (min(px, py) - px * py) if delta > 0 else (px * py - max(px + py - 1, 0))
    return 0.0 if den == 0 else float(delta / den)


def test_scc_count_form_equals_probability_form() -> None:
    n = 256
    for _ in range(50):
        x = RNG.random(n) < RNG.random()
        y = (RNG.random(n) < RNG.random()) ^ (x & (RNG.random(n) < 0.5))
        got = float(st.scc(st.pack(x[None]), st.pack(y[None]), n)[0])
        assert got == pytest.approx(_scc_probability_form(x, y), abs=1e-12)


def test_scc_extremes() -> None:
    n = 100
    t = np.arange(n)
    nested_a, nested_b = t < 30, t < 70  # a implies b: maximal overlap
    disjoint_a, disjoint_b = t < 30, t >= 50  # no overlap
    const = np.ones(n, bool)
    assert st.scc(st.pack(nested_a), st.pack(nested_b), n) == pytest.approx(1.0)
    assert st.scc(st.pack(disjoint_a), st.pack(disjoint_b), n) == pytest.approx(-1.0)
    assert st.scc(st.pack(const), st.pack(nested_a), n) == 0.0


@pytest.mark.parametrize("p", [0.0, 0.1, 0.37, 0.5, 0.9, 1.0])
def test_bernoulli_words_probability(p: float) -> None:
    n = 250
    words = st.bernoulli_words(RNG, (4000,), n, p)
    est = st.value(words, n).mean()
    sigma = np.sqrt(p * (1 - p) / (4000 * n))
    assert abs(est - p) <= 5 * sigma + 1e-5
    assert not st.unpack(words, 256)[:, n:].any()  # the tail stays zero


def test_flip_rate_out_of_range_is_simerror() -> None:
    with pytest.raises(SimError, match="bit-flip rate"):
        st.flip_mask(RNG, (2,), 64, 1.5)
    with pytest.raises(SimError, match="stream length"):
        st.n_words(0)


@settings(max_examples=60, deadline=None)
@given(hs.integers(1, 300), hs.integers(0, 2**32 - 1))
def test_scc_is_bounded_and_symmetric(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random(n) < rng.random()
    y = rng.random(n) < rng.random()
    px, py = st.pack(x), st.pack(y)
    s_xy = float(st.scc(px, py, n))
    assert -1.0 - 1e-12 <= s_xy <= 1.0 + 1e-12
    assert s_xy == pytest.approx(float(st.scc(py, px, n)), abs=1e-12)
    assert np.array_equal(st.unpack(st.s_not(st.s_not(px, n), n), n), x)
