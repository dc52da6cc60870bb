"""Calibration: fit per-component area constants of a node to synthesized areas of our kernels.

Procedure (``sim tech calibrate``):

1. Synthesize every RTL target that declares an analytic inventory (``sim rtl synth``); its
   synthesized area S_i (um^2 at the node) is its generic cells costed with the NanGate cells of
   ``core.yaml`` (see :mod:`sim.rtlcheck.synth`).
2. Each target i has an inventory n_ic (instances of component c) and the table gives a_c
   (um^2 per instance at the node), so the analytic area is A_i = sum_c n_ic a_c.
3. Fit one multiplier m_c >= 0.05 per component so that sum_c n_ic a_c m_c matches S_i in
   relative terms, with a ridge term pulling each m_c towards 1 (the published value):
   minimise sum_i (sum_c n_ic a_c m_c / S_i - 1)^2 + RIDGE * sum_c (m_c - 1)^2.
   The ridge keeps components that few targets constrain near their published values (with
   fewer targets than components the problem is otherwise underdetermined).
4. Report the fit error (RMS and worst relative error over targets, before and after) and write
   the fitted constants as a user table file, each row naming the targets it was fitted to.
   Select it like any user table: ``tech: {node_nm: 45, tables: [calibrated.yaml]}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import lsq_linear

from sim.core.errors import SimError
from sim.tech.table import TechTable

RIDGE = 0.1
"""Weight of the pull towards the published constants (a fitting choice, not a physical one)."""
MIN_MULTIPLIER = 0.05


@dataclass(frozen=True)
class Sample:
    """One synthesized block: its analytic inventory and synthesized area (um^2 at the node)."""

    label: str
    inventory: Mapping[str, float]
    synth_um2: float


@dataclass(frozen=True)
class Calibration:
    """Fitted area per instance (um^2) of each component and the fit errors (relative)."""

    node_nm: int
    published_um2: dict[str, float]
    fitted_um2: dict[str, float]
    samples: tuple[Sample, ...]

    def predicted(self, sample: Sample, fitted: bool) -> float:
        """Analytic area of a sample with the published or fitted constants (um^2)."""
        per = self.fitted_um2 if fitted else self.published_um2
        return sum(n * per[c] for c, n in sample.inventory.items())

    def errors(self, fitted: bool) -> list[float]:
        """Relative error (analytic / synthesized - 1) of each sample."""
        return [self.predicted(s, fitted) / s.synth_um2 - 1 for s in self.samples]

    def rms_error(self, fitted: bool) -> float:
        """Root-mean-square relative error over the samples."""
        errs = self.errors(fitted)
        return math.sqrt(sum(e * e for e in errs) / len(errs))

    def max_error(self, fitted: bool) -> float:
        """Largest absolute relative error over the samples."""
        return max(abs(e) for e in self.errors(fitted))


def _solve(samples: Sequence[Sample], published: Mapping[str, float],
           ridge: float) -> dict[str, float]:
    components = sorted(published)
    rows = [[s.inventory.get(c, 0.0) * published[c] / s.synth_um2 for c in components]
            for s in samples]
    rhs = [1.0] * len(samples)
    weight = math.sqrt(ridge)
    for j in range(len(components)):
        rows.append([weight if k == j else 0.0 for k in range(len(components))])
        rhs.append(weight)
    solution = lsq_linear(np.array(rows), np.array(rhs), bounds=(MIN_MULTIPLIER, np.inf))
    return {c: published[c] * float(m) for c, m in zip(components, solution.x, strict=True)}


def leave_one_out_errors(cal: Calibration, ridge: float = RIDGE) -> list[float]:
    """Relative error of each sample when the constants are fitted without it (held out)."""
    out = []
    for i, held in enumerate(cal.samples):
        rest = [s for j, s in enumerate(cal.samples) if j != i]
        fitted = _solve(rest, cal.published_um2, ridge) if rest else dict(cal.published_um2)
        predicted = sum(n * fitted[c] for c, n in held.inventory.items())
        out.append(predicted / held.synth_um2 - 1)
    return out


def fit(samples: Sequence[Sample], table: TechTable, ridge: float = RIDGE) -> Calibration:
    """Fit per-component area constants at the table's node to ``samples`` (see module doc)."""
    usable = tuple(s for s in samples if s.synth_um2 > 0 and s.inventory)
    if not usable:
        raise SimError("calibration needs at least one synthesized target with an analytic "
                       "inventory")
    components = sorted({c for s in usable for c, n in s.inventory.items() if n})
    published = {c: table.lookup(c, "area").value for c in components}
    return Calibration(table.node_nm, published, _solve(usable, published, ridge), usable)


def table_yaml(cal: Calibration, name: str = "calibrated") -> str:
    """The fitted constants as a user table file (rows at the calibration node, um2)."""
    labels = ", ".join(s.label for s in cal.samples)
    rows = []
    for comp, um2 in sorted(cal.fitted_um2.items()):
        rows.append({
            "key": comp, "metric": "area", "value": float(f"{um2:.6g}"), "unit": "um2",
            "node_nm": cal.node_nm,
            "source": (f"sim tech calibrate: published {cal.published_um2[comp]:.4g} um2 x "
                       f"{um2 / cal.published_um2[comp]:.3f}, fitted to Yosys synthesis "
                       f"(NanGate-costed generic cells) of {labels}; fit RMS error "
                       f"{cal.rms_error(True):.1%} (was {cal.rms_error(False):.1%})")})
    header = ("# Area constants fitted by `sim tech calibrate` (sim/tech/calibrate.py).\n"
              f"# Select with `tech: {{node_nm: {cal.node_nm}, tables: [this file]}}` in an "
              "arch file.\n")
    body = yaml.safe_dump({"version": 1, "name": name, "rows": rows}, sort_keys=False,
                          width=100)
    return header + body


def write_table(cal: Calibration, path: Path, name: str = "calibrated") -> Path:
    """Write :func:`table_yaml` to ``path``; returns the path."""
    path.write_text(table_yaml(cal, name), encoding="utf-8")
    return path
