"""Numbers for people: SI prefixes so that a value reads as ``1.133 J`` or ``751.5 us``.

Only what people read is scaled (terminal, figures, HTML); JSON, CSV and Parquet keep full
precision in base units.
"""

from __future__ import annotations

import math

PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
            (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"))


def prefix_of(value: float) -> tuple[float, str]:
    """The SI factor and prefix that put ``abs(value)`` in [1, 1000) (the extremes beyond)."""
    size = abs(value)
    for factor, prefix in PREFIXES:
        if size >= factor * (1 - 5e-16):
            return factor, prefix
    return PREFIXES[-1]


def si(value: float, unit: str, digits: int = 4) -> str:
    """``value`` (in ``unit``) with an SI prefix and ``digits`` significant digits:
    ``si(1.1329e0, "J")`` -> ``"1.133 J"``, ``si(7.5e-4, "s")`` -> ``"750 us"``."""
    if not math.isfinite(value):
        return f"{value} {unit}"
    if value == 0:
        return f"0 {unit}"
    rounded = float(f"{value:.{digits}g}")  # 999.96 -> 1000 -> next prefix up
    factor, prefix = prefix_of(rounded)
    return f"{rounded / factor:.{digits}g} {prefix}{unit}"


def number(value: float, digits: int = 4) -> str:
    """A plain quantity for a table cell: integers with thousands separators, other values with
    ``digits`` significant digits and an SI prefix beyond 10^4 or below 10^-2 (``6.801 G``)."""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e6):
        return f"{int(value):,}"
    if not math.isfinite(value) or value == 0:
        return f"{value:g}"
    if 1e-2 <= abs(value) < 1e4:
        return f"{value:.{digits}g}"
    return si(value, "", digits).rstrip()
