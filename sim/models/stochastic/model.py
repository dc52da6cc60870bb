"""The ``stochastic`` family's model: Roberts-cross image filters on P stochastic (or binary) units.

Timing (closed form, matches ``rtl/sc``): a stochastic unit takes N cycles per output pixel and
one extra edge accepts the first window, so an op of ``pixels`` output pixels on P units takes
``ceil(pixels / P) * N + 1`` cycles; a binary unit registers each result at the edge that samples
its window: ``ceil(pixels / P)`` cycles. Ops run one after another in trace order.

Quality: every run also computes the clean binary Roberts map (the reference), the binary
baseline under the same per-bit flip rate on its 8-bit pixels, and PSNR/SSIM/F1 of both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.errors import SimError, UnsupportedOpError
from sim.core.ledger import Ledger
from sim.core.result import OpRecord, Result
from sim.models.stochastic import activity
from sim.models.stochastic.arch import SKIMAGE_SAMPLES, StochasticArch
from sim.models.stochastic.cost import pixel_actions, unit_cells
from sim.models.stochastic.metrics import quality
from sim.models.stochastic.roberts import (
    G_MAX,
    U8,
    LfsrConfig,
    as_uint8,
    flip_pixel_bits,
    make_rng,
    roberts_binary,
    roberts_sc,
)
from sim.workload.trace import ImageFilterOp, Trace

SUPPORTED_KINDS = frozenset({"image_filter"})
FILTERS = ("roberts",)
PIPELINE_LATENCY = {"stochastic": 1, "binary": 0}
"""Cycles counted = clock edges from the edge sampling the first window to the edge registering
the last result, inclusive: N per pixel + 1 accept edge (stochastic), 1 per pixel (binary)."""
SKIMAGE_PREFIX = "skimage:"
ACTIVITY_MAX_BITS = 1024
"""Longest stream the stochastic activity model takes (its per-pair tables grow with N)."""


def load_sample(name: str) -> U8:
    """A grey 8-bit scikit-image sample (shipped inside the package; colour is converted)."""
    if name not in SKIMAGE_SAMPLES:
        raise SimError(f"unknown scikit-image sample {name!r}", accepted=", ".join(SKIMAGE_SAMPLES))
    try:
        from skimage import data
    except ImportError:
        raise SimError("scikit-image is needed for sample images (pip install scikit-image)"
                       ) from None
    img = np.asarray(getattr(data, name)())
    if img.ndim == 3:
        rgb = img[..., :3].astype(np.float64)
        img = np.rint(rgb @ np.array([0.2125, 0.7154, 0.0721])).clip(0, 255)
    return as_uint8(img)


def _npz_image(op: ImageFilterOp, name: str, trace: Trace | None) -> U8:
    """Array ``name`` of the trace's tensor file as an 8-bit grey image."""
    path = Path(trace.tensors) if trace is not None and trace.tensors else None
    if path is None or not path.is_file():
        raise SimError(f"op {op.name!r}: image tensor {name!r} needs the trace's .npz file "
                       f"(trace.tensors = {None if trace is None else trace.tensors!r} not found)",
                       accepted="skimage:<sample name>, or an array of an existing .npz")
    with np.load(path) as archive:
        if name not in archive.files:
            raise SimError(f"op {op.name!r}: array {name!r} not in {path.name}",
                           accepted=", ".join(archive.files))
        return as_uint8(archive[name])


def op_cycles(pixels: int, n_bits: int, units: int, operator: str) -> int:
    """Cycles of one op on P units: ceil(pixels / P) * (N or 1) + PIPELINE_LATENCY[operator]."""
    per_pixel = 1 if operator == "binary" else n_bits
    return -(-pixels // units) * per_pixel + PIPELINE_LATENCY[operator]


@dataclass
class StochasticModel:
    """Runs ``image_filter`` (roberts) ops on the arch's stochastic Roberts units."""

    arch: StochasticArch

    @property
    def operator(self) -> str:
        """``stochastic`` or ``binary`` (from the arch)."""
        return self.arch.operator

    def image_for(self, op: ImageFilterOp, trace: Trace | None = None) -> U8:
        """The op's image, cropped to its height x width (top-left).

        ``tensors.image`` is either ``"skimage:<sample>"`` or the name of an array in the trace's
        ``.npz`` (``trace.tensors``, absolute or relative to the working directory); without it
        the arch's default sample is used.
        """
        ref = op.tensors.get("image", SKIMAGE_PREFIX + self.arch.image)
        if ref.startswith(SKIMAGE_PREFIX):
            img = load_sample(ref[len(SKIMAGE_PREFIX):])
        else:
            img = _npz_image(op, ref, trace)
        if img.shape[0] < op.height or img.shape[1] < op.width:
            raise SimError(f"op {op.name!r}: image {ref} is {img.shape[0]}x{img.shape[1]}, "
                           f"smaller than {op.height}x{op.width}")
        return img[:op.height, :op.width]

    def run_image(self, img: U8, seed: int) -> tuple[dict[str, float], dict[str, Any]]:
        """Quality metrics and event counts of the stochastic and binary operators on one image."""
        cfg = self.arch.sc_config()
        rng = make_rng(seed)
        ref = roberts_binary(img) / G_MAX
        run = roberts_sc(img, cfg, rng)
        noisy_bin = roberts_binary(flip_pixel_bits(img, cfg.noise_rate, rng)) / G_MAX
        sc_q = quality(ref, run.g_hat / G_MAX, self.arch.edge_fraction)
        bin_q = quality(ref, noisy_bin, self.arch.edge_fraction)
        own = bin_q if self.operator == "binary" else sc_q
        metrics: dict[str, float] = dict(own)
        metrics.update({"sc_" + k: v for k, v in sc_q.items()})
        metrics.update({"binary_" + k: v for k, v in bin_q.items()})
        return metrics, {"switch_events": run.switch_events, "pixels": run.counts.size}

    def energy_basis(self) -> str:
        """``activity`` or why the ops fall back to per-cycle (per-pixel) charging."""
        arch = self.arch
        if arch.energy == "per_cycle":
            return "per-cycle"
        if self.operator == "stochastic" and arch.sng != "lfsr":
            return f"per-cycle (no activity model for sng={arch.sng})"
        if self.operator == "stochastic" and arch.stream_bits > ACTIVITY_MAX_BITS:
            return f"per-cycle (activity model limited to N <= {ACTIVITY_MAX_BITS})"
        return "activity"

    def activity_actions(self, img: U8, cycles: int) -> dict[str, float]:
        """Activity ledger of one op: the image's windows split into contiguous blocks of
        ceil(pixels / P), one per unit (row-major order), every unit clocked for ``cycles``."""
        arch = self.arch
        corners = activity.corner_rows(img)
        block = -(-corners.shape[0] // arch.units)
        unit = activity.ScUnit(arch.stream_bits, LfsrConfig(
            taps=(arch.lfsr.taps[0], arch.lfsr.taps[1], arch.lfsr.taps[2]),
            seeds=(arch.lfsr.seeds[0], arch.lfsr.seeds[1], arch.lfsr.seeds[2])))
        total = Ledger()
        for lo in range(0, corners.shape[0], block):
            part = corners[lo:lo + block]
            total.merge(activity.bin_ledger(part, cycles) if self.operator == "binary"
                        else activity.sc_ledger(unit, part, cycles))
        idle_units = arch.units - -(-corners.shape[0] // block)
        flops = activity.BIN_FLOPS if self.operator == "binary" else activity.sc_flops(unit)
        total.merge({"sc_dff.clock_bit": float(idle_units * flops * cycles)})
        return total.as_dict()

    def run(self, trace: Trace, seed: int) -> Result:
        """Simulate every op in trace order; returns cycles, ledger, inventory and metrics."""
        arch = self.arch
        ledger = Ledger()
        ops: list[OpRecord] = []
        now = 0
        metrics: dict[str, float] = {}
        pixels_total = 0
        for op in trace.ops:
            if not isinstance(op, ImageFilterOp):
                raise UnsupportedOpError(
                    f"op {op.name!r} of kind {op.kind!r} is not supported by family stochastic",
                    accepted=", ".join(sorted(SUPPORTED_KINDS)))
            if op.filter not in FILTERS:
                raise SimError(f"op {op.name!r}: unknown filter {op.filter!r}",
                               accepted=", ".join(FILTERS))
            if op.a_bits != 8:
                raise SimError(f"op {op.name!r}: the Roberts units take 8-bit pixels, got "
                               f"a_bits={op.a_bits}")
            img = self.image_for(op, trace)
            op_metrics, events = self.run_image(img, seed)
            pixels = int(events["pixels"])
            switch_p = events["switch_events"] / max(1.0, 3.0 * pixels * arch.stream_bits)
            cycles = op_cycles(pixels, arch.stream_bits, arch.units, self.operator)
            op_ledger = Ledger()
            basis = self.energy_basis()
            if basis == "activity":
                op_ledger.merge(self.activity_actions(img, cycles))
            else:
                op_ledger.merge(pixel_actions(self.operator, arch.sng, arch.stream_bits,
                                              switch_p), scale=float(pixels))
            ops.append(OpRecord(op.name, op.kind, "roberts", now, now + cycles,
                                ledger=op_ledger.as_dict(),
                                detail={**op_metrics, "energy_basis": basis}))
            ledger.merge(op_ledger)
            now += cycles
            pixels_total += pixels
            metrics.update(op_metrics)  # the last op's quality figures
        seconds = now / (arch.freq_mhz * 1e6)
        busy = pixels_total * (1 if self.operator == "binary" else arch.stream_bits)
        metrics.update({
            "pixels": float(pixels_total),
            "switch_events": ledger.get("sne_memristor.switch", 0.0),
            "gate_evals": float(3 * pixels_total * arch.stream_bits
                                if self.operator == "stochastic" else 0),
            "cycles_per_pixel": float(1 if self.operator == "binary" else arch.stream_bits),
            "pixels_per_s": pixels_total / seconds if seconds else 0.0,
        })
        cells = unit_cells(self.operator, arch.sng, arch.stream_bits)
        inventory = {k: float(v * arch.units) for k, v in cells.items()}
        return Result.new(name=trace.name, cycles=now, freq_hz=arch.freq_mhz * 1e6, ops=ops,
                          ledger=ledger, inventory=inventory,
                          utilisation={"roberts": busy / (now * arch.units) if now else 0.0},
                          metrics=metrics)


def build(arch: StochasticArch) -> StochasticModel:
    """Model factory registered with the family."""
    return StochasticModel(arch)
