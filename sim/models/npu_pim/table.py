"""Throughput of the four systems over models x batches, and the averaged speed-up ratios.

Published NeuPIMs ratios (reference section 1) are shown beside ours as targets; they are never
used as outputs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.core.result import Result
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.model import NpuPimModel
from sim.models.npu_pim.reference import PAPER_SPEEDUPS as PUBLISHED
from sim.models.npu_pim.workload import llm_decode

SYSTEMS = ("gpu", "npu", "naive_pim", "neupims")


@dataclass
class Row:
    """Tokens/s of each system for one (model, batch)."""

    model: str
    batch: int
    tokens_per_s: dict[str, float]


def system_arch(system: str, base: dict[str, object], timing: str) -> NpuPimArch:
    """The arch of ``system`` from a common base mapping (row buffers, fusion, channel mapping
    and PIM issue path per system, as the shipped presets)."""
    data = {**base, "system": system}
    npu = {**dict(base.get("npu", {})), "timing": timing}  # type: ignore[call-overload]
    pim = {"row_buffers": 1 if system == "naive_pim" else 2,
           "fused_comps_readres": system == "neupims",
           "fused_release": "issue",
           "channel_mapping": "clb" if system == "neupims" else "rr",
           "issue_order": "channel",
           "issue_queues": "per_channel" if system == "neupims" else "shared"}
    data["npu"] = npu
    data["memory"] = {"pim": pim}
    return NpuPimArch.model_validate(data)


def throughput_table(models: tuple[str, ...], batches: tuple[int, ...], timing: str = "onnxim",
                     requests: str = "sharegpt", seed: int = 0,
                     layers: int | None = None) -> list[Row]:
    """Run every system on the same llm_decode trace per (model, batch)."""
    base: dict[str, object] = {"version": 1, "family": "npu_pim"}
    rows = []
    for model in models:
        for batch in batches:
            trace = llm_decode(model, batch, requests=requests, seed=seed, layers=layers)
            tps = {s: NpuPimModel(system_arch(s, base, timing)).run(trace, seed)
                   .metrics["tokens_per_s"] for s in SYSTEMS}
            rows.append(Row(model, batch, tps))
    return rows


def mean_ratios(rows: list[Row]) -> dict[str, float]:
    """Arithmetic mean over rows of NeuPIMs tokens/s divided by each baseline's."""
    return {s: float(np.mean([r.tokens_per_s["neupims"] / r.tokens_per_s[s] for r in rows]))
            for s in PUBLISHED}


def format_table(rows: list[Row]) -> str:
    """Markdown table of tokens/s and the averaged ratios beside the published ones."""
    head = "| model | batch | " + " | ".join(SYSTEMS) + " | vs gpu | vs npu | vs naive |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        t = r.tokens_per_s
        ratios = " | ".join(f"{t['neupims'] / t[s]:.2f}" for s in PUBLISHED)
        lines.append(f"| {r.model} | {r.batch} | " + " | ".join(f"{t[s]:.0f}" for s in SYSTEMS)
                     + f" | {ratios} |")
    mean = mean_ratios(rows)
    lines.append("")
    lines.append("| NeuPIMs-style vs | ours (mean) | published | ours / published |")
    lines.append("|---|---|---|---|")
    for s, pub in PUBLISHED.items():
        lines.append(f"| {s} | {mean[s]:.2f}x | {pub:.1f}x | {mean[s] / pub:.2f} |")
    return "\n".join(lines)


def energy_per_token(result: Result, node_nm: int = 28) -> dict[str, float]:
    """Energy per generated token (J) by component: the trace's ledger x the tech tables,
    scaled to the whole model (TP devices, all layers) and divided by the batch."""
    from sim.tech.costing import cost
    from sim.tech.table import load_tables

    costing = cost(result, load_tables(node_nm))
    scale = result.metrics["energy_scale_per_token"] * 1e-12
    out = {k: v * scale for k, v in sorted(costing.energy_by_component().items())}
    out["total"] = sum(out.values())
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.models.npu_pim.table [OUT_DIR]``: GPT-3 7B-175B at batch 64-512 on the
    four systems; prints the table, writes ``OUT_DIR/throughput.md`` (default reports/npu_pim)."""
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else Path("reports") / "npu_pim"
    rows = throughput_table(("gpt3-7b", "gpt3-13b", "gpt3-30b", "gpt3-175b"), (64, 128, 256, 512))
    text = ("# NeuPIMs-style vs baselines: tokens/s per device, one decode iteration\n\n"
            "ShareGPT-like context lengths, seed 0, `onnxim` array timing, 28 nm. NPU-only runs "
            "attention per request on the arrays; the GPU is the `a100-40gb` preset (312 TFLOP/s, "
            "1,555 GB/s, 80 % / 85 % caps, 5 us per kernel launch, one batched attention kernel). "
            "Published ratios (NeuPIMs, ASPLOS 2024) are targets shown beside ours.\n\n"
            + format_table(rows) + "\n")
    publish(text, out_dir / "throughput.md")
    return 0


def publish(text: str, path: Path) -> None:
    """Write a markdown report (creating its folder) and print it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    raise SystemExit(main())
