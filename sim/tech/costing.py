"""Energy and area of a Result: ledger x energy table, inventory x area table."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.core.ledger import Ledger
from sim.core.result import Result
from sim.tech.table import TechTable, TechValue

TIME_ACTION_SUFFIX = "_ns"


@dataclass
class Costing:
    """Energy per ledger key (pJ), area per component (um^2), and the rows that produced them."""

    node_nm: int
    energy_pj: dict[str, float]
    area_um2: dict[str, float]
    rows: list[TechValue] = field(default_factory=list)

    @property
    def total_energy_pj(self) -> float:
        """Sum of all energies (pJ)."""
        return sum(self.energy_pj.values())

    @property
    def total_area_um2(self) -> float:
        """Sum of all component areas (um^2)."""
        return sum(self.area_um2.values())

    def energy_by_component(self) -> dict[str, float]:
        """Energy (pJ) summed per component (the ledger key without its action)."""
        out: dict[str, float] = {}
        for key, value in self.energy_pj.items():
            component, _ = Ledger.split(key)
            out[component] = out.get(component, 0.0) + value
        return out


def efficiency(macs: int, seconds: float, energy_pj: float, area_um2: float) -> dict[str, float]:
    """GOPS, GOPS/W, GOPS/mm^2 and pJ/MAC; one MAC is two ops. Absent when undefined (no MACs,
    no time, no energy or no area)."""
    ops = 2.0 * macs
    out: dict[str, float] = {}
    if ops and seconds > 0:
        out["pj_per_mac"] = energy_pj / macs
        gops = ops / seconds / 1e9
        out["gops"] = gops
        if energy_pj > 0:
            out["gops_per_w"] = ops / (energy_pj * 1e-12) / 1e9
        if area_um2 > 0:
            out["gops_per_mm2"] = gops / (area_um2 * 1e-6)
    return out


def energy_per_action(table: TechTable, key: str) -> TechValue:
    """Energy of one action (pJ). ``component.<x>_ns`` actions are time: cost = power (mW) x ns."""
    component, action = Ledger.split(key)
    if action.endswith(TIME_ACTION_SUFFIX) and not table.has(key, "energy"):
        return table.lookup(component, "power")  # 1 mW for 1 ns is 1 pJ
    return table.lookup(key, "energy")


def area_um2(inventory: dict[str, float], table: TechTable) -> float:
    """Area of an inventory (component -> instances) at the table's node (um^2)."""
    return sum(n * table.lookup(k, "area").value for k, n in inventory.items())


def energy_pj(ledger: dict[str, float], table: TechTable) -> float:
    """Energy of a ledger (``component.action`` -> count) at the table's node (pJ)."""
    return sum(n * energy_per_action(table, k).value for k, n in ledger.items())


def cost(result: Result, table: TechTable) -> Costing:
    """Cost a result at the table's node; any missing row is a SimError naming it."""
    rows: list[TechValue] = []
    energy: dict[str, float] = {}
    for key, count in result.ledger.items():
        per_action = energy_per_action(table, key)
        energy[key] = count * per_action.value
        rows.append(per_action)
    area: dict[str, float] = {}
    for component, count in sorted(result.inventory.items()):
        per_unit = table.lookup(component, "area")
        area[component] = count * per_unit.value
        rows.append(per_unit)
    return Costing(table.node_nm, energy, area, rows)
