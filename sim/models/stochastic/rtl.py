"""The RTL kernels of ``rtl/sc`` and the golden tiles their cocotb benches check.

Kernels: ``sc_roberts`` (stochastic Roberts unit with LFSR SNGs; parameter sets with different
stream lengths, taps and seeds) and ``bin_roberts`` (the binary baseline). The benches import
:func:`bench_tiles` and the golden models in :mod:`sim.models.stochastic.roberts`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.family import RtlKernel, SynthTarget
from sim.models.stochastic.cost import BIN_CORE, SC_CORE, Cells, unit_cells
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


KERNELS = (
    RtlKernel("sc_roberts", "sc", ("sc_roberts.sv",), "sc_roberts", "tb_sc_roberts",
              SC_PARAMETER_SETS,
              "stochastic Roberts unit (LFSR SNGs, XOR, MUX, counter) vs roberts_sc"),
    RtlKernel("bin_roberts", "sc", ("bin_roberts.sv",), "bin_roberts", "tb_bin_roberts",
              BIN_PARAMETER_SETS, "binary Roberts unit (2 sub, 2 abs, add) vs roberts_binary"),
)


def _inventory(cells: Cells) -> dict[str, float]:
    """A cell list of the family's cost model as an inventory."""
    return {k: float(v) for k, v in cells.items()}


SYNTH_TARGETS = (
    SynthTarget("sc", "sc_roberts_n256", ("sc_roberts.sv",), "sc_roberts", {"N": 256},
                lambda: _inventory(unit_cells("stochastic", "lfsr", 256)), transistors=True),
    SynthTarget("sc", "bin_roberts", ("bin_roberts.sv",), "bin_roberts", {},
                lambda: _inventory(unit_cells("binary", "lfsr", 8)), transistors=True),
    SynthTarget("sc", "sc_core", ("sc_roberts.sv",), "sc_core", {},
                lambda: _inventory(SC_CORE), transistors=True,
                note="core logic only: the gates between the encoders and the output counter"),
    SynthTarget("sc", "bin_core", ("bin_roberts.sv",), "bin_core", {},
                lambda: _inventory(BIN_CORE), transistors=True,
                note="core logic only: two subtractors, two absolute values, one adder"),
)
