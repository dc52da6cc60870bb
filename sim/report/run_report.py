"""Files of one run: ``result.json``, ``ops.csv`` and ``summary.png`` in the report folder, plus
``compute_report.csv`` and ``bandwidth_report.csv`` when the family records per-op compute and
stall cycles (as SCALE-Sim's COMPUTE_REPORT and BANDWIDTH_REPORT), with ``timeline.png``."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from sim.core.csvcells import safe_row
from sim.core.result import Result

DETAIL_COLUMNS = ("stage", "compute_cycles", "read_bytes", "write_bytes", "energy_basis")
"""Optional per-op details a family may record (empty cells otherwise)."""
OPS_CSV_COLUMNS = ("name", "kind", "unit", "start_cycle", "end_cycle", "cycles", "macs",
                   "energy_pj", *DETAIL_COLUMNS)


def write_ops_csv(result: Result, path: Path) -> None:
    """One row per op: unit, start/end cycle, cycles, MACs, energy (pJ), and the optional
    details stage, compute cycles, HBM bytes read / written and the energy basis (activity or
    per-cycle, for families that model switching activity)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(OPS_CSV_COLUMNS)
        for op in result.ops:
            writer.writerow(safe_row([op.name, op.kind, op.unit, op.start, op.end, op.cycles,
                                      op.macs, f"{result.op_energy_pj(op):.6g}",
                                      *(op.detail.get(key, "") for key in DETAIL_COLUMNS)]))


def other_run(result: Result, folder: Path) -> str | None:
    """What makes the run already in ``folder`` (its ``result.json``) another run than
    ``result``: a different workload file or different overrides; None when it is the same run
    (re-running it replaces it), the folder holds none, or its record predates run configs."""
    path = folder / "result.json"
    if not path.is_file():
        return None
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("config") or {}
    except (OSError, ValueError, AttributeError):
        return f"{path} is not a result this tool wrote"
    for key in ("workload_file", "overrides"):
        if key in old and old[key] != result.config.get(key):
            return f"{path} holds another run ({key} {old[key]!r})"
    return None


COMPUTE_COLUMNS = ("compute_cycles", "stall_cycles", "utilisation", "compute_utilisation")
"""Per-op details of ``compute_report.csv`` after name and total cycles."""
BANDWIDTH_BYTES = ("sram_a_read_bytes", "sram_b_read_bytes", "sram_c_bytes", "dram_a_bytes",
                   "dram_b_bytes", "dram_psum_read_bytes", "read_bytes", "write_bytes")
"""Per-op byte counts that ``bandwidth_report.csv`` turns into averages (bytes per cycle)."""
BANDWIDTH_PEAKS = ("peak_dram_read_bytes_per_cycle", "peak_dram_write_bytes_per_cycle")


def _cell(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def write_compute_report(result: Result, path: Path) -> None:
    """One row per op: total cycles, compute cycles, stall cycles, utilisation (MACs over PE
    cycles of the total, and of the compute cycles only)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("name", "total_cycles", *COMPUTE_COLUMNS))
        for op in result.ops:
            writer.writerow([op.name, op.cycles,
                             *(_cell(op.detail.get(key, "")) for key in COMPUTE_COLUMNS)])


def write_bandwidth_report(result: Result, path: Path) -> None:
    """One row per op: average bytes per cycle (over the op's total cycles) of each SRAM and
    DRAM stream, then the peak DRAM read and write rates; empty when not recorded."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        avg = [f"avg_{key.removesuffix('_bytes')}_bytes_per_cycle" for key in BANDWIDTH_BYTES]
        writer.writerow(("name", *avg, *BANDWIDTH_PEAKS))
        for op in result.ops:
            cycles = max(1, op.cycles)
            row = [_cell(op.detail[key] / cycles) if key in op.detail else ""
                   for key in BANDWIDTH_BYTES]
            writer.writerow([op.name, *row,
                             *(_cell(op.detail.get(key, "")) for key in BANDWIDTH_PEAKS)])


def write_run_report(result: Result, folder: Path, formats: Iterable[str]) -> list[Path]:
    """Write the requested formats into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    formats = set(formats)
    if "json" in formats:
        files.append(folder / "result.json")
        files[-1].write_text(result.to_json(), encoding="utf-8")
    if "csv" in formats:
        files.append(folder / "ops.csv")
        write_ops_csv(result, files[-1])
        if any("stall_cycles" in op.detail for op in result.ops):
            files.append(folder / "compute_report.csv")
            write_compute_report(result, files[-1])
            files.append(folder / "bandwidth_report.csv")
            write_bandwidth_report(result, files[-1])
    if "png" in formats:
        from sim.report.figures import summary_figure

        files.append(folder / "summary.png")
        summary_figure(result, files[-1])
        if any("stall_cycles" in op.detail for op in result.ops):
            from sim.report.figures import timeline_figure

            files.append(folder / "timeline.png")
            timeline_figure(result, files[-1])
    return files
