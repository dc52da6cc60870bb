"""Stochastic number generators: LFSR period and exact counts, device models, correlation
control (SCC at N = 256), gate semantics under correlation, and error vs stream length."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import norm

from sim.core.errors import SimError
from sim.models.stochastic import analysis, sng
from sim.models.stochastic import streams as st
from sim.models.stochastic.device import (
    ExponentialDevice,
    Readout,
    ThresholdDevice,
    effective_p,
)
from sim.models.stochastic.roberts import make_rng


@pytest.mark.parametrize("taps", sng.TAPS8)
def test_lfsr_taps_are_maximal_length(taps: int) -> None:
    states = sng.lfsr_states(taps, 1, 8, 255)
    assert sorted(states.tolist()) == list(range(1, 256))  # every nonzero state once
    assert sng.lfsr_period(taps, 8) == 255


def test_non_primitive_taps_have_short_period() -> None:
    assert sng.lfsr_period(0x80, 8) < 255  # x^8 + 1: a plain rotation


def test_lfsr_bad_parameters_are_simerrors() -> None:
    with pytest.raises(SimError, match="seed"):
        sng.lfsr_states(0xB8, 0, 8, 10)
    with pytest.raises(SimError, match="tap mask"):
        sng.lfsr_states(0x38, 1, 8, 10)
    with pytest.raises(SimError, match="codes"):
        sng.lfsr_streams(np.array([256]), 0xB8, 1, 8, 16)


def test_lfsr_full_period_gives_exact_counts() -> None:
    codes = np.arange(256)
    counts = st.popcount(sng.lfsr_streams(codes, 0xB4, 0x5A, 8, 255))
    assert np.array_equal(counts, codes)  # [R <= X] over R = 1..255 is X ones


def test_threshold_device_probability_is_gaussian_cdf() -> None:
    dev = ThresholdDevice(mu_v=1.2, sigma_v=0.1)
    v = np.linspace(0.8, 1.6, 9)
    assert np.allclose(dev.p_switch(v, 1e-6), norm.cdf(v, 1.2, 0.1))
    assert np.allclose(dev.cdf(dev.level_for(np.array([0.1, 0.5, 0.9]))), [0.1, 0.5, 0.9])


def test_exponential_device_depends_on_amplitude_and_width() -> None:
    dev = ExponentialDevice(tau0_s=1e-3, v0_v=0.25)
    assert dev.p_switch(1.5, 1e-5) == pytest.approx(1 - np.exp(-1e-5 / (1e-3 * np.exp(-6))))
    assert dev.p_switch(1.6, 1e-5) > dev.p_switch(1.5, 1e-5)
    assert dev.p_switch(1.5, 2e-5) > dev.p_switch(1.5, 1e-5)
    assert np.allclose(dev.cdf(dev.level_for(np.array([0.2, 0.7]))), [0.2, 0.7])


def test_threshold_width_lowers_the_switching_voltage() -> None:
    """mu(w) = mu_v - v0 ln(w / ref): a 10x longer pulse lowers the threshold by v0 ln 10."""
    dev = ThresholdDevice(mu_v=1.0, sigma_v=0.05, v0_v=0.1, ref_s=1e-6)
    for w in (1e-7, 1e-6, 1e-5):
        want = norm.cdf(1.0, 1.0 - 0.1 * np.log(w / 1e-6), 0.05)
        assert dev.p_switch(1.0, w) == pytest.approx(want)
    assert dev.p_switch(1.0, 1e-5) > dev.p_switch(1.0, 1e-6) > dev.p_switch(1.0, 1e-7)
    flat = ThresholdDevice(mu_v=1.0, sigma_v=0.05)  # negative control: v0 = 0
    assert flat.p_switch(1.0, 1e-5) == pytest.approx(flat.p_switch(1.0, 1e-7))


@pytest.mark.parametrize("device", [
    ThresholdDevice(mu_v=1.0, sigma_v=0.05, pulse_v=1.0, pulse_s=1e-6),  # P(switch) = 0.5
    ExponentialDevice(tau0_s=1e-3, v0_v=0.25, pulse_v=1.5, pulse_s=1e-3 * np.exp(-6) * np.log(2)),
])
def test_weak_drive_clips_the_encodable_probability(device: ThresholdDevice) -> None:
    """A comparator only sees switching events the pulse causes: targets above the drive's
    switching probability (0.5 here) come out at 0.5; lower ones are unaffected."""
    assert device.drive_p() == pytest.approx(0.5)
    p = np.array([0.2, 0.4, 0.9, 0.99])
    assert np.allclose(effective_p(device, p, Readout()), [0.2, 0.4, 0.5, 0.5])
    x, _ = sng.memristor_pair(device, np.full(4000, 0.9), np.full(4000, 0.9), 256, make_rng(1),
                              "separate")
    assert st.value(x, 256).mean() == pytest.approx(0.5, abs=0.01)
    strong = dataclasses.replace(device, pulse_v=device.pulse_v + 1.0)  # negative control
    assert effective_p(strong, p, Readout())[2] == pytest.approx(0.9)


@pytest.mark.parametrize("device,shift_sigma,off_sigma", [
    (ThresholdDevice(sigma_v=0.05), 0.02, 0.01),  # volts
    (ExponentialDevice(), 0.2, 1e-8),  # ln tau, seconds
])
def test_calibration_removes_static_mismatch_up_to_the_dac(
        device: ThresholdDevice, shift_sigma: float, off_sigma: float) -> None:
    """Per-device references: device shifts and comparator offsets no longer move p (an 8-bit
    grid leaves < 0.02 while the needed reference stays inside the DAC range); uncalibrated, the
    same mismatch moves it far (negative control)."""
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.8, (500, 2))
    shift = rng.normal(0, shift_sigma, (500, 1))
    off = rng.normal(0, off_sigma, (500, 2))
    cal = effective_p(device, p, Readout(8, 0.0, 0.0, calibrated=True), off, shift)
    raw = effective_p(device, p, Readout(8), off, shift)
    assert np.abs(cal - p).max() < 0.02
    assert np.abs(raw - p).max() > 0.1


def test_dac_quantisation_moves_probability_but_keeps_0_and_1() -> None:
    dev = ThresholdDevice()
    p = np.array([0.0, 0.3, 0.31, 1.0])
    q = effective_p(dev, p, Readout(dac_bits=3))
    assert q[0] == 0.0 and q[-1] == 1.0
    assert q[1] == q[2]  # 8 levels cannot tell 0.30 from 0.31


@pytest.mark.parametrize("device", [ThresholdDevice(), ExponentialDevice()])
def test_memristor_stream_values_are_unbiased(device: ThresholdDevice) -> None:
    p = np.linspace(0.05, 0.95, 19).repeat(200)
    x, _ = sng.memristor_pair(device, p, p, 256, make_rng(3), "separate")
    est = st.value(x, 256).reshape(19, 200).mean(axis=1)
    sigma = np.sqrt(p[::200] * (1 - p[::200]) / (256 * 200))
    assert np.all(np.abs(est - p[::200]) < 5 * sigma)


def test_scc_of_generated_pairs_at_256_is_on_target() -> None:
    for row in analysis.scc_rows(n_bits=256, pairs=2000, seed=1):
        assert abs(float(row["scc_mean"]) - float(row["target"])) <= 0.05, row


def test_gate_semantics_follow_correlation() -> None:
    rng = make_rng(5)
    dev = ThresholdDevice()
    pa, pb, n, m = 0.7, 0.4, 1024, 2000
    a_arr, b_arr = np.full(m, pa), np.full(m, pb)
    tol = 4 * 0.5 / np.sqrt(n * m)
    xs, ys = sng.memristor_pair(dev, a_arr, b_arr, n, rng, "shared")
    xi, yi = sng.memristor_pair(dev, a_arr, b_arr, n, rng, "inverted")
    x0, y0 = sng.memristor_pair(dev, a_arr, b_arr, n, rng, "separate")
    mean = lambda w: float(st.value(w, n).mean())  # noqa: E731
    assert mean(st.s_xor(xs, ys)) == pytest.approx(abs(pa - pb), abs=tol)
    assert mean(st.s_or(xs, ys)) == pytest.approx(max(pa, pb), abs=tol)
    assert mean(st.s_and(xs, ys)) == pytest.approx(min(pa, pb), abs=tol)
    assert mean(st.s_and(xi, yi)) == pytest.approx(max(pa + pb - 1, 0), abs=tol)
    assert mean(st.s_or(xi, yi)) == pytest.approx(min(pa + pb, 1), abs=tol)
    assert mean(st.s_and(x0, y0)) == pytest.approx(pa * pb, abs=tol)
    assert mean(st.s_xor(x0, y0)) == pytest.approx(pa + pb - 2 * pa * pb, abs=tol)
    xa, xb = 2 * pa - 1, 2 * pb - 1  # bipolar product through XNOR
    assert 2 * mean(st.s_xnor(x0, y0, n)) - 1 == pytest.approx(xa * xb, abs=2 * tol)
    s = sng.random_streams(np.full(m, 0.25), n, rng)
    assert mean(st.s_mux(s, x0, y0)) == pytest.approx(0.25 * pa + 0.75 * pb, abs=tol)


def test_error_follows_inverse_sqrt_length() -> None:
    rows = analysis.error_vs_length(lengths=(16, 64, 256, 1024), values=3000, seed=2)
    for kind in ("random", "memristor"):
        assert -0.55 <= analysis.loglog_slope(rows, kind) <= -0.45
        for r in (r for r in rows if r["sng"] == kind):
            assert float(r["rms_error"]) == pytest.approx(float(r["theory"]), rel=0.1)
    assert analysis.loglog_slope(rows, "sobol") < -0.8  # low discrepancy: ~1/N
