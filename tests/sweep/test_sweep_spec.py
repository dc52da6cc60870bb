"""Sweep files: every malformed case is one SimError naming the sweep file, line and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.core.errors import SimError
from sim.spec.sweep import RangeSpec, parse_constraint
from sim.sweep.config import load_sweep, range_values
from sim.sweep.samplers import sample

GOOD_VARY = "vary:\n  arch.rows: [8, 16]\n"


def error_of(path: Path) -> str:
    with pytest.raises(SimError) as info:
        load_sweep(path)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_unknown_vary_path_names_path_and_line(make_sweep: Callable[..., Path]) -> None:
    path = make_sweep("vary:\n  arch.rows: [8, 16]\n  arch.colums: [4, 8]\n")
    text = error_of(path)
    assert text.startswith(f"{path}:5: vary.arch.colums: cannot vary 'arch.colums'"), text
    assert "unknown field" in text and "accepted:" in text


def test_vary_path_below_a_scalar(make_sweep: Callable[..., Path]) -> None:
    text = error_of(make_sweep("vary:\n  arch.rows.x: [1]\n"))
    assert ":4: vary.arch.rows.x: cannot vary 'arch.rows.x'" in text
    assert "not a mapping" in text


def test_trace_field_of_inline_trace_is_rejected(make_sweep: Callable[..., Path]) -> None:
    text = error_of(make_sweep("vary:\n  trace.batch: [1, 2]\n"))
    assert ":4: vary.trace.batch: cannot vary 'trace.batch'" in text


@pytest.mark.parametrize(("body", "line", "field", "words"), [
    (GOOD_VARY + "constraints:\n  - area_mm2 is small\n", 6, "constraints[0]",
     "cannot read constraint"),
    (GOOD_VARY + "sampler: sobol\n", 5, "sampler", "needs n"),
    ("vary:\n  arch.rows: []\n", 4, "vary.arch.rows", "at least one value"),
    ("vary:\n  arch.rows: {start: 1, stop: 9}\n", 4, "vary.arch.rows", "grid needs a list"),
    ("vary:\n  arch.rows: {start: 1, stop: 9, step: 2, num: 3}\n", 4, "vary.arch.rows",
     "either step or num"),
    ("vary:\n  arch.rows: {start: 9, stop: 1, step: 1}\n", 4, "vary.arch.rows", "stop must be"),
    (GOOD_VARY + "sampler: annealing\n", 5, "sampler", "input should be"),
    (GOOD_VARY + "objectives: {energy_pj: smallest}\n", 5, "objectives.energy_pj",
     "input should be"),
    (GOOD_VARY + "executor: slurm\n", 5, "executor", "input should be"),
    (GOOD_VARY + "workers: 0\n", 5, "workers", "greater than or equal to 1"),
    (GOOD_VARY + "colour: red\n", 5, "colour", "unknown field"),
    ("linked:\n  - arch.cols: [4, 8]\n    arch.dataflow: [OS]\n", 4, "linked[0]",
     "same length; got arch.cols 2, arch.dataflow 1"),
    (GOOD_VARY + "linked:\n  - arch.rows: [4, 8]\n    arch.cols: [4, 8]\n", 6,
     "linked[0].arch.rows", "varied twice"),
    ("linked:\n  - arch.cols: [4, 8]\n", 4, "linked[0]", "at least two fields"),
    ("linked:\n  - arch.cols: [4, 0]\n    arch.dataflow: [OS, WS]\n", 4, "linked[0]",
     "cannot apply linked setting {'arch.cols': 0, 'arch.dataflow': 'ws'}"),
    ("linked:\n  - arch.cols: []\n    arch.dataflow: []\n", 4, "linked[0].arch.cols",
     "at least one value"),
])
def test_bad_sweep_fields(make_sweep: Callable[..., Path], body: str, line: int, field: str,
                          words: str) -> None:
    path = make_sweep(body)
    text = error_of(path)
    assert text.startswith(f"{path}:{line}: {field}: "), text
    assert words in text.lower(), text


def test_missing_base_file(tmp_path: Path) -> None:
    path = tmp_path / "x.sweep.yaml"
    path.write_text("version: 1\nbase: nowhere.yaml\n" + GOOD_VARY, encoding="utf-8")
    assert error_of(path).startswith(f"{path}:2: base: file 'nowhere.yaml' not found")


def test_invalid_base_workload_is_named(make_sweep: Callable[..., Path], tmp_path: Path) -> None:
    path = make_sweep(GOOD_VARY)
    (tmp_path / "tiny.yaml").write_text("version: 1\nname: x\n", encoding="utf-8")
    text = error_of(path)
    assert text.startswith(f"{path}:2: base: base workload is invalid: ")
    assert "required field is missing" in text


def test_cli_validate_and_exit_code(make_sweep: Callable[..., Path], sim_cli: Callable[..., Any]
                                    ) -> None:
    good = make_sweep(GOOD_VARY)
    outcome = sim_cli("validate", str(good))
    assert outcome.code == 0 and "ok, sweep (1 varied fields, sampler grid)" in outcome.stdout
    bad = make_sweep("vary:\n  arch.colums: [4]\n", name="bad.sweep.yaml")
    outcome = sim_cli("sweep", str(bad))
    assert outcome.code == 2
    assert outcome.stderr.startswith(f"error: {bad}:4: vary.arch.colums: ")
    assert outcome.stderr.count("\n") == 1


def test_shipped_systolic_sweep_is_valid(repo: Path) -> None:
    sweep = load_sweep(repo / "workloads" / "systolic.sweep.yaml")
    assert [d.path for d in sweep.dims] == ["arch.rows", "arch.cols", "arch.dataflow",
                                            "arch.freq_mhz"]
    assert sweep.dims[1].values == (8, 16, 32, 64)


@pytest.mark.parametrize(("spec", "values"), [
    ({"start": 8, "stop": 32, "step": 8}, [8, 16, 24, 32]),
    ({"start": 8, "stop": 30, "step": 8}, [8, 16, 24]),
    ({"start": 0.1, "stop": 0.5, "step": 0.1}, [0.1, 0.2, 0.3, 0.4, 0.5]),
    ({"start": 4, "stop": 256, "num": 4, "log": True}, [4, 16, 64, 256]),
    ({"start": 1.0, "stop": 100.0, "num": 3, "log": True}, [1.0, 10.0, 100.0]),
    ({"start": 1, "stop": 3, "num": 5}, [1, 2, 3]),
    ({"start": 0, "stop": 1, "num": 3, "integer": False}, [0.0, 0.5, 1.0]),
])
def test_range_values(spec: dict[str, Any], values: list[Any]) -> None:
    got = range_values(RangeSpec.model_validate(spec))
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


def test_parse_constraint() -> None:
    assert parse_constraint("area_mm2 <= 5") == ("area_mm2", "<=", 5.0)
    assert parse_constraint("  gops>1e3 ") == ("gops", ">", 1000.0)
    assert parse_constraint("area_mm2 <= five") is None
    assert parse_constraint("<= 5") is None


LINKED = "linked:\n  - arch.cols: [4, 8, 16]\n    arch.dataflow: [OS, WS, IS]\n"


def test_linked_fields_are_zipped_and_crossed_with_vary(make_sweep: Callable[..., Path]) -> None:
    sweep = load_sweep(make_sweep(GOOD_VARY + LINKED))
    assert [d.path for d in sweep.dims] == ["arch.rows", "arch.cols + arch.dataflow"]
    points = [p.overrides for p in sample(sweep)]
    assert len(points) == 2 * 3
    pairs = {(p["arch.cols"], p["arch.dataflow"]) for p in points}
    assert pairs == {(4, "OS"), (8, "WS"), (16, "IS")}
    assert {p["arch.rows"] for p in points} == {8, 16}


def test_linked_alone_is_enough_and_random_samplers_keep_settings_together(
        make_sweep: Callable[..., Path]) -> None:
    sweep = load_sweep(make_sweep(LINKED + "sampler: random\nn: 20\n"))
    pairs = {(p.overrides["arch.cols"], p.overrides["arch.dataflow"]) for p in sample(sweep)}
    assert pairs <= {(4, "OS"), (8, "WS"), (16, "IS")} and len(pairs) > 1


def test_nothing_to_vary(make_sweep: Callable[..., Path]) -> None:
    path = make_sweep("sampler: grid\n")
    assert "nothing to vary: give vary, linked, or both" in error_of(path)
