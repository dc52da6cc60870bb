"""Structure-aware fuzzing of every input kind: valid shipped files (workloads, arches, traces,
sweeps, technology tables, request logs, .npz tensors) are mutated where their structure is,
and fed to the real CLI. Every outcome must be success or one line with exit 2, never a
traceback. Fixed seed and a small budget keep this in the default suite; the same test with
``FUZZ_EXAMPLES=2000`` (environment) is the larger run."""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
ONE_LINE = re.compile(r"^error: [^\n]+$")

SHIPPED = ["workloads/quickstart.yaml", "workloads/neupims-7b-bs64.yaml",
           "workloads/stochastic-roberts.yaml", "workloads/tpe-minilm.yaml",
           "workloads/gap9-sed-crnn.yaml", "workloads/systolic.sweep.yaml",
           "workloads/npu_pim.sweep.yaml", "workloads/traces/silero-vad.yaml",
           "arch/tpe-laconic.yaml", "arch/neupims.yaml", "arch/systolic-16x16.yaml",
           "sim/tech/tables/dram.yaml"]
PATH_KEYS = {"arch", "trace", "base", "requests", "tensors", "model"}

HOSTILE: list[Any] = [
    None, "", 0, -1, 4.0, 2**40, 2**63, -(2**63), 1.0e308, float("nan"), True, [], {},
    "$x^{$", "=HYPERLINK(1)", "../../../etc/passwd", "/dev/zero", "a\0b", "x" * 5000,
    [[[[[[[[1]]]]]]]], {"unknown": 1}, "!!int abc", "*a", "0x10", "1e3", "ro" * 6,
]
TEXT_ATTACKS = [
    "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)),
    "r: &r [*r]\n", "n: !!int abc\n", "b: !!binary AAAA\n", "d: " + "[" * 300 + "]" * 300 + "\n",
    "p: !!python/object/apply:os.system [id]\n", "---\nx: 1\n", "\0\n", "k: {k: {k: *zz}}\n",
]


def check(outcome: Any) -> None:
    """Success, or exactly one ``error:`` line with exit status 2; never a traceback."""
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    if outcome.code != 0:
        assert outcome.code == 2, outcome.stderr[-2000:]
        assert ONE_LINE.match(outcome.stderr.strip()), outcome.stderr[-2000:]


def absolute_refs(data: Any, folder: Path) -> Any:
    """Relative file references made absolute, so a copy in a temp folder finds its files."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in PATH_KEYS and isinstance(value, str) and (folder / value).exists():
                out[key] = str((folder / value).resolve())
            elif key == "tables" and isinstance(value, list):
                out[key] = [str((folder / v).resolve()) if isinstance(v, str) else v
                            for v in value]
            else:
                out[key] = absolute_refs(value, folder)
        return out
    if isinstance(data, list):
        return [absolute_refs(v, folder) for v in data]
    return data


def paths_of(data: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field path in a YAML tree (mappings and lists)."""
    out = [at]
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths_of(value, (*at, key))
    elif isinstance(data, list):
        for i, value in enumerate(data[:8]):
            out += paths_of(value, (*at, i))
    return out


def mutate(data: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    """``data`` with the node at ``path`` replaced, deleted, or wrapped."""
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "wrap":
        parent[last] = [parent[last]]
    elif how == "repeat" and isinstance(parent, list):
        parent.extend([parent[last]] * 50)
    else:
        parent[last] = value
    return data


FUZZ = settings(max_examples=EXAMPLES or 30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])


@seed(21)
@FUZZ
@given(data=st.data())
def test_mutated_shipped_yaml(data: st.DataObject, tmp_path: Path,
                              sim_cli: Callable[..., Any]) -> None:
    name = data.draw(st.sampled_from(SHIPPED), label="file")
    source = REPO / name
    tree = absolute_refs(yaml.safe_load(source.read_text()), source.parent)
    target = tmp_path / Path(name).name
    if data.draw(st.booleans(), label="text attack"):
        text = yaml.safe_dump(tree, sort_keys=False)
        attack = data.draw(st.sampled_from(TEXT_ATTACKS), label="attack")
        cut = data.draw(st.integers(0, len(text)), label="cut")
        text = text[:cut] + ("\n" if cut else "") + attack if data.draw(st.booleans()) \
            else text + attack
        target.write_bytes(text.encode("utf-8", "surrogatepass"))
    else:
        path = data.draw(st.sampled_from(paths_of(tree)), label="path")
        how = data.draw(st.sampled_from(["set", "set", "delete", "wrap", "repeat"]))
        value = data.draw(st.sampled_from(HOSTILE), label="value")
        try:
            text = yaml.safe_dump(mutate(tree, path, how, value), sort_keys=False)
        except yaml.YAMLError:
            return
        target.write_text(text, encoding="utf-8")
    check(sim_cli("validate", str(target)))


TRACE = ("version: 1\nname: t\ntensors: t.npz\nops:\n"
         "  - {name: g, kind: gemm, m: 4, n: 4, k: 4, tensors: {a: a, b: b}}\n")


def npz_with(header_edit: Callable[[str], str], flips: list[tuple[int, int]],
             cut: int | None) -> bytes:
    """A valid two-array .npz whose first header text is edited, bytes flipped, then cut."""
    members = {}
    for name, array in (("a", np.ones((4, 4), np.int8)), ("b", np.zeros((4, 4), np.int8))):
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array)
        members[name] = buffer.getvalue()
    raw = members["a"]
    size = struct.unpack("<H", raw[8:10])[0]
    header = header_edit(raw[10:10 + size].decode("latin1")).encode("latin1", "replace")
    members["a"] = raw[:8] + struct.pack("<H", len(header) % 65536) + header + raw[10 + size:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, blob in members.items():
            archive.writestr(f"{name}.npy", blob)
    blob = bytearray(out.getvalue())
    for at, value in flips:
        blob[at % len(blob)] = value
    return bytes(blob[:cut] if cut else blob)


HEADER_EDITS: list[Callable[[str], str]] = [
    lambda h: h, lambda h: h.replace("(4, 4)", "(1099511627776,)"),
    lambda h: h.replace("(4, 4)", "(4, 4, 4)"), lambda h: h.replace("|i1", "|O"),
    lambda h: h.replace("|i1", "<f8"), lambda h: h[: len(h) // 2],
    lambda h: h.replace("(4, 4)", "(-1, 4)"), lambda h: h.replace("{", "{" * 40),
    lambda h: h.replace("False", "__import__('os')"),
]


@seed(21)
@FUZZ
@given(edit=st.sampled_from(HEADER_EDITS),
       flips=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=3),
       cut=st.none() | st.integers(1, 900))
def test_mutated_npz(edit: Callable[[str], str], flips: list[tuple[int, int]], cut: int | None,
                     tmp_path: Path, sim_cli: Callable[..., Any]) -> None:
    (tmp_path / "t.yaml").write_text(TRACE, encoding="utf-8")
    (tmp_path / "t.npz").write_bytes(npz_with(edit, flips, cut))
    check(sim_cli("validate", str(tmp_path / "t.yaml")))


CSV_CELLS = ["", "-1", "0", "1e9", "abc", "99999999999999999999", "\0", "=1+1", " 7 ", "3.5"]


@seed(21)
@FUZZ
@given(row=st.integers(0, 70), column=st.integers(0, 1), cell=st.sampled_from(CSV_CELLS),
       drop_header=st.booleans())
def test_mutated_request_log(row: int, column: int, cell: str, drop_header: bool,
                             tmp_path: Path, sim_cli: Callable[..., Any]) -> None:
    shipped = REPO / "workloads/traces/neupims-sharegpt-7b-tp4-bs64-clb.csv"
    lines = [line.split(",") for line in shipped.read_text().splitlines()]
    if row < len(lines) and column < len(lines[row]):
        lines[row][column] = cell
    if drop_header:
        lines = lines[1:]
    log = tmp_path / "r.csv"
    log.write_text("\n".join(",".join(parts) for parts in lines) + "\n", encoding="utf-8")
    workload = yaml.safe_load((REPO / "workloads/neupims-7b-bs64.yaml").read_text())
    workload = absolute_refs(workload, REPO / "workloads")
    workload["trace"]["requests"] = str(log)
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(workload), encoding="utf-8")
    check(sim_cli("validate", str(tmp_path / "w.yaml")))
