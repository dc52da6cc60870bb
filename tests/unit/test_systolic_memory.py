"""Systolic memory in the loop: fold traffic, prefetch overlap, stalls, psum spill, modes."""

from __future__ import annotations

from typing import Any

import pytest

from sim.core.shapes import GemmShape, ceil_div
from sim.hw.dram.config import make_config
from sim.hw.dram.stream import sequential_stream
from sim.hw.systolic import fold_cycles, gemm_cycles
from sim.models.systolic import SystolicArch, SystolicModel
from sim.workload.trace import Trace


def arch(dataflow: str = "WS", mode: str = "event", kib: int = 64, **memory: Any) -> SystolicArch:
    return SystolicArch.model_validate({
        "version": 1, "family": "systolic", "rows": 4, "cols": 4, "dataflow": dataflow,
        "sram": {"a_kib": kib, "b_kib": kib, "c_kib": kib},
        "memory": {"mode": mode, "preset": "dramsim3_hbm2_8ch", **memory}})


def one_gemm(m: int, n: int, k: int) -> Trace:
    return Trace.model_validate({"version": 1, "name": "g", "ops": [
        {"name": "g", "kind": "gemm", "m": m, "n": n, "k": k}]})


def replayed(nbytes: int, write: bool) -> int:
    """DRAM cycles of a transfer spread over the 8 channels, straight from the controller."""
    cfg = make_config("dramsim3_hbm2_8ch")
    requests = ceil_div(ceil_div(nbytes, cfg.org.request_bytes), cfg.org.channels)
    return sequential_stream(cfg, requests, write).cycles


def test_ideal_mode_is_compute_only() -> None:
    shape = GemmShape(37, 9, 13)
    for dataflow in ("WS", "OS", "IS"):
        result = SystolicModel(arch(dataflow, "ideal")).run(one_gemm(37, 9, 13), 0)
        assert result.cycles == gemm_cycles(shape, 4, 4, dataflow)
        assert result.ops[0].detail["stall_cycles"] == 0


def test_single_fold_waits_for_its_operands_and_its_write() -> None:
    # OS, M = N = 4, K = 8: one fold; A (4x8) and B (8x4) bytes come first, then 4x4 int32 out.
    result = SystolicModel(arch("OS")).run(one_gemm(4, 4, 8), 0)
    expected = replayed(32 + 32, False) + fold_cycles(4, 4, 8) + replayed(64, True)
    assert result.cycles == expected
    assert result.ops[0].detail["stall_cycles"] == expected - fold_cycles(4, 4, 8)


def test_prefetch_hides_later_loads() -> None:
    # OS, M = 4, N = 8, K = 64: two column folds; B tile of fold 2 (64x4 = 256 B) is fetched
    # while fold 1 computes (F = 74 cycles, far longer than the transfer); only the first load
    # and the last write are exposed, fold 1's write overlaps fold 2.
    result = SystolicModel(arch("OS")).run(one_gemm(4, 8, 64), 0)
    f = fold_cycles(4, 4, 64)
    assert result.cycles == replayed(256 + 256, False) + 2 * f + replayed(64, True)


def test_starved_memory_stalls_and_more_bandwidth_helps() -> None:
    trace = one_gemm(256, 64, 256)
    cycles = [SystolicModel(arch("WS", kib=1, bandwidth_gbs=bw)).run(trace, 0).cycles
              for bw in (1.0, 10.0, 1000.0)]
    compute = gemm_cycles(GemmShape(256, 64, 256), 4, 4, "WS")
    assert cycles[0] > cycles[1] > cycles[2] >= compute
    assert cycles[0] > 2 * compute


@pytest.mark.parametrize(("dataflow", "m", "n"), [("WS", 512, 8), ("IS", 8, 512)])
def test_psum_spill_when_c_buffer_too_small(dataflow: str, m: int, n: int) -> None:
    k = 64  # 16 row folds (K over rows); psums of one column fold: 512 x 4 x 4 bytes
    small = SystolicModel(arch(dataflow, kib=1)).run(one_gemm(m, n, k), 0).ops[0].detail
    big = SystolicModel(arch(dataflow, kib=64)).run(one_gemm(m, n, k), 0).ops[0].detail
    assert big["dram_psum_read_bytes"] == 0
    assert big["write_bytes"] == m * n * 4
    assert small["dram_psum_read_bytes"] == m * n * 4 * (k // 4 - 1)
    assert small["write_bytes"] == m * n * 4 * (k // 4)


def test_resident_operand_is_fetched_once() -> None:
    # WS, A = 64 x 32 (2 KiB) re-used by 4 column folds: fetched once when it fits.
    fits = SystolicModel(arch("WS", kib=64)).run(one_gemm(64, 16, 32), 0).ops[0].detail
    spills = SystolicModel(arch("WS", kib=1)).run(one_gemm(64, 16, 32), 0).ops[0].detail
    assert fits["dram_a_bytes"] == 64 * 32
    assert spills["dram_a_bytes"] == 64 * 32 * 4


@pytest.mark.parametrize("dataflow", ["WS", "OS", "IS"])
@pytest.mark.parametrize("kib", [1, 64])
def test_fast_within_five_percent_of_event(dataflow: str, kib: int) -> None:
    trace = one_gemm(300, 70, 90)
    event = SystolicModel(arch(dataflow, "event", kib, bandwidth_gbs=8.0)).run(trace, 0).cycles
    fast = SystolicModel(arch(dataflow, "fast", kib, bandwidth_gbs=8.0)).run(trace, 0).cycles
    assert abs(fast - event) / event < 0.05


def test_sram_fill_port_limits_transfers() -> None:
    trace = one_gemm(4, 4, 4096)  # one OS fold, 32 KiB of operands
    free = SystolicModel(arch("OS", kib=64)).run(trace, 0).cycles
    banked = SystolicModel(SystolicArch.model_validate({
        **arch("OS", kib=64).model_dump(), "sram": {"a_kib": 64, "b_kib": 64, "c_kib": 64,
                                                     "banks": 1, "bank_bytes": 1}})).run(trace, 0)
    assert banked.cycles >= 2 * 4096 + fold_cycles(4, 4, 4096) > free


@pytest.mark.parametrize("mode", ["ideal", "event"])
def test_bad_memory_preset_is_a_validation_error(mode: str) -> None:
    with pytest.raises(ValueError, match=r"unknown memory\.preset"):
        arch(mode=mode, preset="nope")


def os_arch(drain: str, mode: str) -> SystolicArch:
    return SystolicArch.model_validate({
        "version": 1, "family": "systolic", "rows": 4, "cols": 4, "dataflow": "OS",
        "os_drain": drain, "memory": {"mode": mode, "bandwidth_gbs": 4.0}})


def test_overlapped_drain_exposes_only_the_last_drain() -> None:
    # OS 4x4, M=9, N=7, K=11: 3 x 2 folds of R + C + T - 2 = 17 cycles, then one drain of 4.
    result = SystolicModel(os_arch("overlapped", "ideal")).run(one_gemm(9, 7, 11), 0)
    assert result.cycles == 6 * 17 + 4
    serial = SystolicModel(os_arch("serial", "ideal")).run(one_gemm(9, 7, 11), 0)
    assert serial.cycles == 6 * (17 + 4)


@pytest.mark.parametrize("mode", ["fast", "event"])
@pytest.mark.parametrize("shape", [(9, 7, 11), (64, 64, 3), (16, 40, 200)])
def test_overlapped_drain_never_slower_with_memory(mode: str, shape: tuple[int, int, int]) -> None:
    trace = one_gemm(*shape)
    overlapped = SystolicModel(os_arch("overlapped", mode)).run(trace, 0).cycles
    assert overlapped <= SystolicModel(os_arch("serial", mode)).run(trace, 0).cycles


def test_os_drain_ignored_by_weight_stationary() -> None:
    ws = {"version": 1, "family": "systolic", "rows": 4, "cols": 4, "dataflow": "WS"}
    a = SystolicModel(SystolicArch.model_validate({**ws, "os_drain": "overlapped"}))
    b = SystolicModel(SystolicArch.model_validate(ws))
    assert a.run(one_gemm(9, 7, 11), 0).cycles == b.run(one_gemm(9, 7, 11), 0).cycles
