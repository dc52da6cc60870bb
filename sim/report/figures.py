"""Matplotlib figures of one run (Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sim.core.result import Result

matplotlib.rcParams["text.parse_math"] = False  # names are user text: '$' is not mathtext

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
