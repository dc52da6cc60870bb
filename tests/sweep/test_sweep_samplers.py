"""Samplers: grid is the full product; random, Sobol and LHS are seeded, in range, stratified."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.sweep.config import load_sweep
from sim.sweep.samplers import sample, unit_samples

CONTINUOUS = ("vary:\n  arch.rows: {start: 2, stop: 64}\n"
              "  arch.freq_mhz: {start: 100.0, stop: 2000.0, log: true}\n"
              "  arch.dataflow: [OS, WS, IS]\n")


def test_grid_is_the_full_product(make_sweep: Callable[..., Path]) -> None:
    sweep = load_sweep(make_sweep("vary:\n  arch.rows: [4, 8, 16]\n"
                                  "  arch.cols: {start: 4, stop: 12, step: 4}\n"
                                  "  arch.dataflow: [OS, WS]\n"))
    points = sample(sweep)
    assert len(points) == 18
    combos = {(p.overrides["arch.rows"], p.overrides["arch.cols"], p.overrides["arch.dataflow"])
              for p in points}
    assert len(combos) == 18
    assert [p.index for p in points] == list(range(18))
    assert len({p.key for p in points}) == 18


def test_keys_depend_on_config_not_on_sweep(make_sweep: Callable[..., Path]) -> None:
    a = sample(load_sweep(make_sweep("vary:\n  arch.rows: [4, 8]\n", name="a.sweep.yaml")))
    b = sample(load_sweep(make_sweep("vary:\n  arch.rows: [8, 16]\n", name="b.sweep.yaml")))
    assert a[1].key == b[0].key  # rows=8 in both
    assert a[0].key != b[1].key


@pytest.mark.parametrize("sampler", ["random", "sobol", "lhs"])
def test_seeded_samplers(make_sweep: Callable[..., Path], sampler: str) -> None:
    body = CONTINUOUS + f"sampler: {sampler}\nn: 40\n"
    first = sample(load_sweep(make_sweep(body + "seed: 3\n", name="a.sweep.yaml")))
    again = sample(load_sweep(make_sweep(body + "seed: 3\n", name="b.sweep.yaml")))
    other = sample(load_sweep(make_sweep(body + "seed: 4\n", name="c.sweep.yaml")))
    assert [p.overrides for p in first] == [p.overrides for p in again]
    assert [p.overrides for p in first] != [p.overrides for p in other]
    assert len(first) == 40
    for p in first:
        rows, freq = p.overrides["arch.rows"], p.overrides["arch.freq_mhz"]
        assert isinstance(rows, int) and 2 <= rows <= 64
        assert isinstance(freq, float) and 100.0 <= freq <= 2000.0
        assert p.overrides["arch.dataflow"] in ("OS", "WS", "IS")
    assert {p.overrides["arch.dataflow"] for p in first} == {"OS", "WS", "IS"}


def test_log_range_is_geometric(make_sweep: Callable[..., Path]) -> None:
    body = "vary:\n  arch.freq_mhz: {start: 10.0, stop: 1000.0, log: true}\nsampler: lhs\nn: 200\n"
    freqs = np.array([p.overrides["arch.freq_mhz"] for p in sample(load_sweep(make_sweep(body)))])
    # LHS in log space: each decade holds half of the points
    assert np.sum(freqs < 100.0) == 100


def test_lhs_is_stratified() -> None:
    cube = unit_samples("lhs", 50, 3, seed=1)
    for dim in range(3):
        strata = np.floor(cube[:, dim] * 50).astype(int)
        assert sorted(strata) == list(range(50))


def test_sobol_is_more_uniform_than_chance() -> None:
    sobol = unit_samples("sobol", 256, 2, seed=0)
    counts = np.histogram2d(sobol[:, 0], sobol[:, 1], bins=4, range=[[0, 1], [0, 1]])[0]
    assert counts.min() == counts.max() == 16  # balanced in every cell


def test_repeated_random_points_are_kept_once(make_sweep: Callable[..., Path]) -> None:
    body = "vary:\n  arch.rows: [4, 8]\n  arch.dataflow: [OS, WS]\nsampler: random\nn: 50\n"
    points = sample(load_sweep(make_sweep(body)))
    assert len(points) == 4
    assert [p.index for p in points] == [0, 1, 2, 3]


def test_unknown_sampler() -> None:
    with pytest.raises(ValueError, match="unknown sampler"):
        unit_samples("annealing", 3, 1, 0)


def test_editing_a_tech_table_changes_the_keys(make_sweep: Callable[..., Path],
                                               tmp_path: Path) -> None:
    path = make_sweep("vary:\n  arch.rows: [4, 8]\n")
    workload = tmp_path / "tiny.yaml"
    workload.write_text(workload.read_text().replace(
        "  dataflow: WS\n", "  dataflow: WS\n  tech: {tables: [mine.yaml]}\n"))
    table = tmp_path / "mine.yaml"
    table.write_text("version: 1\nname: mine\nrows: []\n")
    first = [p.key for p in sample(load_sweep(path))]
    assert first == [p.key for p in sample(load_sweep(path))]
    table.write_text("version: 1\nname: mine, edited\nrows: []\n")
    assert set(first).isdisjoint(p.key for p in sample(load_sweep(path)))
