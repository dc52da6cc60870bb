"""Benchmarks of the npu_pim family (prints figures; no timed asserts).

Run with ``pytest -m bench tests/bench/test_npu_pim_bench.py -s``.

* one decode iteration of all 96 layers of GPT-3 175B at batch 512 on the NeuPIMs-style system:
  wall time (trace generation and simulation separately) and DRAM/PIM commands per second;
* how the cost grows with batch and with context length;
* the event-driven HBM controller's replay rate (commands per second);
* the throughput table of the four systems (GPT-3 7B/13B/30B/175B x batch 64..512) with the
  averaged ratios beside the published ones, for both array timings.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from sim.hw.dram.config import make_config
from sim.hw.dram.replay import replay
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.model import NpuPimModel
from sim.models.npu_pim.table import format_table, mean_ratios, throughput_table
from sim.models.npu_pim.workload import llm_decode
from sim.spec.yamlio import load_yaml

pytestmark = pytest.mark.bench
ROOT = Path(__file__).resolve().parents[2]


def neupims() -> NpuPimArch:
    return NpuPimArch.model_validate(load_yaml(ROOT / "arch" / "neupims.yaml").data)


def timed_run(model: str, batch: int, requests: str = "sharegpt",
              layers: int | None = None) -> tuple[float, float, dict[str, float]]:
    t0 = time.perf_counter()
    trace = llm_decode(model, batch, requests=requests, layers=layers)
    t1 = time.perf_counter()
    result = NpuPimModel(neupims()).run(trace, 0)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, result.metrics


def test_gpt3_175b_batch512_all_layers() -> None:
    gen, sim, m = timed_run("gpt3-175b", 512)
    cmds = m["pim_commands"] + m["dram_requests"]
    print(f"\nGPT-3 175B, batch 512, 96 layers, NeuPIMs-style: trace generation {gen:.2f} s, "
          f"simulation {sim:.2f} s, total {gen + sim:.2f} s (target < 30 s)")
    print(f"  PIM commands {m['pim_commands']:.3g}, DRAM requests {m['dram_requests']:.3g} "
          f"-> {cmds / sim:.3g} commands/s accounted (per-tile closed forms + calibrated streams)")
    print(f"  tokens/s {m['tokens_per_s']:.0f}")
    assert m["pim_commands"] > 0 and sim > 0


def test_cost_growth_with_batch_and_context(tmp_path: Path) -> None:
    print("\ncost vs batch (GPT-3 13B, 8 layers, ShareGPT):")
    for batch in (64, 128, 256, 512, 1024):
        gen, sim, _ = timed_run("gpt3-13b", batch, layers=8)
        print(f"  batch {batch:5d}: generate {gen:.3f} s, simulate {sim:.3f} s")
    print("cost vs context length (GPT-3 13B, batch 256, 8 layers, fixed lengths):")
    commands = []
    for length in (128, 512, 2048):
        path = tmp_path / f"len{length}.csv"
        path.write_text("seq_len,ch_idx\n" + "".join(f"{length},0\n" for _ in range(256)))
        gen, sim, m = timed_run("gpt3-13b", 256, requests=str(path), layers=8)
        print(f"  context {length:5d}: simulate {sim:.3f} s, PIM commands {m['pim_commands']:.3g}")
        commands.append(m["pim_commands"])
    assert commands == sorted(commands)  # more context, more PIM commands


def test_event_driven_controller_rate() -> None:
    cfg = make_config()
    rng = np.random.default_rng(0)
    n = 20_000
    addr = rng.integers(0, 2**33, size=n) // 64 * 64
    cycles = np.sort(rng.integers(0, 4 * n, size=n))
    t0 = time.perf_counter()
    stats = replay(cfg, cycles, addr, rng.random(n) < 0.3)
    wall = time.perf_counter() - t0
    cmds = sum(v for k, v in stats.ledger().items() if not k.endswith("_ns"))
    print(f"\nHBM controller replay: {n} random requests, {cmds:.0f} commands in {wall:.2f} s "
          f"= {cmds / wall:.3g} commands/s; row-hit rate {stats.row_hit_rate:.3f}, "
          f"bandwidth {stats.bandwidth_bytes_per_s / 1e9:.1f} GB/s")
    assert cmds >= n


@pytest.mark.parametrize("timing", ["onnxim", "fold"])
def test_throughput_table(timing: str) -> None:
    rows = throughput_table(("gpt3-7b", "gpt3-13b", "gpt3-30b", "gpt3-175b"),
                            (64, 128, 256, 512), timing=timing)
    print(f"\nNPU array timing: {timing}\n" + format_table(rows))
    assert len(rows) == 16 and all(v > 0 for v in mean_ratios(rows).values())


def test_energy_per_token_breakdown() -> None:
    from sim.models.npu_pim.table import SYSTEMS, energy_per_token, system_arch

    trace = llm_decode("gpt3-13b", 256, layers=4)
    print("\nGPT-3 13B, batch 256: energy per token (mJ) by component, 28 nm tables")
    for system in SYSTEMS:
        arch = system_arch(system, {"version": 1, "family": "npu_pim"}, "onnxim")
        result = NpuPimModel(arch).run(trace, 0)
        e = energy_per_token(result)
        parts = ", ".join(f"{k} {v * 1e3:.2f}" for k, v in e.items() if k != "total")
        print(f"  {system:9s}: total {e['total'] * 1e3:.2f} mJ/token ({parts})")
        assert e["total"] > 0
