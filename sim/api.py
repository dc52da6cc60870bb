"""What the CLI and notebooks call: ``run``, ``validate_file``, ``rtl_test``.

Every function raises :class:`sim.core.errors.SimError` (one line, exit 2) for bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sim
from sim.core.errors import SimError
from sim.core.result import Provenance, Result
from sim.spec.workload import Workload, load_workload
from sim.tech import Costing, cost, load_tables


@dataclass
class RunOutput:
    """A finished run: the workload, its costed Result, and the files written."""

    workload: Workload
    result: Result
    files: list[Path]


def slug(name: str) -> str:
    """File-system-safe folder name for a workload name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "run"


def simulate(workload: Workload) -> Result:
    """Run the workload's model and stamp the result's provenance (no costing, no files)."""
    model = workload.family.build(workload.arch)
    result = model.run(workload.trace, workload.spec.seed)
    result.name = workload.spec.name
    result.provenance = Provenance(
        tool_version=sim.__version__, arch_hash=workload.arch_hash,
        trace_hash=workload.trace_hash, seed=workload.spec.seed,
        family=workload.family.name, created=datetime.now(UTC).isoformat(timespec="seconds"))
    return result


def efficiency_metrics(result: Result, costing: Costing) -> dict[str, float]:
    """Totals and efficiencies: energy (pJ, J), area (um^2, mm^2), GOPS, GOPS/W, GOPS/mm^2."""
    seconds = result.seconds
    ops = 2.0 * result.macs
    energy_j = costing.total_energy_pj * 1e-12
    area_mm2 = costing.total_area_um2 * 1e-6
    metrics = {
        "seconds": seconds, "macs": float(result.macs), "energy_pj": costing.total_energy_pj,
        "energy_j": energy_j, "area_um2": costing.total_area_um2, "area_mm2": area_mm2,
        "power_w": energy_j / seconds if seconds else 0.0,
    }
    if ops and seconds:
        metrics["gops"] = ops / seconds / 1e9
        metrics["pj_per_mac"] = costing.total_energy_pj / result.macs
        if energy_j:
            metrics["gops_per_w"] = ops / energy_j / 1e9
        if area_mm2:
            metrics["gops_per_mm2"] = metrics["gops"] / area_mm2
    return metrics


def apply_costing(result: Result, workload: Workload) -> Costing:
    """Energy and area from the tech tables at the arch's node, stored in the result."""
    table = load_tables(workload.arch.tech.node_nm, workload.tech_files())
    costing = cost(result, table)
    result.metrics.update(efficiency_metrics(result, costing))
    result.costing = {
        "node_nm": costing.node_nm, "tables": [Path(f).name for f in table.files],
        "energy_pj": costing.energy_pj, "area_um2": costing.area_um2,
        "rows": sorted({json_row(r) for r in costing.rows}),
    }
    return costing


def json_row(row: Any) -> str:
    """One tech row as provenance text: key, metric, value, node, source, scaling."""
    return (f"{row.key} {row.metric} = {row.value:.6g} {row.unit} @ {row.node_nm} nm "
            f"[{row.source}; {row.scaling}]")


def run(path: str | Path, *, overrides: dict[str, Any] | None = None,
        out_dir: str | Path | None = None, write: bool = True) -> RunOutput:
    """Simulate one workload file, cost it and (by default) write its report files."""
    from sim.report.run_report import write_run_report

    workload = load_workload(path, overrides)
    result = simulate(workload)
    apply_costing(result, workload)
    files: list[Path] = []
    if write:
        target = Path(out_dir or workload.spec.report.dir or Path("reports") / slug(result.name))
        files = write_run_report(result, target, workload.spec.report.formats)
    return RunOutput(workload, result, files)


def validate_file(path: str | Path) -> str:
    """Check a workload, arch, trace, sweep or tech-table file; returns what it was."""
    from sim.spec.detect import validate_any

    return validate_any(Path(path))


def rtl_test(kernel: str) -> int:
    """Run the cocotb benches of one RTL kernel; returns the number of failures."""
    try:
        from sim.rtlcheck import test_kernel
    except ImportError as exc:
        raise SimError(f"RTL checks need the 'rtl' extra ({exc.name} is missing)",
                       accepted="pip install -e '.[rtl]'") from None
    return test_kernel(kernel)
