"""Area, timing, energy and efficiency of TPE designs from the tech table; the paper comparison.

* area (um^2) = inventory x ``area`` rows;
* critical path (ps) = sum of ``delay`` rows along the block's path; f_max = 1 / path;
* energy (pJ) = ledger x ``energy`` rows; energy per MAC = GEMM energy / GEMM MACs;
* area efficiency (GOPS/mm^2) = 2 MAC/s / 1e9 / area; energy efficiency (GOPS/W) = 2 / E_MAC.

One MAC is two operations. Efficiencies are *effective*: measured on a GEMM (for bit-serial
designs on its actual INT8 data), so folds, fill/drain and skipped zero digits all count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.models.tpe import designs as d
from sim.tech import TechTable, area_um2, efficiency, energy_pj, load_tables

PUBLISHED = {
    # architecture: (area-efficiency ratio, energy-efficiency ratio), transformed / baseline
    "systolic": (1.27, 1.04),
    "cube": (1.28, 1.56),
    "tree": (1.56, 1.49),
    "matrix2d": (1.44, 1.20),
    "bitslice": (2.85, 12.10),
}
"""Published transformed-vs-baseline ratios (Wu et al., HPCA 2025, SMIC 28 nm): targets only."""


@dataclass(frozen=True)
class Evaluation:
    """One design on one GEMM: cycles, clock, area, energy and efficiencies."""

    design: str
    cycles: int
    macs: int
    path_ps: float
    freq_hz: float
    area_um2: float
    energy_pj: float

    @property
    def area_mm2(self) -> float:
        """Area in mm^2."""
        return self.area_um2 / 1e6

    @property
    def seconds(self) -> float:
        """Run time (s)."""
        return self.cycles / self.freq_hz

    @property
    def energy_per_mac_pj(self) -> float:
        """Energy per MAC (pJ)."""
        return self.energy_pj / self.macs

    @property
    def gops(self) -> float:
        """Effective throughput (GOPS, 2 ops per MAC)."""
        return self._efficiency("gops")

    @property
    def gops_per_mm2(self) -> float:
        """Area efficiency (GOPS/mm^2)."""
        return self._efficiency("gops_per_mm2")

    @property
    def gops_per_w(self) -> float:
        """Energy efficiency (GOPS/W) = 2 ops / energy per MAC."""
        return self._efficiency("gops_per_w")

    def _efficiency(self, metric: str) -> float:
        return efficiency(self.macs, self.seconds, self.energy_pj, self.area_um2)[metric]


def path_ps(design: d.Design, table: TechTable) -> float:
    """Critical path (ps): delay rows along the engine's path."""
    return sum(times * table.lookup(stage, "delay").value
               for stage, times in design.engine.path.items())


def evaluate(design: d.Design, m: int, n: int, k: int, table: TechTable,
             a: npt.ArrayLike | None = None, b: npt.ArrayLike | None = None,
             freq_hz: float | None = None) -> Evaluation:
    """Evaluate a design on C[M,N] = A[M,K] B[K,N]; ``freq_hz`` None means f_max."""
    cycles = d.gemm_cycles_any(design, m, n, k, a, b)
    path = path_ps(design, table)
    freq = freq_hz if freq_hz is not None else 1e12 / path
    ledger = d.gemm_ledger(design, cycles, m, n)
    return Evaluation(design.name, cycles, m * n * k, path, freq,
                      area_um2(design.engine.inventory(), table), energy_pj(ledger, table))


@dataclass(frozen=True)
class Comparison:
    """Transformed vs baseline on one architecture, beside the published ratios."""

    label: str
    transformed: Evaluation
    baseline: Evaluation
    published_area: float
    published_energy: float

    @property
    def area_ratio(self) -> float:
        """Area-efficiency ratio transformed / baseline."""
        return self.transformed.gops_per_mm2 / self.baseline.gops_per_mm2

    @property
    def energy_ratio(self) -> float:
        """Energy-efficiency ratio transformed / baseline."""
        return self.transformed.gops_per_w / self.baseline.gops_per_w


PAIRS: tuple[tuple[str, str, str, str, str], ...] = (
    # label, architecture, transformed PE, baseline architecture, baseline PE
    ("systolic_os", "systolic_os", "opt1", "systolic_os", "mac"),
    ("systolic_ws", "systolic_ws", "opt1", "systolic_ws", "mac"),
    ("cube", "cube", "opt1", "cube", "mac"),
    ("tree", "tree", "opt2", "tree", "mac"),
    ("matrix2d", "matrix2d", "opt2", "matrix2d", "mac"),
    ("bitslice", "bitslice", "opt4c", "laconic", "laconic"),
)


def compare_all(a: npt.ArrayLike, b: npt.ArrayLike, node_nm: int = 28) -> list[Comparison]:
    """Every transformed/baseline pair on the GEMM A @ B (INT8 data) at ``node_nm``."""
    aa, bb = np.asarray(a), np.asarray(b)
    m, k = aa.shape
    n = bb.shape[1]
    table = load_tables(node_nm)
    out = []
    for label, arch, pe, base_arch, base_pe in PAIRS:
        t = evaluate(d.build_design(arch, pe), m, n, k, table, aa, bb)
        base = evaluate(d.build_design(base_arch, base_pe), m, n, k, table, aa, bb)
        pub = PUBLISHED["systolic" if label.startswith("systolic") else label]
        out.append(Comparison(label, t, base, pub[0], pub[1]))
    return out


def format_table(rows: list[Comparison]) -> str:
    """Markdown table of model ratios beside the published ones."""
    lines = ["| TPE | area eff. model | published | energy eff. model | published |"
             " f base/transf. (MHz) | pJ/MAC base/transf. |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.label} | {r.area_ratio:.2f}x | {r.published_area:.2f}x | "
            f"{r.energy_ratio:.2f}x | {r.published_energy:.2f}x | "
            f"{r.baseline.freq_hz / 1e6:.0f}/{r.transformed.freq_hz / 1e6:.0f} | "
            f"{r.baseline.energy_per_mac_pj:.3f}/{r.transformed.energy_per_mac_pj:.3f} |")
    return "\n".join(lines)
