"""Hostile YAML: deep nesting, recursive aliases, alias bombs, bad tags, oversized and
non-regular files all give one line and exit 2, before any expansion happens."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.spec import inputs
from sim.spec.yamlio import load_yaml, parse_assignments, parse_yaml

ONE_LINE = re.compile(r"^error: [^\n]+$")


def one_line_error(outcome: object) -> str:
    """The single stderr line of a failed ``sim`` call (exit 2, no traceback)."""
    code, stderr = outcome.code, outcome.stderr  # type: ignore[attr-defined]
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert ONE_LINE.match(stderr.strip()), stderr
    return stderr.strip()


def laughs(levels: int, fan: int = 9) -> str:
    """A 'billion laughs' document: ``fan ** levels`` strings from a few hundred bytes."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * fan) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan) + "]"
              for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


CASES = {
    "deep": ("a: " + "[" * 500 + "]" * 500 + "\n", "YAML_MAX_DEPTH"),
    "deep_block": ("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x: 1\n",
                   "YAML_MAX_DEPTH"),
    "recursive": ("a: &a [*a]\n", "recursive alias"),
    "recursive_map": ("a: &a {b: *a}\n", "recursive alias"),
    "laughs": (laughs(12), "YAML_MAX_ALIAS_NODES"),
    "many_aliases": ("a: &a 1\nb: [" + ", ".join(["*a"] * 2000) + "]\n", "YAML_MAX_ALIASES"),
    "int_tag": ("version: 1\nname: !!int abc\n", "invalid int value"),
    "float_tag": ("x: !!float nope\n", "invalid float value"),
    "binary": ("x: !!binary aGVsbG8=\n", "unsupported YAML type"),
    "python_tag": ("x: !!python/object:os.system {}\n", "unsupported YAML type"),
    "undefined_alias": ("x: *nope\n", "alias"),
    "two_docs": ("a: 1\n---\nb: 2\n", "single document"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_yaml_one_line(name: str, tmp_path: Path,
                               sim_cli: Callable[..., object]) -> None:
    text, expected = CASES[name]
    target = tmp_path / "w.yaml"
    target.write_text(text, encoding="utf-8")
    line = one_line_error(sim_cli("validate", str(target)))
    assert expected in line and "w.yaml" in line


def test_alias_bound_is_a_bound_not_a_ban() -> None:
    """Negative control: a few aliases within the bound still expand (shared anchors are a
    legitimate YAML feature), and the expansion just past the bound is refused."""
    ok = parse_yaml(laughs(3, fan=4), Path("ok.yaml"))
    assert ok.data["a3"][0][0][0] == ["lol"] * 4
    fan = 10
    levels = 5  # 10**5 strings + lists > YAML_MAX_ALIAS_NODES
    with pytest.raises(SimError, match="YAML_MAX_ALIAS_NODES"):
        parse_yaml(laughs(levels, fan), Path("bomb.yaml"))


def test_depth_bound_is_exact() -> None:
    """Nesting up to the bound parses; one level more is refused."""
    depth = inputs.YAML_MAX_DEPTH
    parse_yaml("[" * depth + "]" * depth, Path("x.yaml"))
    with pytest.raises(SimError, match="YAML_MAX_DEPTH"):
        parse_yaml("[" * (depth + 1) + "]" * (depth + 1), Path("x.yaml"))


def test_lines_still_recorded() -> None:
    """The event composer keeps the line of every field (used by every schema error)."""
    doc = parse_yaml("a:\n  b: 1\n  c:\n    - 2\n    - {d: 3}\n", Path("x.yaml"))
    assert doc.data == {"a": {"b": 1, "c": [2, {"d": 3}]}}
    assert doc.line_of(("a", "c", 1, "d")) == 5
    assert doc.line_of(("a", "b")) == 2


def test_dates_become_text() -> None:
    assert parse_yaml("d: 2024-01-02\n", Path("x.yaml")).data == {"d": "2024-01-02"}


def test_set_option_uses_the_safe_loader() -> None:
    with pytest.raises(SimError, match="--set"):
        parse_assignments(["name=!!int abc"], "--set")
    assert parse_assignments(["a.b=[1, 2]"], "--set") == {"a.b": [1, 2]}


def test_oversized_yaml_refused_before_reading(tmp_path: Path) -> None:
    target = tmp_path / "big.yaml"
    with target.open("wb") as fh:
        fh.truncate(inputs.YAML_MAX_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(SimError, match="over the limit"):
        load_yaml(target)


@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "folder", "loop", "nul", "long"])
def test_only_regular_files(kind: str, tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    if kind == "dev_zero":
        path = "/dev/zero"
    elif kind == "fifo":
        path = str(tmp_path / "f.yaml")
        os.mkfifo(path)
    elif kind == "folder":
        path = str(tmp_path)
    elif kind == "loop":
        (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
        (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
        path = str(tmp_path / "a.yaml")
    elif kind == "nul":
        with pytest.raises(SimError, match="NUL"):
            load_yaml("a\0b.yaml")
        return
    else:
        path = "x" * 5000 + ".yaml"
    one_line_error(sim_cli("validate", path))


def test_nul_bytes_in_text_refused(tmp_path: Path) -> None:
    target = tmp_path / "n.yaml"
    target.write_bytes(b"a: 1\n\0\n")
    with pytest.raises(SimError, match="NUL"):
        load_yaml(target)
