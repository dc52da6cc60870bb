"""Our cycles beside the NeuPIMs simulator's, on its own request traces (GPT-3 7B, TP 4).

``python -m sim.models.npu_pim.compare [REPO_DIR] [OUT_DIR]`` runs NeuPIMs (sub-batching off and
on), naive NPU+PIM, NPU-only and the GPU baseline on the two shipped reference workloads
(``workloads/neupims-7b-bs{64,256}.yaml``: their request CSVs and the shipped ``arch/`` presets),
prints a markdown report and writes it to ``OUT_DIR/neupims_sim_comparison.md`` (default
``reports/npu_pim``). The reference numbers come from :mod:`sim.models.npu_pim.reference`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.core.result import Result
from sim.models.npu_pim.arch import NpuPimArch
from sim.models.npu_pim.model import NpuPimModel
from sim.models.npu_pim.reference import PAPER_SPEEDUPS, SIMULATOR_RUNS, SimulatorRun
from sim.models.npu_pim.table import publish
from sim.models.npu_pim.workload import llm_decode
from sim.spec.yamlio import load_yaml

BATCHES = (64, 256)
LABELS = {("neupims", False): "NeuPIMs, sub-batch off", ("neupims", True): "NeuPIMs, sub-batch on",
          ("naive_pim", False): "naive NPU+PIM", ("npu", False): "NPU-only"}


@dataclass
class Ours:
    """Our run of one reference configuration: per-layer cycles, steady layer, stages."""

    run: Result
    layers: int

    @property
    def per_layer(self) -> float:
        """Total cycles / simulated layers (the reference's ``cycles_per_layer_avg``)."""
        return self.run.cycles / self.layers

    def stage(self, name: str) -> tuple[float, float]:
        """(cycles, mean per-channel PIM busy) of stage ``name`` (A/B/E of layer 0, or A..F)."""
        m = self.run.metrics
        return m[f"stage.{name}.cycles"], m[f"stage.{name}.pim_busy_mean"]


def load_arch(repo: Path, system: str, **fields: Any) -> NpuPimArch:
    """A shipped preset (``arch/npu_pim_<system>.yaml``) with top-level overrides."""
    data = load_yaml(repo / "arch" / f"npu_pim_{system}.yaml").data
    return NpuPimArch.model_validate({**data, **fields})


def run_reference(repo: Path, ref: SimulatorRun) -> Ours:
    """Our model on the reference run's trace and system."""
    csv = repo / "workloads" / "traces" / f"neupims-sharegpt-7b-tp4-bs{ref.batch}-clb.csv"
    trace = llm_decode("gpt3-7b", ref.batch, requests=str(csv), tp=4, layers=ref.layers)
    fields: dict[str, Any] = {}
    if ref.system == "neupims":
        fields = {"sub_batches": 2 if ref.sub_batched else 1}
    return Ours(NpuPimModel(load_arch(repo, ref.system, **fields)).run(trace, 0), ref.layers)


def _pct(ours: float, ref: float) -> str:
    return f"{100 * (ours / ref - 1):+.1f} %" if ref else "-"


def stage_table(ref: SimulatorRun, ours: Ours) -> list[str]:
    """Rows: stage, cycles (ours / reference / error), PIM busy per channel (ours / ref)."""
    rows = []
    for name, (cycles, busy) in ref.stages.items():
        c, b = ours.stage(name)
        busy_cell = f"{b:,.0f} / {busy:,} ({_pct(b, busy)})" if busy else "-"
        rows.append(f"| {name} | {c:,.0f} | {cycles:,} | {_pct(c, cycles)} | {busy_cell} |")
    return rows


def baseline_per_layer(repo: Path, batch: int, system: str, **fields: Any) -> float:
    """A baseline's cycles per layer on the same trace (1 GHz cycles): the GPU preset, or
    NPU-only with another attention mapping."""
    csv = repo / "workloads" / "traces" / f"neupims-sharegpt-7b-tp4-bs{batch}-clb.csv"
    trace = llm_decode("gpt3-7b", batch, requests=str(csv), tp=4, layers=1)
    return NpuPimModel(load_arch(repo, system, **fields)).run(trace, 0).cycles


def report(repo: Path) -> str:
    """The full comparison as markdown."""
    ours = {(r.system, r.batch, r.sub_batched): run_reference(repo, r) for r in SIMULATOR_RUNS}
    refs = {(r.system, r.batch, r.sub_batched): r for r in SIMULATOR_RUNS}
    lines = ["# npu_pim vs the NeuPIMs simulator (GPT-3 7B, TP 4, ShareGPT reference traces)", "",
             "Command: `python -m sim.models.npu_pim.compare`. Cycles are 1 GHz NPU cycles of one "
             "decoder layer of one device; the reference is the public NeuPIMs simulator run on "
             "the same request traces (`workloads/neupims-7b-bs{64,256}.yaml`).", "",
             "## Cycles per layer", "",
             "| batch | system | ours | NeuPIMs simulator | error |", "|---|---|---|---|---|"]
    for (system, batch, sub), ref in refs.items():
        o = ours[(system, batch, sub)]
        lines.append(f"| {batch} | {LABELS[(system, sub)]} | {o.per_layer:,.0f} | "
                     f"{ref.cycles_per_layer:,.0f} | {_pct(o.per_layer, ref.cycles_per_layer)} |")
        if ref.steady_layer:
            steady = o.stage("C")[0] + o.stage("D")[0]
            lines.append(f"| {batch} | {LABELS[(system, sub)]}, steady state (C + D) | "
                         f"{steady:,.0f} | {ref.steady_layer:,} | "
                         f"{_pct(steady, ref.steady_layer)} |")
    lines += ["", "## Stages", "",
              "A = layernorm + QKV (NPU), B = attention (PIM; NPU-only: on the NPU), E = "
              "projection, residuals, layernorm, FFN (NPU); pipelined: A..F over two layers. "
              "PIM busy = mean per-channel cycles with PIM work.", ""]
    for (system, batch, sub), ref in refs.items():
        lines += [f"### {LABELS[(system, sub)]}, batch {batch}", "",
                  "| stage | ours | NeuPIMs simulator | error | PIM busy per channel, ours / "
                  "reference |", "|---|---|---|---|---|"]
        lines += [*stage_table(ref, ours[system, batch, sub]), ""]
    lines += ["## Speed-ups of NeuPIMs", "",
              "NeuPIMs runs with sub-batching where the NeuPIMs code enables it (batch >= 256). "
              "The GPU baseline is the `a100-40gb` preset (312 TFLOP/s, 1,555 GB/s, 80 % / 85 % "
              "efficiency caps, 5 us per kernel launch, one batched attention kernel); the "
              "NeuPIMs simulator has no GPU model.", "",
              "| batch | vs | ours | NeuPIMs simulator | paper (all models and batches) |",
              "|---|---|---|---|---|"]
    for batch in BATCHES:
        sub = batch >= 256
        neu = ours[("neupims", batch, sub)].per_layer
        ref_neu = refs[("neupims", batch, sub)].cycles_per_layer
        for base in ("npu", "naive_pim"):
            speedup = ours[(base, batch, False)].per_layer / neu
            ref_speedup = refs[(base, batch, False)].cycles_per_layer / ref_neu
            lines.append(f"| {batch} | {LABELS[(base, False)]} | {speedup:.2f}x | "
                         f"{ref_speedup:.2f}x | {PAPER_SPEEDUPS[base]:.1f}x |")
        stream = baseline_per_layer(repo, batch, "npu", npu={
            **load_yaml(repo / "arch" / "npu_pim_npu.yaml").data["npu"], "attention": "kv_stream"})
        lines.append(f"| {batch} | NPU-only, `kv_stream` attention (ideal bound) | "
                     f"{stream / neu:.2f}x | - | {PAPER_SPEEDUPS['npu']:.1f}x |")
        lines.append(f"| {batch} | GPU (A100-40GB) | "
                     f"{baseline_per_layer(repo, batch, 'gpu') / neu:.2f}x | - | "
                     f"{PAPER_SPEEDUPS['gpu']:.1f}x |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the report and write ``OUT_DIR/neupims_sim_comparison.md``."""
    args = sys.argv[1:] if argv is None else argv
    repo = Path(args[0]) if args else Path(".")
    out_dir = Path(args[1]) if len(args) > 1 else Path("reports") / "npu_pim"
    publish(report(repo), out_dir / "neupims_sim_comparison.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
