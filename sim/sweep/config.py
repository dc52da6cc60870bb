"""Load a sweep file: validate it, resolve its base workload and check every vary path.

A design point is the base workload with a set of dotted-path overrides applied. Its key is the
hash of its full resolved config: the base workload with its arch and trace inlined, the
overrides applied, and the tool version. The same point in any sweep has the same key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sim
from sim.core.errors import SimError
from sim.core.hashing import bytes_hash, stable_hash
from sim.evaluation.run import GENERIC_METRICS, unknown_metric
from sim.evaluation.workload import apply_overrides, load_workload
from sim.family import Family
from sim.spec.inputs import SWEEP_MAX_POINTS, file_hash, recording_reads
from sim.spec.sweep import RangeSpec, SweepSpec, parse_constraint
from sim.spec.validate import validate
from sim.spec.yamlio import Document, FieldPath, load_yaml

SWEEP_SUFFIX = ".sweep.yaml"


@dataclass(frozen=True)
class Dimension:
    """One varied field (its dotted path and either a finite list of values or a continuous
    range), or a linked group of fields whose values are tuples, one entry per field."""

    path: str
    values: tuple[Any, ...] | None
    range: RangeSpec | None = None
    fields: tuple[str, ...] = ()
    """The dotted paths of a linked group (``path`` is then their names joined by ``+``)."""

    @property
    def paths(self) -> tuple[str, ...]:
        """The dotted paths this dimension sets."""
        return self.fields or (self.path,)

    def assign(self, value: Any) -> dict[str, Any]:
        """The overrides that give this dimension ``value``."""
        if self.fields:
            return dict(zip(self.fields, value, strict=True))
        return {self.path: value}


@dataclass(frozen=True)
class Constraint:
    """A metric filter such as ``area_mm2 <= 5``."""

    metric: str
    op: str
    value: float
    text: str

    def holds(self, metrics: dict[str, float]) -> bool:
        """Whether ``metrics`` satisfy it (a missing or NaN metric does not)."""
        got = metrics.get(self.metric)
        if got is None or (isinstance(got, float) and math.isnan(got)):
            return False
        return bool(_OPS[self.op](float(got), self.value))


_OPS: dict[str, Any] = {
    "<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


@dataclass
class Sweep:
    """A validated sweep: spec, its document, the resolved base workload and its dimensions."""

    spec: SweepSpec
    doc: Document
    name: str
    base_path: Path
    base_data: dict[str, Any]
    dims: list[Dimension]
    constraints: list[Constraint]

    tables_hash: str = ""
    """Hash of the contents of the technology tables (built-in and named by the base arch)."""
    files_hash: str = ""
    """Hash of the contents of every file the base workload reads (arch, trace, tensors,
    request logs, model configs, tables)."""
    _file_hashes: dict[str, str | None] = field(default_factory=dict)

    def point_key(self, overrides: dict[str, Any]) -> str:
        """Hash of the full resolved config of one design point: the workload with overrides,
        the tool version and the technology tables' contents."""
        config = apply_overrides(self.base_data, overrides)
        return stable_hash({"tool_version": sim.__version__, "workload": config,
                            "tables": self.tables_hash, "files": self.files_hash,
                            "override_files": self._override_files(overrides)})

    def _override_files(self, overrides: dict[str, Any]) -> dict[str, str]:
        """Content hashes of the files that override values name (e.g. a varied request log
        or trace), resolved against the base workload's folder."""
        out: dict[str, str] = {}
        for key, value in sorted(overrides.items()):
            if not isinstance(value, str) or "\0" in value or not value or len(value) > 4096:
                continue
            path = str(self.base_path.parent / value)
            if path not in self._file_hashes:
                self._file_hashes[path] = file_hash(Path(path))
            digest = self._file_hashes[path]
            if digest is not None:
                out[key] = digest
        return out

    @property
    def base_hash(self) -> str:
        """Hash of the resolved base workload."""
        return stable_hash(self.base_data)


def range_values(spec: RangeSpec) -> list[Any]:
    """The finite list of values of a range with ``step`` or ``num`` (duplicates removed)."""
    if spec.step is not None:
        count = math.floor((spec.stop - spec.start) / spec.step + 1e-9) + 1
        raw = [spec.start + i * spec.step for i in range(count)]
    else:
        num = spec.num or 1
        raw = [unit_to_range(spec, i / (num - 1) if num > 1 else 0.0) for i in range(num)]
    out: list[Any] = []
    for value in raw:
        value = tidy(value, spec.is_integer)
        if value not in out:
            out.append(value)
    return out


def unit_to_range(spec: RangeSpec, u: float) -> Any:
    """Map ``u`` in [0, 1] onto the range (geometrically if ``log``)."""
    if spec.log:
        value = spec.start * (spec.stop / spec.start) ** u
    else:
        value = spec.start + u * (spec.stop - spec.start)
    return tidy(value, spec.is_integer)


def tidy(value: float, integer: bool) -> Any:
    """Round to an int, or to 12 significant digits so that 0.1 + 0.2 prints as 0.3."""
    if integer:
        return round(value)
    return float(f"{value:.12g}")


def _base_data(doc: Document) -> dict[str, Any]:
    """The base workload with referenced arch and trace files inlined (paths made absolute)."""
    data = dict(doc.data)
    for key in ("arch", "trace"):
        value = data.get(key)
        if isinstance(value, str):
            path = (doc.path.parent / value).resolve()
            if not path.is_file():
                raise SimError(f"file {value!r} not found (looked for {path})", doc.where((key,)))
            data[key] = load_yaml(path).data
    return data


def load_sweep(path: str | Path) -> Sweep:
    """Read and fully check a sweep file: schema, base workload, vary paths, constraints."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise SimError("a sweep file must be a mapping", doc.where(()))
    if "base" not in doc.data and "arch" in doc.data and "trace" in doc.data:
        raise SimError("this is a workload, not a sweep file; use 'sim run'", doc.where(()),
                       accepted="a sweep file (base: WORKLOAD.yaml, vary: ...)")
    spec = validate(SweepSpec, doc)
    if spec.address is not None:
        raise SimError("a Dask scheduler address is not taken from a sweep file (Dask runs "
                       "pickled code from its scheduler)", doc.where(("address",)),
                       accepted="sim sweep --address ADDR, or SIM_DASK_ADDRESS")
    base_path = (doc.path.parent / spec.base).resolve()
    if not base_path.is_file():
        raise SimError(f"file {spec.base!r} not found (looked for {base_path})",
                       doc.where(("base",)))
    try:
        family = load_workload(base_path).family
    except SimError as exc:
        raise SimError(f"base workload is invalid: {exc}", doc.where(("base",))) from None
    if spec.sampler != "grid" and spec.n is None:
        raise SimError(f"sampler {spec.sampler!r} needs n (the number of points)",
                       doc.where(("sampler",)))
    if not spec.vary and not spec.linked:
        raise SimError("nothing to vary: give vary, linked, or both", doc.where(()))
    dims = [_dimension(doc, spec, key, values) for key, values in spec.vary.items()]
    for dim in dims:
        _check_path(doc, base_path, dim)
    for index, group in enumerate(spec.linked):
        dims.append(_linked(doc, base_path, index, group, [p for d in dims for p in d.paths]))
    constraints = [_constraint(doc, i, text) for i, text in enumerate(spec.constraints)]
    _check_metrics(doc, spec, constraints, family)
    if spec.sampler == "grid":
        size = math.prod(len(d.values or ()) for d in dims)
        if size > SWEEP_MAX_POINTS:
            raise SimError(f"the grid has {size:,} points, over the limit SWEEP_MAX_POINTS = "
                           f"{SWEEP_MAX_POINTS:,}", doc.where(("vary",)))
    name = spec.name or doc.path.name.removesuffix(SWEEP_SUFFIX).removesuffix(".yaml")
    with recording_reads() as files:
        tables = tables_hash(base_path)
    return Sweep(spec, doc, name, base_path, _base_data(load_yaml(base_path)), dims, constraints,
                 tables, stable_hash(sorted(files.items())))


def tables_hash(base_path: Path) -> str:
    """Content hash of the built-in technology tables and those the base workload's arch names,
    so that editing a table invalidates stored results."""
    from sim.tech.table import builtin_files

    workload = load_workload(base_path)
    files = [*builtin_files(), *workload.tech_files()]
    return stable_hash({str(f.name): bytes_hash(f.read_bytes()) for f in files if f.is_file()})


def _dimension(doc: Document, spec: SweepSpec, key: str, raw: Any) -> Dimension:
    where = doc.where(("vary", key))
    if isinstance(raw, dict):
        values: list[Any] | RangeSpec = validate(RangeSpec, doc, ("vary", key), raw)
    elif isinstance(raw, list):
        values = raw
    else:
        raise SimError(f"expected a list of values or a range, got {raw!r}", where,
                       accepted="[a, b, ...], {start, stop, step}, {start, stop, num, log}")
    if isinstance(values, list):
        if not values:
            raise SimError("give at least one value", where)
        return Dimension(key, tuple(values))
    if values.discrete:
        return Dimension(key, tuple(range_values(values)), values)
    if spec.sampler == "grid":
        raise SimError("a grid needs a list or a range with step or num", where,
                       accepted="[a, b, ...], {start, stop, step}, {start, stop, num, log}")
    return Dimension(key, None, values)


def _check_path(doc: Document, base_path: Path, dim: Dimension) -> None:
    """Apply the dimension's first value to the base workload; any failure names the path."""
    first = dim.values[0] if dim.values else unit_to_range(dim.range, 0.0)  # type: ignore[arg-type]
    try:
        load_workload(base_path, {dim.path: first})
    except SimError as exc:
        raise SimError(f"cannot vary {dim.path!r} (with value {first!r}): {exc}",
                       doc.where(("vary", dim.path))) from None


def _linked(doc: Document, base_path: Path, index: int, group: dict[str, list[Any]],
            taken: list[str]) -> Dimension:
    """A linked group as one dimension; each of its settings is applied to the base workload
    (the fields are linked because they are only valid together), and a failure names it."""
    where = doc.where(("linked", index))
    if len(group) < 2:
        raise SimError("a linked group needs at least two fields", where,
                       accepted="{path.a: [...], path.b: [...]} with lists of the same length")
    for path, values in group.items():
        at = doc.where(("linked", index, path))
        if path in taken:
            raise SimError(f"{path!r} is varied twice (in vary or another linked group)", at)
        if not values:
            raise SimError("give at least one value", at)
    lengths = {path: len(values) for path, values in group.items()}
    if len(set(lengths.values())) > 1:
        counts = ", ".join(f"{path} {n}" for path, n in lengths.items())
        raise SimError(f"linked fields need lists of the same length; got {counts}", where)
    fields = tuple(group)
    settings = tuple(zip(*group.values(), strict=True))
    for setting in settings:
        overrides = dict(zip(fields, setting, strict=True))
        try:
            load_workload(base_path, overrides)
        except SimError as exc:
            raise SimError(f"cannot apply linked setting {overrides}: {exc}", where) from None
    return Dimension(" + ".join(fields), settings, fields=fields)


def _check_metrics(doc: Document, spec: SweepSpec, constraints: list[Constraint],
                   family: Family) -> None:
    """Objectives and constraints must name metrics the base workload's family reports."""
    named: list[tuple[FieldPath, str]] = [(("objectives", name), name)
                                          for name in spec.objectives]
    named += [(("constraints", i), c.metric) for i, c in enumerate(constraints)]
    for at, metric in named:
        why = unknown_metric(metric, family)
        if why:
            known = (*GENERIC_METRICS, *(family.metrics or ()))
            raise SimError(why, doc.where(at), accepted="metrics: " + ", ".join(known))


def _constraint(doc: Document, index: int, text: str) -> Constraint:
    parsed = parse_constraint(text)
    if parsed is None:
        raise SimError(f"cannot read constraint {text!r}", doc.where(("constraints", index)),
                       accepted="METRIC OP NUMBER with OP one of <, <=, >, >=, ==, !=")
    return Constraint(*parsed, text=text.strip())
