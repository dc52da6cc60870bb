"""Roberts cross: binary operator vs a loop oracle, stochastic operator vs the closed forms of the
reference (noise model, section 6), metrics vs scikit-image, quality under noise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.stochastic import metrics, sng
from sim.models.stochastic import streams as st
from sim.models.stochastic.device import Readout
from sim.models.stochastic.figures import operator_configs, preset_config
from sim.models.stochastic.model import load_sample
from sim.models.stochastic.roberts import (
    ScConfig,
    expected_output,
    flip_pixel_bits,
    make_rng,
    roberts_binary,
    roberts_sc,
)

CROP = load_sample("camera")[150:278, 180:308]  # 128 x 128 with strong edges


def test_binary_matches_loop_oracle() -> None:
    img = np.random.default_rng(0).integers(0, 256, (6, 7)).astype(np.uint8)
    want = np.zeros((5, 6), dtype=np.int64)
    for i in range(5):
        for j in range(6):
            a, b = int(img[i, j]), int(img[i, j + 1])
            c, d = int(img[i + 1, j]), int(img[i + 1, j + 1])
            want[i, j] = abs(a - d) + abs(b - c)
    assert np.array_equal(roberts_binary(img), want)


def test_bad_images_and_configs_are_simerrors() -> None:
    with pytest.raises(SimError, match="2-D"):
        roberts_binary(np.zeros((3, 3, 3), np.uint8))
    with pytest.raises(SimError, match="at least 2x2"):
        roberts_binary(np.zeros((1, 5), np.uint8))
    with pytest.raises(SimError, match="noise rate"):
        ScConfig(noise_rate=0.6)
    with pytest.raises(SimError, match="noise site"):
        ScConfig(noise_sites=("gates",))


def test_flat_image_gives_zero_with_correlated_lfsr_pairs() -> None:
    img = np.full((9, 9), 137, np.uint8)
    assert not roberts_sc(img, ScConfig(sng="lfsr")).counts.any()


def test_lfsr_xor_of_shared_pair_counts_absolute_difference() -> None:
    # Over one full LFSR period, XOR of two comparators on one LFSR has exactly |a - d| ones.
    a, d = (g.ravel() for g in np.meshgrid(np.arange(0, 256, 5), np.arange(0, 256, 3)))
    x, y = sng.lfsr_pair(a, d, 255, "shared")
    assert np.array_equal(st.popcount(st.s_xor(x, y)), np.abs(a - d))


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.3, 0.5])
def test_memristor_operator_matches_noise_closed_form(rate: float) -> None:
    cfg = ScConfig(n_bits=256, sng="memristor", noise_rate=rate,
                   noise_sites=("inputs", "output"))
    run = roberts_sc(CROP, cfg, make_rng(11))
    p_hat = run.counts / cfg.n_bits
    p = expected_output(CROP, cfg)
    assert abs(p_hat.mean() - p.mean()) < 0.003
    rms = np.sqrt(np.mean((p_hat - p) ** 2))
    assert rms == pytest.approx(np.sqrt(np.mean(p * (1 - p)) / cfg.n_bits), rel=0.1)


def test_half_flip_rate_erases_information_but_common_mode_flips_cancel() -> None:
    ref = roberts_binary(CROP).ravel()
    cfg = ScConfig(sng="lfsr", noise_rate=0.5, noise_sites=("inputs", "output"))
    noisy = roberts_sc(CROP, cfg, make_rng(2)).counts.ravel()
    assert abs(np.corrcoef(noisy, ref)[0, 1]) < 0.05
    clean = roberts_sc(CROP, ScConfig(sng="lfsr")).counts
    common = roberts_sc(CROP, replace(cfg, noise_sites=("common_mode",)), make_rng(3)).counts
    assert np.array_equal(common, clean)  # a ^ m ^ (d ^ m) == a ^ d


def test_pixel_bit_flips() -> None:
    rng = make_rng(0)
    assert np.array_equal(flip_pixel_bits(CROP, 0.0, rng), CROP)
    flipped = flip_pixel_bits(CROP, 1.0, rng)
    assert np.array_equal(flipped, 255 - CROP)
    uniform = flip_pixel_bits(CROP, 0.5, rng)
    assert abs(float(uniform.mean()) - 127.5) < 2.0


def test_ssim_matches_scikit_image() -> None:
    from skimage.metrics import structural_similarity

    ref = roberts_binary(CROP) / 510
    test = roberts_sc(CROP, ScConfig(sng="memristor", noise_rate=0.1), make_rng(4)).g_hat / 510
    want = structural_similarity(ref, test, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)
    assert metrics.ssim(ref, test) == pytest.approx(want, abs=1e-9)


def test_psnr_and_f1_by_hand() -> None:
    ref = np.zeros((10, 10))
    assert metrics.psnr(ref, ref + 0.1) == pytest.approx(20.0)  # mse 0.01
    assert metrics.psnr(ref, ref) == metrics.PSNR_CAP_DB
    g = np.arange(100.0).reshape(10, 10)
    assert metrics.f1(g, g, 0.1) == 1.0
    assert metrics.f1(g, -g, 0.1) == 0.0


def test_stochastic_beats_binary_at_ten_percent_flips() -> None:
    ref = roberts_binary(CROP) / 510
    rng = make_rng(9)
    sc = roberts_sc(CROP, ScConfig(sng="memristor", noise_rate=0.1), rng).g_hat / 510
    bn = roberts_binary(flip_pixel_bits(CROP, 0.1, rng)) / 510
    q_sc, q_bn = metrics.quality(ref, sc), metrics.quality(ref, bn)
    assert q_sc["f1"] > q_bn["f1"] + 0.2
    assert q_sc["ssim"] > q_bn["ssim"]


def test_shipped_preset_has_device_variation_and_independent_flips() -> None:
    """The preset the reports lead with: cycle-to-cycle spread, device-to-device spread and
    comparator offsets on, a reference DAC, flips independent per encoder output stream."""
    cfg = preset_config()
    assert cfg.sng == "memristor" and cfg.units > 1
    assert cfg.readout.sigma_d2d > 0 and cfg.readout.sigma_cmp > 0 and cfg.readout.dac_bits > 0
    assert cfg.noise_sites == ("inputs",)
    first, *_, last = operator_configs().items()
    assert first[0].startswith("real device") and first[1] == replace(cfg, noise_sites=("inputs",))
    assert last[0].startswith("control") and last[1].noise_sites == ("common_mode",)


def test_static_mismatch_lowers_edge_quality() -> None:
    """Comparator offsets break the SCC = +1 pairing (equal pixels give a non-zero XOR) and
    device-to-device shifts distort |a - d| per unit: F1 falls below the ideal device's. Negative
    control: with the mismatch terms zeroed the same preset matches the ideal device."""
    cfg = replace(preset_config(), noise_rate=0.0)
    ref = roberts_binary(CROP) / 510.0

    def f1(c: ScConfig) -> float:
        return metrics.quality(ref, roberts_sc(CROP, c, make_rng(5)).g_hat / 510.0)["f1"]

    ideal = f1(replace(cfg, readout=Readout()))
    assert f1(cfg) < ideal - 0.1
    no_mismatch = replace(cfg, readout=Readout(cfg.readout.dac_bits))
    assert f1(no_mismatch) == pytest.approx(ideal, abs=0.03)
    calibrated = replace(cfg, readout=replace(cfg.readout, calibrated=True))
    assert f1(calibrated) == pytest.approx(ideal, abs=0.03)
