"""Parametric keys: other operand widths and SRAM sizes, derived from published rows by rule.

``mult_int12`` (or ``mult_int8x4``) is derived from the nearest published ``mult_int<w>`` row with
the width exponent of ``tables/scaling/width.yaml`` (Aladdin: adders linear, multipliers
proportional to width_a x width_b). ``sram_64KiB`` per-bit values are interpolated log-log between
the published sizes. Each derived value says so in its ``scaling`` text; node scaling is applied
afterwards, once, exactly as for a published row.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sim.spec.validate import validate
from sim.spec.yamlio import load_yaml
from sim.tech.schema import RulesFile, SizeRule, WidthRule

RULES_FILE = Path(__file__).with_name("tables") / "scaling" / "width.yaml"
_WIDTH_RE = re.compile(r"^(?P<prefix>[A-Za-z_]+?)(?P<a>\d+)(?:x(?P<b>\d+))?$")
_SIZE_RE = re.compile(r"^(?P<prefix>[A-Za-z]\w*?)_(?P<n>\d+(?:\.\d+)?)(?P<unit>B|KiB|MiB|KB|MB)$")
SIZE_UNITS: dict[str, int] = {"B": 1, "KiB": 1024, "KB": 1024, "MiB": 1 << 20, "MB": 1 << 20}


@lru_cache(maxsize=1)
def rules() -> RulesFile:
    """The width and size rules shipped with the tool."""
    return validate(RulesFile, load_yaml(RULES_FILE))


@dataclass(frozen=True)
class Width:
    """A component name split into rule prefix and operand widths (bits)."""

    prefix: str
    width_a: int
    width_b: int

    @property
    def product(self) -> int:
        """width_a x width_b (bits^2): the quantity the rules scale with."""
        return self.width_a * self.width_b


def parse_width(component: str) -> Width | None:
    """``mult_int12`` -> (mult_int, 12, 12); ``mult_int8x4`` -> (mult_int, 8, 4); else None."""
    match = _WIDTH_RE.match(component)
    if match is None:
        return None
    a = int(match.group("a"))
    b = int(match.group("b") or a)
    return Width(match.group("prefix"), a, b) if a > 0 and b > 0 else None


def width_rule(prefix: str) -> WidthRule | None:
    """The rule for a width prefix (``add_int``), or None if widths of it are not derivable."""
    return next((r for r in rules().width_rules if r.prefix == prefix), None)


def width_factor(asked: Width, anchor: Width, rule: WidthRule) -> float:
    """Multiplier from the anchor's value to the asked width: (product ratio)^(exponent/2)."""
    return float((asked.product / anchor.product) ** (rule.exponent / 2))


def nearest_width(asked: Width, anchors: list[Width]) -> Width:
    """The anchor closest in log(width_a x width_b); ties go to the larger anchor."""
    return min(anchors, key=lambda w: (abs(math.log(asked.product / w.product)), -w.product))


def parse_size(component: str) -> tuple[str, int] | None:
    """``sram_64KiB`` -> ("sram", 65536 bytes); else None."""
    match = _SIZE_RE.match(component)
    if match is None:
        return None
    size = float(match.group("n")) * SIZE_UNITS[match.group("unit")]
    return (match.group("prefix"), int(size)) if size >= 1 else None


def size_rule(prefix: str) -> SizeRule | None:
    """The size rule for ``prefix`` (``sram``), or None."""
    return next((r for r in rules().size_rules if r.prefix == prefix), None)


def interpolate_size(size: int, anchors: dict[int, float]) -> tuple[float, str]:
    """Per-bit value at ``size`` bytes from {size: value}, log-log; (value, interpolated|...).

    Needs two or more anchors; outside their range the nearest end segment's slope is used and
    the result is labelled ``extrapolated``.
    """
    sizes = sorted(anchors)
    if size in anchors:
        return anchors[size], "published size"
    lo, hi = (sizes[0], sizes[1]) if size < sizes[0] else (sizes[-2], sizes[-1])
    how = "extrapolated"
    for a, b in itertools.pairwise(sizes):
        if a < size < b:
            lo, hi, how = a, b, "interpolated"
    slope = math.log(anchors[hi] / anchors[lo]) / math.log(hi / lo)
    return anchors[lo] * (size / lo) ** slope, how
