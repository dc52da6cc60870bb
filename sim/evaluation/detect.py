"""``sim validate FILE``: recognise what kind of file it is and validate it fully (sweep files are
checked by :func:`sim.api.validate_file`, which sits above the sweep package)."""

from __future__ import annotations

from pathlib import Path

from sim.core.errors import SimError, UnsupportedOpError
from sim.evaluation.workload import Source, Workload, load_workload, resolve_arch
from sim.family import Family
from sim.spec.base import ArchBase
from sim.spec.yamlio import load_yaml
from sim.tech import load_tables
from sim.workload.load import tensor_file, trace_from_data

KINDS = ("workload (arch + trace), arch (family), trace (ops), sweep (base + vary), "
         "model config (arch: transformer | resnet | mobilenetv2 | crnn), tech table (rows)")


def check_workload(workload: Workload) -> None:
    """What ``sim run`` checks before it simulates, without simulating: every op is of a kind
    the family runs, the family's own checks (operand widths, ...), the model can be built, and
    the technology tables of the arch's node load."""
    family = workload.family
    where = workload.trace_source.doc.where(workload.trace_source.at)
    for op in workload.trace.ops:
        if op.kind not in family.op_kinds:
            raise UnsupportedOpError(f"op {op.name!r} of kind {op.kind!r} is not supported by "
                                     f"family {family.name!r}", where,
                                     accepted=", ".join(sorted(family.op_kinds)))
    if family.check is not None:
        try:
            family.check(workload.arch, workload.trace)
        except SimError as exc:  # name the file the trace is in
            if exc.where.file is not None:
                raise
            raise type(exc)(exc.message, where, exc.accepted) from None
    check_arch(family, workload.arch, workload.tech_files())


def check_arch(family: Family, arch: ArchBase, tech_files: list[Path]) -> None:
    """The family builds a model of ``arch`` and the tables of its node load."""
    family.build(arch)
    load_tables(arch.tech.node_nm, tech_files)


def validate_any(path: Path) -> str:
    """Validate ``path`` as whatever it is; returns a short description such as ``"arch"``."""
    from sim.workload.model_configs import SCHEMAS, load_model_config  # not needed by sim run

    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict):
        raise SimError("expected a mapping at the top of the file", doc.where(()), accepted=KINDS)
    if isinstance(data.get("arch"), str) and data["arch"] in SCHEMAS and "trace" not in data:
        config = load_model_config(str(path))
        return f"model config ({config.arch} {config.name}, for trace generators)"
    if "arch" in data or "trace" in data:
        workload = load_workload(path)
        check_workload(workload)
        return f"workload ({workload.family.name}, {len(workload.trace.ops)} ops)"
    if "family" in data:
        family, arch = resolve_arch(Source(doc, ()), data)
        check_arch(family, arch, [*family.tech_tables,
                                  *((path.parent / p).resolve() for p in arch.tech.tables)])
        return f"arch ({family.name})"
    if "ops" in data:
        trace = trace_from_data(doc, (), data)
        tensor_file(trace, path.parent, doc.where(("tensors",)), doc)
        return f"trace ({len(trace.ops)} ops)"
    if "rows" in data:
        from sim.tech.table import TechTable

        TechTable(28).add_file(path, override=True)
        return "tech table"
    raise SimError("cannot tell what kind of file this is", doc.where(()), accepted=KINDS)
