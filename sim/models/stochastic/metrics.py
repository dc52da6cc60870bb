"""Edge-map quality metrics against a reference map: PSNR, SSIM and edge F1.

Maps are compared on a [0, 1] scale (G / 510). Stochastic outputs under noise are an affine
(contrast-reduced, offset) copy of the clean map in expectation, so metrics are also given after
``match_contrast``, which maps a test image to the reference's global mean and standard deviation
(two numbers, the same rule for both operators). F1 thresholds each map at its own top
``edge_fraction`` quantile, so it only depends on the ranking of pixels, not on contrast.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from sim.core.errors import SimError
from sim.models.stochastic.streams import FloatArray

SSIM_K1 = 0.01
SSIM_K2 = 0.03
SSIM_SIGMA = 1.5
PSNR_CAP_DB = 100.0
"""PSNR reported for (numerically) identical maps, so results stay finite JSON."""


def _check(ref: FloatArray, test: FloatArray) -> None:
    if ref.shape != test.shape:
        raise SimError(f"maps differ in shape: {ref.shape} vs {test.shape}")


def psnr(ref: FloatArray, test: FloatArray, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, capped at PSNR_CAP_DB for identical maps."""
    _check(ref, test)
    mse = float(np.mean((np.asarray(ref, float) - np.asarray(test, float)) ** 2))
    floor = data_range**2 * 10.0 ** (-PSNR_CAP_DB / 10.0)
    return PSNR_CAP_DB if mse <= floor else 10.0 * float(np.log10(data_range**2 / mse))


def ssim(ref: FloatArray, test: FloatArray, data_range: float = 1.0) -> float:
    """Mean SSIM (Wang et al. 2004) with an 11-tap Gaussian window, sigma 1.5, K1/K2 = .01/.03.

    Population (not sample) covariances; a border of 5 pixels is left out of the mean (maps
    smaller than 21 pixels keep it).
    """
    _check(ref, test)
    x = np.asarray(ref, dtype=np.float64)
    y = np.asarray(test, dtype=np.float64)

    def filt(z: FloatArray) -> FloatArray:
        return np.asarray(gaussian_filter(z, SSIM_SIGMA, truncate=3.5, mode="reflect"))

    mx, my = filt(x), filt(y)
    vx = filt(x * x) - mx * mx
    vy = filt(y * y) - my * my
    cxy = filt(x * y) - mx * my
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    pad = 5 if min(s.shape) > 20 else 0
    return float(s[pad:s.shape[0] - pad, pad:s.shape[1] - pad].mean())


def edges(g: FloatArray, edge_fraction: float) -> np.ndarray:
    """Boolean edge map: the top ``edge_fraction`` of pixels by value."""
    if not 0.0 < edge_fraction < 1.0:
        raise SimError(f"edge fraction must be in (0, 1), got {edge_fraction}")
    thr = np.quantile(g, 1.0 - edge_fraction)
    return np.asarray(g > thr) if np.any(g > thr) else np.asarray(g >= thr)


def f1(ref: FloatArray, test: FloatArray, edge_fraction: float = 0.1) -> float:
    """F1 score of the thresholded test edge map against the thresholded reference (0..1)."""
    _check(ref, test)
    r = edges(ref, edge_fraction)
    t = edges(test, edge_fraction)
    tp = float(np.sum(r & t))
    denom = float(np.sum(r) + np.sum(t))
    return 0.0 if denom == 0 else 2.0 * tp / denom


def match_contrast(ref: FloatArray, test: FloatArray) -> FloatArray:
    """Affine map of ``test`` onto the reference's global mean and standard deviation."""
    _check(ref, test)
    sd = float(np.std(test))
    if sd == 0:
        return np.full_like(np.asarray(ref, float), float(np.mean(ref)))
    return np.asarray((test - np.mean(test)) / sd * np.std(ref) + np.mean(ref))


def quality(ref: FloatArray, test: FloatArray, edge_fraction: float = 0.1
            ) -> dict[str, float]:
    """PSNR (dB) and SSIM after contrast matching, raw PSNR, and edge F1."""
    matched = match_contrast(ref, test)
    return {
        "psnr": psnr(ref, matched),
        "ssim": ssim(ref, matched),
        "psnr_raw": psnr(ref, test),
        "f1": f1(ref, test, edge_fraction),
    }
