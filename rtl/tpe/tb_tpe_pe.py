"""cocotb bench of rtl/tpe/tpe_pe.sv (MAC and OPT1 PEs at 32 and 20 bits) vs sim.models.tpe.

Each test streams K operand pairs (one per clock) into all four PEs from a cleared state and reads
every PE's value after every edge; the whole trajectory must equal ``designs.pe_trajectory`` (so
latency is checked edge by edge), the OPT1 value is (sum + carry) mod 2^W, and the final value
must equal the golden ``arith.mac_gemm``/``arith.carry_save_gemm``. One JSON line per GEMM goes to
$SIM_RTL_REPORT with the RTL and model cycle counts.
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np
import tpe_bench
from cocotb.triggers import FallingEdge

from sim.models.tpe import arith
from sim.models.tpe.designs import pe_cycles, pe_trajectory

W1, W2 = 32, 20
EXTRA = 3
# PE -> (its value: the output signals summed, width)
PES = {"mac": (("mac_acc",), W1), "opt1": (("opt1_sum", "opt1_carry"), W1),
       "mac_n": (("mac_acc_n",), W2), "opt1_n": (("opt1_sum_n", "opt1_carry_n"), W2)}


async def _run(dut: Any, name: str, a: np.ndarray, b: np.ndarray) -> None:
    """Stream one dot product, check trajectories of the four PEs and record cycles."""
    k = a.size
    await FallingEdge(dut.clk)
    dut.clr.value = 1
    dut.vld.value = 0
    await FallingEdge(dut.clk)
    dut.clr.value = 0
    await FallingEdge(dut.clk)  # clear has settled; the first beat is sampled at the next edge
    seen: dict[str, list[int]] = {pe: [] for pe in PES}
    beats = [{"a": int(a[i]) & 0xFF, "b": int(b[i]) & 0xFF} for i in range(k)]
    async for _ in tpe_bench.stream(dut, beats, "vld", EXTRA):
        for pe, (signals, width) in PES.items():
            seen[pe].append(tpe_bench.signed(sum(tpe_bench.flag(dut, s) for s in signals), width))
    for pe, (_, width) in PES.items():
        want = pe_trajectory(a, b, width, k + EXTRA)
        golden = int(arith.mac_gemm(a[None, :], b[:, None], width)[0, 0])
        got = seen[pe]
        # RTL cycles: the first edge after which the value is final and never changes again
        rtl = next(e for e in range(len(got), 0, -1)
                   if e == 1 or got[e - 2] != got[-1]) if got[-1] == golden else -1
        tpe_bench.check(name, pe, f"K={k}", rtl, pe_cycles(k),
                        ("model trajectory", got, want), ("golden", got[-1], golden), pe=pe)


async def _start(dut: Any) -> None:
    await tpe_bench.start(dut, 1, clr=1, vld=0, a=0, b=0)


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
    for row in range(3):
        a, b = tpe_bench.minilm(row, slice(0, 48), row)
        _nonzero_last(a, b)
        await _run(dut, "real_minilm", a, b)
