"""Critical-path calculator: stage sums, the slowest path sets the clock, missing delay rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.core.errors import SimError
from sim.tech import TechTable, critical_path, load_tables, max_frequency_mhz, path_timing


@pytest.fixture
def table(tmp_path: Path) -> TechTable:
    rows = "\n".join([
        "  - {key: t.ff, metric: delay, value: 100, unit: ps, node_nm: 28, source: test}",
        "  - {key: t.fa, metric: delay, value: 0.05, unit: ns, node_nm: 28, source: test}",
        "  - {key: t.mux, metric: delay, value: 30, unit: ps, node_nm: 45, source: test}",
        "  - {key: t.and, metric: delay, value: 20, unit: ps, node_nm: 45, scales: none,"
        " source: test}",
    ])
    path = tmp_path / "d.yaml"
    path.write_text(f"version: 1\nname: d\nrows:\n{rows}\n", encoding="utf-8")
    return load_tables(28, [path])


def test_path_sums_stage_delays_with_counts(table: TechTable) -> None:
    timing = path_timing(table, {"t.ff": 1, "t.fa": 4})
    assert timing.delay_ps == pytest.approx(100 + 4 * 50)
    assert timing.fmax_mhz == pytest.approx(1e6 / 300)


def test_sequence_form_counts_repeats(table: TechTable) -> None:
    timing = path_timing(table, ["t.ff", "t.fa", "t.fa"])
    assert timing.delay_ps == pytest.approx(200)


def test_slowest_path_sets_the_clock(table: TechTable) -> None:
    paths = {"short": {"t.ff": 1, "t.fa": 1}, "long": {"t.ff": 1, "t.fa": 3, "t.and": 2}}
    worst = critical_path(table, paths)
    assert worst.name == "long" and worst.delay_ps == pytest.approx(100 + 150 + 40)
    assert max_frequency_mhz(table, paths) == pytest.approx(1e6 / 290)


def test_delay_rows_are_not_scaled_across_nodes(table: TechTable) -> None:
    with pytest.raises(SimError, match=r"no delay entry for 't.mux' at 28 nm.*not scaled"):
        path_timing(table, {"t.ff": 1, "t.mux": 1})


def test_missing_delay_row_names_it(table: TechTable) -> None:
    with pytest.raises(SimError, match=r"no delay entry for 't.xor' at 28 nm"):
        path_timing(table, {"t.xor": 1})


def test_tpe_rows_reproduce_the_published_saed32_opt1_clock() -> None:
    # tpe.yaml rows were fitted to the SAED32 OPT1 PE: ff + enc + ppg + 3 fa = 1.06 ns.
    timing = path_timing(load_tables(32), {"tpe.ff": 1, "tpe.enc": 1, "tpe.ppg": 1, "tpe.fa": 3})
    assert timing.delay_ps == pytest.approx(1060)
