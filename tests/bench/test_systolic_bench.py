"""Benchmark: systolic GEMM ops simulated per second, small and huge GEMMs (prints figures).

Run with ``pytest -m bench tests/bench -s``. Target: >= 20,000 ops/s on one core, the same for
64^3 and 4096^3 GEMMs (closed forms: cost does not grow with M, N, K).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.models.systolic import SystolicArch, SystolicModel
from sim.workload.trace import Trace

pytestmark = pytest.mark.bench
OPS = 20_000


def gemm_trace(size: int) -> Trace:
    ops = [{"name": f"g{i}", "kind": "gemm", "m": size, "n": size, "k": size} for i in range(OPS)]
    return Trace.model_validate({"version": 1, "name": f"bench{size}", "ops": ops})


@pytest.mark.parametrize("size", [64, 4096])
@pytest.mark.parametrize("dataflow", ["OS", "WS", "IS"])
def test_gemm_ops_per_second(size: int, dataflow: str) -> None:
    arch = SystolicArch.model_validate({"version": 1, "family": "systolic", "rows": 128,
                                        "cols": 128, "dataflow": dataflow})
    trace = gemm_trace(size)
    model = SystolicModel(arch)
    start = time.perf_counter()
    result = model.run(trace, seed=0)
    elapsed = time.perf_counter() - start
    print(f"\nsystolic {dataflow} {size}^3: {OPS} GEMM ops in {elapsed:.3f} s = "
          f"{OPS / elapsed:,.0f} ops/s ({result.cycles:,} simulated cycles)")
    assert len(result.ops) == OPS


def memory_arch(mode: str, dataflow: str = "WS", size: int = 128) -> SystolicArch:
    return SystolicArch.model_validate({"version": 1, "family": "systolic", "rows": size,
                                        "cols": size, "dataflow": dataflow,
                                        "memory": {"mode": mode}})


def distinct_trace() -> Trace:
    """OPS GEMMs, no two of the same shape: (m mod 997, n mod 89) differ for i < 997 x 89."""
    return Trace.model_validate({"version": 1, "name": "distinct", "ops": [
        {"name": f"g{i}", "kind": "gemm", "m": 64 + i % 997, "n": 128 + i % 89, "k": 96 + i // 997}
        for i in range(OPS)]})


@pytest.mark.parametrize("dataflow", ["OS", "WS", "IS"])
def test_fast_memory_ops_per_second(dataflow: str) -> None:
    """Fast memory mode on 20,000 GEMM ops: one repeated shape, and all shapes distinct.

    Prints wall and CPU time (CPU time is the fair figure on a shared machine) and the load."""
    distinct = distinct_trace()
    assert len({(op.m, op.n, op.k) for op in distinct.ops}) == OPS  # type: ignore[union-attr]
    for label, trace in (("same shape", gemm_trace(512)), ("distinct shapes", distinct)):
        model = SystolicModel(memory_arch("fast", dataflow))
        model.run(gemm_trace(64), seed=0)  # measured DRAM efficiency, once per process
        start, cpu = time.perf_counter(), time.process_time()
        result = model.run(trace, seed=0)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"\nsystolic fast memory {dataflow} {label}: {OPS} GEMM ops in {elapsed:.3f} s wall "
              f"= {OPS / elapsed:,.0f} ops/s; {cpu:.3f} s CPU = {OPS / cpu:,.0f} ops/s "
              f"(load average {os.getloadavg()[0]:.2f})")
        assert len(result.ops) == OPS


LAYERS = {
    # ResNet-50 res2 3x3 conv as a GEMM (im2col): M = 56*56, N = 64, K = 3*3*64
    "resnet50-res2-3x3": {"kind": "gemm", "m": 3136, "n": 64, "k": 576},
    # ResNet-50 res5 3x3 conv: M = 7*7, N = 512, K = 3*3*512
    "resnet50-res5-3x3": {"kind": "gemm", "m": 49, "n": 512, "k": 4608},
    # BERT-base FFN up-projection, 512 tokens: 512 x 3072 x 768
    "bert-base-ffn-up": {"kind": "gemm", "m": 512, "n": 3072, "k": 768},
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
@pytest.mark.parametrize("size", [16, 128])
def test_event_memory_one_layer(layer: str, size: int) -> None:
    """Event memory mode, one layer, first run in the process (controller replays included)."""
    trace = Trace.model_validate({"version": 1, "name": layer,
                                  "ops": [{"name": layer, **LAYERS[layer]}]})
    start = time.perf_counter()
    result = SystolicModel(memory_arch("event", "WS", size)).run(trace, seed=0)
    elapsed = time.perf_counter() - start
    print(f"\nsystolic event memory {layer} on {size}x{size}: {elapsed:.3f} s "
          f"({result.cycles:,} cycles, {result.ops[0].detail['stall_cycles']:,} stalled)")
    assert result.cycles >= result.ops[0].detail["compute_cycles"]


def test_cli_one_gemm_no_figures(tmp_path: Path) -> None:
    """Whole `sim run --no-figures` process on a one-GEMM workload (ideal memory): wall and CPU
    time (the CPU time of a run is much less sensitive to the shared machine's load).

    Bytecode writing is allowed (an installed package has its .pyc files): with
    PYTHONDONTWRITEBYTECODE set and no cache, every run would compile the tool's modules."""
    repo = Path(__file__).resolve().parents[2]
    workload = tmp_path / "one.yaml"
    workload.write_text(f"version: 1\nname: one gemm\narch: {repo}/arch/systolic-16x16.yaml\n"
                        "trace:\n  version: 1\n  name: g\n  ops:\n"
                        "    - {name: g, kind: gemm, m: 128, n: 128, k: 128}\n")
    exe = str(Path(sys.executable).with_name("sim"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [exe, "run", str(workload), "--no-figures", "-o", str(tmp_path / "o")]
    subprocess.run(command, capture_output=True, check=True, env=env)  # page cache, .pyc files
    walls, cpus = [], []
    for _ in range(11):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    walls.sort()
    cpus.sort()
    print(f"\nsim run --no-figures, one GEMM, 11 processes: wall median {walls[5]:.3f} s, best "
          f"{walls[0]:.3f} s; CPU median {cpus[5]:.3f} s, best {cpus[0]:.3f} s "
          f"(load average {os.getloadavg()[0]:.2f})")
    assert (tmp_path / "o/ops.csv").exists()
