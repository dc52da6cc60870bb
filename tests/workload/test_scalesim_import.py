"""`sim import scalesim`: converted workloads against SCALE-Sim 3.0.0's own cycle counts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sim import api
from sim.core.errors import SimError
from sim.core.shapes import GemmShape
from sim.hw.systolic import fold_counts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scalesim"


def reference() -> list[dict[str, str]]:
    return list(csv.DictReader((FIXTURES / "reference_cycles.csv").read_text().splitlines()))


def documented_difference(dataflow: str, array: int, shape: GemmShape) -> int:
    """Ours minus SCALE-Sim's: +1 because SCALE-Sim reports the last cycle's index, not a
    count; OS also + R per fold, because our OS array drains its accumulators after each fold
    (R cycles) where SCALE-Sim overlaps the drain with the next fold."""
    if dataflow != "OS":
        return 1
    row_folds, col_folds = fold_counts(shape, array, array, "OS")
    return 1 + array * row_folds * col_folds


@pytest.mark.parametrize(("dataflow", "array", "form"), sorted(
    {(r["dataflow"], int(r["array"]), r["form"]) for r in reference()}))
def test_imported_layers_match_scalesim_up_to_documented_terms(
        tmp_path: Path, dataflow: str, array: int, form: str) -> None:
    cfg = FIXTURES / f"{dataflow.lower()}_{array}.cfg"
    out = api.import_scalesim(cfg, FIXTURES / f"topo_{form}.csv", tmp_path / "w.yaml")
    result = api.run(out, write=False).result
    rows = [r for r in reference()
            if (r["dataflow"], int(r["array"]), r["form"]) == (dataflow, array, form)]
    assert [op.name for op in result.ops] == [r["layer"] for r in rows]
    for op, row in zip(result.ops, rows, strict=True):
        shape = GemmShape(int(row["m"]), int(row["n"]), int(row["k"]))
        assert op.macs == shape.macs, f"{op.name}: lowered shape differs"
        expected = int(row["scalesim_total_cycles"]) + documented_difference(dataflow, array,
                                                                             shape)
        assert op.cycles == expected, f"{dataflow} {array} {op.name}"


@pytest.mark.parametrize(("array", "form"), [(8, "gemm"), (8, "conv"), (32, "gemm"),
                                             (32, "conv")])
def test_overlapped_drain_leaves_only_the_final_drain(tmp_path: Path, array: int,
                                                      form: str) -> None:
    """OS with shadow accumulators: ours = SCALE-Sim's + 1 (count vs index) + R (the last
    fold's drain, which nothing overlaps), on every layer."""
    out = api.import_scalesim(FIXTURES / f"os_{array}.cfg", FIXTURES / f"topo_{form}.csv",
                              tmp_path / "w.yaml")
    overrides = api.parse_overrides(["arch.os_drain=overlapped"])
    result = api.run(out, overrides=overrides, write=False).result
    rows = [r for r in reference()
            if (r["dataflow"], int(r["array"]), r["form"]) == ("OS", array, form)]
    for op, row in zip(result.ops, rows, strict=True):
        assert op.cycles == int(row["scalesim_total_cycles"]) + 1 + array, op.name


def test_conv_lowering_uses_scalesim_output_size(tmp_path: Path) -> None:
    topo = tmp_path / "t.csv"
    # 20x20 input, 5x5 filter, stride 3: SCALE-Sim's ceil((20-5+3)/3) = 6 outputs per side
    topo.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\nc, 20, 20, 5, 5, 3, 6, 3,\n")
    out = api.import_scalesim(FIXTURES / "ws_8.cfg", topo, tmp_path / "w.yaml")
    op = api.run(out, write=False).result.ops[0]
    assert op.macs == 36 * 6 * 75


@pytest.mark.parametrize(("text", "message"), [
    ("[architecture_presets]\nArrayWidth: 8\n", "has no 'arrayheight'"),
    ("[architecture_presets]\nArrayHeight: x\n", "must be an integer"),
    ("[general]\nrun_name = a\n", "no \\[architecture_presets\\]"),
])
def test_bad_cfg_is_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text)
    with pytest.raises(SimError, match=message):
        api.import_scalesim(cfg, FIXTURES / "topo_gemm.csv", tmp_path / "w.yaml")


def test_bad_topology_names_file_and_line(tmp_path: Path) -> None:
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\ng1, 8, 8, 8,\ng2, 8, x, 8,\n")
    with pytest.raises(SimError, match=r"t\.csv:3: layer 'g2'"):
        api.import_scalesim(FIXTURES / "ws_8.cfg", topo, tmp_path / "w.yaml")
    topo.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\nDP1, 8, 8, 3, 3, 4, 4, 1,\n")
    with pytest.raises(SimError, match="depth-wise"):
        api.import_scalesim(FIXTURES / "ws_8.cfg", topo, tmp_path / "w.yaml")
