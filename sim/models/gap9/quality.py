"""Quality proxy for weight bit-widths, measured on real weights (the silero-vad encoder).

Per-layer noise model: quantising layer l to b bits adds output noise with noise-to-signal ratio
``nsr[l, b]``; noises of different layers add, so a network's output SQNR is
``-10 log10(sum_l nsr[l, b_l])`` dB.

* On the silero-vad encoder (real weights, real STFT features of the committed sample) ``nsr`` is
  measured end to end: the float encoder is run with only layer l quantised (per-channel
  symmetric, NE16 default offset) and compared with the float output. :func:`encoder_sqnr`
  evaluates any full allocation exactly, which tests the additive model.
* The SED networks' trained weights are not public. Their layers take real weight tensors from
  the silero encoder (rows and fan-in resampled to the layer's shape, seeded), and their output
  NSR is the weight-quantisation NSR of that tensor times a gain calibrated on the silero encoder
  (median of measured output NSR / weight NSR over layers and widths). This is a proxy, stated
  as such in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.models.gap9.arith import quantise_symmetric
from sim.models.gap9.layers import Layer
from sim.models.gap9.silero import conv1d, load_sample

BITS = (2, 3, 4, 5, 6, 7, 8)
F64 = npt.NDArray[np.float64]


def fake_quant(w: npt.ArrayLike, qw: int) -> F64:
    """Per-output-channel symmetric quantise-dequantise of float weights (axis 0)."""
    q, step = quantise_symmetric(w, qw, axis=0)
    shape = (-1,) + (1,) * (np.ndim(w) - 1)
    return q * step.reshape(shape)


def weight_nsr(w: npt.ArrayLike, qw: int) -> float:
    """||W - Q(W)||^2 / ||W||^2 for per-channel symmetric quantisation at ``qw`` bits."""
    a = np.asarray(w, dtype=np.float64)
    return float(np.sum((a - fake_quant(a, qw)) ** 2) / max(np.sum(a * a), 1e-30))


def sqnr_db(ref: F64, test: F64) -> float:
    """10 log10(signal power / error power) in dB."""
    err = float(np.sum((ref - test) ** 2))
    return float(10 * np.log10(float(np.sum(ref * ref)) / max(err, 1e-30)))


@dataclass(frozen=True)
class Encoder:
    """The silero-vad encoder: 4 Conv1d (kernel 3) + ReLU, real weights, and its input features."""

    weights: tuple[F64, ...]
    biases: tuple[F64, ...]
    strides: tuple[int, ...]
    features: F64

    def forward(self, bits: tuple[int | None, ...] | None = None) -> F64:
        """Encoder output (frames', 128); ``bits[l]`` quantises layer l (None = float)."""
        h = self.features
        for i, (w, b, s) in enumerate(zip(self.weights, self.biases, self.strides, strict=True)):
            q = bits[i] if bits is not None else None
            wq = w if q is None else fake_quant(w, q)
            h = np.maximum(conv1d(h, wq, b, s), 0)
        return h


def load_encoder() -> Encoder:
    """The encoder from the committed sample (``workloads/traces/gap9_silero_sample.npz``)."""
    d = load_sample()
    return Encoder(weights=tuple(d[f"enc{i}_w"].astype(np.float64) for i in range(4)),
                   biases=tuple(d[f"enc{i}_b"].astype(np.float64) for i in range(4)),
                   strides=tuple(int(s) for s in d["enc_stride"]),
                   features=d["feat"].astype(np.float64))


def encoder_sqnr(enc: Encoder, bits: tuple[int, ...]) -> float:
    """Exact output SQNR (dB) of the encoder with every layer quantised as ``bits``."""
    return sqnr_db(enc.forward(), enc.forward(tuple(bits)))


def encoder_nsr_table(enc: Encoder) -> F64:
    """Measured nsr[l, b] (layers x BITS) with one layer quantised at a time."""
    ref = enc.forward()
    out = np.zeros((len(enc.weights), len(BITS)))
    for i in range(len(enc.weights)):
        for j, b in enumerate(BITS):
            bits: list[int | None] = [None] * len(enc.weights)
            bits[i] = b
            out[i, j] = 10 ** (-sqnr_db(ref, enc.forward(tuple(bits))) / 10)
    return out


def calibrated_gain(enc: Encoder, nsr: F64 | None = None) -> float:
    """Median of measured output NSR / weight NSR over the encoder's layers and widths."""
    table = encoder_nsr_table(enc) if nsr is None else nsr
    ratios = [table[i, j] / weight_nsr(w, b) for i, w in enumerate(enc.weights)
              for j, b in enumerate(BITS)]
    return float(np.median(ratios))


def donor_weights(layer: Layer, enc: Encoder, seed: int = 0) -> F64:
    """A real-weight tensor shaped like ``layer`` (K_out x fan-in), resampled from the silero
    layer whose fan-in is closest (rows and columns drawn with a seeded generator)."""
    fan_in = (layer.k_in // max(layer.groups, 1)) * layer.kernel[0] * layer.kernel[1]
    flat = [w.reshape(w.shape[0], -1) for w in enc.weights]
    donor = min(flat, key=lambda m: abs(np.log(m.shape[1] / max(fan_in, 1))))
    rng = np.random.default_rng(seed + layer.k_out * 7919 + fan_in)
    rows = rng.integers(0, donor.shape[0], layer.k_out)
    cols = rng.integers(0, donor.shape[1], fan_in)
    return donor[np.ix_(rows, cols)]


def network_nsr_table(layers: list[Layer], enc: Encoder, gain: float) -> F64:
    """nsr[l, b] for a network without public weights (see module docstring); 0 for layers
    without weights."""
    out = np.zeros((len(layers), len(BITS)))
    for i, layer in enumerate(layers):
        if layer.params == 0:
            continue
        w = donor_weights(layer, enc)
        out[i] = [gain * weight_nsr(w, b) for b in BITS]
    return out


def sqnr_from_nsr(nsr: F64, alloc: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Additive-model SQNR (dB) of allocations ``alloc`` (candidates x layers, bits 2..8)."""
    idx = np.asarray(alloc) - BITS[0]
    total = np.take_along_axis(np.broadcast_to(nsr, (*idx.shape[:-1], *nsr.shape)),
                               idx[..., None], axis=-1)[..., 0].sum(axis=-1)
    return np.asarray(-10 * np.log10(np.maximum(total, 1e-30)))
