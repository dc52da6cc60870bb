"""YAML loading that remembers the line of every key and value.

``load_yaml(path)`` returns a :class:`Document`: the plain data plus a map from field path
(tuple of keys and list indices) to the 1-based line it came from, so that schema errors can
name ``file:line: field.path``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.core.errors import Location, SimError
from sim.spec.inputs import (
    YAML_MAX_ALIAS_NODES,
    YAML_MAX_ALIASES,
    YAML_MAX_BYTES,
    YAML_MAX_DEPTH,
    read_text_limited,
)

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


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when installed (about 20x faster), else PyYAML's own; both resolve tags
the same way (YAML 1.1 safe schema)."""


class _Composer:
    """Builds the YAML node tree from parser events without recursion, refusing nesting deeper
    than ``YAML_MAX_DEPTH`` and more than ``YAML_MAX_ALIASES`` alias uses."""

    def __init__(self, text: str) -> None:
        self.loader = LOADER(text)
        self.anchors: dict[str, yaml.Node] = {}
        self.stack: list[tuple[yaml.Node, list[yaml.Node]]] = []
        self.aliases = 0
        self.composed = 0

    def single_node(self) -> yaml.Node | None:
        """The one document's root node (None for an empty stream)."""
        try:
            self.loader.get_event()  # stream start
            if self.loader.check_event(yaml.StreamEndEvent):
                return None
            self.loader.get_event()  # document start
            root = self._document()
            self.loader.get_event()  # document end
            if not self.loader.check_event(yaml.StreamEndEvent):
                raise _Limit("expected a single document, found another",
                             self.loader.peek_event().start_mark)
            return root
        finally:
            self.loader.dispose()

    def _document(self) -> yaml.Node:
        root: yaml.Node | None = None
        while root is None or self.stack:
            event = self.loader.get_event()
            node = self._node(event)
            if node is None:
                continue
            if not self.stack:
                root = node
            else:
                self._attach(node)
        return root

    def _node(self, event: Any) -> Any:
        """The node an event completes (None if it opens a collection)."""
        self.composed += 1
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > YAML_MAX_ALIASES:
                raise _Limit(f"more than {YAML_MAX_ALIASES} aliases (YAML_MAX_ALIASES)",
                             event.start_mark)
            if event.anchor not in self.anchors:
                raise _Limit(f"alias *{event.anchor} names no anchor", event.start_mark)
            return self.anchors[event.anchor]
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag if event.tag not in (None, "!") else \
                self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            start: Any = event.start_mark
            end: Any = event.end_mark
            return self._anchor(event, yaml.ScalarNode(tag, event.value, start, end,
                                                       style=event.style))
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._open(event)
            return None
        if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            top, _ = self.stack.pop()
            top.end_mark = event.end_mark
            return top
        raise _Limit(f"unexpected YAML event {type(event).__name__}", event.start_mark)

    def _open(self, event: Any) -> None:
        """Start a sequence or mapping node (pushed on the stack)."""
        if len(self.stack) >= YAML_MAX_DEPTH:
            raise _Limit(f"nested deeper than {YAML_MAX_DEPTH} levels (YAML_MAX_DEPTH)",
                         event.start_mark)
        kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else \
            yaml.MappingNode
        tag = event.tag if event.tag not in (None, "!") else \
            self.loader.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self._anchor(event, node)
        self.stack.append((node, []))

    def _anchor(self, event: Any, node: Any) -> Any:
        if getattr(event, "anchor", None) is not None:
            self.anchors[event.anchor] = node
        return node

    def _attach(self, node: yaml.Node) -> None:
        """Add a finished node to the collection on top of the stack."""
        parent, pending = self.stack[-1]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif pending:
            parent.value.append((pending.pop(), node))
        else:
            pending.append(node)


class _Limit(Exception):
    """A YAML input limit was exceeded at ``mark``."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


SCALAR_TYPES = (str, int, float, bool, type(None))
COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Builder:
    """Turns a composed YAML node tree into Python data while recording lines.

    Alias expansion is bounded: the data may hold at most ``YAML_MAX_ALIAS_NODES`` values more
    than the file composed, and an alias inside the node it names (a cycle) is refused."""

    def __init__(self, path: Path, composed: int) -> None:
        self.path = path
        self.lines: dict[FieldPath, int] = {}
        self.constructor = LOADER("")
        self.budget = composed + YAML_MAX_ALIAS_NODES
        self.open: set[int] = set()

    def build(self, node: yaml.Node, at: FieldPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _Limit("alias expansion adds more than "
                         f"{YAML_MAX_ALIAS_NODES:,} values (YAML_MAX_ALIAS_NODES)", node.start_mark)
        self.lines.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if node.tag not in COLLECTION_TAGS:
            raise _Limit(f"unsupported YAML type {node.tag!r} (plain scalars, lists and "
                         "mappings only)", node.start_mark)
        if id(node) in self.open:
            raise _Limit("recursive alias (a node that contains itself)", node.start_mark)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, at)
            return [self.build(item, (*at, i)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _scalar(self, node: yaml.Node) -> Any:
        """A plain scalar (str, int, float, bool, null; dates become ISO text)."""
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            raise _Limit(f"invalid {node.tag.rsplit(':', 1)[-1]} value {str(node.value)[:40]!r} "
                         f"({type(exc).__name__})", node.start_mark) from None
        if isinstance(value, datetime.date):
            return value.isoformat()
        if not isinstance(value, SCALAR_TYPES):
            raise _Limit(f"unsupported YAML type {node.tag!r} (plain scalars, lists and "
                         "mappings only)", node.start_mark)
        return value

    def _mapping(self, node: yaml.MappingNode, at: FieldPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise SimError("mapping keys must be plain scalars", Location(self.path, line))
            key = self._scalar(key_node)
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
    if len(text) > YAML_MAX_BYTES:
        raise SimError(f"YAML text is over the limit of {YAML_MAX_BYTES:,} bytes "
                       "(YAML_MAX_BYTES)", Location(path))
    composer = _Composer(text)
    try:
        node = composer.single_node()
    except _Limit as exc:
        raise SimError(exc.message, Location(path, exc.mark.line + 1 if exc.mark else 0)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "syntax error"
        raise SimError(f"invalid YAML: {what}", Location(path, line)) from None
    except yaml.YAMLError as exc:
        raise SimError(f"invalid YAML: {exc}", Location(path)) from None
    if node is None:
        raise SimError("file is empty", Location(path, 1))
    builder = _Builder(path, composer.composed)
    try:
        data = builder.build(node, ())
    except _Limit as exc:
        raise SimError(exc.message, Location(path, exc.mark.line + 1 if exc.mark else 0)) from None
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise SimError(f"invalid YAML value: {exc.problem}", Location(path, line)) from None
    return Document(path, data, builder.lines)


def read_text(path: Path, what: str = "file", limit: int = YAML_MAX_BYTES) -> str:
    """The UTF-8 text of an input file; a missing, unreadable, non-regular or over-large one is a
    SimError naming it (``what`` says what the file is, e.g. ``request log``)."""
    return read_text_limited(path, what, limit)


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
            out[key.strip()] = _number(parse_yaml(text, Path(option)).data) if text.strip() else ""
        except SimError as exc:
            raise SimError(f"{option} {item!r}: the value is not valid YAML ({exc.message})") \
                from None
    return out


_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _number(value: Any) -> Any:
    """``"1e3"`` (YAML 1.1 wants ``1.0e+3``) -> 1000.0; anything else unchanged."""
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value)
    return value
