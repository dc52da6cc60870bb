"""Matplotlib figures of one run (Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sim.core.result import Result

MAX_BARS = 40


def summary_figure(result: Result, path: Path) -> None:
    """Cycles and energy per op (largest ``MAX_BARS`` ops) and energy per component."""
    ops = sorted(result.ops, key=lambda o: -o.cycles)[:MAX_BARS]
    names = [o.name for o in ops]
    fig, axes = plt.subplots(1, 3, figsize=(15, max(3.5, 0.25 * len(ops) + 1.5)))
    axes[0].barh(names, [o.cycles for o in ops], color="tab:blue")
    axes[0].set_xlabel("cycles")
    axes[0].set_title("cycles per op")
    axes[0].invert_yaxis()
    axes[1].barh(names, [result.op_energy_pj(o) / 1e6 for o in ops], color="tab:orange")
    axes[1].set_xlabel("energy (uJ)")
    axes[1].set_title("energy per op")
    axes[1].invert_yaxis()
    axes[1].set_yticklabels([])
    by_component = _energy_by_component(result)
    axes[2].barh(list(by_component), [v / 1e6 for v in by_component.values()], color="tab:green")
    axes[2].set_xlabel("energy (uJ)")
    axes[2].set_title("energy per component and action")
    axes[2].invert_yaxis()
    fig.suptitle(f"{result.name}: {result.cycles:,} cycles, "
                 f"{result.metrics.get('energy_pj', 0.0) / 1e6:,.3f} uJ")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def _energy_by_component(result: Result) -> dict[str, float]:
    energy: dict[str, float] = result.costing.get("energy_pj", {})
    return dict(sorted(energy.items(), key=lambda kv: -kv[1]))


def timeline_figure(result: Result, path: Path) -> None:
    """Per-op timeline (Gantt, in trace order): each op's span from start to end cycle, split
    into its compute cycles and its memory-stall cycles (stalls drawn after the compute part:
    the split is per op, not where in the op the stalls fell)."""
    ops = result.ops[:MAX_BARS * 5]
    fig, ax = plt.subplots(figsize=(12, max(3.0, 0.18 * len(ops) + 1.5)))
    names = [o.name for o in ops]
    compute = [int(o.detail.get("compute_cycles", o.cycles)) for o in ops]
    stall = [int(o.detail.get("stall_cycles", 0)) for o in ops]
    starts = [o.start for o in ops]
    ax.barh(names, compute, left=starts, color="tab:blue", label="compute")
    ax.barh(names, stall, left=[s + c for s, c in zip(starts, compute, strict=True)],
            color="tab:red", label="memory stall")
    ax.invert_yaxis()
    ax.set_xlabel("cycle")
    ax.legend(loc="lower right")
    ax.set_title(f"{result.name}: per-op timeline ({sum(stall):,} of {result.cycles:,} cycles "
                 "stalled)")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
