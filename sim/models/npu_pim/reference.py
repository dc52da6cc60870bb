"""Targets the ``npu_pim`` family is compared with (shown beside its numbers, never output as
its own): the NeuPIMs paper's speed-ups and the NeuPIMs simulator's cycles.

``SIMULATOR_RUNS``: cycles measured by running the public NeuPIMs simulator
(github.com/casys-kaist/NeuPIMs; branches ``main`` = NeuPIMs with dual row buffers, ``npu+pim`` =
naive NPU+PIM with one row buffer, ``npu-only``), GPT-3 7B, TP 4, one decode iteration, on the
ShareGPT request traces shipped as ``workloads/traces/neupims-sharegpt-7b-tp4-bs{64,256}-clb.csv``.
Per run: cycles per layer, the steady-state layer of the pipelined run (stages C + D), and per
stage the cycles and the mean per-channel PIM busy cycles. NPU-only's three spans (before,
during and after attention) are listed as A, B, E.
"""

from __future__ import annotations

from dataclasses import dataclass

PAPER_SPEEDUPS = {"gpu": 3.0, "npu": 2.4, "naive_pim": 1.6}
"""NeuPIMs (ASPLOS 2024) throughput speed-ups of NeuPIMs over GPU-only, NPU-only and naive
NPU+PIM (averaged over its models, batches and datasets)."""


@dataclass(frozen=True)
class SimulatorRun:
    """One NeuPIMs-simulator run: system, batch, sub-batching, per-layer and per-stage cycles."""

    system: str
    batch: int
    sub_batched: bool
    layers: int
    cycles_per_layer: float
    stages: dict[str, tuple[int, int]]
    """stage -> (cycles, mean per-channel PIM busy cycles)."""
    steady_layer: int | None = None


SIMULATOR_RUNS: tuple[SimulatorRun, ...] = (
    SimulatorRun("neupims", 64, False, 1, 178345,
                 {"A": (28396, 0), "B": (63818, 29534), "E": (86131, 0)}),
    SimulatorRun("naive_pim", 64, False, 1, 288283,
                 {"A": (28396, 0), "B": (168255, 34092), "E": (91632, 0)}),
    SimulatorRun("npu", 64, False, 1, 853711,
                 {"A": (30336, 0), "B": (732552, 0), "E": (90823, 0)}),
    SimulatorRun("neupims", 256, False, 1, 363718,
                 {"A": (49338, 0), "B": (159117, 110957), "E": (155263, 0)}),
    SimulatorRun("neupims", 256, True, 2, 322674,
                 {"A": (32765, 0), "B": (101686, 65624), "C": (148834, 49134),
                  "D": (152237, 69045), "E": (113336, 48965), "F": (96490, 0)},
                 steady_layer=301071),
    SimulatorRun("naive_pim", 256, False, 1, 687222,
                 {"A": (49338, 0), "B": (484060, 128497), "E": (153824, 0)}),
    SimulatorRun("npu", 256, False, 1, 3041482,
                 {"A": (54457, 0), "B": (2823063, 0), "E": (163962, 0)}),
)
