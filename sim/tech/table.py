"""Loading technology tables and looking values up at a node, scaled once where needed."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sim.core.errors import Location, SimError
from sim.spec.validate import validate
from sim.spec.yamlio import Document, load_yaml
from sim.tech import derive
from sim.tech.scaling import factor
from sim.tech.schema import CANONICAL_UNIT, UNITS, Metric, TechFile, TechRow, WidthRule

BUILTIN_DIR = Path(__file__).with_name("tables")


@dataclass(frozen=True)
class TechValue:
    """A looked-up constant in canonical units (pJ, um2, ps, mW) with its provenance."""

    key: str
    metric: Metric
    value: float
    unit: str
    node_nm: int
    source: str
    table: str
    from_node_nm: int
    scaling: str

    @property
    def scaled(self) -> bool:
        """Whether the value was scaled from another node."""
        return self.from_node_nm != self.node_nm


@dataclass(frozen=True)
class Term:
    """``count`` times one table row: an energy (pJ), area (um^2) or delay (ps) contribution of
    ``key`` (a ledger key, an inventory component or a delay stage)."""

    key: str
    count: float
    row: TechValue

    @property
    def total(self) -> float:
        """count x the row's value, in the row's unit."""
        return self.count * self.row.value


@dataclass(frozen=True)
class _Entry:
    row: TechRow
    value: float  # canonical unit
    table: str
    note: str = ""  # how a derived entry was obtained from ``row`` (width or size rule)


class TechTable:
    """All rows of the built-in and user tables, indexed by (key, metric, node)."""

    def __init__(self, node_nm: int) -> None:
        self.node_nm = node_nm
        self._rows: dict[tuple[str, Metric], dict[int, _Entry]] = {}
        self.files: list[str] = []

    def add_file(self, path: Path, override: bool) -> None:
        """Add a table file; built-in files may not redefine a row, user files may override."""
        doc, spec = _parsed(path)
        self.files.append(str(path))
        for i, row in enumerate(spec.rows):
            where = doc.where(("rows", i))
            units = UNITS[row.metric]
            if row.unit not in units:
                raise SimError(f"unit {row.unit!r} does not fit metric {row.metric!r}",
                               Location(where.file, where.line, where.field + ".unit"),
                               accepted=", ".join(units))
            slot = self._rows.setdefault((row.key, row.metric), {})
            if row.node_nm in slot and not override:
                raise SimError(f"{row.metric} of {row.key!r} at {row.node_nm} nm is defined twice "
                               f"(also in {slot[row.node_nm].table})", where)
            slot[row.node_nm] = _Entry(row, row.value * units[row.unit], spec.name)

    def has(self, key: str, metric: Metric) -> bool:
        """Whether a row exists for this key (or a less specific form of it) and metric."""
        return self._find(key, metric) is not None

    def _find(self, key: str, metric: Metric) -> dict[int, _Entry] | None:
        """Rows of ``key``, else of the key with leading unit prefixes dropped.

        ``npu.sram.read_bit`` falls back to ``sram.read_bit``: a ledger key may name the unit
        that acted while the table costs the generic component. At each step a parametric key
        (``mult_int12``, ``sram_64KiB.read_bit``) is derived from published rows by rule
        (:mod:`sim.tech.derive`) when no row names it exactly.
        """
        parts = key.split(".")
        least = 2 if metric == "energy" else 1
        for start in range(len(parts) - least + 1):
            suffix = ".".join(parts[start:])
            slot = self._rows.get((suffix, metric)) or self._derived(suffix, metric)
            if slot:
                return slot
        return None

    def _derived(self, key: str, metric: Metric) -> dict[int, _Entry] | None:
        """Entries per node for a parametric width or size key; None if it is not one."""
        component, _, action = key.partition(".")
        tail = f".{action}" if action else ""
        width = derive.parse_width(component)
        if width is not None:
            rule = derive.width_rule(width.prefix)
            if rule is not None:
                return self._width_slot(width, tail, metric, rule)
        size = derive.parse_size(component)
        if size is not None and derive.size_rule(size[0]) is not None:
            return self._size_slot(size[0], size[1], tail, metric)
        return None

    def _width_slot(self, width: derive.Width, tail: str, metric: Metric,
                    rule: WidthRule) -> dict[int, _Entry] | None:
        by_node: dict[int, list[tuple[derive.Width, _Entry]]] = {}
        for (key, m), slot in self._rows.items():
            component, _, action = key.partition(".")
            anchor = derive.parse_width(component)
            if m != metric or anchor is None or anchor.prefix != width.prefix:
                continue
            if (f".{action}" if action else "") != tail:
                continue
            for node, entry in slot.items():
                by_node.setdefault(node, []).append((anchor, entry))
        out: dict[int, _Entry] = {}
        for node, anchors in by_node.items():
            best = derive.nearest_width(width, [a for a, _ in anchors])
            entry = next(e for a, e in anchors if a == best)
            f = derive.width_factor(width, best, rule)
            note = (f"width-scaled x{f:.4g} from {entry.row.key} ({_bits(best)} -> "
                    f"{_bits(width)} bits, exponent {rule.exponent:g}, {derive.RULES_FILE.name})")
            out[node] = _Entry(entry.row, entry.value * f, entry.table, note)
        return out or None

    def _size_slot(self, prefix: str, size: int, tail: str,
                   metric: Metric) -> dict[int, _Entry] | None:
        by_node: dict[int, dict[int, _Entry]] = {}
        for (key, m), slot in self._rows.items():
            component, _, action = key.partition(".")
            anchor = derive.parse_size(component)
            if m != metric or anchor is None or anchor[0] != prefix:
                continue
            if (f".{action}" if action else "") != tail:
                continue
            for node, entry in slot.items():
                by_node.setdefault(node, {})[anchor[1]] = entry
        out: dict[int, _Entry] = {}
        for node, anchors in by_node.items():
            if len(anchors) < 2 or any(e.value <= 0 for e in anchors.values()):
                continue
            value, how = derive.interpolate_size(size, {s: e.value for s, e in anchors.items()})
            ref = anchors[min(anchors, key=lambda s: abs(math.log(size / s)))]
            note = f"size {how} log-log over {len(anchors)} published {prefix} sizes"
            out[node] = _Entry(ref.row, value, ref.table, note)
        if out:
            return out
        base = self._rows.get((prefix + tail, metric))
        if not base:
            return None
        note = f"size-independent: no size-dependent {prefix} rows, per-bit row {prefix + tail}"
        return {n: _Entry(e.row, e.value, e.table, note) for n, e in base.items()}

    def lookup(self, key: str, metric: Metric) -> TechValue:
        """The value of ``key``/``metric`` at this table's node; missing rows are a SimError.

        A row at the node itself wins; otherwise the row from the nearest node is scaled once with
        the published factors (delay and power rows are not scaled: they must exist at the node or
        be marked ``scales: none``).
        """
        slot = self._find(key, metric)
        if not slot:
            raise SimError(f"no {metric} entry for {key!r} at {self.node_nm} nm in the technology "
                           f"tables ({', '.join(Path(f).name for f in self.files)})")
        if self.node_nm in slot:
            return self._value(slot[self.node_nm], 1.0, "native", key)
        entry = slot[min(slot, key=lambda n: (abs(n - self.node_nm), n))]
        if entry.row.scales == "none":
            return self._value(entry, 1.0, "not scaled (scales: none)", key)
        if metric not in ("area", "energy"):
            raise SimError(f"no {metric} entry for {key!r} at {self.node_nm} nm, and {metric} "
                           f"is not scaled across nodes (rows exist at {sorted(slot)} nm)")
        f = factor(entry.row.node_nm, self.node_nm, metric)
        return self._value(entry, f.value, f.how, key)

    def _value(self, entry: _Entry, scale: float, how: str, key: str) -> TechValue:
        row = entry.row
        name = row.key
        if entry.note:
            how = f"{entry.note}; {how}"
            name = key
        return TechValue(name, row.metric, entry.value * scale, CANONICAL_UNIT[row.metric],
                         self.node_nm, row.source, entry.table, row.node_nm, how)


def _parsed(path: Path) -> tuple[Document, TechFile]:
    """Parse and validate a table file, reusing the result while the file is unchanged; a
    missing file is a SimError naming it."""
    try:
        stat = Path(path).stat()
    except OSError:
        raise SimError("technology table not found", Location(path)) from None
    return _parse_cached(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _parse_cached(path: str, mtime_ns: int, size: int) -> tuple[Document, TechFile]:
    doc = load_yaml(path)
    return doc, validate(TechFile, doc)


def _bits(width: derive.Width) -> str:
    """``8`` or ``8x4``: the operand widths of a parametric key."""
    a, b = width.width_a, width.width_b
    return str(a) if a == b else f"{a}x{b}"


def builtin_files() -> list[Path]:
    """The table files shipped with the tool (every ``*.yaml`` in ``sim/tech/tables``)."""
    return sorted(BUILTIN_DIR.glob("*.yaml"))


def load_tables(node_nm: int, user_files: Iterable[Path] = ()) -> TechTable:
    """Built-in tables plus user table files (which override rows at the same key and node)."""
    table = TechTable(node_nm)
    for path in builtin_files():
        table.add_file(path, override=False)
    for path in user_files:
        table.add_file(Path(path), override=True)
    return table
