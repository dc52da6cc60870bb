"""Quality proxy on real weights (silero-vad encoder from the committed sample)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from sim.models.gap9 import quality as ql
from sim.models.gap9.layers import Layer
from sim.models.gap9.silero import SAMPLE_PATH, conv1d, load_sample


@pytest.fixture(scope="module")
def enc() -> ql.Encoder:
    return ql.load_encoder()


def test_sample_is_small_and_real() -> None:
    assert SAMPLE_PATH.stat().st_size < 500_000
    d = load_sample()
    assert d["enc0_w"].shape == (128, 129, 3)  # silero-vad encoder.0: Conv1d(129 -> 128, k=3)
    assert d["enc3_w"].shape == (128, 64, 3)
    assert "silero" in str(d["source"])


def test_conv1d_matches_naive() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, 4))
    w = rng.standard_normal((3, 4, 3))
    b = rng.standard_normal(3)
    got = conv1d(x, w, b, 2)
    xp = np.pad(x, ((1, 1), (0, 0)))
    want = [[sum(xp[2 * t + k, c] * w[o, c, k] for c in range(4) for k in range(3)) + b[o]
             for o in range(3)] for t in range(5)]
    np.testing.assert_allclose(got, want)


def test_weight_nsr_about_6db_per_bit(enc: ql.Encoder) -> None:
    w = enc.weights[1]
    db = [-10 * np.log10(ql.weight_nsr(w, b)) for b in ql.BITS]
    steps = np.diff(db)
    assert (steps > 3).all() and (steps[2:] < 8).all()  # ~6.02 dB per bit once fine-grained


def test_fake_quant_levels() -> None:
    w = np.array([[1.0, -0.5, 0.26, 0.0]])
    # 3 bits: levels k * 1/3 for k in -4..3 -> 1, -0.667, 0.333, 0
    np.testing.assert_allclose(ql.fake_quant(w, 3), [[1.0, -2 / 3, 1 / 3, 0.0]])


def test_additive_noise_model_tracks_exact_sqnr(enc: ql.Encoder) -> None:
    nsr = ql.encoder_nsr_table(enc)
    rng = np.random.default_rng(1)
    errs = []
    for _ in range(12):
        bits = tuple(int(b) for b in rng.integers(3, 9, 4))
        exact = ql.encoder_sqnr(enc, bits)
        model = float(ql.sqnr_from_nsr(nsr, np.array(bits)))
        errs.append(abs(exact - model))
    assert np.mean(errs) < 2.0 and max(errs) < 4.0, errs
    # and the exact SQNR falls when any layer loses bits
    assert ql.encoder_sqnr(enc, (8, 8, 8, 8)) > ql.encoder_sqnr(enc, (8, 4, 8, 8)) + 10


def test_donor_weights_shape(enc: ql.Encoder) -> None:
    layer = Layer(name="x", kind="conv2d", mode="3x3", k_in=40, k_out=24, h_in=5, w_in=5,
                  h_out=3, w_out=3, kernel=(3, 3), stride=1, padding=0, groups=1, qw=8, macs=0)
    w = ql.donor_weights(layer, enc)
    assert w.shape == (24, 360)
    flat = np.concatenate([x.reshape(-1) for x in enc.weights])
    assert np.isin(w, flat).all()  # every value is a real silero weight


@pytest.mark.skipif(importlib.util.find_spec("onnx") is None
                    or importlib.util.find_spec("silero_vad") is None,
                    reason="needs onnx + silero-vad to re-extract the sample")
def test_sample_regenerates_identically(tmp_path: object) -> None:
    from pathlib import Path

    from sim.models.gap9.silero import extract

    out = extract(Path(str(tmp_path)) / "s.npz")
    a, b = load_sample(out), load_sample()
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
