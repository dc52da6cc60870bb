"""The registered ``stochastic`` family: arch validation, op handling, cycles, ledger, costing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.api import run
from sim.core.errors import SimError, UnsupportedOpError
from sim.family import get_family
from sim.models.stochastic import FAMILY
from sim.models.stochastic.analysis import cost_rows
from sim.models.stochastic.arch import StochasticArch
from sim.models.stochastic.cost import pixel_actions
from sim.workload.trace import Trace

REPO = Path(__file__).resolve().parents[2]


def _arch(**kw: object) -> StochasticArch:
    return StochasticArch.model_validate({"version": 1, "family": "stochastic", **kw})


def _trace(h: int = 33, w: int = 33, image: str = "skimage:camera") -> Trace:
    return Trace.model_validate({"version": 1, "name": "t", "ops": [
        {"name": "r", "kind": "image_filter", "filter": "roberts", "height": h, "width": w,
         "tensors": {"image": image}}]})


def test_family_is_registered() -> None:
    assert get_family("stochastic") is FAMILY
    assert FAMILY.op_kinds == frozenset({"image_filter"})


@pytest.mark.parametrize("bad", [
    {"stream_bits": 1}, {"units": 0}, {"noise": {"rate": 0.7}},
    {"device": {"kind": "linear"}}, {"sng": "halton"}, {"device": {"kind": "threshold",
                                                                   "sigma_v": -0.1}},
    {"lfsr": {"seeds": [0, 1, 1]}}, {"image": "lena"}, {"colour": 1},
])
def test_bad_arch_values_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _arch(**bad)


def test_cycles_ledger_and_metrics_of_one_op() -> None:
    # 33 x 33 image -> 32 x 32 = 1024 output pixels; P = 16 units, N = 256:
    # 1024 / 16 = 64 pixels per unit, 64 * 256 cycles + 1 accept cycle.
    model = FAMILY.build(_arch(sng="lfsr", units=16, stream_bits=256, energy="per_cycle"))
    res = model.run(_trace(), seed=0)
    assert res.cycles == 64 * 256 + 1
    assert res.ops[0].detail["energy_basis"] == "per-cycle"
    assert res.metrics["gate_evals"] == 1024 * 3 * 256
    assert res.ledger["sc_xor2.eval"] == 1024 * 2 * 256
    assert res.ledger["sc_cmp8.compare"] == 1024 * 5 * 256
    assert res.inventory["sc_xor2"] == 16 * (2 + 3 * 3)  # core XORs + 3 LFSRs x 3 feedback XORs
    assert 0.9 < res.utilisation["roberts"] <= 1.0
    for key in ("psnr", "ssim", "f1", "binary_f1", "sc_f1", "pixels_per_s"):
        assert key in res.metrics
    binary = FAMILY.build(_arch(operator="binary", units=16, energy="per_cycle")).run(
        _trace(), seed=0)
    assert binary.cycles == 64  # one pixel per cycle per unit, no extra edge
    assert binary.ledger["bin_sub8.op"] == 2 * 1024


def test_activity_energy_basis_per_op() -> None:
    """LFSR and binary units are costed from the toggles of their RTL mirrors on the op's image
    (every flop of every unit clocked each cycle); the LFSR steps stay one charge per busy cycle;
    memristor SNGs fall back to per-cycle charging and say so."""
    from sim.models.stochastic import activity

    res = FAMILY.build(_arch(sng="lfsr", units=16, stream_bits=256)).run(_trace(), seed=0)
    assert res.ops[0].detail["energy_basis"] == "activity"
    assert "sc_xor2.eval" not in res.ledger and res.ledger["sc_mux2.toggle_bit"] > 0
    assert res.ledger["sc_lfsr8.step"] == 1024 * 3 * 256
    assert res.ledger["sc_dff.clock_bit"] == 16 * activity.sc_flops(activity.ScUnit(256)) * (
        64 * 256 + 1)
    binary = FAMILY.build(_arch(operator="binary", units=16)).run(_trace(), seed=0)
    flat = FAMILY.build(_arch(operator="binary", units=16)).run(_trace(h=33, w=33,
                                                                         image="skimage:moon"),
                                                                 seed=0)
    assert binary.ops[0].detail["energy_basis"] == "activity"
    assert binary.ledger["bin_sub8.toggle_bit"] != flat.ledger["bin_sub8.toggle_bit"]
    mem = FAMILY.build(_arch(sng="memristor")).run(_trace(9, 9), seed=0)
    assert mem.ops[0].detail["energy_basis"] == "per-cycle (no activity model for sng=memristor)"


def test_memristor_switch_events_follow_drive_probability() -> None:
    arch = _arch(sng="memristor", device={"kind": "exponential", "pulse_s": 1e-6})
    res = FAMILY.build(arch).run(_trace(9, 9), seed=1)
    p = arch.device_model().drive_p()
    assert 0.0 < p < 1.0
    assert res.ledger["sne_memristor.switch"] == pytest.approx(64 * 3 * 256 * p)
    assert res.ledger["sne_memristor.read"] == 64 * 3 * 256


def test_unsupported_ops_and_images() -> None:
    model = FAMILY.build(_arch())
    gemm = Trace.model_validate({"version": 1, "name": "g", "ops": [
        {"name": "g", "kind": "gemm", "m": 2, "n": 2, "k": 2}]})
    with pytest.raises(UnsupportedOpError, match="not supported by family stochastic"):
        model.run(gemm, 0)
    sobel = _trace().model_copy(update={"ops": [_trace().ops[0].model_copy(
        update={"filter": "sobel"})]})
    with pytest.raises(SimError, match="unknown filter"):
        model.run(sobel, 0)
    with pytest.raises(SimError, match="smaller than"):
        model.run(_trace(1000, 10), 0)
    with pytest.raises(SimError, match=r"needs the trace's \.npz"):
        model.run(_trace(image="pixels"), 0)


def test_image_from_trace_npz(tmp_path: Path) -> None:
    import numpy as np

    img = (np.arange(16 * 16).reshape(16, 16) % 256).astype(np.uint8)
    np.savez(tmp_path / "t.npz", pixels=img)
    trace = _trace(16, 16, image="pixels").model_copy(update={"tensors": str(tmp_path / "t.npz")})
    res = FAMILY.build(_arch(operator="binary")).run(trace, 0)
    assert res.metrics["psnr"] == 100.0  # noiseless binary operator equals the reference
    with pytest.raises(SimError, match=r"not in t\.npz"):
        FAMILY.build(_arch()).run(_trace(16, 16, image="other").model_copy(
            update={"tensors": str(tmp_path / "t.npz")}), 0)


def test_shipped_workload_runs_and_is_costed() -> None:
    out = run(REPO / "workloads" / "stochastic-roberts.yaml", write=False,
              overrides={"arch.stream_bits": 16})
    assert out.result.metrics["energy_pj"] > 0
    assert out.result.metrics["area_um2"] > 0


@pytest.mark.parametrize("arch", ["stochastic-memristor", "stochastic-lfsr", "stochastic-binary"])
def test_shipped_arch_files_validate(arch: str) -> None:
    from sim.api import validate_file

    assert validate_file(REPO / "arch" / f"{arch}.yaml")


def test_cost_core_saving_is_near_published_and_units_are_not() -> None:
    rows = {str(r["basis"]).split(" (")[0]: r for r in cost_rows(256)}
    core = rows["core logic"]
    assert 90.0 < float(core["saving_transistors_pct"]) < 99.0
    assert float(rows["unit with LFSR SNGs"]["saving_ge_pct"]) < 0.0
    sc = pixel_actions("stochastic", "lfsr", 256)
    assert sc["sc_mux2.eval"] == 256


def test_sweep_over_length_and_noise() -> None:
    from sim.models.stochastic.analysis import sweep_rows
    from sim.models.stochastic.model import load_sample

    img = load_sample("camera")[150:214, 180:244]
    rows = sweep_rows(img, (64, 256), (0.0, 0.1), sng="lfsr", units=4, freq_mhz=100.0)
    by = {(r["n_bits"], r["rate"]): r for r in rows}
    assert by[(256.0, 0.0)]["pixels_per_s"] == 4 * 100e6 / 256
    e64, e256 = by[(64.0, 0.0)]["energy_pj_per_pixel"], by[(256.0, 0.0)]["energy_pj_per_pixel"]
    # N x per-cycle energy; the counters are also 2 + 2 bits wider at N = 256 than at N = 64
    assert 4.0 < float(e256) / float(e64) < 5.0
    assert float(by[(256.0, 0.1)]["f1"]) > float(by[(64.0, 0.1)]["f1"])
