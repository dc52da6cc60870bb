"""Hardware cost of the stochastic and binary Roberts-cross operators: cells, GE, transistors.

Blocks are built from standard cells (counts below are structure, not constants). Cell areas come
from the tech table (``sim/tech/tables/stochastic.yaml``, NanGate45); a gate equivalent (GE) is a
cell's area over the NAND2_X1 area. Transistor counts per cell are static-CMOS textbook counts
(Weste & Harris, CMOS VLSI Design, 4th ed.: INV 2, NAND2 4, XOR2 12 (with input inverters),
MUX2 12, half adder 18 (XOR2 + AND2), mirror full adder 28, master-slave DFF 24); a memristor is
a back-end device (0 transistors) and an SNE comparator is taken as an 11-T StrongARM latch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sim.core.errors import SimError
from sim.tech.table import TechTable, load_tables

NAND2_AREA_UM2_45 = 0.798  # NanGate45 NAND2_X1, the GE unit (same source as the table rows)
TRANSISTORS: dict[str, int] = {
    "sc_inv": 2, "sc_xor2": 12, "sc_mux2": 12, "sc_ha": 18, "sc_fa": 28, "sc_dff": 24,
    "sne_memristor": 0, "sne_comparator": 11,
}
Cells = dict[str, int]


def _add(*parts: tuple[Cells, int]) -> Cells:
    out: Cells = {}
    for cells, times in parts:
        for k, v in cells.items():
            out[k] = out.get(k, 0) + v * times
    return out


def counter_bits(n_bits: int) -> int:
    """Width of the output counter: ceil(log2(N + 1)) bits holds 0..N."""
    return max(1, n_bits.bit_length())


def cycle_counter_bits(n_bits: int) -> int:
    """Width of the cycle counter t = 0..N-1: ceil(log2 N) bits (at least 1)."""
    return max(1, (n_bits - 1).bit_length())


# Blocks (cell counts).
SC_CORE: Cells = {"sc_xor2": 2, "sc_mux2": 1}
LFSR8: Cells = {"sc_dff": 8, "sc_xor2": 3}
CMP8: Cells = {"sc_fa": 8}  # [R <= X] as the carry chain of an 8-bit subtractor (upper bound)
SUB8: Cells = {"sc_fa": 8, "sc_inv": 8}
ABS8: Cells = {"sc_xor2": 8, "sc_ha": 8}  # conditional invert + incrementer
ADD8: Cells = {"sc_fa": 8}  # carry out is result bit 8
BIN_CORE: Cells = _add((SUB8, 2), (ABS8, 2), (ADD8, 1))
SNE_MEMRISTOR: Cells = {"sne_memristor": 1}
SNE_COMPARATOR: Cells = {"sne_comparator": 1}


def sc_counter(n_bits: int) -> Cells:
    """Output counter (incrementer + register) of ceil(log2(N+1)) bits."""
    w = counter_bits(n_bits)
    return {"sc_ha": w, "sc_dff": w}


def sc_control(n_bits: int) -> Cells:
    """Per-pixel control: 32 input register bits and the cycle counter."""
    w = cycle_counter_bits(n_bits)
    return {"sc_dff": 32 + w, "sc_ha": w}


def views(n_bits: int) -> dict[str, tuple[Cells, Cells]]:
    """(stochastic cells, binary cells) for each basis of comparison, per operator instance."""
    sc_core_dec = _add((SC_CORE, 1), (sc_counter(n_bits), 1))
    bin_unit = _add((BIN_CORE, 1), ({"sc_dff": 9}, 1))
    return {
        "core logic (2 XOR + MUX vs 2 sub + 2 abs + add)": (SC_CORE, BIN_CORE),
        "core + output counter": (sc_core_dec, BIN_CORE),
        "unit with memristor SNEs (3 devices, 5 comparators)": (
            _add((sc_core_dec, 1), (sc_control(n_bits), 1), (SNE_MEMRISTOR, 3),
                 (SNE_COMPARATOR, 5)), bin_unit),
        "unit with LFSR SNGs (3 LFSRs, 5 comparators)": (
            _add((sc_core_dec, 1), (sc_control(n_bits), 1), (LFSR8, 3), (CMP8, 5)), bin_unit),
    }


@dataclass(frozen=True)
class CellCost:
    """Totals of a cell list: cells, gate equivalents, transistors, area (um^2 at the node)."""

    cells: int
    ge: float
    transistors: int
    area_um2: float


def cell_cost(cells: Cells, table: TechTable) -> CellCost:
    """Count, GE (area / NAND2 area, both at 45 nm), transistors and area of ``cells``."""
    area = 0.0
    ge = 0.0
    trans = 0
    for name, count in cells.items():
        if name not in TRANSISTORS:
            raise SimError(f"no transistor count for cell {name!r}",
                           accepted=", ".join(TRANSISTORS))
        row = table.lookup(name, "area")
        area += count * row.value
        ge += count * _area_at_45(name) / NAND2_AREA_UM2_45
        trans += count * TRANSISTORS[name]
    return CellCost(sum(cells.values()), ge, trans, area)


@lru_cache(maxsize=1)
def _table45() -> TechTable:
    return load_tables(45)


def _area_at_45(name: str) -> float:
    return _table45().lookup(name, "area").value


def comparison(n_bits: int, table: TechTable | None = None) -> list[dict[str, float | str]]:
    """Rows of the cost comparison: for each basis, stochastic vs binary and the saving (%)."""
    table = table or _table45()
    rows: list[dict[str, float | str]] = []
    for basis, (sc_cells, bin_cells) in views(n_bits).items():
        sc = cell_cost(sc_cells, table)
        bn = cell_cost(bin_cells, table)
        rows.append({
            "basis": basis, "sc_cells": sc.cells, "bin_cells": bn.cells,
            "sc_ge": sc.ge, "bin_ge": bn.ge,
            "sc_transistors": sc.transistors, "bin_transistors": bn.transistors,
            "sc_area_um2": sc.area_um2, "bin_area_um2": bn.area_um2,
            "saving_ge_pct": 100.0 * (1 - sc.ge / bn.ge),
            "saving_transistors_pct": 100.0 * (1 - sc.transistors / bn.transistors),
        })
    return rows


def unit_cells(operator: str, sng: str, n_bits: int) -> Cells:
    """Cells of one hardware unit: ``binary``, or ``stochastic`` with SNG kind ``sng``.

    Sobol generators are charged like LFSR SNGs (a state register, XOR network and comparator
    per source; an approximation).
    """
    if operator == "binary":
        return _add((BIN_CORE, 1), ({"sc_dff": 9}, 1))
    base = _add((SC_CORE, 1), (sc_counter(n_bits), 1), (sc_control(n_bits), 1))
    if sng == "memristor":
        return _add((base, 1), (SNE_MEMRISTOR, 3), (SNE_COMPARATOR, 5))
    return _add((base, 1), (LFSR8, 3), (CMP8, 5))


def pixel_actions(operator: str, sng: str, n_bits: int, switch_p: float = 0.0
                  ) -> dict[str, float]:
    """Ledger counts (``component.action``) for one output pixel.

    Stochastic: per cycle 2 XOR + 1 MUX evaluations, one increment of the output counter and
    of the cycle counter (half adders and register bits), and the SNG work: 3 LFSR steps (24
    register bits) + 5 comparisons, or 3 memristor read pulses (``switch_p`` of them switching)
    + 5 comparator decisions. 32 input register bits are written once per pixel.
    Binary: 2 subtractions, 2 absolute values, 1 addition and 9 output register bits.
    """
    if operator == "binary":
        return {"bin_sub8.op": 2.0, "bin_abs8.op": 2.0, "bin_add8.op": 1.0,
                "reg.write_bit": 9.0}
    n = float(n_bits)
    ctr = counter_bits(n_bits) + cycle_counter_bits(n_bits)
    out = {"sc_xor2.eval": 2 * n, "sc_mux2.eval": n, "sc_ha.eval": ctr * n,
           "reg.write_bit": ctr * n + 32.0}
    if sng == "memristor":
        out.update({"sne_memristor.read": 3 * n, "sne_memristor.switch": 3 * n * switch_p,
                    "sne_comparator.decide": 5 * n})
    else:
        out["reg.write_bit"] += 24 * n
        out.update({"sc_lfsr8.step": 3 * n, "sc_cmp8.compare": 5 * n})
    return out
