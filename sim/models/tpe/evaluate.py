"""Area, timing, energy and efficiency of TPE designs from the tech table; the paper comparison.

* area (um^2) = inventory x ``area`` rows;
* critical path (ps) = sum of ``delay`` rows along the block's path; f_max = 1 / path;
* energy (pJ) = ledger x ``energy`` rows; energy per MAC = GEMM energy / GEMM MACs. Two ledgers:
  *per-cycle* (every engine action each busy cycle, whatever the data: the fallback for designs
  without an activity model) and *activity* (bit toggles of the PE registers and nets on the
  actual operands plus every flop's clock each cycle, :mod:`sim.models.tpe.activity`; the
  output-stationary systolic PEs only);
* area efficiency (GOPS/mm^2) = 2 MAC/s / 1e9 / area; energy efficiency (GOPS/W) = 2 / E_MAC.

One MAC is two operations. Efficiencies are *effective*: measured on a GEMM (for bit-serial
designs on its actual INT8 data), so folds, fill/drain and skipped zero digits all count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.models.tpe import activity as act
from sim.models.tpe import designs as d
from sim.models.tpe import tree_activity
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
    activity_pj: float | None = None
    """Activity-based energy (pJ); None where the design has no activity model."""

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
    def activity_per_mac_pj(self) -> float | None:
        """Activity-based energy per MAC (pJ), None without an activity model."""
        return None if self.activity_pj is None else self.activity_pj / self.macs

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
             freq_hz: float | None = None, activity: bool = False) -> Evaluation:
    """Evaluate a design on C[M,N] = A[M,K] B[K,N]; ``freq_hz`` None means f_max; ``activity``
    adds the activity-based energy where the design has an activity model and A, B are given."""
    cycles = d.gemm_cycles_any(design, m, n, k, a, b)
    path = path_ps(design, table)
    freq = freq_hz if freq_hz is not None else 1e12 / path
    ledger = d.gemm_ledger(design, cycles, m, n)
    act_ledger = activity_ledger(design, cycles, a, b) if activity else None
    return Evaluation(design.name, cycles, m * n * k, path, freq,
                      area_um2(design.engine.inventory(), table), energy_pj(ledger, table),
                      None if act_ledger is None else energy_pj(act_ledger, table))


ACTIVITY_ARCHITECTURES = ("systolic_os", "systolic_ws", "cube", "tree", "matrix2d")
"""Designs with an activity model: the MAC/OPT1 systolic arrays, the 3-D cube, the MAC/OPT2
multiplier-adder tree (:mod:`sim.models.tpe.tree_activity`) and the MAC/OPT2 2D-matrix, mirrored
cycle by cycle (the cube's injection delay lines and output accumulators not
included)."""


def activity_ledger(design: d.Design, cycles: int, a: npt.ArrayLike | None,
                    b: npt.ArrayLike | None) -> dict[str, float] | None:
    """Activity ledger of a GEMM on ``design``: the toggles of every PE of the array over every
    fold or tile (:func:`activity.os_array_toggles`, :func:`activity.ws_array_toggles`,
    :func:`activity.cube_toggles`: cycle-by-cycle mirrors of rtl/tpe/tpe_arrays.sv),
    every PE flop clocked for ``cycles``, plus the per-output actions (opt1 edge fuse) still
    charged per operation.
    None without operand data or an activity model for the design."""
    if a is None or b is None or design.architecture not in ACTIVITY_ARCHITECTURES:
        return None
    aa, bb = np.asarray(a), np.asarray(b)
    if design.architecture == "systolic_os":
        toggles = act.os_array_toggles(design.pe, aa, bb, *design.sizes)
    elif design.architecture == "systolic_ws":
        toggles = act.ws_array_toggles(design.pe, act.ws_gemm_folds(aa, bb, *design.sizes))
    elif design.architecture == "cube":
        toggles = act.cube_toggles(design.pe, *act.cube_stream(aa, bb, *design.sizes))
    elif design.architecture == "tree":
        return _tree_ledger(design, cycles, aa, bb)
    else:
        toggles = act.matrix_gemm_toggles(design.pe, aa, bb, *design.sizes)
        ledger = act.toggle_ledger(toggles, act.matrix_flops(design.pe, *design.sizes) * cycles)
        return _with_per_output(ledger, design, aa.shape[0] * bb.shape[1])
    clocked = act.flops(design.pe, d.OUT_BITS, valid=False) * math.prod(design.sizes) * cycles
    return _with_per_output(act.toggle_ledger(toggles, clocked), design,
                            aa.shape[0] * bb.shape[1])


def _tree_ledger(design: d.Design, cycles: int, a: npt.NDArray[Any],
                 b: npt.NDArray[Any]) -> dict[str, float]:
    """Activity ledger of a GEMM on the tree: every register and net of its columns
    (:func:`tree_activity.tree_toggles`), every flop clocked for ``cycles``, plus the per-output
    accumulation of the K folds' partial dot products (charged per operation)."""
    k, n = design.sizes
    iw = d.inter_bits_for(k)
    toggles = tree_activity.tree_toggles(design.pe, tree_activity.tree_stream(a, b, k, n), iw)
    ledger = act.toggle_ledger(toggles, tree_activity.tree_flops(design.pe, k, n, iw) * cycles,
                               tree_activity.TREE_ACTION)
    return _with_per_output(ledger, design, a.shape[0] * b.shape[1])


def _with_per_output(ledger: dict[str, float], design: d.Design,
                     outputs: int) -> dict[str, float]:
    """Add the design's per-output actions (charged per operation) for ``outputs`` outputs."""
    for key, v in design.per_output.items():
        ledger[key] = ledger.get(key, 0.0) + v * outputs
    return ledger


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
        """Energy-efficiency ratio transformed / baseline (per-cycle energy)."""
        return self.transformed.gops_per_w / self.baseline.gops_per_w

    @property
    def activity_ratio(self) -> float | None:
        """Energy-efficiency ratio transformed / baseline from activity-based energy."""
        t, base = self.transformed.activity_pj, self.baseline.activity_pj
        return None if t is None or base is None else base / t


PAIRS: tuple[tuple[str, str, str, str, str], ...] = (
    # label, architecture, transformed PE, baseline architecture, baseline PE
    ("systolic_os", "systolic_os", "opt1", "systolic_os", "mac"),
    ("systolic_ws", "systolic_ws", "opt1", "systolic_ws", "mac"),
    ("cube", "cube", "opt1", "cube", "mac"),
    ("tree", "tree", "opt2", "tree", "mac"),
    ("matrix2d", "matrix2d", "opt2", "matrix2d", "mac"),
    ("bitslice", "bitslice", "opt4c", "laconic", "laconic"),
)


def compare_all(a: npt.ArrayLike, b: npt.ArrayLike, node_nm: int = 28,
                tables: Sequence[Path] = ()) -> list[Comparison]:
    """Every transformed/baseline pair on the GEMM A @ B (INT8 data) at ``node_nm``; ``tables``
    are user table files over the built-in ones (e.g. ``sim tech calibrate --energy`` rows)."""
    aa, bb = np.asarray(a), np.asarray(b)
    m, k = aa.shape
    n = bb.shape[1]
    table = load_tables(node_nm, tables)
    out = []
    for label, arch, pe, base_arch, base_pe in PAIRS:
        t = evaluate(d.build_design(arch, pe), m, n, k, table, aa, bb, activity=True)
        base = evaluate(d.build_design(base_arch, base_pe), m, n, k, table, aa, bb,
                        activity=True)
        pub = PUBLISHED["systolic" if label.startswith("systolic") else label]
        out.append(Comparison(label, t, base, pub[0], pub[1]))
    return out


def format_table(rows: list[Comparison]) -> str:
    """Markdown table of model ratios beside the published ones."""
    lines = ["| TPE | area eff. model | published | energy eff. per-cycle | energy eff. activity |"
             " published | f base/transf. (MHz) | pJ/MAC per-cycle base/transf. |"
             " pJ/MAC activity base/transf. |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r.activity_ratio
        b_act, t_act = r.baseline.activity_per_mac_pj, r.transformed.activity_per_mac_pj
        act_cells = ("no activity model", "-") if ratio is None or b_act is None or \
            t_act is None else (f"{ratio:.2f}x", f"{b_act:.3f}/{t_act:.3f}")
        lines.append(
            f"| {r.label} | {r.area_ratio:.2f}x | {r.published_area:.2f}x | "
            f"{r.energy_ratio:.2f}x | {act_cells[0]} | {r.published_energy:.2f}x | "
            f"{r.baseline.freq_hz / 1e6:.0f}/{r.transformed.freq_hz / 1e6:.0f} | "
            f"{r.baseline.energy_per_mac_pj:.3f}/{r.transformed.energy_per_mac_pj:.3f} | "
            f"{act_cells[1]} |")
    return "\n".join(lines)
