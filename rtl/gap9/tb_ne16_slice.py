"""cocotb 2.x bench for rtl/gap9/ne16_slice.sv: bit-exact and cycle-exact vs the gap9 model.

Run through ``sim.rtlcheck.run_bench("gap9_ne16", params, "tb_ne16_slice")``; the parameter set
(SIDE, LANES, KMAX, NIN_MAX) arrives as JSON in $SIM_RTL_PARAMS, one JSON line per job is
appended to $SIM_RTL_REPORT.

For each job the bench writes the slice's memories (not counted), drives ``start`` for the
rising edge E0 that samples it, counts rising edges E1, E2, ... and, in the read-only phase
after each, looks at ``done``: the job's count is n for the first edge En after which ``done``
reads 1. Every ``o_valid`` word is collected; the words must equal the golden model's outputs
(``sim.models.gap9.arith``) and n must equal ``sim.models.gap9.cycles.subtile_job_cycles``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge
from ne16_drive import load_and_start, start_clock_and_reset

from sim.models.gap9 import arith
from sim.models.gap9.rtlslice import SliceJob, make_job

PARAMS: dict[str, Any] = json.loads(
    os.environ.get("SIM_RTL_PARAMS", '{"SIDE": 3, "LANES": 16, "KMAX": 32, "NIN_MAX": 4}'))
SIDE = int(PARAMS["SIDE"])
LANES = int(PARAMS["LANES"])
KMAX = int(PARAMS["KMAX"])
NIN_MAX = int(PARAMS["NIN_MAX"])
SAMPLE = Path(__file__).resolve().parents[2] / "workloads" / "traces" / "gap9_silero_sample.npz"


async def _reset(dut: Any) -> None:
    await start_clock_and_reset(dut)
    await RisingEdge(dut.clk)


async def _run_job(dut: Any, job: SliceJob, name: str) -> None:
    """Load, start, count cycles, collect outputs, compare, report."""
    await load_and_start(dut, job)
    words: list[int] = []
    n = 0
    await ReadOnly()
    while True:
        await RisingEdge(dut.clk)
        n += 1
        await ReadOnly()
        if int(dut.o_valid.value):
            words.append(int(dut.o_data.value))
        if int(dut.done.value):
            break
        assert n < 10 * job.cycles + 100, f"{name}: no done after {n} cycles"
    want = job.out_words(SIDE)
    report = os.environ.get("SIM_RTL_REPORT")
    if report:
        with open(report, "a") as fh:
            fh.write(json.dumps({"test": _current, "job": name, "mode": job.mode, "qw": job.qw,
                                 "k": job.k, "n_in": job.n_in, "rtl_cycles": n,
                                 "model_cycles": job.cycles, "bit_exact": words == want}) + "\n")
    assert words == want, f"{name}: outputs differ from the golden model"
    assert n == job.cycles, f"{name}: RTL took {n} cycles, model predicts {job.cycles}"


_current = ""


def _nq(rng: np.random.Generator, k: int, out_bits: int, relu: bool, enabled: bool = True,
        bias: bool = True) -> arith.NormQuant:
    if not enabled:
        return arith.make_normquant(k, enabled=False, out_bits=32)
    return arith.make_normquant(
        k, scale=rng.integers(0, 256, k), bias=rng.integers(-(2**20), 2**20, k) if bias else None,
        shift=int(rng.integers(0, 24)), rounding=bool(rng.integers(0, 2)), relu=relu,
        out_bits=out_bits)


def _random_job(rng: np.random.Generator, mode: str, qw: int) -> SliceJob:
    r = SIDE + 2 if mode != "1x1" else SIDE
    if mode == "dw":
        k = int(rng.integers(1, min(LANES, KMAX) + 1))
        c_in = k
        w = rng.integers(-(2 ** (qw - 1)), 2 ** (qw - 1), (k, 1, 3, 3))
    else:
        k = int(rng.integers(1, KMAX + 1))
        c_in = int(rng.integers(1, NIN_MAX * LANES + 1))
        kk = 3 if mode == "3x3" else 1
        w = rng.integers(-(2 ** (qw - 1)), 2 ** (qw - 1), (k, c_in, kk, kk))
    x = rng.integers(0, 256, (r, r, c_in))
    out_bits = int(rng.choice([8, 16, 32]))
    nq = _nq(rng, k, out_bits, relu=bool(rng.integers(0, 2)), bias=bool(rng.integers(0, 2)))
    return make_job(mode, x, w, qw, nq, SIDE, LANES)


@cocotb.test()
async def test_random(dut: Any) -> None:
    """Random windows, weights and norm/quant settings, every mode and weight width 2..8."""
    global _current
    _current = "test_random"
    await _reset(dut)
    rng = np.random.default_rng(2024)
    for mode in ("3x3", "dw", "1x1"):
        for qw in range(2, 9):
            await _run_job(dut, _random_job(rng, mode, qw), f"random {mode} Qw={qw}")


@cocotb.test()
async def test_corner(dut: Any) -> None:
    """Extremes: all-255 inputs with extreme weights, wrapping offsets, wrapping bias,
    shift 0/31, one channel, the largest k and n_in, raw 32-bit outputs."""
    global _current
    _current = "test_corner"
    await _reset(dut)
    rng = np.random.default_rng(7)
    r3 = SIDE + 2
    cin = NIN_MAX * LANES
    jobs = []
    # maximal positive and negative sums, 8-bit weights, k = KMAX, n_in = NIN_MAX, raw output
    x = np.full((r3, r3, cin), 255)
    for wv in (127, -128):
        w = np.full((KMAX, cin, 3, 3), wv)
        jobs.append(("max 3x3 raw", make_job("3x3", x, w, 8, _nq(rng, KMAX, 32, False, False),
                                             SIDE, LANES)))
    # the scale product wraps at 32 bits (offset 20000: acc >= 20000*255*9*cin, times 255),
    # then the bias add wraps
    w = rng.integers(0, 4, (4, cin, 3, 3)) + 20000
    nq = arith.make_normquant(4, scale=255, bias=[0, 2**31 - 1, -(2**31), 5], shift=3,
                              relu=False, out_bits=32)
    jobs.append(("product wraps", make_job("3x3", x, w, 2, nq, SIDE, LANES, woff=20000)))
    # without bias the full 40-bit product is shifted and clipped (arith.NQ_OVERFLOW)
    nq = arith.make_normquant(4, scale=[255, 200, 3, 1], shift=4, relu=False, out_bits=32)
    jobs.append(("full product", make_job("3x3", x, w, 2, nq, SIDE, LANES, woff=20000)))
    # wrapping accumulator: layer-wide offset 2**30 with w_u in 0..3
    w = rng.integers(0, 4, (3, cin, 3, 3)) + 2**30
    jobs.append(("wrap offset", make_job("3x3", x, w, 2, _nq(rng, 3, 32, False, False), SIDE,
                                         LANES, woff=2**30)))
    # wrapping bias and rounding, shift 31 and 0, 8/16-bit signed and unsigned
    k = min(KMAX, 8)
    for shift, relu, ob in ((31, False, 8), (0, True, 16), (0, False, 8), (1, True, 8)):
        nq = arith.make_normquant(k, scale=255, bias=[2**31 - 1, -(2**31)] * (k // 2) + [0] * (
            k % 2), shift=shift, rounding=True, relu=relu, out_bits=ob)
        w = rng.integers(-2, 2, (k, LANES, 1, 1))
        jobs.append((f"saturate s={shift}", make_job("1x1", np.full((SIDE, SIDE, LANES), 255),
                                                     w, 2, nq, SIDE, LANES)))
    # one output channel, one input channel, zero inputs, depthwise with all channels
    jobs.append(("k=1", make_job("3x3", np.zeros((r3, r3, 1)), np.ones((1, 1, 3, 3)), 3,
                                 _nq(rng, 1, 8, True), SIDE, LANES)))
    c = min(LANES, KMAX)
    jobs.append(("dw full", make_job("dw", np.full((r3, r3, c), 255),
                                     np.full((c, 1, 3, 3), -128), 8, _nq(rng, c, 32, False),
                                     SIDE, LANES)))
    for name, job in jobs:
        await _run_job(dut, job, name)


@cocotb.test()
async def test_real(dut: Any) -> None:
    """Real weights (silero-vad encoder, committed sample) quantised to 2..8 bits on uint8
    activations of the sample (quantised STFT magnitudes of synthetic speech-like input)."""
    global _current
    _current = "test_real"
    await _reset(dut)
    data = np.load(SAMPLE)
    w_real = data["enc1_w"]  # (64, 128, 3) float: Conv1d weights of encoder layer 1
    act = data["act_u8"]  # (frames, 128) uint8 activations
    r3 = SIDE + 2
    cin = min(NIN_MAX * LANES, w_real.shape[1])
    k = min(KMAX, w_real.shape[0])
    for qw in (2, 3, 5, 8):
        # Conv1d kernel 3 as the middle row of a 3x3 kernel (other rows zero)
        q, _ = arith.quantise_symmetric(w_real[:k, :cin, :], qw, axis=0)
        w = np.zeros((k, cin, 3, 3), dtype=np.int64)
        w[:, :, 1, :] = q
        frames = act[qw: qw + r3 * r3, :cin].reshape(r3, r3, cin)
        nq = arith.make_normquant(k, scale=1, bias=0, shift=qw + 6, rounding=True, relu=True)
        await _run_job(dut, make_job("3x3", frames, w, qw, nq, SIDE, LANES), f"real 3x3 Qw={qw}")
        q1, _ = arith.quantise_symmetric(w_real[:k, :cin, 1], qw, axis=0)
        x1 = act[40: 40 + SIDE * SIDE, :cin].reshape(SIDE, SIDE, cin)
        nq1 = arith.make_normquant(k, scale=3, bias=-100, shift=qw + 5, relu=False, out_bits=16)
        await _run_job(dut, make_job("1x1", x1, q1[:, :, None, None], qw, nq1, SIDE, LANES),
                       f"real 1x1 Qw={qw}")
