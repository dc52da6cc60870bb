"""npu_pim family: PIM command timing (hand-derived), NPU timing, systems, errors, workload."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.core.errors import SimError, UnsupportedOpError
from sim.family import get_family
from sim.hw.dram import make_config
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.model import NpuPimModel
from sim.models.npu_pim.npu import gemm_timing, onnxim_gemm_cycles, vector_cycles
from sim.models.npu_pim.pim import (
    PimParams,
    assign_channels,
    attention_on_pim,
    gact_schedule,
    gwrite_cycles,
    split_sub_batches,
    tile_cycles,
)
from sim.models.npu_pim.workload import llm_decode
from sim.spec.yamlio import load_yaml
from sim.workload.trace import Trace

ROOT = Path(__file__).resolve().parents[2]
CFG = make_config()
PIM = PimParams()


def arch(system: str = "neupims", **over: object) -> NpuPimArch:
    """An arch from the shipped preset of ``system`` with top-level/nested overrides."""
    data = load_yaml(ROOT / "arch" / f"npu_pim_{system}.yaml").data
    for dotted, value in over.items():
        node = data
        *path, last = dotted.split("__")
        for key in path:
            node = node.setdefault(key, {})
        node[last] = value
    return NpuPimArch.model_validate(data)


# --------------------------------------------------------------------------- PIM commands
def test_gact_schedule_hand_derived() -> None:
    # PIM precharge at 0; first G_ACT after tRP = 14 (rank 0), rank 1 one row-command slot
    # later (15). A G_ACT activates 4 banks = a full tFAW window of its rank, so the next
    # G_ACT of a rank waits tFAW = 30: 44/45, 74/75, 104/105 (8 bank groups over 2 ranks).
    assert gact_schedule(CFG) == (14, 15, 44, 45, 74, 75, 104, 105)


def test_tile_and_gwrite_hand_derived() -> None:
    # First COMP at 105 + tRCDRD 14 = 119. COMPS_READRES of 8 COMPs: 2 cycles per COMP
    # (max(burst 2, tCCD_S 1)) + READRES max(burst, tCCD_L 2) = 18; 4 heads -> 119 + 72 = 191.
    assert tile_cycles(CFG, PIM, 8, 4) == 191
    # Fewer than 6 COMPs still pay the 6-COMP pipeline fill: 119 + 2*6 + 2 = 133.
    assert tile_cycles(CFG, PIM, 2, 1) == 133
    # GWRITE = (tCCD_S + tCCD_L) * 64 columns / 2 = 96.
    assert gwrite_cycles(CFG) == 96
    # 32 lanes need 64 B per bank per COMP = two 32-B fetches: 4 cycles per COMP.
    assert tile_cycles(CFG, PimParams(lanes=32), 4, 1) == 119 + 4 * 6 + 2


def test_attention_on_pim_hand_derived() -> None:
    # GPT-3 7B per device: 8 heads x 128 = 1024 elements = 2 row chunks of 512 (4 heads each).
    # kv_len 32: K.q = 2 x (GWRITE 96 + one 32-bank tile of 4 heads x 8 COMPs = 191) = 574.
    # S.V: per head one 512-token chunk: GWRITE 96 + 128/32 = 4 tiles of ceil(32/16) = 2 COMPs
    # (padded to 6): 4 x 133 -> 8 x (96 + 532) = 5024.
    a = attention_on_pim(CFG, PIM, np.array([32, 33]), heads=8, head_dim=128)
    assert a.logit[0] == 574 and a.attend[0] == 5024
    # kv_len 33 needs a second K tile per chunk: 2 x (96 + 2 x 191) = 956.
    assert a.logit[1] == 956
    assert a.gact[0] == (2 + 8 * 4) * 8  # (K tiles + V tiles) x 8 bank groups
    assert a.gwrite[0] == 2 + 8 and a.readres[0] == 2 * 4 + 8 * 4
    assert a.comp[0] == 2 * 4 * 8 + 8 * 4 * 2


def test_channel_load_balancing_beats_round_robin() -> None:
    rng = np.random.default_rng(0)
    cost = rng.lognormal(8, 1, size=256).astype(np.int64)
    loads = {}
    for policy in ("rr", "clb"):
        ch = assign_channels(cost, 32, policy)
        loads[policy] = np.bincount(ch, weights=cost, minlength=32).max()
    assert loads["clb"] < loads["rr"]
    assert loads["clb"] <= cost.sum() / 32 + cost.max()  # greedy bound
    assert assign_channels(cost[:5], 4, "rr").tolist() == [0, 1, 2, 3, 0]
    sub = split_sub_batches(np.array([0, 0, 1, 0, 1]), 2)
    assert sub.tolist() == [0, 1, 0, 0, 1]
    with pytest.raises(SimError, match="channel mapping"):
        assign_channels(cost, 4, "random")


# --------------------------------------------------------------------------- NPU
def test_npu_gemm_timings() -> None:
    npu = arch().npu
    # ONNXim tile model, 128x128, M=64, K=256, N=128 per array: 2 weight tiles:
    # first preload 2*128-1 = 255, second 128, streaming 2 x 64, drain 128+128-2 = 254.
    from sim.core.shapes import GemmShape

    assert onnxim_gemm_cycles(GemmShape(64, 128, 256), 128, 128) == 255 + 128 + 128 + 254
    # 8 arrays split N = 1024 into 128 columns each.
    assert gemm_timing(npu, 64, 256, 1024, 16).cycles == 255 + 128 + 128 + 254
    # Fold model (foundation): ceil(256/128) folds x (2*128 + 128 + 64 - 2) = 2 x 446.
    fold = arch(npu__timing="fold").npu
    assert gemm_timing(fold, 64, 256, 1024, 16).cycles == 2 * 446
    # Vector add over 2048 values on 8 x 128 lanes: 2 iterations.
    assert vector_cycles(npu, "add", 2048) == 2
    with pytest.raises(UnsupportedOpError):
        vector_cycles(npu, "tanh", 8)


# --------------------------------------------------------------------------- systems
def small_trace(batch: int = 256, layers: int = 2) -> Trace:
    return llm_decode("gpt3-7b", batch, layers=layers, seed=1)


def run(a: NpuPimArch, trace: Trace):  # type: ignore[no-untyped-def]
    return NpuPimModel(a).run(trace, 0)


def test_family_is_registered() -> None:
    fam = get_family("npu_pim")
    assert fam.arch_schema is NpuPimArch and "attention" in fam.op_kinds


def test_blocked_mode_never_overlaps_dual_mode_does() -> None:
    trace = small_trace()
    blocked = run(arch("neupims", memory__pim__row_buffers=1), trace)
    dual = run(arch("neupims"), trace)
    assert blocked.metrics["sub_batches"] == dual.metrics["sub_batches"] == 2
    busy_b = blocked.utilisation["npu"] + blocked.utilisation["pim"]
    assert busy_b == pytest.approx(1.0, abs=1e-9)  # blocked: NPU and PIM strictly alternate
    busy_d = dual.utilisation["npu"] + dual.utilisation["pim"]
    assert busy_d > 1.05  # overlap
    assert dual.cycles < blocked.cycles
    assert dual.metrics["weight_reuse_violations"] == 0


def test_weights_stay_resident_between_sub_batches_when_they_fit() -> None:
    # GPT-3 7B per device: post-attention segment weights (proj 8 MiB + FFN 2 x 32 MiB + next
    # QKV 24 MiB = 96 MiB) fit in the 128 MiB SRAM, so sub-batch 1 reuses them (no DMA).
    r = run(arch(), small_trace(256, layers=2))
    warm = [op for op in r.ops if op.kind == "gemm" and op.detail["weights_resident"]]
    assert warm and all(op.detail["sub_batch"] == 1 and op.detail["dma_cycles"] == 0
                        for op in warm)
    small = run(arch(npu__sram_kib=16384), small_trace(256, layers=2))
    assert not any(op.detail.get("weights_resident") for op in small.ops)
    assert small.ledger["hbm.rd"] > r.ledger["hbm.rd"]


def test_four_systems_order_on_large_batch() -> None:
    trace = small_trace(512, layers=4)
    tps = {s: run(arch(s), trace).metrics["tokens_per_s"] for s in
           ("gpu", "npu", "naive_pim", "neupims")}
    assert tps["neupims"] > tps["naive_pim"] > tps["npu"]
    assert all(v > 0 for v in tps.values())


def test_naive_pim_is_npu_plus_pim_sum() -> None:
    r = run(arch("naive_pim"), small_trace(128))
    assert r.metrics["sub_batches"] == 1
    npu_sum = sum(v for k, v in r.metrics.items() if k.startswith("cycles.npu."))
    pim_sum = sum(v for k, v in r.metrics.items() if k.startswith("cycles.pim."))
    assert r.cycles == npu_sum + pim_sum


@pytest.mark.parametrize(("override", "faster"), [
    ({"memory__pim__lanes": 8}, False),  # twice the COMPs at the same COMP rate
    ({"memory__hbm__org": {"channels": 16}}, False),
    ({"npu__array": [64, 64]}, False),
    ({"npu__arrays": 2}, False),
    ({"memory__hbm__org": {"channels": 64}}, True),
])
def test_parameters_change_results_without_code_changes(override: dict, faster: bool) -> None:  # type: ignore[type-arg]
    trace = small_trace(256)
    base = run(arch(), trace).cycles
    other = run(arch(**override), trace).cycles
    assert (other < base) if faster else (other > base)


def test_more_sub_batches_and_batches_run() -> None:
    r3 = run(arch(sub_batches=3), small_trace(300, layers=1))
    assert r3.metrics["sub_batches"] == 3
    r64 = run(arch(), small_trace(64, layers=1))
    assert r64.metrics["sub_batches"] == 1  # below sub_batch_min_batch


def test_result_contents_and_energy_rows() -> None:
    from sim.tech.costing import cost
    from sim.tech.table import TechTable

    r = run(arch(), small_trace(256, layers=1))
    for key in ("hbm.rd", "hbm.act", "hbm.background_ns", "pim.comp", "pim.gact",
                "npu.mac_fp16.mac", "npu.vector.op"):
        assert r.ledger[key] > 0, key
    units = {op.unit for op in r.ops}
    assert units == {"npu", "pim", "vector"}
    attn = [op for op in r.ops if op.kind == "attention"]
    assert len(attn) == 256 and all(op.end > op.start for op in attn)
    table = TechTable(28)
    for name in ("core.yaml", "npu_pim.yaml"):
        table.add_file(ROOT / "sim" / "tech" / "tables" / name, override=False)
    costing = cost(r, table)
    assert costing.total_energy_pj > 0
    # ACT energy = count x 828 pJ (row derived from IDD in the table).
    assert costing.energy_pj["hbm.act"] == pytest.approx(r.ledger["hbm.act"] * 828)
    g = run(arch("gpu"), small_trace(256, layers=1))
    assert cost(g, table).energy_pj["gpu.active_ns"] == pytest.approx(g.seconds * 1e9 * 400e3)


def test_timeline_plot(tmp_path: Path) -> None:
    from sim.models.npu_pim.figures import plot_timeline, task_spans

    r = run(arch(), small_trace(256, layers=2))
    spans = task_spans(r)
    npu = sorted((s, e) for u, _, s, e in spans if u == "npu")
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(npu))  # one NPU
    out = plot_timeline(r, tmp_path / "t.png")
    assert out.stat().st_size > 1000


# --------------------------------------------------------------------------- errors
def test_bad_arch_values_fail_validation() -> None:
    """Cross-field checks run in the schema (so the CLI can name the file and line)."""
    with pytest.raises(ValueError, match="row_buffers must be 1"):
        arch("naive_pim", memory__pim__row_buffers=2)
    with pytest.raises(ValueError, match="unknown hbm timing"):
        arch(memory__hbm__timing={"tBOGUS": 3})
    with pytest.raises(ValueError, match="dataflow must be WS"):
        arch(npu__dataflow="OS")
    with pytest.raises(ValueError):
        arch(npu__arrays=0)


@pytest.mark.parametrize("item, message", [
    ("arch.system=naive_pim", "row_buffers must be 1"),
    ("arch.memory.hbm.org.chanels=16", "unknown hbm organisation field 'chanels'"),
])
def test_cross_field_errors_name_the_arch_file(sim_cli: Any, tmp_path: Path, item: str,
                                               message: str) -> None:
    outcome = sim_cli("run", str(ROOT / "workloads/gpt3-13b-decode.yaml"), "-o", str(tmp_path),
                      "--set", item)
    assert outcome.code == 2 and outcome.stderr.count("\n") == 1
    assert outcome.stderr.startswith(f"error: {ROOT / 'arch/neupims.yaml'}:5: "), outcome.stderr
    assert message in outcome.stderr


def test_set_creates_a_missing_section(sim_cli: Any, tmp_path: Path) -> None:
    """``org`` is absent from the shipped arch (its preset fills it); ``--set`` reaches it."""
    runs = {}
    for channels in (16, 32):
        out = tmp_path / str(channels)
        outcome = sim_cli("run", str(ROOT / "workloads/gpt3-13b-decode.yaml"), "-o", str(out),
                          "--set", f"arch.memory.hbm.org.channels={channels}",
                          "--set", "trace.batch=64")
        assert outcome.code == 0, outcome.stderr
        runs[channels] = json.loads((out / "result.json").read_text())["cycles"]
    assert runs[16] > runs[32]


def test_unsupported_op_kind() -> None:
    trace = Trace.model_validate({"version": 1, "name": "c", "ops": [
        {"kind": "conv2d", "name": "c0", "in_ch": 3, "out_ch": 8, "in_h": 8, "in_w": 8,
         "kernel_h": 3, "kernel_w": 3}]})
    with pytest.raises(UnsupportedOpError, match="conv2d"):
        run(arch(), trace)


def test_result_json_roundtrip_and_determinism() -> None:
    from sim.core.result import Result

    trace = small_trace(256, layers=1)
    a, b = run(arch(), trace), run(arch(), trace)
    assert a.to_json() == b.to_json()
    assert Result.from_json(a.to_json()) == a
