"""The tpe family's RTL (``rtl/tpe``): cocotb kernels and synthesis targets.

Every synthesis target is one module at one parameter set beside the analytic block that models
the same hardware (:mod:`sim.models.tpe.cost`, :mod:`sim.models.tpe.designs`): one target per PE
variant (MAC, OPT1, tree columns, bit-slice columns), then the small cube and 2D-matrix arrays.
The 4x4 OS and WS bench arrays are not targets: their RTL adds operand skew lines and a drain
multiplexer per column that the engine model (operands from SRAM) does not have, so they would
compare different hardware (analytic/synth 0.30-0.40); their PEs are the MAC and OPT1 targets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sim.family import RtlKernel, SynthTarget
from sim.models.tpe import cost as c
from sim.models.tpe import designs as d

SV_FILES = ("tpe_pe.sv", "tpe_opt2.sv", "tpe_bitslice.sv", "tpe_arrays.sv")


def _kernel(name: str, sources: tuple[str, ...], toplevel: str, bench: str,
            parameters: Mapping[str, Any], summary: str) -> RtlKernel:
    return RtlKernel(name, "tpe", sources, toplevel, bench, (parameters,), summary)


KERNELS: tuple[RtlKernel, ...] = (
    _kernel("tpe_pe", ("tpe_pe.sv",), "tpe_pe_top", "tb_tpe_pe", {"W1": 32, "W2": 20},
            "MAC and OPT1 PEs (32/20-bit) vs sim.models.tpe, edge-exact trajectories"),
    _kernel("tpe_opt2", ("tpe_opt2.sv",), "tpe_opt2_top", "tb_tpe_opt2", {"K": 16, "N": 4},
            "multiplier-adder tree: baseline MAC columns and OPT2 same-bit-weight columns "
            "(13-bit public width and 14-bit safe width) vs sim.models.tpe"),
    _kernel("tpe_bitslice", ("tpe_bitslice.sv",), "tpe_bitslice_top", "tb_tpe_bitslice",
            {"M": 4, "K": 16, "N": 4},
            "bit-slice columns (OPT3, OPT4C, OPT4E) with data-dependent zero-skipping cycles vs "
            "sim.models.tpe"),
    _kernel("tpe_os", ("tpe_pe.sv", "tpe_arrays.sv"), "tpe_os_top", "tb_tpe_os",
            {"R": 4, "C": 4, "T_MAX": 16},
            "4x4 output-stationary arrays of MAC and OPT1 PEs (folds) vs sim.models.tpe"),
    _kernel("tpe_ws", ("tpe_pe.sv", "tpe_arrays.sv"), "tpe_ws_top", "tb_tpe_ws",
            {"R": 4, "C": 4, "T_MAX": 8},
            "4x4 weight-stationary arrays of MAC and OPT1 PEs (K folds with psums)"),
    _kernel("tpe_cube", ("tpe_pe.sv", "tpe_arrays.sv"), "tpe_cube_top", "tb_tpe_cube",
            {"X": 2, "Y": 2, "Z": 2},
            "2x2x2 3-D cube of MAC and OPT1 PEs (tile stream, K accumulation)"),
    _kernel("tpe_matrix2d", SV_FILES, "tpe_matrix2d_top", "tb_tpe_matrix2d",
            {"MT": 2, "NT": 2, "KT": 4},
            "2x2 2D-Matrix of 4-wide dot-product PEs: MAC and OPT2 (shared EN-T encoders, "
            "carry-save accumulation)"),
)


def _tree_column(pe: str) -> c.Block:
    """One tree column; the RTL takes B as held input ports, so its 8K weight registers are left
    out of the analytic block too."""
    engine = d.build_design("tree", pe, (16, 1)).engine
    return engine.merged(c.Block("no_weights").add("ff", -8 * 16, 0))


def _target(name: str, sources: tuple[str, ...], top: str, parameters: Mapping[str, int],
            block: Callable[[], c.Block], note: str = "") -> SynthTarget:
    return SynthTarget("tpe", name, sources, top, parameters, lambda: block().inventory(),
                       lambda: dict(block().path), note)


def _array(name: str, top: str, parameters: Mapping[str, int], arch: str, pe: str,
           sizes: tuple[int, ...]) -> SynthTarget:
    return _target(name, SV_FILES, top, parameters,
                   lambda: d.build_design(arch, pe, sizes).engine,
                   "array RTL includes operand injection registers the engine omits")


SYNTH_TARGETS: tuple[SynthTarget, ...] = (
    _target("mac_pe_w32", ("tpe_pe.sv",), "tpe_mac_pe", {"W": 32}, lambda: c.mac_pe(32)),
    _target("opt1_pe_w32", ("tpe_pe.sv",), "tpe_opt1_pe", {"W": 32}, lambda: c.opt1_pe(32)),
    _target("tree_mac_col", ("tpe_opt2.sv",), "tpe_mac_tree_cols", {"K": 16, "N": 1},
            lambda: _tree_column("mac")),
    _target("tree_opt2_col", ("tpe_opt2.sv",), "tpe_opt2_cols", {"K": 16, "N": 1, "IW": 14},
            lambda: _tree_column("opt2")),
    *(_target(f"bitslice_{pe}_x4", ("tpe_bitslice.sv",), "tpe_bitslice_cols",
              {"M": 1, "K": 16, "N": 4, "WAYS": ways, "SHARED": shared},
              lambda pe=pe: d.build_design("bitslice", pe, (1, 4)).engine)  # type: ignore[misc]
      for pe, ways, shared in (("opt3", 1, 0), ("opt4c", 1, 1), ("opt4e", 4, 1))),
    _array("cube2x2x2_mac", "tpe_cube", {"X": 2, "Y": 2, "Z": 2, "OPT1": 0}, "cube", "mac",
           (2, 2, 2)),
    _array("cube2x2x2_opt1", "tpe_cube", {"X": 2, "Y": 2, "Z": 2, "OPT1": 1}, "cube", "opt1",
           (2, 2, 2)),
    _array("matrix2x2x4_mac", "tpe_matrix2d", {"MT": 2, "NT": 2, "KT": 4, "OPT2": 0},
           "matrix2d", "mac", (2, 2, 4)),
    _array("matrix2x2x4_opt2", "tpe_matrix2d", {"MT": 2, "NT": 2, "KT": 4, "OPT2": 1},
           "matrix2d", "opt2", (2, 2, 4)),
)
