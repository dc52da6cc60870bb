"""RTL checks: Verilator discovery, a per-parameter-set build cache, cocotb bench runs.

``run_bench`` builds (once per kernel, parameter set and source contents) and runs a cocotb bench
module, returning its results XML; ``test_kernel`` runs a kernel's benches for every shipped
parameter set and prints a summary (what ``sim rtl test <kernel>`` calls).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sim.family import all_kernels
from sim.rtlcheck.bench import (
    BuildInfo,
    CaseResult,
    build,
    build_dir_for,
    cache_root,
    get_kernel,
    kernel_dir,
    read_results,
    rtl_root,
    run_bench,
)
from sim.rtlcheck.toolchain import Verilator, rtl_available, setup_verilator

__all__ = [
    "BuildInfo",
    "CaseResult",
    "Verilator",
    "build",
    "build_dir_for",
    "cache_root",
    "get_kernel",
    "kernel_dir",
    "kernel_lines",
    "read_results",
    "rtl_available",
    "rtl_root",
    "run_bench",
    "setup_verilator",
    "test_kernel",
]


def kernel_lines() -> list[str]:
    """One line per RTL kernel of every installed family: name, family, folder, parameter sets
    and what its benches check (what ``sim rtl list`` prints)."""
    lines = []
    for name, (family, kernel) in sorted(all_kernels().items()):
        sets = "; ".join(kernel.label(p) for p in kernel.parameter_sets)
        lines.append(f"{name} [{family.name}, {kernel.directory}]: {kernel.summary} ({sets})")
    return lines


def test_kernel(kernel: str, echo: Callable[[str], None] = print) -> int:
    """Run every bench of ``kernel`` for its shipped parameter sets; return the failure count.

    Prints one line per cocotb test: PASS/FAIL, GEMMs checked and RTL vs model cycles.
    """
    spec = get_kernel(kernel)
    tool = setup_verilator()
    echo(f"{spec.name}: {spec.summary} [{tool.describe()}]")
    failures = 0
    for parameters in spec.parameter_sets:
        label = spec.label(parameters)
        info = build(kernel, parameters)
        began = time.perf_counter()
        results = read_results(run_bench(kernel, parameters, spec.test_module))
        sim_s = time.perf_counter() - began
        how = f"built in {info.seconds:.1f}s" if info.built else "cached build"
        echo(f"  {label}: {how}, simulated in {sim_s:.1f}s")
        for case in results:
            status = {"passed": "PASS", "skipped": "SKIP"}.get(case.status, "FAIL")
            failures += 0 if case.passed else 1
            cycles = (f"{len(case.records)} GEMMs, cycles rtl {case.rtl_cycles} "
                      f"model {case.model_cycles}" if case.records else "no GEMMs run")
            if case.status == "skipped":
                cycles = "skipped for this parameter set"
            echo(f"    {status} {case.name}: {cycles}")
            if not case.passed:
                echo(f"      {case.message}")
    echo(f"{spec.name}: {'all passed' if failures == 0 else f'{failures} failed'}")
    return failures


test_kernel.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name
