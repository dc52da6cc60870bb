"""One design point: simulate a resolved workload, cost it, derive its efficiency metrics.

What ``sim run`` and every sweep worker do between loading a workload and writing its results.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sim
from sim.core.result import Provenance, Result
from sim.evaluation.workload import Workload, apply_overrides
from sim.family import Family
from sim.tech import Costing, TechTable, cost, efficiency, load_tables

GENERIC_METRICS = ("cycles", "seconds", "macs", "energy_pj", "energy_j", "area_um2", "area_mm2",
                   "power_w", "pj_per_mac", "gops", "gops_per_w", "gops_per_mm2",
                   "energy_per_*_j")
"""Metrics every costed run can report (:func:`efficiency_metrics`; the MAC-based ones only when
the run has MACs), as ``fnmatch`` patterns; a family declares its own in ``Family.metrics``."""


def unknown_metric(name: str, family: Family) -> str | None:
    """Why ``name`` is no metric of ``family``'s runs (with the closest known names), or None
    when it is one or the family does not declare its metrics."""
    if family.metrics is None:
        return None
    patterns = (*GENERIC_METRICS, *family.metrics)
    if any(fnmatch.fnmatchcase(name, p) for p in patterns):
        return None
    close = difflib.get_close_matches(name, patterns, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"{name!r} is not a metric of family {family.name}{hint}"


def slug(name: str) -> str:
    """File-system-safe folder name for a workload name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "run"


def run_name(workload: Workload) -> str:
    """The workload's name, followed by its overrides when there are any:
    ``quickstart (arch.rows=32)``."""
    if not workload.overrides:
        return workload.spec.name
    sets = ", ".join(f"{k}={v}" for k, v in workload.overrides.items())
    return f"{workload.spec.name} ({sets})"


def default_run_dir(workload: Workload) -> Path:
    """``report.dir`` of the workload, else ``reports/<name>``; overrides add a suffix naming
    them (``reports/quickstart--arch.rows-32``) so that a variant never lands in the base's
    folder."""
    base = Path(workload.spec.report.dir or Path("reports") / slug(workload.spec.name))
    if not workload.overrides:
        return base
    sets = "_".join(f"{k}={v}" for k, v in workload.overrides.items())
    return base.with_name(f"{base.name}--{slug(sets)}")


def run_config(workload: Workload) -> dict[str, Any]:
    """What a run ran: the workload file, overrides, the resolved arch (defaults included), the
    trace's source (a file, a generator's settings or inline), seed and the report options."""
    spec = workload.spec
    if workload.trace_source.at:  # inline in the workload (a generator, or ops)
        trace_data = workload.trace_source.doc.data.get("trace")
        origin: Any = "inline"
        if isinstance(trace_data, dict) and "generator" in trace_data:
            sets = {k: v for k, v in workload.overrides.items() if k.startswith("trace.")}
            origin = apply_overrides({"trace": trace_data}, sets)["trace"]
    else:
        origin = str(workload.trace_source.doc.path)
    return {
        "workload_file": str(workload.path.resolve()), "workload_name": spec.name,
        "overrides": dict(workload.overrides), "seed": spec.seed,
        "arch_file": "inline" if workload.arch_source.at else str(workload.arch_source.doc.path),
        "arch": workload.arch.model_dump(mode="json"),
        "trace": {"source": origin, "name": workload.trace.name,
                  "ops": len(workload.trace.ops)},
    }


def simulate(workload: Workload) -> Result:
    """Run the workload's model and stamp the result's name (with its overrides), provenance
    and config (no costing, no files)."""
    model = workload.family.build(workload.arch)
    trace = workload.trace
    if workload.tensors is not None:  # families open the .npz by the path the loader resolved
        trace = trace.model_copy(update={"tensors": str(workload.tensors)})
    result = model.run(trace, workload.spec.seed)
    result.name = run_name(workload)
    result.config = run_config(workload)
    result.provenance = Provenance(
        tool_version=sim.__version__, arch_hash=workload.arch_hash,
        trace_hash=workload.trace_hash, seed=workload.spec.seed,
        family=workload.family.name, created=datetime.now(UTC).isoformat(timespec="seconds"))
    return result


def efficiency_metrics(result: Result, costing: Costing) -> dict[str, float]:
    """Totals and efficiencies: energy (pJ, J), area (um^2, mm^2), power (W), and GOPS, GOPS/W,
    GOPS/mm^2, pJ/MAC (:func:`sim.tech.efficiency`).

    A family metric ``energy_scale_per_X`` (the factor from this run's energy to one X, e.g. a
    generated token) adds ``energy_per_X_j`` (J per X)."""
    seconds = result.seconds
    energy_j = costing.total_energy_pj * 1e-12
    metrics = {
        "seconds": seconds, "macs": float(result.macs), "energy_pj": costing.total_energy_pj,
        "energy_j": energy_j, "area_um2": costing.total_area_um2,
        "area_mm2": costing.total_area_um2 * 1e-6,
        "power_w": energy_j / seconds if seconds else 0.0,
    }
    for key, scale in result.metrics.items():  # a family's energy_scale_per_X -> energy_per_X_j
        if key.startswith("energy_scale_per_"):
            metrics[f"energy_per_{key.removeprefix('energy_scale_per_')}_j"] = energy_j * scale
    metrics.update(efficiency(result.macs, seconds, costing.total_energy_pj,
                              costing.total_area_um2))
    return metrics


def apply_costing(result: Result, workload: Workload, table: TechTable | None = None) -> Costing:
    """Energy and area from the tech tables at the arch's node, stored in the result.

    ``table`` (optional) is an already loaded table for this arch's node and files (sweeps reuse
    one per worker process)."""
    if table is None:
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
