"""Node scaling of area and energy from published anchor factors (log-log interpolation)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sim.core.errors import SimError
from sim.spec.validate import validate
from sim.spec.yamlio import load_yaml
from sim.tech.schema import ScalingFile

SCALING_FILE = Path(__file__).with_name("tables") / "scaling" / "stillmaker_baas.yaml"


@dataclass(frozen=True)
class Factor:
    """A multiplicative factor from one node to another and how it was obtained."""

    value: float
    how: str


@lru_cache(maxsize=1)
def _scaling() -> ScalingFile:
    return validate(ScalingFile, load_yaml(SCALING_FILE))


def _relative(node_nm: int, metric: Literal["area", "energy"]) -> tuple[float, str]:
    """Factor from the reference node to ``node_nm`` and whether it is published or interpolated."""
    spec = _scaling()
    anchors = sorted(spec.anchors, key=lambda a: -a.node_nm)
    for anchor in anchors:
        if anchor.node_nm == node_nm:
            return getattr(anchor, metric), "published"
    for hi, lo in itertools.pairwise(anchors):
        if lo.node_nm < node_nm < hi.node_nm:
            f_hi, f_lo = getattr(hi, metric), getattr(lo, metric)
            t = math.log(node_nm / hi.node_nm) / math.log(lo.node_nm / hi.node_nm)
            return math.exp(math.log(f_hi) + t * (math.log(f_lo) - math.log(f_hi))), "interpolated"
    raise SimError(f"no scaling data covers {node_nm} nm",
                   accepted=f"{anchors[-1].node_nm}..{anchors[0].node_nm} nm")


def factor(from_nm: int, to_nm: int, metric: Literal["area", "energy"]) -> Factor:
    """Factor that converts a value at ``from_nm`` to ``to_nm`` (1.0 when the nodes match)."""
    if from_nm == to_nm:
        return Factor(1.0, "native")
    f_from, how_from = _relative(from_nm, metric)
    f_to, how_to = _relative(to_nm, metric)
    how = "published" if {how_from, how_to} == {"published"} else "interpolated"
    return Factor(f_to / f_from, f"{how} {metric} scaling {from_nm}->{to_nm} nm "
                                 f"({_scaling().source})")
