"""Timeline of NPU / PIM activity per sub-batch (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

from sim.core.result import Result


def task_spans(result: Result) -> list[tuple[str, int, int, int]]:
    """(unit, sub_batch, start, end) of every stage's work per unit and sub-batch (NPU ops of a
    stage, or its attention phases)."""
    spans: dict[tuple[str, int, str], list[int]] = {}
    for op in result.ops:
        unit = "pim" if op.unit == "pim" else ("gpu" if op.unit == "gpu" else "npu")
        sb = int(op.detail.get("sub_batch", 0))
        key = (unit, sb, str(op.detail.get("stage", op.name)))
        if key not in spans:
            spans[key] = [op.start, op.end]
        else:
            span = spans[key]
            span[0], span[1] = min(span[0], op.start), max(span[1], op.end)
    return sorted(((unit, sb, s[0], s[1]) for (unit, sb, _), s in spans.items()),
                  key=lambda x: (x[2], x[0]))


def plot_timeline(result: Result, path: str | Path, max_cycles: int | None = None) -> Path:
    """Draw one lane per (unit, sub-batch); bars are NPU segments and PIM attention phases."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spans = task_spans(result)
    lanes = sorted({(u, sb) for u, sb, _, _ in spans})
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    fig, ax = plt.subplots(figsize=(10, 1 + 0.5 * len(lanes)))
    for row, (unit, sb) in enumerate(lanes):
        bars = [(s, e - s) for u, b, s, e in spans if (u, b) == (unit, sb)
                and (max_cycles is None or s < max_cycles)]
        ax.broken_barh(bars, (row - 0.4, 0.8), color=colours[sb % len(colours)],
                       alpha=0.9 if unit == "npu" else 0.6)
    ax.set_yticks(range(len(lanes)), [f"{u} sb{sb}" for u, sb in lanes])
    ax.set_xlabel(f"cycles ({result.clock} clock)")
    if max_cycles is not None:
        ax.set_xlim(0, max_cycles)
    ax.set_title(f"{result.name}: NPU / PIM overlap per sub-batch")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out
