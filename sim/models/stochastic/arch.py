"""Arch schema of the ``stochastic`` family (validated from YAML; strict, unknown keys rejected)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from sim.models.stochastic.device import (
    DeviceModel,
    ExponentialDevice,
    Readout,
    ThresholdDevice,
)
from sim.models.stochastic.roberts import LfsrConfig, ScConfig
from sim.spec.base import ArchBase, Count, FreqMHz, StrictModel

Volts = Annotated[float, Field(gt=0, le=100)]
Seconds = Annotated[float, Field(gt=0, le=1)]
ImageName = Literal["camera", "coins", "moon", "text", "page", "brick", "grass", "gravel", "cell",
                    "clock", "astronaut", "rocket", "coffee", "chelsea"]
SKIMAGE_SAMPLES: tuple[str, ...] = get_args(ImageName)


class ThresholdSpec(StrictModel):
    """Gaussian threshold model: per pulse V_th ~ N(mu(w), sigma_v), mu(w) = mu_v - v0_v
    ln(w / ref_s); P(V, w) = Phi((V - mu(w)) / sigma_v)."""

    kind: Literal["threshold"]
    mu_v: Volts = 1.0
    """Mean switching voltage (V) for pulses of ``ref_s`` seconds."""
    sigma_v: Volts = 0.15
    """Cycle-to-cycle standard deviation of the switching voltage (V)."""
    pulse_v: Volts = 1.5
    """Drive pulse amplitude (V)."""
    pulse_s: Seconds = 1e-6
    """Drive pulse width (s)."""
    v0_v: float = Field(default=0.0, ge=0, le=100)
    """Fall of the mean switching voltage per e-fold of pulse width (V); 0 = width-independent."""
    ref_s: Seconds = 1e-6
    """Pulse width at which ``mu_v`` holds (s)."""

    def build(self) -> ThresholdDevice:
        """The device model."""
        return ThresholdDevice(self.mu_v, self.sigma_v, self.pulse_v, self.pulse_s, self.v0_v,
                               self.ref_s)


class ExponentialSpec(StrictModel):
    """Kinetic model: t_sw ~ Exp(tau0 exp(-V / v0)); P(V, w) = 1 - exp(-w / tau(V))."""

    kind: Literal["exponential"]
    tau0_s: Seconds = 1e-3
    """Switching time constant at 0 V (s)."""
    v0_v: Volts = 0.25
    """Voltage scale of the exponential speed-up (V)."""
    pulse_v: Volts = 1.5
    """Drive pulse amplitude (V)."""
    pulse_s: Seconds = 1e-5
    """Drive pulse width (s)."""

    def build(self) -> ExponentialDevice:
        """The device model."""
        return ExponentialDevice(self.tau0_s, self.v0_v, self.pulse_v, self.pulse_s)


NoiseSiteName = Literal["inputs", "output", "common_mode"]
DEFAULT_SITES: tuple[NoiseSiteName, ...] = ("inputs", "output")
DeviceSpec = Annotated[ThresholdSpec | ExponentialSpec, Field(discriminator="kind")]


class ReadoutSpec(StrictModel):
    """Comparator read-out: reference DAC resolution and static mismatch."""

    dac_bits: int = Field(default=0, ge=0, le=16)
    """Reference DAC bits (0 = ideal continuous reference)."""
    sigma_cmp: float = Field(default=0.0, ge=0, le=10)
    """Comparator offset standard deviation (model level units: V or s)."""
    sigma_d2d: float = Field(default=0.0, ge=0, le=10)
    """Device-to-device spread (V on the threshold, or ln tau for the exponential model)."""
    calibrated: bool = False
    """References set per device and comparator by a one-time calibration (removes the static
    mismatch up to the DAC grid)."""


class LfsrSpec(StrictModel):
    """Three 8-bit Fibonacci LFSRs for (a, d), (b, c) and the select; masks: bit i-1 = x^i."""

    taps: list[Annotated[int, Field(ge=0x80, le=0xFF)]] = Field(
        default_factory=lambda: [0xB8, 0xB4, 0x8E], min_length=3, max_length=3)
    """Feedback masks (must include bit 7, i.e. x^8)."""
    seeds: list[Annotated[int, Field(ge=1, le=255)]] = Field(
        default_factory=lambda: [0x01, 0x5A, 0x81], min_length=3, max_length=3)
    """Nonzero seeds, reloaded for every pixel."""


class NoiseSpec(StrictModel):
    """Bit-flip noise: the same per-bit rate on the stochastic streams and the binary pixels."""

    rate: float = Field(default=0.0, ge=0.0, le=0.5)
    """Probability that a bit is flipped (0..0.5)."""
    sites: list[NoiseSiteName] = Field(default_factory=lambda: list(DEFAULT_SITES))
    """Where streams are flipped: every encoder output stream independently (inputs, as the
    paper's Fig. 1 flips an input stochastic number), the MUX output (output), or the control
    common_mode: one mask on both streams of each correlated pair, which cancels in the XOR."""


class StochasticArch(ArchBase):
    """Stochastic Roberts-cross accelerator: P units, each one pixel per N cycles."""

    family: Literal["stochastic"]
    operator: Literal["stochastic", "binary"] = "stochastic"
    """Which hardware runs the filter: stochastic units, or the 8-bit binary baseline."""
    sng: Literal["memristor", "lfsr", "sobol"] = "memristor"
    """Stochastic number generator kind."""
    device: DeviceSpec = Field(default_factory=lambda: ThresholdSpec(kind="threshold"))
    """Memristor switching model (used when sng is memristor)."""
    readout: ReadoutSpec = Field(default_factory=ReadoutSpec)
    lfsr: LfsrSpec = Field(default_factory=LfsrSpec)
    stream_bits: int = Field(default=256, ge=2, le=65536)
    """Stream length N (bits = cycles per pixel)."""
    units: Count = 1
    """Parallel Roberts units P."""
    freq_mhz: FreqMHz = 100.0
    """Clock frequency (MHz)."""
    noise: NoiseSpec = Field(default_factory=NoiseSpec)
    edge_fraction: float = Field(default=0.1, gt=0, lt=1)
    """Fraction of pixels counted as edges for the F1 score."""
    image: ImageName = "camera"
    """scikit-image sample used when an op names no image."""
    energy: Literal["activity", "per_cycle"] = "activity"
    """Energy basis: ``activity`` (bit toggles of the RTL units' registers and nets on the op's
    image, :mod:`sim.models.stochastic.activity`) for the binary unit and LFSR stochastic units
    with N <= 1024; otherwise, or with ``per_cycle``, every action once per cycle or pixel.
    Each op records its basis (``energy_basis``)."""

    def device_model(self) -> DeviceModel:
        """The selected device model."""
        return self.device.build()

    def sc_config(self) -> ScConfig:
        """Configuration of the stochastic operator."""
        return ScConfig(
            n_bits=self.stream_bits, sng=self.sng,
            lfsr=LfsrConfig(taps=(self.lfsr.taps[0], self.lfsr.taps[1], self.lfsr.taps[2]),
                            seeds=(self.lfsr.seeds[0], self.lfsr.seeds[1], self.lfsr.seeds[2])),
            device=self.device_model(),
            readout=Readout(self.readout.dac_bits, self.readout.sigma_cmp,
                            self.readout.sigma_d2d, self.readout.calibrated),
            noise_rate=self.noise.rate, noise_sites=tuple(self.noise.sites), units=self.units)


