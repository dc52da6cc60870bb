"""GAP9 SoC model: registration, schema errors, per-layer cycles, cluster fallback, L3, energy,
search consistency with full simulations, Pareto front, workload files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import sim.models.gap9  # registers the family
from sim.core.errors import SimError, UnsupportedOpError
from sim.core.result import Result
from sim.evaluation.workload import load_workload
from sim.family import get_family
from sim.models.gap9 import networks
from sim.models.gap9.arch import Gap9Arch
from sim.models.gap9.model import Gap9Model
from sim.models.gap9.quality import BITS, sqnr_from_nsr
from sim.models.gap9.search import apply_allocation, cost_table, pareto_mask, search
from sim.tech.costing import cost
from sim.tech.table import load_tables
from sim.workload.trace import Trace

REPO = Path(__file__).resolve().parents[2]


def _arch(**kw: Any) -> Gap9Arch:
    return Gap9Arch.model_validate({"version": 1, "family": "gap9", **kw})


def _trace(ops: list[dict[str, Any]]) -> Trace:
    return Trace.model_validate({"version": 1, "name": "t", "ops": ops})


CONV33 = {"name": "c", "kind": "conv2d", "in_ch": 64, "out_ch": 64, "in_h": 32, "in_w": 32,
          "kernel_h": 3, "kernel_w": 3, "padding": 1}


def test_family_registered() -> None:
    fam = get_family("gap9")
    assert fam.arch_schema is Gap9Arch
    assert fam.op_kinds == {"conv2d", "gemm", "eltwise"}
    assert sim.models.gap9.FAMILY is fam


def test_ne16_layer_compute_equals_hand_formula() -> None:
    r = Gap9Model(_arch(mapping="ne16")).run(_trace([CONV33]))
    op = r.ops[0]
    assert op.unit == "ne16"
    # 11 x 11 spatial subtiles x 2 k_out subtiles x (4 x 301 + normquant 29 + streamout 13)
    assert op.detail["compute_cycles"] == 121 * 2 * (4 * 301 + 29 + 13)
    # double buffering: total between max(compute, DMA) and their sum
    dma = op.detail["dma_busy_cycles"]
    assert max(op.detail["compute_cycles"], dma) <= op.cycles < op.detail["compute_cycles"] + dma
    assert op.macs == 32 * 32 * 64 * 64 * 9
    assert r.cycles == op.cycles
    assert r.ledger["ne16.active_ns"] == pytest.approx(op.detail["compute_cycles"] * 1e3 / 370)


@pytest.mark.parametrize("qw", [2, 5, 8])
def test_weight_bits_change_3x3_but_not_1x1(qw: int) -> None:
    one = {**CONV33, "name": "p", "kernel_h": 1, "kernel_w": 1, "padding": 0, "b_bits": qw}
    r = Gap9Model(_arch(mapping="ne16")).run(_trace([{**CONV33, "b_bits": qw}, one]))
    assert r.ops[0].detail["compute_cycles"] == 121 * 2 * (4 * (45 + 32 * qw) + 42)
    assert r.ops[1].detail["compute_cycles"] == 121 * 2 * (4 * 65 + 42)  # 1x1: Qw-independent
    assert r.ops[0].detail["weight_bytes"] == 64 * 4 * qw * 9 * 2


def test_cluster_fallback_by_hand() -> None:
    conv5 = {**CONV33, "kernel_h": 5, "kernel_w": 5, "padding": 2}
    r = Gap9Model(_arch()).run(_trace([conv5]))
    op = r.ops[0]
    assert op.unit == "cluster"  # NE16 has no 5x5 mode
    macs = 32 * 32 * 64 * 64 * 25
    assert op.detail["compute_cycles"] == 500 + -(-macs // 16)  # 8 cores x 4 MAC x 0.5
    r2 = Gap9Model(_arch(mapping="cluster")).run(_trace([CONV33]))
    assert r2.ops[0].unit == "cluster"
    assert r2.ops[0].detail["compute_cycles"] == 500 + -(-32 * 32 * 64 * 64 * 9 // 16)


def test_unsupported_op_and_bad_arch() -> None:
    att = {"name": "a", "kind": "attention", "heads": 2, "q_len": 4, "kv_len": 4, "head_dim": 8}
    with pytest.raises(UnsupportedOpError, match=r"kind 'attention'.*accepted: conv2d, gemm"):
        Gap9Model(_arch()).run(_trace([att]))
    with pytest.raises(SimError, match="does not fit L1"):
        Gap9Model(_arch(mapping="ne16", l1={"tiling_budget_bytes": 2000})).run(_trace([CONV33]))


@pytest.mark.parametrize("section,field,value,words", [
    ("dma", "bandwidth_bytes_per_cycle", 0, "dma.bandwidth_bytes_per_cycle"),
    ("l1", "tiling_budget_bytes", 200000, "exceeds size_bytes"),
    ("ne16", "out_bits", 12, "ne16.out_bits"),
    ("cluster", "banana", 1, "unknown field"),
])
def test_bad_arch_file_is_one_line_sim_error(tmp_path: Path, section: str, field: str,
                                             value: int, words: str) -> None:
    arch = yaml.safe_load((REPO / "arch" / "gap9.yaml").read_text())
    arch[section][field] = value
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(arch))
    ops = [dict(CONV33)]
    wl = {"version": 1, "name": "w", "arch": "a.yaml",
          "trace": {"version": 1, "name": "t", "ops": ops}}
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(wl))
    with pytest.raises(SimError) as err:
        load_workload(tmp_path / "w.yaml")
    assert words in str(err.value)
    assert "a.yaml:" in str(err.value)
    assert "\n" not in str(err.value)


def test_energy_costing_has_every_row() -> None:
    model = Gap9Model(_arch())
    wl = load_workload(REPO / "workloads" / "gap9-hissnet-mnv2.yaml")
    r = model.run(wl.trace)
    c = cost(r, load_tables(22))
    assert c.total_energy_pj > 0
    # NE16 energy = 33.6 mW x its busy time (hand: mW x ns = pJ)
    ne16_ns = r.metrics["ne16_cycles"] * 1e3 / 370
    assert c.energy_pj["ne16.active_ns"] == pytest.approx(33.6 * ne16_ns)
    assert c.total_area_um2 > 0


def test_l3_spill_and_memory_ratio() -> None:
    wl = load_workload(REPO / "workloads" / "gap9-sed-crnn.yaml")
    model = Gap9Model(wl.arch)  # type: ignore[arg-type]
    layers = model.layers(wl.trace)
    assert model.weights_in_l3(layers)  # 8-bit CRNN weights + activations exceed L2's budget
    four = [ly.__class__(**{**ly.__dict__, "qw": 4}) for ly in layers]
    assert not model.weights_in_l3(four)
    ne = [ly for ly in layers if ly.ne16_ok and ly.params]
    assert sum(ly.weight_bytes(4) for ly in ne) * 2 == sum(ly.weight_bytes(8) for ly in ne)


def test_deterministic() -> None:
    t = _trace([CONV33, {"name": "g", "kind": "gemm", "m": 4, "n": 40, "k": 300}])
    a = Gap9Model(_arch()).run(t, seed=1)
    b = Gap9Model(_arch()).run(t, seed=1)
    assert a.to_json() == b.to_json()
    assert Result.from_json(a.to_json()) == a


def test_presets_load_and_clock_scales_time(tmp_path: Path) -> None:
    a370 = load_workload(REPO / "workloads" / "gap9-sed-crnn.yaml").arch
    wl = yaml.safe_load((REPO / "workloads" / "gap9-sed-crnn.yaml").read_text())
    wl["arch"] = str(REPO / "arch" / "gap9-400mhz.yaml")
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(wl))
    a400 = load_workload(tmp_path / "w.yaml").arch
    assert a400.clock_mhz == 400.0  # type: ignore[attr-defined]
    t = _trace([CONV33])
    r370 = Gap9Model(a370).run(t)  # type: ignore[arg-type]
    r400 = Gap9Model(a400).run(t)  # type: ignore[arg-type]
    assert r370.cycles == r400.cycles
    assert r400.seconds == pytest.approx(r370.seconds * 370 / 400)


def test_search_costs_equal_full_simulation() -> None:
    """The search's per-layer tables must predict a full run of the chosen allocation."""
    wl = load_workload(REPO / "workloads" / "gap9-hissnet-mnv2.yaml")
    model = Gap9Model(wl.arch)  # type: ignore[arg-type]
    layers = model.layers(wl.trace)
    table = load_tables(22)
    ct = cost_table(model, layers, table)
    rng = np.random.default_rng(0)
    nsr = rng.random((len(layers), len(BITS)))[:, ::-1].cumsum(axis=1)[:, ::-1] * 1e-3
    res = search(ct, nsr, budget_db=-100.0, n_candidates=300)
    alloc = res.alloc[res.best["energy"]]
    full = model.run(apply_allocation(wl.trace, alloc))
    pred = ct.evaluate(alloc)
    assert full.cycles == int(pred["cycles"][0])
    assert cost(full, table).total_energy_pj == pytest.approx(pred["energy"][0] * 1e12,
                                                              rel=1e-9)
    assert full.metrics["weight_bytes"] == pred["memory"][0]
    assert sqnr_from_nsr(nsr, alloc) == pytest.approx(-10 * np.log10(
        sum(nsr[i, b - 2] for i, b in enumerate(alloc))))


def test_pareto_mask_matches_naive() -> None:
    rng = np.random.default_rng(3)
    pts = np.round(rng.random((600, 4)) * 20)  # many ties and duplicates
    got = pareto_mask(pts)
    for i in range(len(pts)):
        dominated = ((pts <= pts[i]).all(axis=1) & (pts < pts[i]).any(axis=1)).any()
        assert got[i] == (not dominated)


def test_workload_files_match_generator() -> None:
    for name in networks.NETWORKS:
        text = (REPO / "workloads" / f"{name}.yaml").read_text()
        assert yaml.safe_load(text) == networks.workload_document(name)


def test_mobilenetv2_shapes_by_hand() -> None:
    ops = {op["name"]: op for op in networks.mobilenetv2_ops()}
    assert ops["stem"]["out_ch"] == 16 and ops["stem"]["stride"] == 2
    # width 0.5: 16 -> 8 (first bottleneck), 320 -> 160, head 1280
    assert ops["b1_project"]["out_ch"] == 8
    assert ops["b17_project"]["out_ch"] == 160
    assert ops["head"]["in_ch"] == 160 and ops["head"]["out_ch"] == 1280
    assert ops["b2_expand"]["out_ch"] == 8 * 6
    assert sum(1 for n in ops if n.endswith("_dw")) == 17
    crnn = {op["name"]: op for op in networks.crnn_ops()}
    assert crnn["conv7"]["in_h"] == 25 and crnn["conv7"]["in_w"] == 1
    assert crnn["gru1_fw_ih"]["k"] == 128 and crnn["gru2_fw_ih"]["k"] == 256


def test_report_end_to_end(tmp_path: Path) -> None:
    from sim.models.gap9.experiments import PUBLISHED_REDUCTION, report

    data = report(tmp_path, n_candidates=300, sensitivity=False)
    for name in networks.NETWORKS:
        net = data["networks"][name]
        assert net["searched"]["sqnr_db"] >= net["budget_db"] - 1e-9
        assert 0 < net["reductions"]["memory"] < 1
        assert net["searched"]["memory"] < net["baseline"]["memory"]
    assert set(data["mean_reductions"]) == set(PUBLISHED_REDUCTION)
    for f in ("gap9_report.md", "gap9_sed.json", "gap9_mac_per_cycle.png", "gap9_pareto.png"):
        assert (tmp_path / f).stat().st_size > 0


def test_search_finds_brute_force_optimum_on_small_problem() -> None:
    """5 layers x 7 widths = 16,807 allocations: the search (3,000 candidates) must reach the
    exhaustive optimum of energy under the SQNR budget."""
    import itertools

    from sim.models.gap9.search import CostTable, monotone

    rng = np.random.default_rng(11)
    n = 5
    bits = np.array(BITS)
    slope = rng.uniform(1, 10, (n, 1))
    zeros = np.zeros((n, len(BITS)))
    ct = CostTable(cycles=slope * bits + 100, energy_pj=slope * rng.uniform(0.5, 2, (n, 1)) * bits,
                   weight_bytes=rng.integers(100, 1000, (n, 1)) * bits / 8.0,
                   l3_cycles=zeros, l3_energy_pj=zeros, l3_limit=1e12, freq_hz=1e8,
                   searchable=np.ones(n, dtype=bool))
    nsr = monotone(rng.uniform(0.5, 2, (n, 1)) * 4.0 ** (-bits[None, :]))
    budget = float(sqnr_from_nsr(nsr, np.full(n, 4)))
    res = search(ct, nsr, budget, n_candidates=3000)
    every = np.array(list(itertools.product(BITS, repeat=n)))
    ok = sqnr_from_nsr(nsr, every) >= budget
    best = ct.evaluate(every)["energy"][ok].min()
    assert res.metrics["energy"][res.best["energy"]] == pytest.approx(best)
    assert res.metrics["sqnr_db"][res.best["energy"]] >= budget
