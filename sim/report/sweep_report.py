"""``sim report DIR``: figures (PNG + SVG) and one self-contained HTML page from a sweep store.

The page embeds every figure (base64 PNG), needs no network (its one small inline script sorts
and filters the tables), shows values SI-scaled with units, and gives the
provenance of every number: tool version, config hash (the point's key), arch and trace hashes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.core.errors import Location, SimError
from sim.evaluation.workload import load_workload
from sim.family import Family, PointData, Reference, SweepData, get_family
from sim.report import sweep_figures as sf
from sim.report.sweep_figures import FigureFile
from sim.report.sweep_html import render_page
from sim.sweep.pareto import DEFAULT_OBJECTIVES, stored_constraints, stored_ranking
from sim.sweep.store import STORE_NAME, Row, Store, export_csv

MAX_HTML_ROWS = 1000


def load_store(folder: Path) -> tuple[dict[str, Any], list[Row]]:
    """Meta and current rows of the store in ``folder``; a missing store is a SimError."""
    path = folder / STORE_NAME
    if not path.is_file():
        raise SimError(f"no sweep results here (looked for {path})",
                       accepted="a folder written by 'sim sweep'")
    with Store(path) as store:
        meta, rows = store.meta(), store.rows()
    check_meta(meta, path)
    return meta, rows


def _pairs(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and p[1] in ("min", "max")
        for p in value)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


META_CHECKS: dict[str, Callable[[Any], bool]] = {
    "name": lambda v: isinstance(v, str), "base": lambda v: isinstance(v, str),
    "vary": _texts, "constraints": _texts, "objectives": _pairs}
"""Stored sweep facts the report reads, and the shape each must have."""


def check_meta(meta: dict[str, Any], path: Path) -> None:
    """A store whose sweep facts have the wrong shape (another tool's, or edited) is a
    SimError naming the store and the fact."""
    for name, ok in META_CHECKS.items():
        if name in meta and not ok(meta[name]):
            raise SimError(f"the sweep store's meta value {name!r} has the wrong form "
                           f"({str(meta[name])[:60]!r})", Location(path))


def sweep_data(meta: dict[str, Any], rows: list[Row]) -> SweepData:
    """Rank the stored points and package the successful ones for figures and hooks."""
    objectives = dict(meta.get("objectives") or DEFAULT_OBJECTIVES)
    ranking = stored_ranking(meta, rows)
    points = [PointData(r.key, r.params, r.metrics, r.breakdown, r.family, r.arch_hash,
                        r.trace_hash, ranking.feasible[i], ranking.rank[i])
              for i, r in enumerate(rows) if r.status == "ok"]
    return SweepData(str(meta.get("name", "sweep")), list(meta.get("vary", [])), objectives,
                     points, meta, arch_resolver(Path(str(meta.get("base", "")))))


def arch_resolver(base: Path) -> Callable[[dict[str, Any]], Any]:
    """``fields -> validated arch`` of the base workload with those fields set (cached)."""
    known: dict[str, Any] = {}

    def resolve(fields: dict[str, Any]) -> Any:
        key = repr(sorted(fields.items()))
        if key not in known:
            known[key] = load_workload(base, fields).arch
        return known[key]

    return resolve


def family_of(name: str) -> Family | None:
    """The installed family ``name`` (None when it is not installed here)."""
    try:
        return get_family(name)
    except SimError:
        return None


def write_figures(data: SweepData, folder: Path) -> tuple[list[FigureFile], list[str]]:
    """Generic figures, then each family's figures; returns files and notes."""
    notes: list[str] = []
    figures: list[FigureFile] = []
    if not data.points:
        return figures, ["no successful design points: no figures"]
    makers = [("Pareto front", "pareto", sf.pareto_figure),
              ("Pareto front in parallel coordinates", "parallel", sf.parallel_figure),
              ("Parameter sensitivity", "sensitivity", sf.sensitivity_figure),
              ("Energy and area breakdown", "breakdown", sf.breakdown_figure)]
    for title, name, make in makers:
        png, svg = sf.save(make(data), folder, name)
        figures.append(FigureFile(title, png, svg))
    for family in sorted({p.family for p in data.points}):
        record = family_of(family)
        if record is None or record.sweep_figures is None:
            continue
        try:
            extra = record.sweep_figures(data)
        except Exception as exc:  # a family hook must not cost the user the whole report
            notes.append(f"family {family}: figure hook failed: {type(exc).__name__}: {exc}")
            continue
        for name, fig in extra:
            png, svg = sf.save(fig, folder, f"{family}-{name}")
            figures.append(FigureFile(f"{family}: {name}", png, svg))
    return figures, notes


def references(data: SweepData) -> tuple[list[tuple[str, Reference]], list[str]]:
    """Published reference numbers of every family in the sweep, with simulated values."""
    out: list[tuple[str, Reference]] = []
    notes: list[str] = []
    for family in sorted({p.family for p in data.points}):
        record = family_of(family)
        if record is None or record.sweep_references is None:
            continue
        try:
            out += [(family, ref) for ref in record.sweep_references(data)]
        except Exception as exc:
            notes.append(f"family {family}: reference hook failed: {type(exc).__name__}: {exc}")
    return out, notes


def missing_metrics(data: SweepData, meta: dict[str, Any]) -> list[str]:
    """Notes for objectives and constraints naming a metric that no point reported."""
    known = {m for p in data.points for m in p.metrics}
    wanted = list(data.objectives) + [c.metric for c in stored_constraints(meta)]
    if not data.points:
        return []
    return [f"metric {m!r} (objective or constraint) is in no result; known metrics: "
            f"{', '.join(sorted(known))}" for m in dict.fromkeys(wanted) if m not in known]


def fmt(value: Any) -> str:
    """Numbers with 4 significant digits (thousands separated), the rest as text."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:,.4g}" if abs(value) < 1e15 else f"{value:.4g}"
    return str(value)


def write_sweep_report(folder: str | Path) -> list[Path]:
    """Regenerate ``results.csv``, ``figures/*.png|svg`` and ``index.html`` in ``folder``."""
    folder = Path(folder)
    meta, rows = load_store(folder)
    data = sweep_data(meta, rows)
    files = [export_csv(rows, folder / "results.csv", stored_ranking(meta, rows))]
    figures, notes = write_figures(data, folder / "figures")
    refs, ref_notes = references(data)
    html = render_page(meta=meta, rows=rows, data=data, figures=figures, refs=refs,
                       notes=missing_metrics(data, meta) + notes + ref_notes, fmt=fmt,
                       max_rows=MAX_HTML_ROWS,
                       generated=datetime.now(UTC).isoformat(timespec="seconds"))
    index = folder / "index.html"
    index.write_text(html, encoding="utf-8")
    return [*files, *(f for fig in figures for f in (fig.png, fig.svg)), index]
