"""The ``sim`` command: argument parsing only; every command calls :mod:`sim.api`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from sim.core.errors import SimError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Cycle-level ML accelerator simulator and design-space explorer.")
rtl_app = typer.Typer(no_args_is_help=True, help="RTL checks: cocotb benches on Verilator.")
app.add_typer(rtl_app, name="rtl")
out = Console(soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")


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
) -> None:
    """Simulate one workload: cycles, time, energy, area; writes reports/<name>/."""
    from sim import api
    from sim.report.summary import summary_table

    output = guarded(lambda: api.run(workload, out_dir=out_dir))
    out.print(summary_table(output.result))
    for path in output.files:
        out.print(f"wrote {path}", markup=False)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="YAML files to check")]) -> None:
    """Check workload, arch, trace, sweep or tech-table files without running them."""
    from sim import api

    for path in files:
        kind = guarded(lambda p=path: api.validate_file(p))  # type: ignore[misc]
        out.print(f"{path}: ok, {kind}", markup=False)


@rtl_app.command("test")
def rtl_test(kernel: Annotated[str, typer.Argument(help="RTL kernel, e.g. systolic")]) -> None:
    """Run a kernel's cocotb benches: RTL bits and cycles against the Python model."""
    from sim import api

    failures = guarded(lambda: api.rtl_test(kernel))
    raise typer.Exit(1 if failures else 0)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="sim")


if __name__ == "__main__":
    main()
