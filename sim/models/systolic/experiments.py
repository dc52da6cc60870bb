"""Memory-in-the-loop experiments of the systolic family, written to ``reports/systolic/``.

``python -m sim.models.systolic.experiments [out_dir]`` writes

* ``memory_modes.md``: every shipped systolic workload (``workloads/*`` whose arch is a
  systolic array) under each dataflow with memory ``fast`` and ``event``: total cycles, stall
  cycles, the fast mode's error against the event mode, and the wall time of each;
* ``resnet18_ws_os.md``: WS vs OS on six ResNet-18 layers, compute-only and with DRAM in the
  loop, beside SCALE-Sim v3's published 21 % and 30.1 % (arXiv 2504.15377).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.core.result import Result
from sim.models.systolic.model import SystolicArch, SystolicModel
from sim.spec.yamlio import load_yaml
from sim.workload.load import load_trace_file
from sim.workload.trace import Trace

REPO = Path(__file__).resolve().parents[3]
SHIPPED = ("quickstart.yaml", "minilm-l6-systolic.yaml", "resnet-50-convs-systolic.yaml",
           "silero-vad-systolic.yaml",
           "gpt3-13b-decode-int8-systolic.yaml")
PUBLISHED_WS_COMPUTE_SAVING = 0.21
"""SCALE-Sim v2 (as quoted by the v3 paper): WS needs 21 % fewer compute cycles than OS."""
PUBLISHED_OS_TOTAL_SAVING = 0.301
"""SCALE-Sim v3 with Ramulator: OS needs 30.1 % fewer total cycles than WS."""


def _plain(data: Any) -> Any:
    """A YAML document as plain dicts / lists (strict pydantic wants real containers)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def shipped_workload(name: str) -> tuple[dict[str, Any], Trace]:
    """(arch fields, trace) of a shipped systolic workload file."""
    path = REPO / "workloads" / name
    spec = _plain(load_yaml(path).data)
    arch = _plain(load_yaml((path.parent / spec["arch"]).resolve()).data)
    trace = spec["trace"]
    if isinstance(trace, str):
        return arch, load_trace_file((path.parent / trace).resolve())
    return arch, Trace.model_validate(trace)


def simulate(arch: dict[str, Any], trace: Trace, **fields: Any) -> tuple[Result, float]:
    """Run ``trace`` on ``arch`` with top-level field overrides; (result, wall seconds)."""
    model = SystolicModel(SystolicArch.model_validate({**arch, **fields}))
    start = time.perf_counter()
    result = model.run(trace, seed=0)
    return result, time.perf_counter() - start


@dataclass(frozen=True)
class ModeRow:
    """One workload x dataflow in fast and event mode."""

    workload: str
    dataflow: str
    ideal: int
    fast: int
    event: int
    fast_s: float
    event_s: float
    worst_op_error: float

    @property
    def error(self) -> float:
        """(fast - event) / event over the whole workload."""
        return (self.fast - self.event) / self.event


def memory_modes(memory: dict[str, Any] | None = None) -> list[ModeRow]:
    """Fast vs event on every shipped systolic workload and dataflow."""
    rows = []
    for name in SHIPPED:
        arch, trace = shipped_workload(name)
        for dataflow in ("WS", "OS", "IS"):
            ideal, _ = simulate(arch, trace, dataflow=dataflow)
            out = {}
            for mode in ("fast", "event"):
                out[mode] = simulate(arch, trace, dataflow=dataflow,
                                     memory={**(memory or {}), "mode": mode})
            fast, event = out["fast"][0], out["event"][0]
            worst = max(abs(f.cycles - e.cycles) / e.cycles
                        for f, e in zip(fast.ops, event.ops, strict=True))
            rows.append(ModeRow(name, dataflow, ideal.cycles, fast.cycles, event.cycles,
                                out["fast"][1], out["event"][1], worst))
    return rows


STARVED: dict[str, Any] = {"bandwidth_gbs": 8.0}
"""A starved DRAM for the second table: 8 GB/s instead of the preset's 256 GB/s."""


def memory_modes_text(rows: list[ModeRow], starved: list[ModeRow]) -> str:
    """Markdown tables of :func:`memory_modes` at the preset's bandwidth and starved."""
    lines = ["# Memory in the loop: fast (analytic) vs event (controller replay)", "",
             "Command: `python -m sim.models.systolic.experiments`. Each shipped systolic "
             "workload on its own arch (16x16, 3 x 128 KiB SRAM, memory preset "
             "`dramsim3_hbm2_8ch`), every dataflow. Error = (fast - event) / event of the "
             "total cycles; worst op = largest per-op error. First at the preset's 256 GB/s, "
             "then starved at 8 GB/s.", ""]
    for title, table in (("256 GB/s", rows), ("8 GB/s", starved)):
        lines += [f"## {title}", "", *_mode_table(table), ""]
    return "\n".join(lines)


def _mode_table(rows: list[ModeRow]) -> list[str]:
    lines = ["| workload | dataflow | ideal cycles | event cycles | fast cycles | error | "
             "worst op | event s | fast s |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.workload} | {r.dataflow} | {r.ideal:,} | {r.event:,} | {r.fast:,} | "
                     f"{r.error:+.2%} | {r.worst_op_error:.2%} | {r.event_s:.3f} | "
                     f"{r.fast_s:.3f} |")
    worst = max(abs(r.error) for r in rows)
    worst_op = max(r.worst_op_error for r in rows)
    return [*lines, "", f"Largest whole-workload error: {worst:.2%}; largest per-op error: "
            f"{worst_op:.2%}."]


RESNET18_LAYERS: tuple[dict[str, Any], ...] = (
    # ResNet-18 at 224 x 224: the stem, one 3x3 conv of each stage, and the classifier.
    {"name": "conv1", "kind": "conv2d", "in_ch": 3, "in_h": 224, "in_w": 224, "out_ch": 64,
     "kernel_h": 7, "kernel_w": 7, "stride": 2, "padding": 3},
    {"name": "layer1_conv", "kind": "conv2d", "in_ch": 64, "in_h": 56, "in_w": 56, "out_ch": 64,
     "kernel_h": 3, "kernel_w": 3, "stride": 1, "padding": 1},
    {"name": "layer2_conv", "kind": "conv2d", "in_ch": 128, "in_h": 28, "in_w": 28, "out_ch": 128,
     "kernel_h": 3, "kernel_w": 3, "stride": 1, "padding": 1},
    {"name": "layer3_conv", "kind": "conv2d", "in_ch": 256, "in_h": 14, "in_w": 14, "out_ch": 256,
     "kernel_h": 3, "kernel_w": 3, "stride": 1, "padding": 1},
    {"name": "layer4_conv", "kind": "conv2d", "in_ch": 512, "in_h": 7, "in_w": 7, "out_ch": 512,
     "kernel_h": 3, "kernel_w": 3, "stride": 1, "padding": 1},
    {"name": "fc", "kind": "gemm", "m": 1, "n": 1000, "k": 512},
)
RESNET18_ARCH: dict[str, Any] = {
    # SCALE-Sim v3's configs/google.cfg: a 256 x 256 array, 6 MiB ifmap and filter SRAMs,
    # 2 MiB ofmap SRAM, 10 bytes per cycle of DRAM interface bandwidth.
    "version": 1, "family": "systolic", "rows": 256, "cols": 256, "freq_mhz": 1000.0,
    "sram": {"a_kib": 6144, "b_kib": 6144, "c_kib": 2048},
}
RESNET18_MEMORY: dict[str, Any] = {"preset": "dramsim3_hbm2_8ch", "bandwidth_gbs": 10.0}


def resnet18_trace() -> Trace:
    """The six ResNet-18 layers as one trace."""
    return Trace.model_validate({"version": 1, "name": "resnet18-six-layers",
                                 "ops": list(RESNET18_LAYERS)})


GRID_SRAM_KIB = (6144, 512, 64)
"""A and B buffer sizes of the grid (KiB); C is a third of that (google.cfg: 6144 / 2048)."""
GRID_BANDWIDTH_GBS = (10.0, 40.0, 160.0)


def resnet18_ws_os(sram_kib: int = 6144, bandwidth_gbs: float = 10.0,
                   mode: str = "event") -> dict[str, dict[str, int]]:
    """Per dataflow: compute cycles (ideal memory) and total cycles with DRAM in the loop."""
    trace = resnet18_trace()
    arch = {**RESNET18_ARCH, "sram": {"a_kib": sram_kib, "b_kib": sram_kib,
                                      "c_kib": sram_kib // 3}}
    memory = {**RESNET18_MEMORY, "bandwidth_gbs": bandwidth_gbs, "mode": mode}
    out = {}
    for label, fields in (("WS", {"dataflow": "WS"}), ("OS", {"dataflow": "OS"}),
                          ("OS overlapped drain", {"dataflow": "OS", "os_drain": "overlapped"})):
        ideal, _ = simulate(arch, trace, **fields)
        mem, _ = simulate(arch, trace, memory=memory, **fields)
        out[label] = {"compute": ideal.cycles, "total": mem.cycles}
    return out


def _savings(res: dict[str, dict[str, int]], os_label: str = "OS") -> tuple[float, float]:
    """(WS saving in compute cycles vs OS, OS saving in total cycles vs WS)."""
    ws, os_ = res["WS"], res[os_label]
    return 1 - ws["compute"] / os_["compute"], 1 - os_["total"] / ws["total"]


def resnet18_text() -> str:
    """Markdown report: the google.cfg setting beside the published figures, then a grid of
    buffer sizes and bandwidths."""
    res = resnet18_ws_os()
    compute_saving, total_saving = _savings(res)
    compute_ov, total_ov = _savings(res, "OS overlapped drain")
    lines = [
        "# ResNet-18: WS vs OS, compute-only and with DRAM stalls", "",
        "Command: `python -m sim.models.systolic.experiments`. Six ResNet-18 layers (conv1, "
        "one 3x3 conv of each stage, fc) on a 256 x 256 array with SCALE-Sim v3's "
        "`google.cfg` buffers (6 MiB A, 6 MiB B, 2 MiB C) and a 10 GB/s DRAM "
        "(`dramsim3_hbm2_8ch` clocked to 10 GB/s at a 1 GHz array), memory mode `event`.", "",
        "| dataflow | compute cycles | total cycles (DRAM in the loop) | stall cycles |",
        "|---|---:|---:|---:|",
        *(f"| {d} | {r['compute']:,} | {r['total']:,} | {r['total'] - r['compute']:,} |"
          for d, r in res.items()), "",
        "| finding | ours | published (SCALE-Sim v3 paper) |", "|---|---:|---:|",
        f"| WS fewer compute cycles than OS | {compute_saving:.1%} | "
        f"{PUBLISHED_WS_COMPUTE_SAVING:.0%} |",
        f"| OS fewer total cycles than WS | {total_saving:.1%} | "
        f"{PUBLISHED_OS_TOTAL_SAVING:.1%} |",
        f"| WS fewer compute cycles than OS with overlapped drain (SCALE-Sim's OS) | "
        f"{compute_ov:.1%} | {PUBLISHED_WS_COMPUTE_SAVING:.0%} |",
        f"| OS with overlapped drain fewer total cycles than WS | {total_ov:.1%} | "
        f"{PUBLISHED_OS_TOTAL_SAVING:.1%} |", "",
        "## Grid: buffer size x DRAM bandwidth", "",
        "OS is the overlapped-drain OS here (the convention of SCALE-Sim's OS).", "",
        "| A, B buffers (KiB) | C buffer (KiB) | GB/s | WS fewer compute | OS fewer total |",
        "|---:|---:|---:|---:|---:|"]
    for kib in GRID_SRAM_KIB:
        for bw in GRID_BANDWIDTH_GBS:
            comp, total = _savings(resnet18_ws_os(kib, bw), "OS overlapped drain")
            lines.append(f"| {kib} | {kib // 3} | {bw:g} | {comp:.1%} | {total:.1%} |")
    lines += [
        "", "What could not be matched:", "",
        "* the paper does not list its six layers; ours are a stated choice;",
        "* it uses Ramulator DDR4 behind SCALE-Sim's request buffers; we use our HBM "
        "controller clocked to the same 10 bytes per cycle peak;",
        "* our default OS array drains its accumulators after each fold (SCALE-Sim overlaps "
        "the drain), which raises its compute cycles; the overlapped-drain rows use the "
        "shadow-accumulator option instead;",
        "* with the 6 MiB buffers every operand of these layers is resident in our model "
        "(fetched once), so both dataflows move the same bytes and the DRAM-bound totals are "
        "close: the reversal is small or absent at that setting. It grows once "
        "the buffers are small enough that WS spills partial sums and re-fetches its streamed "
        "operand (grid rows 512 and 64 KiB). A likely cause of the difference, not checked: "
        "SCALE-Sim's WS writes partial sums out through its ofmap buffer on every fold.", ""]
    return "\n".join(lines)


def main(out_dir: str = "reports/systolic") -> None:
    """Write both reports into ``out_dir``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    text = memory_modes_text(memory_modes(), memory_modes(STARVED))
    (folder / "memory_modes.md").write_text(text, encoding="utf-8")
    (folder / "resnet18_ws_os.md").write_text(resnet18_text(), encoding="utf-8")
    print(f"wrote {folder}/memory_modes.md, {folder}/resnet18_ws_os.md")


if __name__ == "__main__":
    main(*sys.argv[1:2])
