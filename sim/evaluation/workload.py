"""Workload files: which arch, which trace, which seed, which reports. Resolution of both."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from sim.core.errors import SimError
from sim.core.hashing import stable_hash
from sim.family import Family, get_family, get_generator
from sim.spec.base import ArchBase, ReportDir, Seed, StrictModel
from sim.spec.inputs import YAML_MAX_BYTES, checked_path, input_file, safe_resolve
from sim.spec.validate import validate
from sim.spec.yamlio import Document, FieldPath, dotted, load_yaml
from sim.workload.load import tensor_file, trace_from_data, trace_hash
from sim.workload.trace import Trace

ReportFormat = Literal["json", "csv", "png"]
ALL_FORMATS: tuple[ReportFormat, ...] = ("json", "csv", "png")


class ReportOptions(StrictModel):
    """What ``sim run`` writes and where."""

    formats: list[ReportFormat] = Field(default_factory=lambda: list(ALL_FORMATS))
    dir: ReportDir = None
    """Output folder, relative to the working directory; default ``reports/<name>``."""


class WorkloadSpec(StrictModel):
    """A workload file (``version: 1``)."""

    version: Literal[1]
    name: str = Field(min_length=1, max_length=200)
    arch: str | dict[str, Any]
    """Path of an arch file (relative to this file) or an inline arch mapping."""
    trace: str | dict[str, Any]
    """Path of a trace file (relative to this file), an inline trace, or ``{generator: ...}``."""
    seed: Seed = 0
    report: ReportOptions = Field(default_factory=ReportOptions)


@dataclass
class Source:
    """A document and the field path at which a piece of a workload was found."""

    doc: Document
    at: FieldPath

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in this piece are resolved against."""
        return self.doc.path.parent


@dataclass
class Workload:
    """A fully resolved and validated workload, ready to run."""

    spec: WorkloadSpec
    path: Path
    family: Family
    arch: ArchBase
    arch_source: Source
    trace: Trace
    trace_source: Source
    tensors: Path | None
    arch_hash: str
    trace_hash: str
    overrides: dict[str, Any] = field(default_factory=dict)
    """The dotted-path overrides applied over the file (``--set``, a sweep point)."""

    def tech_files(self) -> list[Path]:
        """Technology tables beyond the built-in ones: the family's own, then those the arch
        names (resolved against the arch file), later ones overriding earlier rows."""
        return [*self.family.tech_tables, *named_tech_tables(self.arch_source, self.arch)]


def named_tech_tables(source: Source, arch: ArchBase) -> list[Path]:
    """The extra technology tables an arch names, resolved against its file; each must be a
    regular, size-limited file (SimError at the ``tech.tables`` entry otherwise)."""
    out = []
    for i, name in enumerate(arch.tech.tables):
        where = source.doc.where((*source.at, "tech", "tables", i))
        path = safe_resolve(source.base_dir / checked_path(name, where), where)
        out.append(input_file(path, f"technology table {name!r}", YAML_MAX_BYTES, where))
    return out


def _piece(doc: Document, key: str, value: Any) -> tuple[Source, Any]:
    """Follow a ``key: path`` reference to its own file, or keep an inline mapping."""
    if isinstance(value, str):
        where = doc.where((key,))
        path = safe_resolve(doc.path.parent / checked_path(value, where), where)
        if not path.exists():
            raise SimError(f"file {value[:200]!r} not found (looked for {path})", where)
        sub = load_yaml(input_file(path, f"{key} file", YAML_MAX_BYTES, where))
        return Source(sub, ()), sub.data
    return Source(doc, (key,)), value


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Copy of ``data`` with ``{"arch.rows": 32, ...}`` set by dotted path.

    A mapping missing on the way is created (``arch.memory.hbm.org.channels`` over a preset
    with no ``org``); the family's schema then judges the fields. A scalar on the way is an error.
    """
    out = copy.deepcopy(data)
    for path, value in overrides.items():
        node = out
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SimError(f"cannot set {path!r}: {part!r} is not a mapping")
        node[last] = value
    return out


def resolve_arch(source: Source, data: Any) -> tuple[Family, ArchBase]:
    """Validate an arch mapping with the schema of the family it names."""
    if not isinstance(data, dict):
        raise SimError("an arch must be a mapping", source.doc.where(source.at))
    if "family" not in data:
        raise SimError("required field is missing", source.doc.where((*source.at, "family")))
    family = get_family(str(data["family"]), source.doc.where((*source.at, "family")))
    arch = validate(family.arch_schema, source.doc, source.at, data)
    assert isinstance(arch, ArchBase), f"family {family.name} schema must extend ArchBase"
    return family, arch


def resolve_trace(source: Source, data: Any, seed: int) -> Trace:
    """Validate an inline trace or run the generator it names."""
    if isinstance(data, dict) and "generator" in data:
        params = {k: v for k, v in data.items() if k != "generator"}
        gen = get_generator(str(data["generator"]), source.doc.where((*source.at, "generator")))
        for name in gen.path_fields & params.keys():
            value = params[name]
            if isinstance(value, str) and Path(value).suffix:
                params[name] = str(source.base_dir / value)
        where = source.doc.where((*source.at, "generator"))
        try:
            return gen.build(validate(gen.schema, source.doc, source.at, params), seed)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            field = ".".join(str(part) for part in err["loc"])
            raise SimError(f"generator {gen.name!r} made an invalid trace ({field}: "
                           f"{str(err['msg']).removeprefix('Value error, ')})", where) from None
    if not isinstance(data, dict):
        raise SimError("a trace must be a mapping or a file path", source.doc.where(source.at))
    return trace_from_data(source.doc, source.at, data)


def load_workload(path: str | Path, overrides: dict[str, Any] | None = None) -> Workload:
    """Load, resolve and validate a workload file and everything it names."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise SimError("a workload file must be a mapping", doc.where(()))
    spec = validate(WorkloadSpec, doc, (), doc.data)
    arch_source, arch_data = _piece(doc, "arch", spec.arch)
    trace_source, trace_data = _piece(doc, "trace", spec.trace)
    merged = {**doc.data, "arch": arch_data, "trace": trace_data}
    if overrides:
        merged = apply_overrides(merged, overrides)
        spec = validate(WorkloadSpec, doc, (), {**merged, "arch": {}, "trace": {}})
    family, arch = resolve_arch(arch_source, merged["arch"])
    named_tech_tables(arch_source, arch)
    trace = resolve_trace(trace_source, merged["trace"], spec.seed)
    tensors = tensor_file(trace, trace_source.base_dir, trace_source.doc.where(trace_source.at),
                          trace_source.doc, trace_source.at)
    return Workload(spec, doc.path, family, arch, arch_source, trace, trace_source, tensors,
                    stable_hash(arch.model_dump(mode="json")), trace_hash(trace, tensors),
                    dict(overrides or {}))


__all__ = ["Workload", "WorkloadSpec", "apply_overrides", "dotted", "load_workload"]
