"""The ``tpe`` family's addition to sweep reports: published transformed-vs-baseline ratios.

For every architecture in the sweep, the published area- and energy-efficiency ratios (Wu et al.,
``evaluate.PUBLISHED``) beside the mean ratio of the sweep's transformed points over the baseline
points that share every other varied field (the pairs of ``evaluate.PAIRS``; bit-slice vs
Laconic-style is matched ignoring architecture, PE and sizes, which differ by definition).
"""

from __future__ import annotations

from typing import Any

from sim.family import PointData, Reference, SweepData, matched_ratios
from sim.models.tpe.evaluate import PAIRS, PUBLISHED

FAMILY = "tpe"
SOURCE = "Wu et al., HPCA 2025 (SMIC 28 nm), shared/reference/tpe.md"
DESIGN_FIELDS = ("arch.architecture", "arch.pe", "arch.dataflow", "arch.sizes")
KEY_FIELDS = DESIGN_FIELDS[:3]
"""The fields that decide a point's architecture key and PE."""
METRICS = (("area efficiency", "gops_per_mm2", 0), ("energy efficiency", "gops_per_w", 1))


def _designs(data: SweepData) -> dict[int, tuple[str, str]]:
    """(architecture key, PE) of every tpe point by ``id(point)``, read from its resolved arch
    (loaded once per distinct architecture / PE / dataflow)."""
    known: dict[tuple[tuple[str, str], ...], tuple[str, str]] = {}
    out = {}
    for p in data.of_family(FAMILY):
        fields = {k: p.params[k] for k in KEY_FIELDS if k in p.params}
        seen = tuple((k, repr(v)) for k, v in fields.items())
        if seen not in known:
            arch: Any = data.arch(fields)
            known[seen] = (str(arch.key), str(arch.pe))
        out[id(p)] = known[seen]
    return out


def _ratios(data: SweepData, designs: dict[int, tuple[str, str]], pair: tuple[str, ...],
            metric: str) -> list[float]:
    """Transformed / baseline ``metric`` over the points matched on every other varied field."""
    _, arch, pe, base_arch, base_pe = pair

    def side(p: PointData) -> str | None:
        found = designs.get(id(p))
        return "num" if found == (arch, pe) else "den" if found == (base_arch, base_pe) else None

    return matched_ratios(data, side, metric,
                          DESIGN_FIELDS if arch != base_arch else ("arch.pe",))


def references(data: SweepData) -> list[Reference]:
    """Published ratios of each architecture in the sweep beside the sweep's matched means."""
    designs = _designs(data)
    present = {key for key, _ in designs.values()}
    out = []
    for pair in PAIRS:
        label, arch, pe, base_arch, base_pe = pair
        if arch not in present and base_arch not in present:
            continue
        published = PUBLISHED["systolic" if label.startswith("systolic") else label]
        for what, metric, index in METRICS:
            ratios = _ratios(data, designs, pair, metric)
            note = (f"mean of {len(ratios)} matched {arch}/{pe} vs {base_arch}/{base_pe} pairs "
                    "of this sweep; published at the paper's sizes" if ratios else
                    f"not simulated: the sweep needs both {arch}/{pe} and {base_arch}/{base_pe}")
            out.append(Reference(f"{label}: {pe} vs {base_pe}", what, published[index], "x",
                                 SOURCE, sum(ratios) / len(ratios) if ratios else None, note))
    return out
