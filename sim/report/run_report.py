"""Files of one run: ``result.json``, ``ops.csv`` and ``summary.png`` in the report folder."""

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
