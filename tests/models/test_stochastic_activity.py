"""sim.models.stochastic.activity: the image-scale path equals the cycle mirror that the RTL
benches check (tests/rtl/test_sc_toggles.py), and toggles follow the data."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.stochastic import activity as act
from sim.models.stochastic.roberts import LfsrConfig

UNITS = (act.ScUnit(256), act.ScUnit(100, LfsrConfig(taps=(0xE1, 0x8E, 0xB8),
                                                       seeds=(0x33, 0x17, 0xC3))), act.ScUnit(13))


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: f"N{u.n}")
def test_image_path_equals_cycle_mirror(unit: act.ScUnit) -> None:
    rng = np.random.default_rng(4)
    cases = [act.corner_rows(rng.integers(0, 256, (7, 9))), np.zeros((5, 4), dtype=np.int64),
             rng.integers(0, 256, (1, 4)), act.corner_rows(np.full((4, 4), 255))]
    for px in cases:
        assert act.sc_image_toggles(unit, px) == act.sc_toggles(unit, px)
    bad = cases[0].copy()
    bad[2, 1] ^= 0x20
    assert act.sc_image_toggles(unit, bad) != act.sc_toggles(unit, cases[0])


def test_toggles_follow_data_and_bad_input() -> None:
    cases = act.toggle_cases(9, 9)
    unit = UNITS[0]
    sc = {k: sum(act.sc_image_toggles(unit, v).values()) for k, v in cases.items()}
    bn = {k: sum(act.bin_toggles(v).values()) for k, v in cases.items()}
    assert sc["zeros"] < sc["camera"] < sc["random"]
    assert bn["zeros"] < bn["camera"] < bn["random"]
    with pytest.raises(SimError):
        act.sc_image_toggles(unit, np.full((2, 4), 256))
    with pytest.raises(SimError):
        act.bin_toggles(np.zeros((2, 3)))
