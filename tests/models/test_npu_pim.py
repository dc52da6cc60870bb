"""npu_pim family: PIM programs and placement, NPU timing (hand-derived), systems and stages,
GPU presets, errors. (PIM channel commands: tests/unit/test_pim_commands.py.)"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.core.errors import SimError, UnsupportedOpError
from sim.family import get_family
from sim.hw.dram.config import make_config
from sim.hw.dram.pim_commands import PimOp
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.model import NpuPimModel
from sim.models.npu_pim.npu import (
    attention_head_cycles,
    gemm_timing,
    l2_tiles,
    stream_gemm,
    vector_cycles,
)
from sim.models.npu_pim.pim import (
    PimParams,
    assign_channels,
    attend_program,
    commands,
    issue_order,
    logit_program,
    new_clocks,
    run_phase,
    split_sub_batches,
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


# --------------------------------------------------------------------------- PIM programs
def test_programs_hand_derived() -> None:
    # GPT-3 7B per device: 8 heads x 128 = 1024 elements = 2 row chunks of 512 (4 heads each).
    # kv_len 33: one GWRITE per chunk + ceil(33 / 32 banks) = 2 tiles of 4 heads x 8 COMPs.
    qk = PimOp("tile", 4, 8)
    assert logit_program(CFG, PIM, 33, 8, 128) == [PimOp("gwrite"), qk, qk] * 2
    # S.V of kv_len 600: per head, a 512-token chunk (32 COMPs) and an 88-token one (6), each a
    # GWRITE of the scores + 128 / 32 = 4 tiles of one head.
    head = ([PimOp("gwrite")] + [PimOp("tile", 1, 32)] * 4
            + [PimOp("gwrite")] + [PimOp("tile", 1, 6)] * 4)
    assert attend_program(CFG, PIM, 600, 8, 128) == head * 8
    # NPU instructions: GWRITE 1; fused tile: header + one per head; unfused: n COMP + READRES.
    assert commands(PimOp("gwrite"), PIM) == 1 and commands(qk, PIM) == 5
    assert commands(qk, PimParams(fused=False)) == 1 + 4 * 9
    with pytest.raises(SimError, match="exceeds one PIM row"):
        logit_program(CFG, PIM, 8, 1, 1024)


def test_serial_issue_bounds_an_unfused_phase() -> None:
    """One PIM instruction per NPU cycle: unfused commands (n COMPs + READRES per head) make the
    NPU's issue, not the channels, the bottleneck of naive NPU+PIM."""
    lengths = [300] * 64
    channel = np.arange(64) % 32
    ends, issue = {}, {}
    for fused in (True, False):
        p = PimParams(fused=fused, row_buffers=2 if fused else 1)
        progs = [logit_program(CFG, p, n, 8, 128) for n in lengths]
        phase = run_phase(CFG, p, progs, channel, 0, new_clocks(CFG, p), 1.0, 1.0)
        total = sum(commands(op, p) for prog in progs for op in prog)
        assert phase.commands == total and phase.issue_end == pytest.approx(total)
        assert phase.request_end.max() >= phase.issue_end
        ends[fused], issue[fused] = int(phase.request_end.max()), phase.issue_end
    # Fused: the channels set the pace (the phase runs long after the last instruction is
    # sent); unfused: sending the instructions alone takes longer than the whole fused phase.
    assert ends[True] > 2 * issue[True] and issue[False] > 3 * ends[True]


def test_issue_order_groups_requests_by_channel() -> None:
    channel = np.array([1, 0, 1, 0, 2])
    assert issue_order(channel, "request").tolist() == [0, 1, 2, 3, 4]
    assert issue_order(channel, "channel").tolist() == [1, 3, 0, 2, 4]  # stable per channel
    with pytest.raises(SimError, match="issue order"):
        issue_order(channel, "random")


def test_channel_grouped_issue_serialises_the_channels() -> None:
    """One in-order issue queue, one instruction per cycle: grouped by channel, channel 1 gets
    its first command only after every command of channel 0 has been sent, so the phase lasts
    at least channel 0's commands plus channel 1's own run time (its program alone with every
    command there at once). Sent in batch order (negative control) the two channels' commands
    interleave and channel 1's work overlaps channel 0's issue: the phase ends before that
    bound."""
    p = PimParams(fused=False, row_buffers=1, refresh=False)
    channel = np.array([0, 1] * 4)
    progs = [logit_program(CFG, p, 300, 8, 128) for _ in channel]
    ch0_commands = sum(commands(op, p) for prog, c in zip(progs, channel, strict=True)
                       if c == 0 for op in prog)
    ch1 = [prog for prog, c in zip(progs, channel, strict=True) if c == 1]
    alone = run_phase(CFG, p, ch1, np.ones(len(ch1), dtype=np.int64), 0, new_clocks(CFG, p),
                      1024.0, 1.0)
    bound = ch0_commands + int(alone.request_end.max())
    ends = {}
    for policy in ("channel", "request"):
        order = issue_order(channel, policy)
        phase = run_phase(CFG, p, [progs[int(i)] for i in order], channel[order], 0,
                          new_clocks(CFG, p), 1.0, 1.0)
        first_ch1 = int(phase.request_start[channel[order] == 1].min())
        ends[policy] = int(phase.request_end.max())
        assert (first_ch1 >= ch0_commands) == (policy == "channel")
        assert (ends[policy] >= bound) == (policy == "channel")
    assert ends["channel"] > ends["request"]


def test_per_channel_queues_let_every_channel_start_at_once() -> None:
    """One queue per channel (NeuPIMs' main branch): grouped by channel, channel 1's first
    command is sent at the start of the phase, not after channel 0's, and each channel's phase
    is its program run alone. Through one shared queue (negative control) channel 1 waits for
    every command of channel 0."""
    p = PimParams(fused=True, row_buffers=2, refresh=False)
    channel = np.array([0] * 4 + [1] * 4)
    progs = [logit_program(CFG, p, 300, 8, 128) for _ in channel]
    ch0_commands = sum(commands(op, p) for prog in progs[:4] for op in prog)
    alone = run_phase(CFG, p, progs[4:], channel[4:], 0, new_clocks(CFG, p), 1.0, 1.0)
    for per_channel in (True, False):
        phase = run_phase(CFG, p, progs, channel, 0, new_clocks(CFG, p), 1.0, 1.0, per_channel)
        first_ch1 = int(phase.request_start[4:].min())
        assert (first_ch1 < ch0_commands) == per_channel
        same = np.array_equal(phase.request_end[4:], alone.request_end)
        assert same == per_channel


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
    # Per channel the first half of its requests (trace order) goes to sub-batch 0, the rest to
    # 1; channels with an odd count take turns giving the extra request (ceil, then floor), so
    # the halves differ by at most one request.
    sub = split_sub_batches(np.array([0, 0, 1, 0, 1, 2, 2, 3, 3, 3]), 2)
    assert sub.tolist() == [0, 0, 0, 1, 1, 0, 1, 0, 1, 1]  # ch 0: 2 + 1, ch 3: 1 + 2
    assert abs(2 * int(sub.sum()) - len(sub)) <= 1
    assert split_sub_batches(np.zeros(7, dtype=np.int64), 3).tolist() == [0, 0, 0, 1, 1, 2, 2]
    with pytest.raises(SimError, match="channel mapping"):
        assign_channels(cost, 4, "random")


# --------------------------------------------------------------------------- NPU
def test_npu_gemm_pipeline_hand_derived() -> None:
    npu = arch().npu
    # One batch chunk of 64 rows, K = 256 (2 stationary tiles), N = 1024 (8 chunks of 128
    # columns, 16 cycles each on 8 arrays): first preload 2*128 - 1 = 255, 7 chunks x 16, the
    # second tile's preload 128, 7 x 16, then the last chunk drains 128 + 128 - 2 + 16.
    assert gemm_timing(npu, 64, 256, 1024, 16).cycles == 255 + 7 * 16 + 128 + 7 * 16 + 270
    # Fold model (foundation): ceil(256/128) folds x (2*128 + 128 + 64 - 2) = 2 x 446.
    fold = arch(npu__timing="fold").npu
    assert gemm_timing(fold, 64, 256, 1024, 16).cycles == 2 * 446
    assert vector_cycles(npu, "add", 2048) == 2
    with pytest.raises(UnsupportedOpError):
        vector_cycles(npu, "tanh", 8)


def test_weights_stream_once_and_the_second_batch_chunk_computes_from_sram() -> None:
    npu = arch().npu
    bw = 1000.0  # bytes per cycle
    k, n = 4096, 4096
    weights = k * n * 2
    one = stream_gemm(npu, 128, k, n, 16, bw, 128 * 2**20, True)
    two = stream_gemm(npu, 256, k, n, 16, bw, 128 * 2**20, True)
    # Batch 128: bandwidth-bound (weights, input and output: 35.7 MB at 1000 B/cycle >> 20k
    # cycles of compute).
    assert one.cycles == pytest.approx((weights + 128 * k * 2 + 128 * n * 2) / bw, rel=0.01)
    # Batch 256: the second chunk of 128 rows reuses the resident weights, so it adds its
    # compute (the array cycles of one chunk) after the stream, not another stream.
    assert two.read_bytes == weights + 256 * k * 2
    assert two.cycles == pytest.approx(two.read_bytes / bw + one.compute_cycles, rel=0.03)
    # A smaller SRAM cuts the GEMM into tiles by halving its largest dimension until a tile's
    # activations, weights and outputs fit in half the SRAM: (256, 1024, 2048) for 8 MiB. The
    # weights still stream once; the activations once per N tile.
    assert l2_tiles(256, k, n, 2, 8 * 2**20, 128) == (256, 1024, 2048)
    small = stream_gemm(npu, 256, k, n, 16, bw, 16 * 2**20, True)
    assert small.read_bytes == weights + 2 * 256 * k * 2
    # When the batch is the largest dimension it is split, and every batch tile re-streams the
    # weights: 8192 rows in tiles of 256 -> 32 passes over 512 x 512 weights.
    assert l2_tiles(8192, 512, 512, 2, 2**20, 128) == (256, 512, 512)
    tall = stream_gemm(npu, 8192, 512, 512, 16, bw, 2 * 2**20, True)
    assert tall.read_bytes == 32 * 512 * 512 * 2 + 8192 * 512 * 2


def test_per_request_attention_head_hand_derived() -> None:
    npu = arch().npu
    # q_len 1, kv_len 300, d_k 128 on 128x128 arrays x 8: K.q: one stationary tile, 300 rows
    # over 8 arrays = 38 cycles: 255 + 254 + 38; softmax of 300 values: one iteration of the
    # 8 x 128 lanes x 3 + 2 x 7 tree levels; S.V: ceil(300/128) = 3 stationary tiles, 128 rows
    # / 8 = 16: 255 + 2 x 128 + 254 + 16.
    assert attention_head_cycles(npu, 1, 300, 128) == (255 + 254 + 38) + (3 + 14) + (
        255 + 256 + 254 + 16)


# --------------------------------------------------------------------------- systems
def small_trace(batch: int = 256, layers: int = 2) -> Trace:
    return llm_decode("gpt3-7b", batch, layers=layers, seed=1)


def run(a: NpuPimArch, trace: Trace):  # type: ignore[no-untyped-def]
    return NpuPimModel(a).run(trace, 0)


def test_family_is_registered() -> None:
    fam = get_family("npu_pim")
    assert fam.arch_schema is NpuPimArch and "attention" in fam.op_kinds


def stage_cycles(r: Any) -> dict[str, float]:
    return {k.split(".")[1]: v for k, v in r.metrics.items()
            if k.startswith("stage.") and k.endswith(".cycles")}


def test_stages_add_up_and_carry_per_channel_pim_busy() -> None:
    r = run(arch(sub_batches=1), small_trace(64, layers=2))
    stages = stage_cycles(r)
    assert list(stages) == ["A", "B", "E"]  # each summed over the two layers
    assert sum(stages.values()) == r.cycles
    assert {op.detail["stage"] for op in r.ops} == {f"L{i}.{p}" for i in (0, 1) for p in "ABE"}
    layer0 = {p: max(op.end for op in r.ops if op.detail["stage"] == f"L0.{p}")
              - min(op.start for op in r.ops if op.detail["stage"] == f"L0.{p}") for p in "ABE"}
    assert sum(layer0.values()) == r.cycles // 2  # identical layers
    assert r.metrics["stage.A.pim_busy_max"] == 0 < r.metrics["stage.B.pim_busy_max"]
    pim_ops = [op for op in r.ops if op.kind == "pim_phase"]
    assert [op.name for op in pim_ops[:2]] == ["L0.attn.logit", "L0.attn.attend"]
    requests = [op for op in r.ops if op.kind == "attention" and op.detail["layer"] == 1]
    assert [op.name for op in requests] == [f"L1.attn.r{i}" for i in range(64)]
    assert all(op.unit == "pim" and op.end - op.start > 0 for op in requests)
    for op in r.ops:
        assert {"stage", "compute_cycles", "read_bytes", "write_bytes"} <= set(op.detail)
    busy = np.sum([op.detail["pim_busy_per_channel"] for op in pim_ops], axis=0)
    assert len(busy) == 32 and busy.mean() == pytest.approx(
        r.metrics["stage.B.pim_busy_mean"], abs=2)
    # A GEMM reads its weights (and activations) and writes its output through HBM.
    qkv = next(op for op in r.ops if op.name == "L0.qkv")
    assert qkv.detail["read_bytes"] >= 4096 * 3072 * 2 and qkv.detail["write_bytes"] > 0


def test_pipelined_sub_batches_stage_program() -> None:
    r = run(arch(), small_trace(256, layers=2))
    assert r.metrics["sub_batches"] == 2
    stages = stage_cycles(r)
    assert list(stages) == list("ABCDEF") and sum(stages.values()) == r.cycles
    three = run(arch(), small_trace(256, layers=3))  # one more C + D pair per extra layer
    assert sorted({op.detail["stage"] for op in three.ops}) == list("ABCDEF")
    assert three.cycles - r.cycles == pytest.approx(stages["C"] + stages["D"], rel=0.02)
    # In stages B..E one sub-batch's NPU work runs beside the other's attention on PIM.
    for name in "BCDE":
        units = {(op.unit == "pim", op.detail["sub_batch"]) for op in r.ops
                 if op.detail["stage"] == name}
        assert len({sb for _, sb in units}) == 2 and {u for u, _ in units} == {True, False}
    busy = r.utilisation["npu"] + r.utilisation["pim"]
    assert busy > 1.05  # overlap
    blocked = run(arch(memory__pim__row_buffers=1), small_trace(256, layers=2))
    assert blocked.utilisation["npu"] + blocked.utilisation["pim"] == pytest.approx(1.0)
    assert r.cycles < blocked.cycles


def _ffn1_slowdown(a: NpuPimArch) -> float:
    """FFN1 of sub-batch 0 in stage C (beside the other sub-batch's attention on PIM) over
    FFN1 of sub-batch 1 in stage F (no PIM work left), same shape."""
    r = run(a, small_trace(64, layers=2))
    ffn1 = {op.detail["stage"]: op.end - op.start for op in r.ops if ".ffn1@" in op.name}
    return ffn1["C"] / ffn1["F"]


def test_pim_beside_npu_slows_its_weight_streams_through_command_slots() -> None:
    # The NPU's HBM streams lose the channel-cycles concurrent PIM tiles take. On the NeuPIMs
    # controller (one command per cycle) a PIM command holds the whole cycle; negative control:
    # with dual issue, normal reads use the pins PIM row commands leave free, so the same
    # overlapped GEMM is slowed less.
    single = _ffn1_slowdown(arch(sub_batch_min_batch=64))
    dual = _ffn1_slowdown(arch(sub_batch_min_batch=64,
                               memory__hbm__controller={"dual_issue": True}))
    assert single > dual > 1.0


def test_request_channels_from_the_trace_are_used(tmp_path: Path) -> None:
    path = tmp_path / "req.csv"
    path.write_text("seq_len,ch_idx\n" + "".join(f"{200 + i},{i % 2}\n" for i in range(8)))
    trace = llm_decode("gpt3-7b", 8, requests=str(path), layers=1)
    r = run(arch(sub_batches=1), trace)
    logit = next(op for op in r.ops if op.name == "L0.attn.logit")
    busy = logit.detail["pim_busy_per_channel"]
    assert [op.detail["channel"] for op in r.ops if op.kind == "attention"] == [0, 1] * 4
    assert busy[0] > 0 and busy[1] > 0 and not any(busy[2:])


def test_four_systems_order_on_large_batch() -> None:
    trace = small_trace(512, layers=2)
    tps = {s: run(arch(s), trace).metrics["tokens_per_s"] for s in
           ("gpu", "npu", "naive_pim", "neupims")}
    assert tps["neupims"] > tps["naive_pim"] > tps["npu"]
    assert all(v > 0 for v in tps.values())


def test_naive_pim_is_blocked_and_unfused() -> None:
    r = run(arch("naive_pim"), small_trace(128, layers=1))
    assert r.metrics["sub_batches"] == 1
    stages = stage_cycles(r)
    assert sum(stages.values()) == r.cycles
    dual = run(arch("neupims"), small_trace(128, layers=1))
    assert stage_cycles(dual)["A"] == stages["A"]
    assert stages["B"] > 2 * stage_cycles(dual)["B"]


def test_naive_pim_sends_requests_grouped_by_channel(tmp_path: Path) -> None:
    """The naive preset issues by channel (the NeuPIMs simulator's npu+pim scheduler): no
    channel-1 request starts before the NPU has sent every K.q command of channel 0 (one per
    cycle); records keep the batch order and their channels. Batch order (negative control)
    starts channel 1 right after its first request's commands."""
    path = tmp_path / "req.csv"
    path.write_text("seq_len,ch_idx\n" + "".join(f"{200 + i},{i % 2}\n" for i in range(8)))
    trace = llm_decode("gpt3-7b", 8, requests=str(path), layers=1)
    naive = PimParams(fused=False, row_buffers=1)
    ch0_commands = sum(commands(op, naive) for i in range(0, 8, 2)
                       for op in logit_program(CFG, naive, 200 + i, 8, 128))
    b = {}
    for policy in ("channel", "request"):
        r = run(arch("naive_pim", memory__pim__issue_order=policy), trace)
        logit = next(op for op in r.ops if op.name == "L0.attn.logit")
        reqs = [op for op in r.ops if op.kind == "attention"]
        assert [op.detail["channel"] for op in reqs] == [0, 1] * 4
        first_ch1 = min(op.start for op in reqs if op.detail["channel"] == 1) - logit.start
        assert (first_ch1 >= ch0_commands) == (policy == "channel")
        b[policy] = stage_cycles(r)["B"]
    assert arch("naive_pim").memory.pim.issue_order == "channel"
    assert b["channel"] > b["request"]


def test_npu_attention_mappings() -> None:
    trace = small_trace(64, layers=1)
    per_request = run(arch("npu"), trace)
    stream = run(arch("npu", npu__attention="kv_stream"), trace)
    attn = [op for op in per_request.ops if op.kind == "attention"]
    assert len(attn) == 64 and {op.detail["mapping"] for op in attn} == {"per_request"}
    assert all(a.end <= b.start for a, b in itertools.pairwise(attn))  # one after another
    # Dependent q_len-1 GEMVs per head are latency bound: far slower than an ideal KV stream.
    assert stage_cycles(per_request)["B"] > 4 * stage_cycles(stream)["B"]


def test_activations_through_hbm_or_kept_on_chip() -> None:
    trace = small_trace(64, layers=1)
    hbm = run(arch(), trace)
    sram = run(arch(npu__activations="sram"), trace)
    res = {r.cycles: next(op for op in r.ops if op.name == "L0.res1") for r in (hbm, sram)}
    assert res[hbm.cycles].detail["read_bytes"] == 2 * 64 * 4096 * 2
    assert res[sram.cycles].detail["read_bytes"] == 0
    assert sram.cycles < hbm.cycles


@pytest.mark.parametrize(("override", "faster"), [
    ({"memory__pim__lanes": 8}, False),  # twice the COMPs at the same COMP rate
    ({"memory__hbm__org": {"channels": 16}}, False),
    ({"npu__array": [64, 64]}, False),
    ({"npu__arrays": 2}, False),
    ({"memory__pim__refresh": False}, True),
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


def test_gpu_presets_launch_overhead_and_per_request_attention() -> None:
    trace = small_trace(64, layers=1)
    a100 = run(arch("gpu"), trace)
    h100 = run(arch("gpu", gpu__preset="h100-sxm"), trace)
    assert h100.cycles < a100.cycles and a100.metrics["gpu_launch_us"] == 5.0
    per_req = run(arch("gpu", gpu__attention="per_request"), trace)
    kernels = [op for op in per_req.ops if op.kind == "attention"]
    assert len(kernels) == 64
    # 64 attention kernels instead of one: 63 more launches of 5 us at 1 GHz (+ slack for the
    # per-kernel roofline of each request).
    assert per_req.cycles - a100.cycles >= 63 * 5000 - 1000
    free = run(arch("gpu", gpu__launch_us=0.0, gpu__peak_tflops=624.0), trace)
    assert free.cycles < a100.cycles


def test_result_contents_and_energy_rows() -> None:
    from sim.tech.costing import cost
    from sim.tech.table import TechTable

    r = run(arch(), small_trace(256, layers=1))
    for key in ("hbm.rd", "hbm.wr", "hbm.act", "hbm.background_ns", "pim.comp", "pim.gact",
                "pim.gwrite", "pim.readres", "npu.mac_fp16.mac", "npu.vector.op"):
        assert r.ledger[key] > 0, key
    units = {op.unit for op in r.ops}
    assert units == {"npu", "pim", "vector"}
    table = TechTable(28)
    for name in ("core.yaml", "npu_pim.yaml"):
        table.add_file(ROOT / "sim" / "tech" / "tables" / name, override=False)
    costing = cost(r, table)
    assert costing.total_energy_pj > 0
    # ACT energy = count x 828 pJ (row derived from IDD in the table).
    assert costing.energy_pj["hbm.act"] == pytest.approx(r.ledger["hbm.act"] * 828)
    g = run(arch("gpu"), small_trace(256, layers=1))
    assert cost(g, table).energy_pj["gpu.a100-40gb.active_ns"] == pytest.approx(
        g.seconds * 1e9 * 400e3)


def test_per_op_energy_adds_up_to_the_run_less_background() -> None:
    """Every NPU, vector and per-request attention op carries its own actions, so ops.csv has
    energy per op; the ops' energies add up to the run's energy less HBM standby (a run-level
    action, no op's)."""
    from sim.tech.costing import cost
    from sim.tech.table import TechTable

    table = TechTable(28)
    for name in ("core.yaml", "npu_pim.yaml"):
        table.add_file(ROOT / "sim" / "tech" / "tables" / name, override=False)
    for system in ("neupims", "npu"):
        r = run(arch(system), small_trace(64, layers=1))
        costing = cost(r, table)
        r.costing = {"energy_pj": costing.energy_pj}
        work = [op for op in r.ops if op.kind != "pim_phase"]
        assert all(r.op_energy_pj(op) > 0 for op in work), system
        background = costing.energy_pj["hbm.background_ns"]
        assert sum(r.op_energy_pj(op) for op in r.ops) == pytest.approx(
            costing.total_energy_pj - background, rel=1e-9)


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
