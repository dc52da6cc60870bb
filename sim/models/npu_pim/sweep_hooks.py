"""The ``npu_pim`` family's additions to sweep reports (``sim.family``).

Figures: tokens/s and the NPU / PIM busy shares against the batch size, one colour per system.
References: NeuPIMs' published speed-ups (3x GPU-only, 2.4x NPU-only, 1.6x naive NPU+PIM) beside
the mean speed-up of the sweep's NeuPIMs-style points over the baseline points that share every
other varied parameter. A sweep that does not vary ``arch.system`` gets the published numbers
with no simulated value.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from sim.family import PointData, Reference, SweepData, matched_ratios
from sim.models.npu_pim.reference import PAPER_SPEEDUPS as PUBLISHED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FAMILY = "npu_pim"
SYSTEM = "arch.system"
SOURCE = "NeuPIMs (ASPLOS 2024)"
# The naive baseline models blocked mode, so its PIM fields differ from NeuPIMs' by definition;
# they are left out when matching it with a NeuPIMs-style point.
PIM_COUPLED = ("arch.memory.pim.row_buffers", "arch.memory.pim.fused_comps_readres",
               "arch.memory.pim.channel_mapping", "arch.memory.pim.issue_order",
               "arch.memory.pim.issue_queues")


def _batch(point: PointData) -> float:
    """The point's batch size (requests)."""
    return float(point.params.get("trace.batch", point.metrics.get("batch", 0.0)))


def _system(point: PointData) -> str:
    return str(point.params.get(SYSTEM, "as in the arch file"))


def figures(data: SweepData) -> list[tuple[str, Figure]]:
    """Tokens/s and NPU/PIM busy shares vs batch, coloured by system."""
    import matplotlib.pyplot as plt

    points = data.of_family(FAMILY)
    by_system: dict[str, list[PointData]] = defaultdict(list)
    for p in points:
        by_system[_system(p)].append(p)
    fig, (tput, busy) = plt.subplots(1, 2, figsize=(12, 4.2))
    for i, (system, group) in enumerate(sorted(by_system.items())):
        colour = plt.get_cmap("tab10")(i % 10)
        xs = [_batch(p) for p in group]
        tput.scatter(xs, [p.metrics.get("tokens_per_s", float("nan")) for p in group], s=14,
                     alpha=0.6, color=colour, label=system)
        if any("npu_mac_utilisation" in p.metrics for p in group):
            busy.scatter(xs, [p.metrics.get("npu_mac_utilisation", float("nan")) for p in group],
                         s=14, alpha=0.6, color=colour, marker="o", label=f"{system}: NPU MACs")
        if any(p.metrics.get("pim_channel_busy", 0.0) > 0 for p in group):
            busy.scatter(xs, [p.metrics.get("pim_channel_busy", 0.0) for p in group], s=18,
                         alpha=0.6, color=colour, marker="x", label=f"{system}: PIM channels")
    tput.set(xlabel="batch (requests)", ylabel="tokens/s per device", title="Decode throughput")
    busy.set(xlabel="batch (requests)", ylabel="busy share of the step", ylim=(0, 1.05),
             title="NPU MAC utilisation and PIM channel busy share")
    batches = sorted({_batch(p) for p in points})
    for ax in (tput, busy):
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, [f"{b:g}" for b in batches])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{data.name}: NPU-PIM decode step")
    fig.tight_layout()
    return [("decode", fig)]


def speedups(data: SweepData, baseline: str) -> list[float]:
    """NeuPIMs-style tokens/s over ``baseline``'s, for every pair of points that agree on every
    other varied parameter (PIM fields excepted for the naive baseline)."""
    def side(p: PointData) -> str | None:
        system = _system(p) if p.family == FAMILY else ""
        return "num" if system == "neupims" else "den" if system == baseline else None

    skip = PIM_COUPLED if baseline == "naive_pim" else ()
    return matched_ratios(data, side, "tokens_per_s", (SYSTEM, *skip))


def references(data: SweepData) -> list[Reference]:
    """Published speed-ups beside the sweep's mean over matched design groups."""
    out = []
    for baseline, published in PUBLISHED.items():
        ratios = speedups(data, baseline)
        note = (f"mean of {len(ratios)} matched NeuPIMs-style / {baseline} pairs of this sweep; "
                "the paper's models, batches and hardware may differ" if ratios else
                f"not simulated: vary {SYSTEM} over neupims and {baseline} to compare"
                + (" (naive_pim needs arch.memory.pim.row_buffers = 1)"
                   if baseline == "naive_pim" else ""))
        out.append(Reference(f"NeuPIMs-style vs {baseline}", "speed-up (tokens/s)", published,
                             "x", SOURCE, sum(ratios) / len(ratios) if ratios else None, note))
    return out
