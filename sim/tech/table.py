"""Loading technology tables and looking values up at a node, scaled once where needed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sim.core.errors import Location, SimError
from sim.spec.validate import validate
from sim.spec.yamlio import load_yaml
from sim.tech.scaling import factor
from sim.tech.schema import CANONICAL_UNIT, UNITS, Metric, TechFile, TechRow

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
class _Entry:
    row: TechRow
    value: float  # canonical unit
    table: str


class TechTable:
    """All rows of the built-in and user tables, indexed by (key, metric, node)."""

    def __init__(self, node_nm: int) -> None:
        self.node_nm = node_nm
        self._rows: dict[tuple[str, Metric], dict[int, _Entry]] = {}
        self.files: list[str] = []

    def add_file(self, path: Path, override: bool) -> None:
        """Add a table file; built-in files may not redefine a row, user files may override."""
        doc = load_yaml(path)
        spec = validate(TechFile, doc)
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
        that acted while the table costs the generic component.
        """
        parts = key.split(".")
        least = 2 if metric == "energy" else 1
        for start in range(len(parts) - least + 1):
            slot = self._rows.get((".".join(parts[start:]), metric))
            if slot:
                return slot
        return None

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
            return self._value(slot[self.node_nm], 1.0, "native")
        entry = slot[min(slot, key=lambda n: (abs(n - self.node_nm), n))]
        if entry.row.scales == "none":
            return self._value(entry, 1.0, "not scaled (scales: none)")
        if metric not in ("area", "energy"):
            raise SimError(f"no {metric} entry for {key!r} at {self.node_nm} nm, and {metric} "
                           f"is not scaled across nodes (rows exist at {sorted(slot)} nm)")
        f = factor(entry.row.node_nm, self.node_nm, metric)
        return self._value(entry, f.value, f.how)

    def _value(self, entry: _Entry, scale: float, how: str) -> TechValue:
        row = entry.row
        return TechValue(row.key, row.metric, entry.value * scale, CANONICAL_UNIT[row.metric],
                         self.node_nm, row.source, entry.table, row.node_nm, how)


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
