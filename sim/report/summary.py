"""The short summary table ``sim run`` prints."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.table import Table

from sim.core.result import Result
from sim.core.units import si
from sim.family import Family


def summary_table(result: Result, family: Family | None = None) -> Table:
    """Headline figures of one run as a rich table (SI-scaled units), then the family's own
    summary lines (its main metric: tokens/s and J/token, F1/SSIM/PSNR, ...)."""
    m = result.metrics
    table = Table(title=f"{result.name} ({result.provenance.family})", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    rows = [
        ("cycles", f"{result.cycles:,}"),
        ("time", f"{si(result.seconds, 's')} at "
                 f"{si(result.clocks[result.clock].freq_hz, 'Hz')}"),
    ]
    if result.macs:
        rows.append(("MACs", f"{result.macs:,}"))
    rows += [
        ("energy", si(m.get("energy_j", m.get("energy_pj", 0.0) * 1e-12), "J")),
        ("power", si(m.get("power_w", 0.0), "W")),
        ("area", f"{m.get('area_mm2', 0.0):.4g} mm^2 at {result.costing.get('node_nm')} nm"),
    ]
    rows += [(f"utilisation {unit}", f"{u:.1%}") for unit, u in result.utilisation.items()]
    for key, label in (("gops", "GOPS"), ("gops_per_w", "GOPS/W"),
                       ("gops_per_mm2", "GOPS/mm^2")):
        if m.get(key):  # no MACs (stochastic logic): no MAC-based efficiency either
            rows.append((label, f"{m[key]:,.4g}" if m[key] < 1e4 else f"{m[key]:,.0f}"))
    if family is not None and family.summary is not None:
        rows += family.summary(result)
    for label, value in rows:
        table.add_row(label, value)
    return table


def summary_json(result: Result, family: Family | None = None) -> dict[str, Any]:
    """The same summary for programs (``sim run --json``): full-precision numbers in base units
    (s, Hz, pJ, J, mm^2), every metric, the family's lines as text, config and provenance."""
    lines = family.summary(result) if family is not None and family.summary else []
    return {
        "name": result.name, "family": result.provenance.family, "cycles": result.cycles,
        "seconds": result.seconds, "freq_hz": result.clocks[result.clock].freq_hz,
        "macs": result.macs, "metrics": dict(result.metrics),
        "utilisation": dict(result.utilisation), "family_summary": dict(lines),
        "config": result.config, "provenance": asdict(result.provenance),
    }
