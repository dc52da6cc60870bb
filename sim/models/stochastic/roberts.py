"""Roberts-cross edge detection: stochastic operator (golden model of ``rtl/sc``) and binary one.

For a 2x2 window a = x(i, j), b = x(i, j+1), c = x(i+1, j), d = x(i+1, j+1) (8-bit pixels),
G = |a - d| + |b - c| in 0..510. Output maps have shape (H - 1, W - 1) (valid windows only).

Stochastic operator: (a, d) from one source (SCC = +1), (b, c) from a second source, XOR of each
pair gives |a - d| and |b - c|, a MUX with an independent select of p = 1/2 halves their sum, and
a counter over N cycles decodes it: G_hat = 2 * 255 * count / N (pixel units).
With LFSR SNGs, every pixel restarts its LFSRs from the seeds (as the RTL does), and bit t of an
input stream is [R_t <= X] (p = X / 255); the select is [R_t <= 128] (p = 128/255).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.stochastic.device import DeviceModel, Readout, ThresholdDevice
from sim.models.stochastic.sng import (
    TAPS8,
    lfsr_states,
    memristor_device_streams,
    shared_streams,
    sobol_uniforms,
)
from sim.models.stochastic.streams import (
    FloatArray,
    IntArray,
    Words,
    counter,
    flip_mask,
    pack,
    s_mux,
    s_xor,
)

SngKind = Literal["lfsr", "sobol", "memristor"]
NoiseSite = Literal["inputs", "output", "common_mode"]
NOISE_SITES: tuple[str, ...] = ("inputs", "output", "common_mode")
"""``inputs``: every encoder output stream flipped independently (the paper's Fig. 1 flips an
input stochastic number); ``output``: the MUX output; ``common_mode``: a control, not a fault
model of the paper: one mask XORed into both streams of each correlated pair, so it cancels
exactly in the XOR ((a ^ m) ^ (d ^ m) = a ^ d) at any rate."""
PIXEL_MAX = 255
SELECT_CODE = 128
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class LfsrConfig:
    """Three 8-bit Fibonacci LFSRs: (a, d) pair, (b, c) pair, select. Masks: bit i-1 = tap x^i."""

    taps: tuple[int, int, int] = (TAPS8[0], TAPS8[1], TAPS8[3])
    seeds: tuple[int, int, int] = (0x01, 0x5A, 0x81)
    width: int = 8


@dataclass(frozen=True)
class ScConfig:
    """Stochastic Roberts cross: stream length (bits), SNG kind, noise (flip probability/bit)."""

    n_bits: int = 256
    sng: SngKind = "lfsr"
    lfsr: LfsrConfig = field(default_factory=LfsrConfig)
    device: DeviceModel = field(default_factory=ThresholdDevice)
    readout: Readout = field(default_factory=Readout)
    noise_rate: float = 0.0
    noise_sites: tuple[str, ...] = ("inputs", "output")
    chunk_pixels: int = 1 << 13
    units: int = 1
    """Parallel hardware units P; static mismatch (d2d, comparator offsets) is drawn per unit."""

    def __post_init__(self) -> None:
        if not 1 <= self.n_bits <= 1 << 16:
            raise SimError(f"stream length N must be 1..65536 bits, got {self.n_bits}")
        if not 0.0 <= self.noise_rate <= 0.5:
            raise SimError(f"noise rate must be in [0, 0.5], got {self.noise_rate}")
        bad = [s for s in self.noise_sites if s not in NOISE_SITES]
        if bad:
            raise SimError(f"unknown noise site {bad[0]!r}", accepted=", ".join(NOISE_SITES))


def make_rng(seed: int) -> np.random.Generator:
    """The stream generator's random source: SFC64 (fast, passes BigCrush), seeded."""
    return np.random.Generator(np.random.SFC64(seed))


def windows(img: U8) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The four corners (a, b, c, d) of every 2x2 window, each (H-1, W-1) int64."""
    if img.ndim != 2 or min(img.shape) < 2:
        raise SimError(f"Roberts cross needs a 2-D image of at least 2x2, got shape {img.shape}")
    x = img.astype(np.int64)
    return x[:-1, :-1], x[:-1, 1:], x[1:, :-1], x[1:, 1:]


G_MAX = 510.0
"""Largest Roberts-cross magnitude of an 8-bit image, |a - d| + |b - c| <= 2 x 255: edge maps
are compared after dividing by it."""


def roberts_binary(img: U8) -> IntArray:
    """Exact binary Roberts cross G = |a - d| + |b - c| (0..510), shape (H-1, W-1)."""
    a, b, c, d = windows(img)
    return np.abs(a - d) + np.abs(b - c)


def as_uint8(img: npt.ArrayLike) -> U8:
    """Validate an 8-bit grey image (2-D, values 0..255) and return it as uint8."""
    arr = np.asarray(img)
    if arr.ndim != 2:
        raise SimError(f"image must be 2-D (grey), got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.size and (arr.min() < 0 or arr.max() > PIXEL_MAX):
            raise SimError("image values must be 0..255")
        arr = arr.astype(np.uint8)
    return arr


def flip_pixel_bits(img: U8, rate: float, rng: np.random.Generator) -> U8:
    """Binary-baseline noise: flip each of the 8 bits of every pixel with probability ``rate``."""
    bits = np.unpackbits(img[..., None], axis=-1)
    flips = rng.random(bits.shape) < rate
    return np.packbits(bits ^ flips, axis=-1)[..., 0]


def _source_table(uniform_like: IntArray | FloatArray, lfsr: bool) -> Words:
    """Packed streams of every code 0..255 for one shared random sequence."""
    codes = np.arange(PIXEL_MAX + 1)
    if lfsr:
        return pack(uniform_like[None, :] <= codes[:, None])
    return shared_streams(codes / PIXEL_MAX, np.asarray(uniform_like, dtype=np.float64))


def _shared_tables(cfg: ScConfig) -> tuple[Words, Words, Words]:
    """Code -> stream tables for the (a, d) source, the (b, c) source and the select source."""
    if cfg.sng == "lfsr":
        lf = cfg.lfsr
        seqs = [lfsr_states(t, s, lf.width, cfg.n_bits) for t, s in zip(lf.taps, lf.seeds,
                                                                          strict=True)]
        if lf.width != 8:
            raise SimError(f"the Roberts unit uses 8-bit LFSRs, got width {lf.width}")
        t = [_source_table(q, True) for q in seqs]
    else:
        t = [_source_table(sobol_uniforms(dim, cfg.n_bits), False) for dim in (0, 1, 2)]
    return t[0], t[1], t[2]


@dataclass
class ScRun:
    """Counter values (H-1, W-1) and event counts of one stochastic Roberts run."""

    counts: IntArray
    n_bits: int
    switch_events: float = 0.0
    """Expected memristor switching events (drive pulses that switch), memristor SNEs only."""

    @property
    def g_hat(self) -> FloatArray:
        """Decoded gradient in pixel units (0..510): 2 * 255 * count / N."""
        return 2.0 * PIXEL_MAX * self.counts / self.n_bits


@dataclass(frozen=True)
class Mismatch:
    """Static mismatch per unit: device shifts (units, 3) and comparator offsets (units, 5)."""

    d2d: FloatArray
    cmp: FloatArray

    @classmethod
    def draw(cls, readout: Readout, units: int, seed: int = 0x5EED) -> Mismatch:
        """Draw the mismatch of ``units`` units (its own generator: same units, same chips)."""
        rng = np.random.default_rng(seed)
        return cls(rng.normal(0.0, 1.0, (units, 3)) * readout.sigma_d2d,
                   rng.normal(0.0, 1.0, (units, 5)) * readout.sigma_cmp)


def _memristor_chunk(cfg: ScConfig, corners: tuple[IntArray, IntArray, IntArray, IntArray],
                     unit: IntArray, mismatch: Mismatch, rng: np.random.Generator
                     ) -> tuple[Words, Words, Words, Words, Words]:
    """Streams of one chunk from three memristor SNEs per pixel (pairs share a device).

    Pixel k runs on unit ``unit[k]`` and sees that unit's device shifts and comparator offsets.
    Comparator order: a, d (device 0), b, c (device 1), select (device 2).
    """
    pa, pb, pc, pd = (v / PIXEL_MAX for v in corners)
    d2d, cmp = mismatch.d2d[unit], mismatch.cmp[unit]
    ad = memristor_device_streams(cfg.device, np.stack([pa, pd], 1), cfg.n_bits, rng,
                                  cfg.readout, cmp_offset=cmp[:, 0:2], d2d_shift=d2d[:, 0])
    bc = memristor_device_streams(cfg.device, np.stack([pb, pc], 1), cfg.n_bits, rng,
                                  cfg.readout, cmp_offset=cmp[:, 2:4], d2d_shift=d2d[:, 1])
    half = np.full((pa.size, 1), SELECT_CODE / PIXEL_MAX)
    sel = memristor_device_streams(cfg.device, half, cfg.n_bits, rng, cfg.readout,
                                   cmp_offset=cmp[:, 4:5], d2d_shift=d2d[:, 2])
    return ad[:, 0], bc[:, 0], bc[:, 1], ad[:, 1], sel[:, 0]


def _apply_noise(cfg: ScConfig, streams: list[Words], rng: np.random.Generator) -> list[Words]:
    """Flip input-stream bits: independently per stream (inputs) or, as the common_mode control,
    one mask per correlated pair."""
    rate = cfg.noise_rate
    a, b, c, d, sel = streams
    shape = a.shape[:-1]
    if "common_mode" in cfg.noise_sites:
        m_ad = flip_mask(rng, shape, cfg.n_bits, rate)
        m_bc = flip_mask(rng, shape, cfg.n_bits, rate)
        a, d, b, c = a ^ m_ad, d ^ m_ad, b ^ m_bc, c ^ m_bc
    if "inputs" in cfg.noise_sites:
        a, b, c, d, sel = (s ^ flip_mask(rng, shape, cfg.n_bits, rate) for s in (a, b, c, d, sel))
    return [a, b, c, d, sel]


def roberts_sc(img: npt.ArrayLike, cfg: ScConfig, rng: np.random.Generator | None = None
               ) -> ScRun:
    """Stochastic Roberts cross over a whole image (vectorised, chunked over pixels)."""
    image = as_uint8(img)
    rng = rng or make_rng(0)
    a, b, c, d = (v.ravel() for v in windows(image))
    counts = np.empty(a.size, dtype=np.int64)
    tables = None if cfg.sng == "memristor" else _shared_tables(cfg)
    mismatch = Mismatch.draw(cfg.readout, cfg.units)
    for start in range(0, a.size, cfg.chunk_pixels):
        sl = slice(start, start + cfg.chunk_pixels)
        if tables is None:
            unit = np.arange(a.size)[sl] % cfg.units
            streams = list(_memristor_chunk(cfg, (a[sl], b[sl], c[sl], d[sl]), unit,
                                            mismatch, rng))
        else:
            t_ad, t_bc, t_s = tables
            sel = np.broadcast_to(t_s[SELECT_CODE], (a[sl].size, t_s.shape[1]))
            streams = [t_ad[a[sl]], t_bc[b[sl]], t_bc[c[sl]], t_ad[d[sl]], sel]
        if cfg.noise_rate > 0:
            streams = _apply_noise(cfg, streams, rng)
        sa, sb, sc, sd, ss = streams
        out = s_mux(ss, s_xor(sa, sd), s_xor(sb, sc))
        if cfg.noise_rate > 0 and "output" in cfg.noise_sites:
            out = out ^ flip_mask(rng, out.shape[:-1], cfg.n_bits, cfg.noise_rate)
        counts[sl] = counter(out)
    switches = 0.0
    if cfg.sng == "memristor":
        switches = 3.0 * a.size * cfg.n_bits * cfg.device.drive_p()
    shape = (image.shape[0] - 1, image.shape[1] - 1)
    return ScRun(counts.reshape(shape), cfg.n_bits, switches)


def expected_output(img: npt.ArrayLike, cfg: ScConfig) -> FloatArray:
    """Closed-form expectation of count / N for ideal random SNGs (reference, section 6).

    Independent flips with rate e on the inputs give P(XOR) = (1 - 2e)^2 |x - y| + 2e(1 - e);
    the select stays at 1/2 in expectation; flips on the output give e + (1 - 2e) P.
    Common-mode (control) flips cancel in the XOR.
    """
    a, b, c, d = (v / PIXEL_MAX for v in windows(as_uint8(img)))
    e = cfg.noise_rate
    e_in = e if "inputs" in cfg.noise_sites else 0.0
    xor1 = (1 - 2 * e_in) ** 2 * np.abs(a - d) + 2 * e_in * (1 - e_in)
    xor2 = (1 - 2 * e_in) ** 2 * np.abs(b - c) + 2 * e_in * (1 - e_in)
    p = 0.5 * (xor1 + xor2)
    if "output" in cfg.noise_sites:
        p = e + (1 - 2 * e) * p
    return np.asarray(p, dtype=np.float64)


def maps_under_noise(img: U8, rates: tuple[float, ...], configs: dict[str, ScConfig],
                     seed: int = 0) -> Iterator[tuple[float, str, FloatArray]]:
    """Edge maps (divided by :data:`G_MAX`) under each bit-flip rate: for every rate, with a fresh
    generator seeded ``seed``, the binary operator on the image with flipped pixel bits
    (label ``binary``), then each stochastic config with that flip rate, in ``configs`` order."""
    for rate in rates:
        rng = make_rng(seed)
        yield rate, "binary", roberts_binary(flip_pixel_bits(img, rate, rng)) / G_MAX
        for label, cfg in configs.items():
            yield rate, label, roberts_sc(img, replace(cfg, noise_rate=rate), rng).g_hat / G_MAX
