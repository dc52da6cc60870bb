"""tpe family: inventories, cycle models, model runs and costing, against hand-derived values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim.models.tpe  # noqa: F401  (registers the family)
from sim.core.errors import SimError, UnsupportedOpError
from sim.family import get_family
from sim.models.tpe import cost, designs, evaluate
from sim.models.tpe.model import TpeArch, TpeModel
from sim.models.tpe.realdata import load_sample
from sim.spec.validate import validate
from sim.spec.yamlio import load_yaml
from sim.tech import cost as tech_cost
from sim.tech import load_tables
from sim.workload.trace import Trace

RNG = np.random.default_rng(99)


def py_ent_nz(a: int) -> list[bool]:
    """Non-zero EN-T digits of one value, from the reference's rule."""
    s_mag, carry, out = abs(a), 0, []
    for i in range(4):
        v = (s_mag >> (2 * i)) % 4 + carry
        carry = 1 if v >= 3 else 0
        out.append(v % 4 != 0)
    return out


def test_reduce_columns_closed_forms() -> None:
    w = 16
    assert cost.reduce_columns([3] * w) == (w, 1)  # one 3:2 row, carry out of the top dropped
    assert cost.reduce_columns([2] * w) == (0, 0)
    assert cost.dadda_levels(6) == 3 and cost.dadda_levels(9) == 4 and cost.dadda_levels(4) == 2


def test_pe_inventories_hand_counted() -> None:
    mac, opt1 = cost.mac_pe(32), cost.opt1_pe(32)
    # registers: 8 + 8 operand bits + 32 accumulator (MAC) or 2 x 32 (sum, carry) for OPT1
    assert mac.counts["ff"] == 48 and opt1.counts["ff"] == 80
    assert mac.counts["cpa"] == 32 and "cpa" not in opt1.counts
    assert mac.counts["ppg"] == opt1.counts["ppg"] == 4 * 11
    assert opt1.counts["fa"] > mac.counts["fa"]
    opt4c = cost.opt3_pe(own_encoder=False)
    assert opt4c.counts["ff"] == 2 * 26 + 3 + 8 and opt4c.counts["fa"] == 26
    assert "enc" not in opt4c.counts and cost.opt3_pe().counts["enc"] == 4 * cost.LOCAL_K


def test_critical_paths_reproduce_reference_calibration() -> None:
    table = load_tables(28)
    # reference section 9 (SAED32): MAC PE 1.61 ns, OPT1 PE 1.06 ns, OPT4C 1695 MHz
    os_mac = designs.build_design("systolic_os", "mac")
    os_opt1 = designs.build_design("systolic_os", "opt1")
    assert evaluate.path_ps(os_mac, table) == pytest.approx(1610)
    assert evaluate.path_ps(os_opt1, table) == pytest.approx(1060)
    opt4c = designs.build_design("bitslice", "opt4c")
    assert 1e6 / evaluate.path_ps(opt4c, table) == pytest.approx(1695, rel=0.05)


@pytest.mark.parametrize(("arch", "pe", "shape", "want"), [
    # OS 16x16: folds ceil(20/16) * ceil(17/16) = 4, each 2*16 + 16 + 5 - 2 = 51 cycles
    ("systolic_os", "mac", (20, 17, 5), 4 * 51),
    ("systolic_os", "opt1", (20, 17, 5), 4 * (51 + 1)),
    # WS 16x16: Sr = K = 40 -> 3 folds, Sc = N = 8 -> 1; T = M = 7: 32 + 16 + 7 - 2 = 53
    ("systolic_ws", "mac", (7, 8, 40), 3 * 53),
    # cube 8x8x8: tiles 2 * 1 * 2 = 4 (M=9, K=8, N=16); last PE (7,7,7) at tile 3 + 21 + 1
    ("cube", "mac", (9, 16, 8), 4 + 22),
    ("cube", "opt1", (9, 16, 8), 4 + 22 + 1),
    # tree k16 x n16: folds ceil(40/16) * ceil(20/16) = 6, M = 5 rows each, + latency 3 / 5
    ("tree", "mac", (5, 20, 40), 6 * 5 + 3),
    ("tree", "opt2", (5, 20, 40), 6 * 5 + 5),
    # matrix2d 8x8x4: tiles ceil(9/8) * ceil(8/8) * ceil(9/4) = 6 + latency 1 / 2
    ("matrix2d", "mac", (9, 8, 9), 6 + 1),
    ("matrix2d", "opt2", (9, 8, 9), 6 + 2),
])
def test_dense_cycle_models(arch: str, pe: str, shape: tuple[int, int, int], want: int) -> None:
    m, n, k = shape
    assert designs.gemm_cycles_dense(designs.build_design(arch, pe), m, n, k) == want


def test_bitslice_cycles_brute_force() -> None:
    a = RNG.integers(-128, 128, size=(7, 22))
    a[3] = 0
    design = designs.build_design("bitslice", "opt4c", (3, 4))
    rows = []
    for row in a:
        padded = [*row.tolist(), *([0] * (-len(row) % 4))]
        t = 0
        for j in range(4):
            for g in range(0, len(padded), 4):
                t += max(1, sum(py_ent_nz(int(x))[j] for x in padded[g:g + 4]))
        rows.append(t)
    per_col = [sum(rows[i] for i in range(c, 7, 3)) for c in range(3)]
    n = 9  # three folds of 4 PEs
    want = 3 * max(per_col) + designs.BITSLICE_LATENCY
    assert designs.bitslice_cycles(design, a, n) == want
    # OPT4E: groups side by side in sets of 4 -> max over the set
    e = designs.build_design("bitslice", "opt4e", (1, 4))
    t_e = 0
    for row in a:
        padded = [*row.tolist(), *([0] * (-len(row) % 16))]
        for j in range(4):
            for s in range(0, len(padded), 16):
                t_e += max(max(1, sum(py_ent_nz(int(x))[j] for x in padded[g:g + 4]))
                           for g in range(s, s + 16, 4))
    assert designs.bitslice_cycles(e, a, 4) == t_e + designs.BITSLICE_LATENCY


def test_laconic_cycles_brute_force() -> None:
    def naf(v: int) -> int:
        v, c = abs(v), 0
        while v:
            if v & 1:
                c += 1
                v -= 2 - (v % 4)
            v //= 2
        return c

    a, b = RNG.integers(-128, 128, (5, 20)), RNG.integers(-128, 128, (20, 3))
    design = designs.build_design("laconic", "laconic", (2, 2, 8))
    per_out = np.zeros((5, 3), dtype=int)
    for m in range(5):
        for n in range(3):
            for g in range(0, 24, 8):
                lanes = [naf(int(a[m, k])) * naf(int(b[k, n])) for k in range(g, min(g + 8, 20))]
                per_out[m, n] += max(1, max(lanes))
    want = sum(per_out[i:i + 2, j:j + 2].max() for i in range(0, 5, 2) for j in range(0, 3, 2))
    assert designs.laconic_cycles(design, a, b) == want + designs.LACONIC_LATENCY


def test_bad_design_parameters() -> None:
    with pytest.raises(SimError, match="does not fit"):
        designs.build_design("systolic_os", "opt2")
    with pytest.raises(SimError, match="unknown TPE architecture"):
        designs.build_design("hexagon", "mac")
    with pytest.raises(SimError, match="needs 3 sizes"):
        designs.build_design("cube", "mac", (8, 8))
    with pytest.raises(SimError, match="depend on A"):
        designs.gemm_cycles_any(designs.build_design("bitslice", "opt3"), 4, 4, 4)


def _trace(with_tensors: bool) -> Trace:
    op = {"name": "q", "kind": "gemm", "m": 384, "k": 384, "n": 32}
    if with_tensors:
        op["tensors"] = {"a": "a_q0", "b": "b_x"}
    return Trace.model_validate({"version": 1, "name": "minilm q0", "ops": [op]})


def test_model_run_real_data_and_costing() -> None:
    sample = load_sample()
    arch = TpeArch.model_validate({"version": 1, "family": "tpe", "architecture": "bitslice",
                                   "pe": "opt4c", "sizes": [1, 32]})
    result = TpeModel(arch).run(_trace(True), seed=0, tensors=sample)
    t = designs.bitslice_cycles(designs.build_design("bitslice", "opt4c", (1, 32)),
                                sample["a_q0"], 32)
    assert result.cycles == t and result.ops[0].detail["operands"] == "trace"
    engine = designs.build_design("bitslice", "opt4c", (1, 32)).engine
    # every clocked register each cycle, plus the 32-bit result register once per digit pass
    gated = 32 * 32  # result registers of the 32 PEs are enabled only at pass ends
    assert engine.activity["ff"] == engine.counts["ff"] - gated
    assert result.ledger["tpe.ff.clock"] == pytest.approx(
        engine.activity["ff"] * result.cycles + 4 * 32 * 384 * 32)
    costing = tech_cost(result, load_tables(28))  # every ledger key and component has a row
    assert costing.total_energy_pj > 0 and costing.total_area_um2 > 0
    # dense design: data not needed, cycles from the closed form
    dense = TpeModel(TpeArch.model_validate({"version": 1, "family": "tpe",
                                             "architecture": "systolic", "dataflow": "WS",
                                             "pe": "opt1", "freq_mhz": 500.0}))
    res = dense.run(_trace(False), seed=0)
    # WS 16x16: Sr = K = 384 -> 24 folds, Sc = N = 32 -> 2 folds, T = M = 384
    assert res.cycles == 24 * 2 * (32 + 16 + 384 - 2 + 1)
    assert res.clocks["core"].freq_hz == 500e6


def test_model_rejects_unsupported_ops() -> None:
    model = TpeModel(TpeArch.model_validate({"version": 1, "family": "tpe",
                                             "architecture": "cube", "pe": "mac"}))
    trace = Trace.model_validate({"version": 1, "name": "x", "ops": [
        {"name": "sm", "kind": "eltwise", "elements": 10, "function": "softmax"}]})
    with pytest.raises(UnsupportedOpError, match="not supported by family 'tpe'"):
        model.run(trace, seed=0)
    assert get_family("tpe").op_kinds == frozenset({"gemm"})


def test_arch_schema_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nfamily: tpe\narchitecture: tree\npe: opt1\n")
    with pytest.raises(SimError) as err:
        validate(TpeArch, load_yaml(bad))
    assert "does not fit" in str(err.value) and "\n" not in str(err.value)
    bad.write_text("version: 1\nfamily: tpe\narchitecture: cube\npe: mac\nsizes: [8, 8]\n")
    with pytest.raises(SimError, match="3 integers"):
        validate(TpeArch, load_yaml(bad))


def test_real_sample_digit_statistics() -> None:
    s = load_sample()
    w = s["a_q0"].astype(int)
    brute = np.mean([sum(py_ent_nz(int(x))) for x in w.ravel()[:20000]])
    from sim.models.tpe.arith import nonzero_digits
    assert nonzero_digits(w.ravel()[:20000], "ent").mean() == pytest.approx(brute)
    # reference table: EN-T 2.45-2.48 digits at sigma 40 (our weights have sigma ~39)
    assert 35 < w.std() < 43
    assert nonzero_digits(w, "ent").mean() == pytest.approx(2.46, abs=0.1)


def test_comparison_table_shapes() -> None:
    s = load_sample()
    rows = evaluate.compare_all(s["a_q0"][:64], s["b_x"])
    assert [r.label for r in rows] == [p[0] for p in evaluate.PAIRS]
    for r in rows:
        assert r.area_ratio > 0 and r.energy_ratio > 0
        # an effective efficiency never beats the design's peak
        for ev, des in ((r.transformed, r.transformed.design), (r.baseline, r.baseline.design)):
            arch, pe, sizes = des.split("/")
            peak = designs.build_design(arch, pe, tuple(map(int, sizes.split("x"))))
            assert ev.macs / ev.cycles <= peak.peak_macs_per_cycle
