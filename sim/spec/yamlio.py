"""YAML loading that remembers the line of every key and value.

``load_yaml(path)`` returns a :class:`Document`: the plain data plus a map from field path
(tuple of keys and list indices) to the 1-based line it came from, so that schema errors can
name ``file:line: field.path``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.core.errors import Location, SimError

FieldPath = tuple[str | int, ...]


@dataclass
class Document:
    """Parsed YAML data with the line of each field path (1-based)."""

    path: Path
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int:
        """Line of the deepest known prefix of ``path`` (1 if none is known)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def where(self, path: FieldPath) -> Location:
        """Location of a field path in this document."""
        return Location(self.path, self.line_of(path), dotted(path))


def dotted(path: FieldPath) -> str:
    """Render a field path as ``a.b[2].c``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Builder:
    """Turns a composed YAML node tree into Python data while recording lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[FieldPath, int] = {}
        self.constructor = yaml.SafeLoader(stream="")

    def build(self, node: yaml.Node, at: FieldPath) -> Any:
        self.lines.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, at)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*at, i)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, at: FieldPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool):
                raise SimError("mapping keys must be plain scalars", Location(self.path, line))
            key = str(key)
            if key in out:
                where = Location(self.path, line, dotted((*at, key)))
                raise SimError(f"duplicate key {key!r}", where)
            self.lines[(*at, key)] = line
            out[key] = self.build(value_node, (*at, key))
        return out


def parse_yaml(text: str, path: Path) -> Document:
    """Parse YAML text (from ``path``, used in messages) into a Document."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "syntax error"
        raise SimError(f"invalid YAML: {what}", Location(path, line)) from None
    except yaml.YAMLError as exc:
        raise SimError(f"invalid YAML: {exc}", Location(path)) from None
    if node is None:
        raise SimError("file is empty", Location(path, 1))
    builder = _Builder(path)
    try:
        data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise SimError(f"invalid YAML value: {exc.problem}", Location(path, line)) from None
    return Document(path, data, builder.lines)


def read_text(path: Path, what: str = "file") -> str:
    """The UTF-8 text of an input file; a missing or unreadable one is a SimError naming it
    (``what`` says what the file is, e.g. ``request log``)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SimError(f"{what} not found", Location(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SimError(f"cannot read {what}: {exc}", Location(path)) from None


def load_yaml(path: str | Path) -> Document:
    """Read and parse a YAML file; a missing or unreadable file is a SimError."""
    path = Path(path)
    return parse_yaml(read_text(path), path)


def parse_assignments(items: list[str], option: str) -> dict[str, Any]:
    """Command-line ``["arch.rows=32", ...]`` -> ``{"arch.rows": 32, ...}``: each value is read
    as YAML (``8`` -> 8, ``[4, 4]`` -> a list, empty -> ""), and a plain number YAML 1.1 leaves
    as text (``1e3``, ``2E-9``) as a float; ``option`` names the flag in errors."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise SimError(f"{option} {item!r}: expected FIELD=VALUE", accepted="e.g. rows=32")
        try:
            out[key.strip()] = _number(yaml.safe_load(text)) if text.strip() else ""
        except yaml.YAMLError:
            raise SimError(f"{option} {item!r}: the value is not valid YAML") from None
    return out


_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _number(value: Any) -> Any:
    """``"1e3"`` (YAML 1.1 wants ``1.0e+3``) -> 1000.0; anything else unchanged."""
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value)
    return value
