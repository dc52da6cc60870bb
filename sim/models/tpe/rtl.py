"""RTL kernels of the tpe family (``rtl/tpe/``) for :mod:`sim.rtlcheck`.

``register_kernels()`` adds them to ``sim.rtlcheck.bench.KERNELS`` so that
``run_bench("tpe_pe", ...)`` and ``sim rtl test tpe_pe`` find them (until the lead lists them
there directly).
"""

from __future__ import annotations

from typing import Any

KERNEL_SPECS: dict[str, dict[str, Any]] = {
    "tpe_pe": {
        "sources": ("tpe_pe.sv",),
        "toplevel": "tpe_pe_top",
        "test_module": "tb_tpe_pe",
        "parameter_sets": ({"W1": 32, "W2": 20},),
        "summary": "MAC and OPT1 PEs (32/20-bit) vs sim.models.tpe, edge-exact trajectories",
    },
    "tpe_opt2": {
        "sources": ("tpe_opt2.sv",),
        "toplevel": "tpe_opt2_top",
        "test_module": "tb_tpe_opt2",
        "parameter_sets": ({"K": 16, "N": 4},),
        "summary": "multiplier-adder tree: baseline MAC columns and OPT2 same-bit-weight columns "
                   "(13-bit public width and 14-bit safe width) vs sim.models.tpe",
    },
    "tpe_bitslice": {
        "sources": ("tpe_bitslice.sv",),
        "toplevel": "tpe_bitslice_top",
        "test_module": "tb_tpe_bitslice",
        "parameter_sets": ({"M": 4, "K": 16, "N": 4},),
        "summary": "bit-slice columns (OPT3, OPT4C, OPT4E) with data-dependent zero-skipping "
                   "cycles vs sim.models.tpe",
    },
    "tpe_os": {
        "sources": ("tpe_pe.sv", "tpe_arrays.sv"),
        "toplevel": "tpe_os_top",
        "test_module": "tb_tpe_os",
        "parameter_sets": ({"R": 4, "C": 4, "T_MAX": 16},),
        "summary": "4x4 output-stationary arrays of MAC and OPT1 PEs (folds) vs sim.models.tpe",
    },
    "tpe_ws": {
        "sources": ("tpe_pe.sv", "tpe_arrays.sv"),
        "toplevel": "tpe_ws_top",
        "test_module": "tb_tpe_ws",
        "parameter_sets": ({"R": 4, "C": 4, "T_MAX": 8},),
        "summary": "4x4 weight-stationary arrays of MAC and OPT1 PEs (K folds with psums)",
    },
    "tpe_cube": {
        "sources": ("tpe_pe.sv", "tpe_arrays.sv"),
        "toplevel": "tpe_cube_top",
        "test_module": "tb_tpe_cube",
        "parameter_sets": ({"X": 2, "Y": 2, "Z": 2},),
        "summary": "2x2x2 3-D cube of MAC and OPT1 PEs (tile stream, K accumulation)",
    },
    "tpe_matrix2d": {
        "sources": ("tpe_pe.sv", "tpe_opt2.sv", "tpe_bitslice.sv", "tpe_arrays.sv"),
        "toplevel": "tpe_matrix2d_top",
        "test_module": "tb_tpe_matrix2d",
        "parameter_sets": ({"MT": 2, "NT": 2, "KT": 4},),
        "summary": "2x2 2D-Matrix of 4-wide dot-product PEs: MAC and OPT2 (shared EN-T "
                   "encoders, carry-save accumulation)",
    },
}
SV_FILES = ("tpe_pe.sv", "tpe_opt2.sv", "tpe_bitslice.sv", "tpe_arrays.sv")


def register_kernels() -> None:
    """Register the tpe kernels with :mod:`sim.rtlcheck` (idempotent)."""
    from sim.rtlcheck.bench import KERNELS, Kernel

    for name, spec in KERNEL_SPECS.items():
        if name not in KERNELS:
            KERNELS[name] = Kernel(name=name, directory="tpe", **spec)
