"""Validate parsed YAML against pydantic schemas; turn the first error into a one-line SimError."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim.core.errors import SimError
from sim.spec.yamlio import Document, FieldPath

M = TypeVar("M", bound=BaseModel)


def validate(schema: type[M], doc: Document, at: FieldPath = (), data: Any = None) -> M:
    """Validate ``data`` (default: the document's data) found at field path ``at``."""
    payload = doc.data if data is None else data
    try:
        return schema.model_validate(payload)
    except ValidationError as exc:
        raise to_sim_error(exc, schema, doc, at, payload) from None


def to_sim_error(exc: ValidationError, schema: type[BaseModel], doc: Document,
                 at: FieldPath, data: Any) -> SimError:
    """Render the first pydantic error as ``file:line: field.path: message (accepted: ...)``."""
    err = exc.errors(include_url=False)[0]
    loc = _data_path(tuple(err["loc"]), data)
    where = doc.where((*at, *loc))
    kind = err["type"]
    if kind == "extra_forbidden":
        accepted = _fields_at(schema, tuple(err["loc"])[:-1])
        return SimError("unknown field", where, accepted=", ".join(accepted) if accepted else None)
    if kind == "missing":
        return SimError("required field is missing", where)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        ctx = err.get("ctx") or {}
        field = str(ctx.get("discriminator", "kind")).strip("'")
        tag_where = doc.where((*at, *loc, field))
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        if kind == "union_tag_not_found":
            return SimError("required field is missing", tag_where, accepted=tags)
        return SimError(f"unknown {field} {ctx.get('tag')!r}", tag_where, accepted=tags)
    value = err.get("input")
    if kind == "value_error" and isinstance(value, dict):  # a cross-field check of a section
        return SimError(str(err["msg"]).removeprefix("Value error, "), where)
    return SimError(f"{_message(err)}, got {_short(value)}", where, accepted=_accepted(err))


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg[0].lower() + msg[1:] if msg else "invalid value"


def _accepted(err: Any) -> str | None:
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        return str(ctx["expected"])
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _data_path(loc: tuple[Any, ...], data: Any) -> FieldPath:
    """Drop the tags pydantic inserts for unions (e.g. the op kind) so the path matches the data."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if _has(node, part):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_union_tag(node, part):
            out.append(part)  # a missing or unknown key: name it, nothing below it exists
            break
        elif not isinstance(node, dict | list):
            break
    return tuple(out)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _is_union_tag(node: dict[str, Any], part: str) -> bool:
    return part in {str(v) for v in node.values() if isinstance(v, str)} or "[" in part


def _fields_at(schema: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Names of the fields the schema accepts at ``loc`` (best effort through unions/lists)."""
    current: Any = schema
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    model = _as_model(current)
    return sorted(model.model_fields) if model else []


def _step(tp: Any, part: Any) -> Any:
    model = _as_model(tp)
    if model is not None and isinstance(part, str):
        if part in model.model_fields:
            return model.model_fields[part].annotation
        return None
    for arg in _members(tp):
        if isinstance(part, int) and typing.get_origin(arg) in (list, tuple):
            return typing.get_args(arg)[0]
        if isinstance(part, str) and typing.get_origin(arg) is dict:
            return typing.get_args(arg)[1]
        sub = _as_model(arg)
        if sub is not None and isinstance(part, str) and _tag_matches(sub, part):
            return sub
    return None


def _tag_matches(model: type[BaseModel], tag: str) -> bool:
    kind = model.model_fields.get("kind")
    return kind is not None and tag in typing.get_args(kind.annotation)


def _members(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(tp) for m in _members(arg)]
    return [tp]


def _as_model(tp: Any) -> type[BaseModel] | None:
    for member in _members(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None
