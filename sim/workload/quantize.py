"""Post-training int8 quantisation (numpy only), as in the standard PTQ recipe.

Recipe (``RECIPE``): symmetric int8, weights per output channel (scale = max|w_c| / 127),
activations per tensor (scale = max|x| / 127 over the calibration input, min-max calibration),
round half to even, clip to [-127, 127] (-128 is never produced, so negation cannot overflow).
A layer ``y = x W^T + b`` is computed as ``(x_q W_q^T) * s_x * s_w + b``, int32 accumulator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RECIPE = ("int8 symmetric post-training quantisation: weights per output channel, activations per "
          "tensor, min-max calibration on the extraction input, round half to even, clip +-127")
QMAX = 127

FloatArray = npt.NDArray[np.floating]
Int8Array = npt.NDArray[np.int8]


@dataclass(frozen=True)
class Quantised:
    """An int8 tensor and its scale(s): ``values * scale`` approximates the float tensor."""

    values: Int8Array
    scale: npt.NDArray[np.float32]
    """One scale (shape ``()``) per tensor, or one per output channel (axis 0)."""

    def dequantise(self) -> npt.NDArray[np.float32]:
        """Float approximation of the original tensor."""
        scale = self.scale.reshape((-1,) + (1,) * (self.values.ndim - 1)) if self.scale.ndim else \
            self.scale
        return (self.values.astype(np.float32) * scale).astype(np.float32)


def _scale(max_abs: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Scale for a given max |x| (a zero tensor gets scale 1 so that it quantises to zeros)."""
    max_abs = np.asarray(max_abs, dtype=np.float64)
    return np.where(max_abs > 0, max_abs / QMAX, 1.0).astype(np.float32)


def _round_clip(x: FloatArray, scale: FloatArray) -> Int8Array:
    """Round half to even and clip to +-127."""
    q = np.rint(np.asarray(x, dtype=np.float64) / np.asarray(scale, dtype=np.float64))
    return np.clip(q, -QMAX, QMAX).astype(np.int8)


def quantise_per_tensor(x: FloatArray) -> Quantised:
    """Symmetric per-tensor int8 (activations)."""
    scale = _scale(np.max(np.abs(x)) if x.size else np.float64(0.0))
    return Quantised(_round_clip(x, scale), scale)


def quantise_per_channel(w: FloatArray) -> Quantised:
    """Symmetric int8 with one scale per output channel (axis 0; weights)."""
    flat = np.abs(np.asarray(w)).reshape(w.shape[0], -1)
    scale = _scale(flat.max(axis=1) if flat.shape[1] else np.zeros(w.shape[0]))
    return Quantised(_round_clip(w, scale.reshape((-1,) + (1,) * (w.ndim - 1))), scale)


def int8_linear(x: Quantised, w: Quantised,
                bias: FloatArray | None = None) -> npt.NDArray[np.float32]:
    """``x W^T + b`` from int8 operands (x: [..., K], W: [N, K]): int32 accumulation, rescale."""
    acc = x.values.astype(np.int32) @ w.values.astype(np.int32).T
    out = acc.astype(np.float64) * float(x.scale) * w.scale.astype(np.float64)
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out.astype(np.float32)


def sqnr_db(reference: FloatArray, approx: FloatArray) -> float:
    """Signal-to-quantisation-noise ratio in dB: 10 log10(sum ref^2 / sum (ref - approx)^2)."""
    ref = np.asarray(reference, dtype=np.float64)
    noise = float(np.sum((ref - np.asarray(approx, dtype=np.float64)) ** 2))
    signal = float(np.sum(ref**2))
    if noise == 0.0:
        return float("inf")
    return 10.0 * float(np.log10(signal / noise))
