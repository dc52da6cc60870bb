"""Build cache and bench runner around ``cocotb_tools.runner`` (Verilator).

One build directory per (kernel, parameter set, source contents):
``<cache>/<kernel>-<params>-<hash>``. A stamp file written after a successful build marks it
complete; a later call with the same hash reuses the Verilator model without running Verilator or
make again (the cocotb Verilator runner itself always re-runs both, whatever ``always`` says).
Every bench run gets its own ``test_dir`` under the build directory, so parallel runs never share
result files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.core.errors import SimError
from sim.core.hashing import bytes_hash, stable_hash
from sim.family import RtlKernel, all_kernels
from sim.rtlcheck.toolchain import format_version, setup_verilator

CACHE_ENV = "SIM_RTL_BUILD_DIR"
RTL_DIR_ENV = "SIM_RTL_DIR"
PARAMS_ENV = "SIM_RTL_PARAMS"
REPORT_ENV = "SIM_RTL_REPORT"
STAMP = "sim-rtl-build.json"

# The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks multi-file C++ builds;
# -O0 cuts the C++ compile (mostly Verilator's runtime: verilated_vpi.cpp takes 12 s at -O1,
# 3.5 s at -O0), which dominates for these small arrays; the benches are VPI-bound anyway.
MAKE_VARS = ("CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0")
# Uninitialised state starts random (not 0) so a design that relies on Verilator's two-state
# zero-initialisation instead of its reset fails; the seed is fixed per run (SIM_RTL_SEED).
BUILD_ARGS = ("-Wall", "-Wno-fatal", "-O3", "--x-assign", "unique", "--x-initial", "unique")
TIMESCALE = ("1ns", "1ps")


def get_kernel(name: str) -> RtlKernel:
    """The kernel ``name`` of whichever installed family declares it; SimError naming the
    accepted kernels otherwise."""
    kernels = all_kernels()
    if name not in kernels:
        raise SimError(f"unknown RTL kernel {name!r}", accepted=", ".join(sorted(kernels)))
    return kernels[name][1]


def kernels_named(name: str) -> list[str]:
    """The cocotb kernels ``name`` stands for: itself, or every kernel in the RTL folder of
    that name (``sc`` -> ``bin_roberts``, ``sc_roberts``): the folder names ``sim rtl synth``
    takes work for ``sim rtl test`` too."""
    kernels = all_kernels()
    if name in kernels:
        return [name]
    inside = sorted(k for k, (_, spec) in kernels.items() if Path(spec.directory).name == name)
    if not inside:
        folders = sorted({Path(spec.directory).name for _, spec in kernels.values()})
        raise SimError(f"unknown RTL kernel {name!r}",
                       accepted=", ".join(sorted(kernels)) + "; or a folder: " + ", ".join(folders))
    return inside


def kernel_dir(kernel: RtlKernel) -> Path:
    """The folder holding a kernel's sources and bench: absolute, or under ``rtl/``."""
    folder = Path(kernel.directory)
    return folder if folder.is_absolute() else rtl_root() / folder


USER_CACHE = Path("~/.cache/accel-sim").expanduser()
"""Build cache when the RTL comes from the installed package's checkout (never written into)."""


def project_rtl(start: Path | None = None) -> Path | None:
    """The ``rtl/`` folder of the project the user is in: ``rtl/`` in the current directory or
    the nearest parent that has one."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "rtl").is_dir():
            return folder / "rtl"
    return None


def package_rtl() -> Path:
    """``rtl/`` beside the installed ``sim`` package (a source checkout, editable install)."""
    return Path(__file__).resolve().parents[2] / "rtl"


def rtl_root() -> Path:
    """The ``rtl/`` folder: $SIM_RTL_DIR (``--rtl-dir``), else the current project's (the
    current directory or a parent holding ``rtl/``), else the installed package's checkout."""
    env = os.environ.get(RTL_DIR_ENV)
    if env:
        if not Path(env).is_dir():
            raise SimError(f"RTL folder {env} not found (from {RTL_DIR_ENV} or --rtl-dir)")
        return Path(env).resolve()
    found = project_rtl() or (package_rtl() if package_rtl().is_dir() else None)
    if found is None:
        raise SimError("RTL sources not found (no rtl/ in the current directory, its parents or "
                       "beside the sim package); run from the project or pass --rtl-dir")
    return found.resolve()


def cache_root() -> Path:
    """Where builds go: $SIM_RTL_BUILD_DIR, else ``build/rtl`` of the project whose ``rtl/`` is
    used; RTL from the installed package's checkout builds under ``~/.cache/accel-sim/rtl``
    (nothing is written into the package's folder)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).resolve()
    return build_base(rtl_root()) / "rtl"


def build_base(rtl: Path) -> Path:
    """``<project>/build`` for a project's ``rtl/``; the user cache for the package's own."""
    if not os.environ.get(RTL_DIR_ENV) and project_rtl() is None and \
            rtl.resolve() == package_rtl().resolve():
        return USER_CACHE
    return rtl.parent / "build"


def _sv_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def build_hash(kernel: RtlKernel, parameters: Mapping[str, Any]) -> str:
    """Hash of everything that changes the built model: params, sources, flags, tool versions."""
    src_dir = kernel_dir(kernel)
    sources = {name: bytes_hash((src_dir / name).read_bytes()) for name in kernel.sources}
    tool = setup_verilator()
    return stable_hash({
        "kernel": kernel.name, "toplevel": kernel.toplevel, "parameters": dict(parameters),
        "sources": sources, "build_args": BUILD_ARGS, "make": MAKE_VARS, "timescale": TIMESCALE,
        "verilator": format_version(tool.version), "verilator_path": str(tool.executable),
        "waves": os.environ.get("WAVES", ""),  # the runner builds with --trace when WAVES=1
    })


def build_dir_for(kernel: RtlKernel, parameters: Mapping[str, Any]) -> Path:
    """``<cache>/<kernel>-<param values>-<hash>``."""
    values = "-".join(str(parameters[k]) for k in sorted(parameters))
    return cache_root() / f"{kernel.name}-{values}-{build_hash(kernel, parameters)}"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _patched_environ(updates: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextlib.contextmanager
def _extra_sys_path(path: Path) -> Iterator[None]:
    """The cocotb runner exports sys.path as PYTHONPATH: make the bench folder importable."""
    entry = str(path)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)


RUNTIME_GLOBS = ("verilated*.o", "verilated*.d")


def _runtime_dir() -> Path:
    """Shared Verilator runtime objects (verilated*.o): identical for every model built with the
    same Verilator and make flags, so they are compiled once and copied into later builds."""
    tool = setup_verilator()
    key = stable_hash({"verilator": format_version(tool.version), "exe": str(tool.executable),
                       "make": MAKE_VARS, "cxx": os.environ.get("CXX") or shutil.which("c++"),
                       "waves": os.environ.get("WAVES", "")})
    return cache_root() / f"_verilated-runtime-{key}"


def _runner(build_dir: Path) -> Any:
    """The cocotb Verilator runner, with cached runtime objects copied in before ``make``.

    Verilated.mk makes the runtime objects depend on the freshly generated ``Vtop.mk``, so the
    copy must happen between the verilator and make steps (plain ``cp``: new file times).
    """
    from cocotb_tools.runner import Verilator as VerilatorRunner

    runtime = _runtime_dir()
    cached = sorted(str(p) for pattern in RUNTIME_GLOBS for p in runtime.glob(pattern))

    class CachedRuntimeVerilator(VerilatorRunner):
        def _build_command(self) -> list[list[str]]:
            cmds: list[list[str]] = super()._build_command()
            if cached and len(cmds) == 2 and cmds[1][:1] == ["make"]:
                cmds.insert(1, ["cp", *cached, str(build_dir)])
            return cmds

    return CachedRuntimeVerilator()


def _save_runtime(build_dir: Path) -> None:
    runtime = _runtime_dir()
    if runtime.is_dir():
        return
    with _file_lock(runtime.with_name(runtime.name + ".lock")):
        if runtime.is_dir():
            return
        staging = runtime.with_name(f"{runtime.name}.tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for pattern in RUNTIME_GLOBS:
            for item in build_dir.glob(pattern):
                shutil.copy2(item, staging / item.name)
        staging.rename(runtime)


@dataclass
class BuildInfo:
    """A built model: where it is, whether this call built it, and how long that took."""

    build_dir: Path
    built: bool
    seconds: float


def build(kernel_name: str, parameters: Mapping[str, Any]) -> BuildInfo:
    """Build (or reuse) the Verilator model of ``kernel_name`` for one parameter set."""
    kernel = get_kernel(kernel_name)
    build_dir = build_dir_for(kernel, parameters)
    stamp = build_dir / STAMP
    with _file_lock(build_dir.with_name(build_dir.name + ".lock")):
        if stamp.is_file() and (build_dir / kernel.toplevel).is_file():
            return BuildInfo(build_dir, False, 0.0)
        shutil.rmtree(build_dir, ignore_errors=True)  # a half-finished earlier build
        build_dir.mkdir(parents=True)
        src_dir = kernel_dir(kernel)
        log = build_dir / "build.log"
        makeflags = " ".join([os.environ.get("MAKEFLAGS", ""), *MAKE_VARS]).strip()
        began = time.perf_counter()
        runner = _runner(build_dir)
        try:
            with _patched_environ({"MAKEFLAGS": makeflags}):
                runner.build(
                    sources=[src_dir / name for name in kernel.sources],
                    hdl_toplevel=kernel.toplevel,
                    parameters={k: _sv_literal(v) for k, v in parameters.items()},
                    build_args=list(BUILD_ARGS),
                    build_dir=build_dir,
                    always=True,
                    timescale=TIMESCALE,
                    log_file=log,
                )
        except (RuntimeError, SystemExit) as exc:
            raise SimError(f"Verilator build of {kernel.name} ({kernel.label(parameters)}) "
                           f"failed: {exc}; see {log}") from None
        seconds = time.perf_counter() - began
        _save_runtime(build_dir)
        stamp.write_text(json.dumps({"kernel": kernel.name, "parameters": dict(parameters),
                                     "seconds": round(seconds, 3)}, sort_keys=True))
        return BuildInfo(build_dir, True, seconds)


KEEP_RUNS = 20


def _prune_runs(runs: Path) -> None:
    """Keep only the newest KEEP_RUNS test directories of a build (logs of recent runs)."""
    old = sorted((d for d in runs.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime)
    for stale in old[:-KEEP_RUNS] if len(old) > KEEP_RUNS else []:
        shutil.rmtree(stale, ignore_errors=True)


def run_bench(kernel: str, parameters: Mapping[str, Any], test_module: str,
              testcase: str | None = None, extra_env: Mapping[str, str] | None = None) -> Path:
    """Build (cached) and run one cocotb bench module; return the results XML path.

    The bench gets its parameter set as JSON in $SIM_RTL_PARAMS and a JSON-lines report path in
    $SIM_RTL_REPORT (``report.jsonl`` beside the results XML). Failing cocotb tests do not raise
    here: read the outcome with :func:`read_results`.
    """
    from cocotb_tools.runner import get_runner

    spec = get_kernel(kernel)
    info = build(kernel, parameters)
    runs = info.build_dir / "runs"
    runs.mkdir(exist_ok=True)
    _prune_runs(runs)
    stem = f"{testcase or 'all'}-{os.getpid()}-{time.time_ns()}"
    test_dir = runs / stem
    test_dir.mkdir()
    results = test_dir / "results.xml"
    env = {PARAMS_ENV: json.dumps(dict(parameters), sort_keys=True),
           REPORT_ENV: str(test_dir / "report.jsonl"),
           **(extra_env or {})}
    seed = int(os.environ.get("SIM_RTL_SEED", "1"))
    runner = get_runner("verilator")
    # SystemExit: failing tests (under pytest) or a simulator crash; the XML and log tell which.
    with _extra_sys_path(kernel_dir(spec)), contextlib.suppress(SystemExit):
        runner.test(
            test_module=test_module,
            hdl_toplevel=spec.toplevel,
            hdl_toplevel_lang="verilog",
            testcase=testcase,
            extra_env=env,
            build_dir=info.build_dir,
            test_dir=test_dir,
            results_xml=str(results),
            plusargs=["+verilator+rand+reset+2", f"+verilator+seed+{seed}"],
            timescale=TIMESCALE,
            log_file=test_dir / "sim.log",
        )
    if not results.is_file():
        raise SimError(f"simulation of {spec.name} ({spec.label(parameters)}) ended without "
                       f"results; see {test_dir / 'sim.log'}")
    return results


@dataclass
class CaseResult:
    """One cocotb test: name, status (passed/failed/skipped), failure message, cycle records."""

    name: str
    status: str
    message: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True unless the test failed or errored (a skipped test is not a failure)."""
        return self.status != "failed"

    @property
    def rtl_cycles(self) -> int:
        """RTL cycles counted by the bench over every GEMM of this test."""
        return sum(int(r.get("rtl_cycles", 0)) for r in self.records)

    @property
    def model_cycles(self) -> int:
        """Cycles predicted by the Python model over the same GEMMs."""
        return sum(int(r.get("model_cycles", 0)) for r in self.records)


def read_results(results_xml: Path) -> list[CaseResult]:
    """Parse a cocotb results XML (+ the bench's report.jsonl beside it) into per-test results."""
    records: dict[str, list[dict[str, Any]]] = {}
    report = results_xml.parent / "report.jsonl"
    if report.is_file():
        for line in report.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                records.setdefault(str(rec.get("test", "")), []).append(rec)
    cases = []
    for case in ET.parse(results_xml).getroot().iter("testcase"):
        name = case.get("name", "?")
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            status, message = "failed", bad.get("message") or bad.tag
        elif case.find("skipped") is not None:
            status, message = "skipped", ""
        else:
            status, message = "passed", ""
        cases.append(CaseResult(name, status, message, records.get(name, [])))
    return cases
