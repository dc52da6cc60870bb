"""The ``stochastic`` family: memristor stochastic number encoders, stochastic logic on bit-packed
streams, stochastic vs binary Roberts-cross edge detection under bit-flip noise, and its cost.

Modules: ``device`` (switching models), ``streams`` (packed streams, gates, SCC), ``sng`` (LFSR,
Sobol, memristor SNEs), ``roberts`` (both operators; golden model of ``rtl/sc``), ``metrics``
(PSNR, SSIM, F1), ``cost`` (cells, GE, transistors, ledger per pixel), ``rtl`` (cocotb kernels
and synthesis targets of rtl/sc), ``model`` (the Model), ``figures`` (report figures and tables).
"""

from sim.core.result import Result
from sim.family import Family
from sim.models.stochastic.arch import StochasticArch
from sim.models.stochastic.model import SUPPORTED_KINDS, StochasticModel, build
from sim.models.stochastic.rtl import KERNELS, SYNTH_TARGETS


def summary(result: Result) -> list[tuple[str, str]]:
    """Edge-map quality of the stochastic and binary operators (F1, SSIM, PSNR)."""
    m = result.metrics
    lines = []
    for label, key, fmt in (("F1", "f1", ".3f"), ("SSIM", "ssim", ".3f"),
                            ("PSNR", "psnr", ".2f")):
        if f"sc_{key}" in m and f"binary_{key}" in m:
            unit = " dB" if key == "psnr" else ""
            lines.append((f"{label} stochastic / binary",
                          f"{m[f'sc_{key}']:{fmt}}{unit} / {m[f'binary_{key}']:{fmt}}{unit}"))
    return lines


FAMILY = Family(
    "stochastic", StochasticArch, build, frozenset(SUPPORTED_KINDS),
    description="memristor stochastic-number encoders and stochastic logic vs binary",
    kernels=KERNELS, synth_targets=SYNTH_TARGETS, summary=summary,
    metrics=("f1", "ssim", "psnr", "psnr_raw", "sc_*", "binary_*", "cycles_per_pixel",
             "gate_evals", "pixels", "pixels_per_s", "switch_events"))

__all__ = ["FAMILY", "StochasticArch", "StochasticModel"]
