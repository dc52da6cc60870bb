"""Memory-in-the-loop experiments of the systolic family, written to ``reports/systolic/``.

``python -m sim.models.systolic.experiments [out_dir]`` writes

* ``memory_modes.md``: every shipped systolic workload (``workloads/*`` whose arch is a
  systolic array) under each dataflow with memory ``fast`` and ``event``: total cycles, stall
  cycles, the fast mode's error against the event mode, and the wall time of each;
* ``resnet18_ws_os.md``: WS vs OS on ResNet-18 (six layers and the whole network), compute-only
  and with DRAM in the loop, beside SCALE-Sim v3's published 21 % and 30.1 % (arXiv 2504.15377)
  and SCALE-Sim 3.0.0's own figures (:mod:`sim.models.systolic.resnet18`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.core.result import Result
from sim.models.systolic.model import SystolicArch, SystolicModel
from sim.models.systolic.resnet18 import resnet18_text
from sim.spec.yamlio import load_yaml
from sim.workload.load import load_trace_file
from sim.workload.trace import Trace

REPO = Path(__file__).resolve().parents[3]
SHIPPED = ("quickstart.yaml", "minilm-l6-systolic.yaml", "resnet-50-convs-systolic.yaml",
           "silero-vad-systolic.yaml",
           "gpt3-13b-decode-int8-systolic.yaml")


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
