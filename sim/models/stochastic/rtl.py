"""The RTL kernels of ``rtl/sc`` and the golden tiles their cocotb benches check.

Kernels: ``sc_roberts`` (stochastic Roberts unit with LFSR SNGs; parameter sets with different
stream lengths, taps and seeds) and ``bin_roberts`` (the binary baseline). The benches import
:func:`bench_tiles` and the golden models in :mod:`sim.models.stochastic.roberts`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.models.stochastic.roberts import U8

SC_PARAMETER_SETS: tuple[dict[str, Any], ...] = (
    {"N": 256, "TAPS_AD": 0xB8, "SEED_AD": 0x01, "TAPS_BC": 0xB4, "SEED_BC": 0x5A,
     "TAPS_S": 0x8E, "SEED_S": 0x81},
    {"N": 100, "TAPS_AD": 0xE1, "SEED_AD": 0x33, "TAPS_BC": 0x8E, "SEED_BC": 0x17,
     "TAPS_S": 0xB8, "SEED_S": 0xC3},
)
BIN_PARAMETER_SETS: tuple[dict[str, Any], ...] = ({"W": 8},)


def bench_tiles(rows: int, cols: int, seed: int = 7) -> dict[str, U8]:
    """Image tiles for the benches: a camera crop with edges, random pixels, and extremes."""
    from sim.models.stochastic.model import load_sample

    rng = np.random.default_rng(seed)
    camera = load_sample("camera")
    extremes = np.where((np.arange(rows)[:, None] + np.arange(cols)[None, :]) % 2 == 0, 0, 255)
    extremes[0, :] = rng.choice([0, 1, 127, 128, 254, 255], size=cols)
    return {
        "camera": camera[180:180 + rows, 200:200 + cols].copy(),
        "random": rng.integers(0, 256, size=(rows, cols)).astype(np.uint8),
        "extremes": extremes.astype(np.uint8),
    }


def register_kernels() -> None:
    """Add the two kernels to :mod:`sim.rtlcheck`'s registry (idempotent)."""
    from sim.rtlcheck.bench import Kernel, register_kernel

    register_kernel(Kernel(
        name="sc_roberts", directory="sc", sources=("sc_roberts.sv",), toplevel="sc_roberts",
        test_module="tb_sc_roberts", parameter_sets=SC_PARAMETER_SETS,
        summary="stochastic Roberts unit (LFSR SNGs, XOR, MUX, counter) vs roberts_sc"))
    register_kernel(Kernel(
        name="bin_roberts", directory="sc", sources=("bin_roberts.sv",), toplevel="bin_roberts",
        test_module="tb_bin_roberts", parameter_sets=BIN_PARAMETER_SETS,
        summary="binary Roberts unit (2 sub, 2 abs, add) vs roberts_binary"))
