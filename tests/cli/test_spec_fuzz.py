"""Hypothesis: random and mutated YAML never crashes the loader; errors are one line, exit 2."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

VALID = {
    "version": 1,
    "name": "fuzz",
    "arch": {"version": 1, "family": "systolic", "rows": 4, "cols": 4, "dataflow": "WS",
             "freq_mhz": 500, "sram": {"a_kib": 4, "b_kib": 4, "c_kib": 4}},
    "trace": {"version": 1, "name": "t",
              "ops": [{"name": "g", "kind": "gemm", "m": 8, "n": 8, "k": 8}]},
    "seed": 0,
}
ERROR_LINE = re.compile(r"^error: \S+\.yaml(:\d+)?: .+$")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)
PATHS = [("version",), ("name",), ("arch",), ("arch", "family"), ("arch", "rows"),
         ("arch", "dataflow"), ("arch", "sram", "a_kib"), ("arch", "freq_mhz"), ("trace",),
         ("trace", "ops"), ("seed",), ("extra_key",), ("arch", "bogus"), ("trace", "version")]


def mutate(path: tuple[str, ...], value: object, delete: bool) -> dict:
    data = yaml.safe_load(yaml.safe_dump(VALID))
    node = data
    for part in path[:-1]:
        node = node[part]
    if delete:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return data


def check(outcome: object) -> None:
    code, stderr = outcome.code, outcome.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    if code != 0:
        assert code == 2, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and ERROR_LINE.match(lines[0]), stderr


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                HealthCheck.function_scoped_fixture])


@FUZZ
@given(path=st.sampled_from(PATHS), value=values, delete=st.booleans())
def test_mutated_workloads(path: tuple[str, ...], value: object, delete: bool, tmp_path: Path,
                           sim_cli: Callable[..., object]) -> None:
    target = tmp_path / "w.yaml"
    target.write_text(yaml.safe_dump(mutate(path, value, delete)), encoding="utf-8")
    check(sim_cli("validate", str(target)))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("abc: -[]{}\n\t'\"#&*!|>%@`0123,.")),
                    max_size=80))
def test_random_text(text: str, tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    target = tmp_path / "w.yaml"
    target.write_text(text, encoding="utf-8")
    outcome = sim_cli("validate", str(target))
    check(outcome)
    assert outcome.code == 2  # type: ignore[attr-defined]  # no random text is a valid workload


@FUZZ
@given(cut=st.integers(min_value=1, max_value=400))
def test_truncated_files(cut: int, tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    target = tmp_path / "w.yaml"
    target.write_text(yaml.safe_dump(VALID)[:cut], encoding="utf-8")
    check(sim_cli("run", str(target), "--out", str(tmp_path / "r")))
