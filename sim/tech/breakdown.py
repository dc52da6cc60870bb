"""Cost reports of a Result: energy by component and action, area by component, efficiencies.

:func:`report` (exported as ``sim.tech.report``) returns the breakdown as data;
:func:`print_report` renders it with rich. Every figure comes from a table row; a missing row is
the SimError of :func:`sim.tech.costing.cost`, naming the key and node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from sim.core.ledger import Ledger
from sim.core.result import Result
from sim.tech.costing import efficiency, energy_per_action
from sim.tech.table import TechTable, Term


@dataclass
class TechReport:
    """Energy and area breakdowns at one node and the efficiency figures derived from them."""

    name: str
    node_nm: int
    energy: list[Term]
    area: list[Term]
    seconds: float
    macs: int
    efficiency: dict[str, float] = field(default_factory=dict)

    @property
    def energy_pj(self) -> float:
        """Total energy (pJ)."""
        return sum(line.total for line in self.energy)

    @property
    def area_um2(self) -> float:
        """Total area (um^2)."""
        return sum(line.total for line in self.area)



def report(result: Result, table: TechTable) -> TechReport:
    """Energy by component and action, area by component, and efficiency of ``result``."""
    energy = []
    for key, count in sorted(result.ledger.items()):
        row = energy_per_action(table, key)
        energy.append(Term(key, float(count), row))
    area = []
    for component, count in sorted(result.inventory.items()):
        row = table.lookup(component, "area")
        area.append(Term(component, float(count), row))
    out = TechReport(result.name, table.node_nm, energy, area, result.seconds, result.macs)
    out.efficiency = efficiency(out.macs, out.seconds, out.energy_pj, out.area_um2)
    return out


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def energy_table(rep: TechReport) -> Table:
    """Energy per component and action (pJ) with each row's source."""
    table = Table(title=f"energy by component and action at {rep.node_nm} nm")
    for name in ("component", "action", "count", "pJ each", "energy (uJ)", "share", "source"):
        table.add_column(name, justify="right" if name in ("count", "pJ each", "energy (uJ)",
                                                            "share") else "left")
    total = rep.energy_pj
    for line in sorted(rep.energy, key=lambda x: -x.total):
        table.add_row(*Ledger.split(line.key), f"{line.count:,.0f}", f"{line.row.value:.4g}",
                      f"{line.total / 1e6:,.4f}", _share(line.total, total), line.row.source)
    table.add_row("total", "", "", "", f"{total / 1e6:,.4f}", "100%" if total else "-", "")
    return table


def area_table(rep: TechReport) -> Table:
    """Area per component (um^2) with each row's source."""
    table = Table(title=f"area by component at {rep.node_nm} nm")
    for name in ("component", "count", "um2 each", "area (mm2)", "share", "source"):
        table.add_column(name, justify="left" if name in ("component", "source") else "right")
    total = rep.area_um2
    for line in sorted(rep.area, key=lambda x: -x.total):
        table.add_row(line.key, f"{line.count:,.0f}", f"{line.row.value:.4g}",
                      f"{line.total / 1e6:,.5f}", _share(line.total, total), line.row.source)
    table.add_row("total", "", "", f"{total / 1e6:,.5f}", "100%" if total else "-", "")
    return table


def efficiency_table(rep: TechReport) -> Table:
    """GOPS/W, GOPS/mm^2 and pJ per op."""
    table = Table(title="efficiency (1 MAC = 2 ops)", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    labels = {"gops": "GOPS", "gops_per_w": "GOPS/W", "gops_per_mm2": "GOPS/mm^2",
              "pj_per_mac": "pJ/MAC"}
    for key, label in labels.items():
        if key in rep.efficiency:
            table.add_row(label, f"{rep.efficiency[key]:,.4g}")
    if "pj_per_mac" in rep.efficiency:
        table.add_row("pJ/op", f"{rep.efficiency['pj_per_mac'] / 2:,.4g}")
    return table


def print_report(rep: TechReport, console: Console | None = None) -> None:
    """Print the energy, area and efficiency tables."""
    console = console or Console()
    for table in (energy_table(rep), area_table(rep), efficiency_table(rep)):
        console.print(table)
