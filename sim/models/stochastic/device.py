"""Volatile memristor switching models for stochastic number encoders (SNEs).

Each pulse draws a fresh latent value per device (volatile threshold switching: the device
resets itself after every pulse, so pulses are independent). A comparator with reference
``level`` outputs 1 when the latent value is at or below the level, so
``P(bit = 1) = cdf(level)``. Two model forms (modelling choices, not fitted values):

* ``threshold``: per-pulse switching voltage V_th ~ N(mu(w), sigma_v) (sigma_v: the
  cycle-to-cycle spread); a pulse of amplitude V (volts) and width w (seconds) switches the
  device iff V >= V_th, so P(V, w) = Phi((V - mu(w)) / sigma_v). The mean threshold falls
  logarithmically with the width, mu(w) = mu_v - v0_v ln(w / ref_s): the field-accelerated
  kinetics t_sw = tau0 exp(-V / v0) inverted at t_sw = w. Levels are volts.
* ``exponential``: switching time t_sw ~ Exp(tau(V)), tau(V) = tau0 exp(-V / v0) (Gaba et al.,
  Nanoscale 2013); a pulse of width w (seconds) switches it with P(V, w) = 1 - exp(-w / tau(V)).
  At the fixed drive amplitude, levels are time windows (seconds).

A comparator can only report a switching event that the drive pulse causes: its level is capped
at the drive (V_th <= pulse_v, t_sw <= pulse_s), so a target probability above the drive's
switching probability P(pulse_v, pulse_s) is clipped to it. This is how the pulse amplitude and
width change the streams (not only the energy).

Because every bit is ``[latent <= level]`` and ``cdf`` is monotone, drawing a uniform
U = cdf(latent) per pulse and comparing ``U < cdf(level)`` is exact in distribution; the
stream generators in :mod:`sim.models.stochastic.sng` do that with 16-bit uniforms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from sim.core.errors import SimError

FloatArray = npt.NDArray[np.float64]
# Probabilities the DAC range spans: references are clipped to [P_MIN, P_MAX] before quantising.
P_MIN = 1e-3
P_MAX = 1.0 - 1e-3


class DeviceModel(Protocol):
    """What a switching model provides (levels in the model's own unit: V or s)."""

    @property
    def pulse_v(self) -> float:
        """Drive pulse amplitude (V)."""
        ...

    @property
    def pulse_s(self) -> float:
        """Drive pulse width (s)."""
        ...

    def p_switch(self, amplitude_v: FloatArray | float, width_s: FloatArray | float
                 ) -> FloatArray:
        """Switching probability of one pulse of ``amplitude_v`` volts and ``width_s`` seconds."""
        ...

    def cdf(self, level: FloatArray, shift: FloatArray | float = 0.0) -> FloatArray:
        """P(latent <= level) for a device whose latent is shifted by ``shift`` (d2d spread)."""
        ...

    def level_for(self, p: FloatArray, shift: FloatArray | float = 0.0) -> FloatArray:
        """Comparator reference giving probability ``p`` on a device shifted by ``shift``
        (inverse cdf; 0 = the nominal device)."""
        ...

    def drive_p(self) -> float:
        """Switching probability of the drive pulse itself (switch events per pulse)."""
        ...


@dataclass(frozen=True)
class ThresholdDevice:
    """Gaussian threshold model: V_th ~ N(mu(w), sigma_v) per pulse, mu(w) = mu_v - v0_v
    ln(w / ref_s); pulse amplitude in volts, widths in seconds."""

    mu_v: float = 1.0
    sigma_v: float = 0.15
    pulse_v: float = 1.5
    pulse_s: float = 1e-6
    v0_v: float = 0.0
    ref_s: float = 1e-6

    def __post_init__(self) -> None:
        if self.sigma_v <= 0:
            raise SimError(f"threshold model needs sigma_v > 0 V, got {self.sigma_v}")
        if self.v0_v < 0 or self.ref_s <= 0:
            raise SimError(f"threshold model needs v0_v >= 0 V and ref_s > 0 s, got "
                           f"{self.v0_v}, {self.ref_s}")

    def mu(self, width_s: FloatArray | float) -> FloatArray:
        """Mean switching voltage (V) for pulses of ``width_s`` seconds."""
        w = np.clip(np.asarray(width_s, dtype=np.float64), 1e-300, None)
        return np.asarray(self.mu_v - self.v0_v * np.log(w / self.ref_s))

    def p_switch(self, amplitude_v: FloatArray | float, width_s: FloatArray | float
                 ) -> FloatArray:
        """Phi((V - mu(w)) / sigma_v) for amplitude V (volts) and width w (s); 0 for w <= 0."""
        amp = np.asarray(amplitude_v, dtype=np.float64)
        width = np.asarray(width_s, dtype=np.float64)
        return np.asarray(ndtr((amp - self.mu(width)) / self.sigma_v) * (width > 0))

    def cdf(self, level: FloatArray, shift: FloatArray | float = 0.0) -> FloatArray:
        """P(V_th <= min(level, pulse_v)) at the drive width, V_th shifted by ``shift`` (volts,
        device-to-device)."""
        lv = np.minimum(np.asarray(level, dtype=np.float64), self.pulse_v)
        return np.asarray(ndtr((lv - self.mu(self.pulse_s) - shift) / self.sigma_v))

    def level_for(self, p: FloatArray, shift: FloatArray | float = 0.0) -> FloatArray:
        """Reference voltage (V) at which a device shifted by ``shift`` volts gives probability
        p (at the drive width; capped at the drive amplitude)."""
        lv = self.mu(self.pulse_s) + shift + self.sigma_v * ndtri(np.asarray(p, dtype=np.float64))
        return np.asarray(np.minimum(lv, self.pulse_v))

    def drive_p(self) -> float:
        """P(switch) of the drive pulse (pulse_v volts, pulse_s seconds)."""
        return float(self.p_switch(self.pulse_v, self.pulse_s))


@dataclass(frozen=True)
class ExponentialDevice:
    """Kinetic model: t_sw ~ Exp(tau(V)), tau(V) = tau0_s exp(-V / v0_v); levels in seconds."""

    tau0_s: float = 1e-3
    v0_v: float = 0.25
    pulse_v: float = 1.5
    pulse_s: float = 1e-5

    def __post_init__(self) -> None:
        if self.tau0_s <= 0 or self.v0_v <= 0:
            raise SimError(f"exponential model needs tau0_s > 0 and v0_v > 0, got "
                           f"{self.tau0_s}, {self.v0_v}")

    def tau(self, amplitude_v: FloatArray | float) -> FloatArray:
        """Mean switching time (s) at amplitude V (volts)."""
        return np.asarray(self.tau0_s * np.exp(-np.asarray(amplitude_v) / self.v0_v))

    def p_switch(self, amplitude_v: FloatArray | float, width_s: FloatArray | float
                 ) -> FloatArray:
        """1 - exp(-w / tau(V)) for width w (s) and amplitude V (volts)."""
        width = np.clip(np.asarray(width_s, dtype=np.float64), 0.0, None)
        return np.asarray(-np.expm1(-width / self.tau(amplitude_v)))

    def cdf(self, level: FloatArray, shift: FloatArray | float = 0.0) -> FloatArray:
        """P(t_sw <= min(level, pulse_s)) at the drive amplitude, tau scaled by exp(shift)
        (shift on ln tau)."""
        tau = self.tau(self.pulse_v) * np.exp(shift)
        lv = np.clip(np.asarray(level, dtype=np.float64), 0.0, self.pulse_s)
        return np.asarray(-np.expm1(-lv / tau))

    def level_for(self, p: FloatArray, shift: FloatArray | float = 0.0) -> FloatArray:
        """Sampling window (s) at which a device with ln tau shifted by ``shift`` gives
        probability p (capped at the pulse width)."""
        tau = self.tau(self.pulse_v) * np.exp(shift)
        lv = -tau * np.log1p(-np.asarray(p, dtype=np.float64))
        return np.asarray(np.minimum(lv, self.pulse_s))

    def drive_p(self) -> float:
        """P(switch) of the drive pulse (pulse_v volts, pulse_s seconds)."""
        return float(self.p_switch(self.pulse_v, self.pulse_s))


@dataclass(frozen=True)
class Readout:
    """Comparator read-out non-idealities: reference DAC bits, offsets and device spread.

    ``sigma_cmp`` (comparator offset) and ``sigma_d2d`` (device-to-device shift of the latent;
    volts for the threshold model, natural log of tau for the exponential one) are drawn once
    per hardware unit, i.e. they are static mismatch, not per-pulse noise. ``calibrated``: each
    comparator's reference is set from its own device and offset (a one-time per-device
    calibration through the comparator), so only the DAC grid and its range remain.
    """

    dac_bits: int = 0
    sigma_cmp: float = 0.0
    sigma_d2d: float = 0.0
    calibrated: bool = False


def quantise_levels(device: DeviceModel, p: FloatArray, dac_bits: int,
                    shift: FloatArray | float = 0.0, offset: FloatArray | float = 0.0
                    ) -> FloatArray:
    """References (model units) for target probabilities ``p`` on a device shifted by ``shift``
    behind a comparator with ``offset`` (both 0: the nominal device); 0 and 1 stay exact.

    With ``dac_bits > 0`` the reference is clipped to and rounded on a uniform grid of
    2**dac_bits levels over the range giving P_MIN..P_MAX on a nominal device.
    """
    p = np.asarray(p, dtype=np.float64)
    inner = np.clip(p, P_MIN, P_MAX)
    level = device.level_for(inner, shift) - offset
    lo, hi = device.level_for(np.array([P_MIN, P_MAX]))
    if dac_bits > 0 and hi > lo:  # hi == lo when the drive caps the whole range
        steps = float(2**dac_bits - 1)
        level = np.clip(level, lo, hi)
        level = lo + np.rint((level - lo) / (hi - lo) * steps) * (hi - lo) / steps
    return np.asarray(level, dtype=np.float64)


def effective_p(device: DeviceModel, p: FloatArray, readout: Readout,
                cmp_offset: FloatArray | float = 0.0,
                d2d_shift: FloatArray | float = 0.0) -> FloatArray:
    """Probability a comparator actually produces for target ``p`` after the read-out effects.

    Targets exactly 0 or 1 stay 0 or 1 (the comparator is disabled or forced on).
    """
    p = np.asarray(p, dtype=np.float64)
    cal = readout.calibrated
    level = quantise_levels(device, p, readout.dac_bits, d2d_shift if cal else 0.0,
                            cmp_offset if cal else 0.0) + cmp_offset
    out = device.cdf(level, d2d_shift)
    return np.asarray(np.where(p <= 0.0, 0.0, np.where(p >= 1.0, 1.0, out)))
