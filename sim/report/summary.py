"""The short summary table ``sim run`` prints."""

from __future__ import annotations

from rich.table import Table

from sim.core.result import Result
from sim.family import Family


def summary_table(result: Result, family: Family | None = None) -> Table:
    """Headline figures of one run as a rich table, then the family's own summary lines."""
    m = result.metrics
    table = Table(title=f"{result.name} ({result.provenance.family})", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    rows = [
        ("cycles", f"{result.cycles:,}"),
        ("time", f"{result.seconds * 1e6:,.3f} us at "
                 f"{result.clocks[result.clock].freq_hz / 1e6:,.0f} MHz"),
        ("MACs", f"{result.macs:,}"),
        ("energy", f"{m.get('energy_pj', 0.0) / 1e6:,.3f} uJ"),
        ("area", f"{m.get('area_mm2', 0.0):,.4f} mm^2 at {result.costing.get('node_nm')} nm"),
    ]
    rows += [(f"utilisation {unit}", f"{u:.1%}") for unit, u in result.utilisation.items()]
    for key, label, fmt in (("gops", "GOPS", ",.1f"), ("gops_per_w", "GOPS/W", ",.1f"),
                            ("gops_per_mm2", "GOPS/mm^2", ",.1f")):
        if key in m:
            rows.append((label, format(m[key], fmt)))
    if family is not None and family.summary is not None:
        rows += family.summary(result)
    for label, value in rows:
        table.add_row(label, value)
    return table
