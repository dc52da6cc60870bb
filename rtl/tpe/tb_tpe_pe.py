"""cocotb bench of rtl/tpe/tpe_pe.sv (MAC and OPT1 PEs at 32 and 20 bits) vs sim.models.tpe.

Each test streams K operand pairs (one per clock) into all four PEs from a cleared state and reads
every PE's value after every edge; the whole trajectory must equal ``designs.pe_trajectory`` (so
latency is checked edge by edge), the OPT1 value is (sum + carry) mod 2^W, and the final value
must equal the golden ``arith.mac_gemm``/``arith.carry_save_gemm``. One JSON line per GEMM goes to
$SIM_RTL_REPORT with the RTL and model cycle counts.
"""

from __future__ import annotations

import json
import os
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from sim.models.tpe import arith
from sim.models.tpe.designs import pe_cycles, pe_trajectory
from sim.models.tpe.realdata import load_sample

W1, W2 = 32, 20
EXTRA = 3


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _report(rec: dict[str, Any]) -> None:
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(rec, sort_keys=True) + "\n")


async def _run(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    """Stream one dot product, check trajectories of the four PEs and record cycles."""
    k = a.size
    await FallingEdge(dut.clk)
    dut.clr.value = 1
    dut.vld.value = 0
    await FallingEdge(dut.clk)
    dut.clr.value = 0
    await FallingEdge(dut.clk)  # clear has settled; the first beat is sampled at the next edge
    seen: dict[str, list[int]] = {"mac": [], "opt1": [], "mac_n": [], "opt1_n": []}
    for edge in range(1, k + EXTRA + 1):
        if edge <= k:
            dut.a.value = int(a[edge - 1]) & 0xFF
            dut.b.value = int(b[edge - 1]) & 0xFF
            dut.vld.value = 1
        else:
            dut.vld.value = 0
        await RisingEdge(dut.clk)
        await FallingEdge(dut.clk)
        seen["mac"].append(_signed(int(dut.mac_acc.value), W1))
        seen["opt1"].append(_signed(int(dut.opt1_sum.value) + int(dut.opt1_carry.value), W1))
        seen["mac_n"].append(_signed(int(dut.mac_acc_n.value), W2))
        seen["opt1_n"].append(_signed(int(dut.opt1_sum_n.value) + int(dut.opt1_carry_n.value),
                                      W2))
    for pe, width in (("mac", W1), ("opt1", W1), ("mac_n", W2), ("opt1_n", W2)):
        want = pe_trajectory(a, b, width, k + EXTRA)
        golden = int(arith.mac_gemm(a[None, :], b[:, None], width)[0, 0])
        got = seen[pe]
        # RTL cycles: the first edge after which the value is final and never changes again
        rtl = next(e for e in range(len(got), 0, -1)
                   if e == 1 or got[e - 2] != got[-1]) if got[-1] == golden else -1
        ok = got == want and got[-1] == golden
        _report({"test": name, "gemm": f"{pe} K={k}", "ok": ok, "rtl_cycles": rtl,
                 "model_cycles": pe_cycles(k), "pe": pe})
        assert got == want, f"{pe}: trajectory {got} != model {want}"
        assert got[-1] == golden, f"{pe}: {got[-1]} != golden {golden}"
        assert rtl == pe_cycles(k), f"{pe}: rtl cycles {rtl} != model {pe_cycles(k)}"


async def _start(dut: Any) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.clr.value = 1
    dut.vld.value = 0
    dut.a.value = 0
    dut.b.value = 0
    await RisingEdge(dut.clk)


def _nonzero_last(a: np.ndarray, b: np.ndarray) -> None:
    """Make the last product non-zero so the final value appears exactly at the last beat."""
    a[-1] = a[-1] or 1
    b[-1] = b[-1] or 1


@cocotb.test()
async def random_vectors(dut: Any) -> None:
    """Random INT8 dot products of several lengths."""
    await _start(dut)
    rng = np.random.default_rng(7)
    for k in (1, 5, 16, 40):
        a, b = rng.integers(-128, 128, k), rng.integers(-128, 128, k)
        _nonzero_last(a, b)
        await _run(dut, "random_vectors", a, b)


@cocotb.test()
async def corners(dut: Any) -> None:
    """All -128 (wraps the 20-bit accumulator at K=40), all 127, alternating signs."""
    await _start(dut)
    k = 40
    cases = [
        (np.full(k, -128), np.full(k, -128)),
        (np.full(k, 127), np.full(k, 127)),
        (np.full(k, -128), np.full(k, 127)),
        (np.where(np.arange(k) % 2, 127, -128), np.where(np.arange(k) % 2, -128, 127)),
    ]
    for a, b in cases:
        await _run(dut, "corners", a, b)


@cocotb.test()
async def real_minilm(dut: Any) -> None:
    """Rows of real MiniLM INT8 weights against real activations (K = 48 prefix)."""
    await _start(dut)
    sample = load_sample()
    a_q, b_x = sample["a_q0"].astype(np.int64), sample["b_x"].astype(np.int64)
    for row in range(3):
        a, b = a_q[row, :48].copy(), b_x[:48, row].copy()
        _nonzero_last(a, b)
        await _run(dut, "real_minilm", a, b)
