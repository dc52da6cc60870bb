"""Files of one run: ``result.json``, ``ops.csv`` and ``summary.png`` in the report folder."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

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
            writer.writerow([op.name, op.kind, op.unit, op.start, op.end, op.cycles, op.macs,
                             f"{result.op_energy_pj(op):.6g}",
                             *(op.detail.get(key, "") for key in DETAIL_COLUMNS)])


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
    if "png" in formats:
        from sim.report.figures import summary_figure

        files.append(folder / "summary.png")
        summary_figure(result, files[-1])
    return files
