"""What people read for a metric: its quantity, its unit, and values scaled to an SI prefix.

Stored numbers stay in their base units at full precision (CSV, Parquet, JSON); figures and the
HTML page show ``energy (mJ)`` and ``6.801 mJ`` instead of ``energy_pj`` and ``6.801e+09``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sim.core.units import number, prefix_of, si

METRICS: dict[str, tuple[str, str, float | None]] = {
    "energy_pj": ("energy", "J", 1e-12),
    "energy_j": ("energy", "J", 1.0),
    "seconds": ("time", "s", 1.0),
    "latency_s": ("latency", "s", 1.0),
    "power_w": ("power", "W", 1.0),
    "pj_per_mac": ("energy per MAC", "J", 1e-12),
    "energy_per_token_j": ("energy per token", "J", 1.0),
    "area_mm2": ("area", "mm²", None),
    "area_um2": ("area", "µm²", None),
    "cycles": ("cycles", "", None),
    "macs": ("MACs", "", None),
    "gops": ("throughput", "GOPS", None),
    "gops_per_w": ("energy efficiency", "GOPS/W", None),
    "gops_per_mm2": ("area efficiency", "GOPS/mm²", None),
    "tokens_per_s": ("throughput", "tokens/s", None),
}
"""metric -> (quantity, unit, factor to the SI base unit or None when the unit is kept)."""


def quantity(metric: str) -> str:
    """``energy_pj`` -> ``energy``; an unknown metric is its own name."""
    return METRICS[metric][0] if metric in METRICS else metric


def axis(metric: str, values: Iterable[float]) -> tuple[float, str]:
    """(multiplier for the stored values, axis label) so that the largest magnitude reads in
    [1, 1000) of an SI-prefixed unit: ``energy_pj`` of ~1e9 -> (1e-9, ``energy (mJ)``)."""
    if metric not in METRICS:
        return 1.0, metric
    name, unit, base = METRICS[metric]
    if base is None:
        return 1.0, f"{name} ({unit})" if unit else name
    finite = [abs(v) * base for v in values if math.isfinite(v) and v]
    factor, prefix = prefix_of(max(finite)) if finite else (1.0, "")
    return base / factor, f"{name} ({prefix}{unit})"


def text(metric: str, value: object) -> str:
    """One value for a person: SI-scaled with its unit for known metrics, else 4 digits."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if metric in METRICS:
        _, unit, base = METRICS[metric]
        if base is not None:
            return si(value * base, unit)
        return f"{number(value)} {unit}".rstrip()
    return number(value)
