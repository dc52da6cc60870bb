"""sim.models.tpe.activity: the fast GEMM path equals the edge-by-edge PE model (which the RTL
bench checks), and toggle counts follow the data (zeros, sparsity, random)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.tpe import activity as ac


@pytest.mark.parametrize("width", [32, 20])
@pytest.mark.parametrize("kind", ["mac", "opt1"])
def test_gemm_path_equals_edge_model(kind: str, width: int) -> None:
    rng = np.random.default_rng(3)
    for m, k, n in ((5, 17, 7), (1, 1, 1), (3, 40, 2)):
        a, b = rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))
        a[0, :3] = 0
        assert ac.os_gemm_toggles(kind, a, b, width) == ac.pe_toggles(
            kind, ac.os_stream(a, b), width)


def test_gemm_path_detects_a_changed_operand() -> None:
    """Negative control: one changed operand changes the counts."""
    rng = np.random.default_rng(4)
    a, b = rng.integers(-128, 128, (4, 16)), rng.integers(-128, 128, (16, 4))
    base = ac.os_gemm_toggles("opt1", a, b, 32)
    a[2, 7] ^= 0x40
    assert ac.os_gemm_toggles("opt1", a, b, 32) != base


def test_zero_operands_toggle_only_the_valid_flag() -> None:
    a, b = np.zeros((4, 8), dtype=np.int64), np.zeros((8, 3), dtype=np.int64)
    for kind in ("mac", "opt1"):
        out = ac.os_gemm_toggles(kind, a, b, 32)
        assert out.pop("reg_valid") == 2 * 4 * 3
        assert set(out.values()) == {0}


def test_sparser_activations_toggle_less() -> None:
    a, b = ac.trace_gemms()["attention.self.query"]
    a, b = a[:8, :64], b[:64, :8]
    sparse = np.where(np.arange(64) % 2 == 0, a, 0)
    for kind in ("mac", "opt1"):
        dense_t = ac.os_gemm_toggles(kind, a, b, 32)
        sparse_t = ac.os_gemm_toggles(kind, sparse, b, 32)
        assert sparse_t["reg_acc"] < dense_t["reg_acc"]


def test_mac_random_rates_match_closed_forms() -> None:
    """On uniform random operands each operand bit flips with probability 1/2 (8 per beat)."""
    rng = np.random.default_rng(5)
    n = 20000
    s = ac.make_stream(rng.integers(-128, 128, n), rng.integers(-128, 128, n),
                       np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
    rate = ac.pe_toggles("mac", s, 32)["reg_operand"] / n
    assert rate == pytest.approx(8.0, rel=0.02)


def test_bad_input_is_a_sim_error() -> None:
    with pytest.raises(SimError, match="no activity model"):
        ac.os_gemm_toggles("laconic", np.zeros((1, 1), dtype=np.int64),
                           np.zeros((1, 1), dtype=np.int64), 32)
    with pytest.raises(SimError, match=r"widths 2\.\.32"):
        ac.os_gemm_toggles("mac", np.zeros((1, 1), dtype=np.int64),
                           np.zeros((1, 1), dtype=np.int64), 40)


def test_tech_rows_reproduce_published_per_op_energy_on_random_data() -> None:
    """The per-toggle rows are per-op energies over random-data toggles: a MAC product on random
    operands then costs the Horowitz 0.2 pJ multiply (45 nm row, 45 nm table)."""
    from sim.tech import load_tables

    table = load_tables(45)
    rng = np.random.default_rng(6)
    n = 50000
    s = ac.make_stream(rng.integers(-128, 128, n), rng.integers(-128, 128, n),
                       np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
    per_op = ac.pe_toggles("mac", s, 32)["mult"] / n
    assert per_op * table.lookup("tpe.mult.toggle_bit", "energy").value == pytest.approx(
        0.2, rel=0.01)


def test_activity_energy_follows_data() -> None:
    """Activity energy of the OS systolic design: zeros < trace < random (per-cycle energy is the
    same for all three)."""
    from sim.models.tpe import designs, evaluate
    from sim.tech import load_tables

    table = load_tables(28)
    a, b = ac.trace_gemms()["attention.self.query"]
    a, b = a[:16, :64], b[:64, :16]
    rng = np.random.default_rng(7)
    des = designs.build_design("systolic_os", "opt1", (8, 8))
    data = {"zeros": (np.zeros_like(a), b), "trace": (a, b),
            "random": (rng.integers(-128, 128, a.shape), rng.integers(-128, 128, b.shape))}
    runs = {name: evaluate.evaluate(des, 16, 16, 64, table, x, y, activity=True)
            for name, (x, y) in data.items()}
    act = {k: v.activity_pj for k, v in runs.items()}
    assert None not in act.values()
    assert act["zeros"] < act["trace"] < act["random"]  # type: ignore[operator]
    assert len({v.energy_pj for v in runs.values()}) == 1


def test_model_run_records_its_energy_basis() -> None:
    """A systolic OS run on trace data is costed from activity; ``energy: per_cycle`` and designs
    without an activity model fall back to per-cycle charging, and say so per op."""
    from sim.models.tpe.model import TpeArch, TpeModel, summary_lines
    from sim.tech import cost
    from sim.tech import load_tables as tables
    from sim.workload.trace import Trace

    a, b = ac.trace_gemms()["attention.self.query"]
    a, b = a[:8, :32], b[:32, :8]
    trace = Trace.model_validate({"version": 1, "name": "q", "ops": [
        {"name": "q", "kind": "gemm", "m": 8, "k": 32, "n": 8, "tensors": {"a": "A", "b": "B"}}]})

    def run(**arch: object) -> tuple[str, dict[str, float], list[tuple[str, str]]]:
        model = TpeModel(TpeArch.model_validate({"version": 1, "family": "tpe", **arch}))
        result = model.run(trace, seed=0, tensors={"A": a, "B": b})
        result.costing = {"energy_pj": cost(result, tables(28)).energy_pj}
        return (str(result.ops[0].detail["energy_basis"]), dict(result.ledger),
                summary_lines(result))

    basis, ledger, lines = run(architecture="systolic", pe="opt1", sizes=[4, 4])
    assert basis == "activity" and "tpe.fa.toggle_bit" in ledger
    assert lines[0] == ("energy basis", "activity: 1 op(s)")
    assert lines[1][0] == "energy of those ops, per-cycle model"
    basis, ledger, lines = run(architecture="systolic", pe="opt1", sizes=[4, 4],
                               energy="per_cycle")
    assert basis == "per-cycle" and "tpe.fa.toggle_bit" not in ledger and len(lines) == 1
    basis, ledger, _ = run(architecture="tree", pe="opt2")
    assert basis == "activity" and "tpe.enc.toggle_bit" in ledger
    basis, _, _ = run(architecture="bitslice", pe="opt3")
    assert basis.startswith("per-cycle (no activity model")


def test_ws_folds_chain_partial_sums() -> None:
    """The last K fold of every N fold holds P = A[:, :k0] W[:k0]: P + A W = C exactly."""
    rng = np.random.default_rng(8)
    a, b = rng.integers(-128, 128, (5, 10)), rng.integers(-128, 128, (10, 6))
    folds = ac.ws_gemm_folds(a, b, 4, 4)
    assert len(folds) == 3 * 2
    for j, last in enumerate((folds[2], folds[5])):
        got = last.p + last.a @ last.w
        np.testing.assert_array_equal(got[:, : min(4, 6 - 4 * j)], (a @ b)[:, 4 * j:4 * j + 4])
    assert np.array_equal(folds[1].prev_w, folds[0].w)


def test_ws_activity_follows_data() -> None:
    rng = np.random.default_rng(9)
    a, b = ac.trace_gemms()["attention.self.query"]
    a, b = a[:8, :16], b[:16, :8]
    rand = (rng.integers(-128, 128, a.shape), rng.integers(-128, 128, b.shape))
    for kind in ("mac", "opt1"):
        tot = {name: sum(ac.ws_array_toggles(kind, ac.ws_gemm_folds(x, y, 4, 4)).values())
               for name, (x, y) in {"zeros": (np.zeros_like(a), np.zeros_like(b)),
                                    "trace": (a, b), "random": rand}.items()}
        assert tot["zeros"] == 0 < tot["trace"] < tot["random"]


def test_cube_stream_tiles_reassemble_the_gemm() -> None:
    """Summing tile products of the stream per output block gives C (block order M, N, K)."""
    rng = np.random.default_rng(10)
    a, b = rng.integers(-128, 128, (5, 7)), rng.integers(-128, 128, (7, 3))
    xa, xb = ac.cube_stream(a, b, 2, 2, 2)
    mb, kb, nb = 3, 4, 2
    assert xa.shape == (mb * nb * kb + 6, 2, 2) and not xa[-6:].any()
    prods = np.einsum("eik,ekj->eij", xa[:-6], xb[:-6]).reshape(mb, nb, kb, 2, 2).sum(axis=2)
    c = prods.transpose(0, 2, 1, 3).reshape(mb * 2, nb * 2)[:5, :3]
    np.testing.assert_array_equal(c, a @ b)


def test_cube_activity_zero_and_data() -> None:
    a, b = ac.trace_gemms()["attention.self.query"]
    a, b = a[:4, :16], b[:16, :4]
    for kind in ("mac", "opt1"):
        zeros = ac.cube_toggles(kind, *ac.cube_stream(np.zeros_like(a), b, 2, 2, 2))
        full = ac.cube_toggles(kind, *ac.cube_stream(a, b, 2, 2, 2))
        assert zeros["reg_acc"] == 0 < full["reg_acc"]
        assert zeros["reg_operand"] > 0  # the weights still move through the cube


@pytest.mark.parametrize("kind", ["mac", "opt2"])
def test_matrix_fast_path_equals_cycle_model(kind: str) -> None:
    """The time-vectorised 2D-matrix path equals the cycle-by-cycle mirror (which the RTL bench
    checks), ragged shapes included; a changed operand changes the counts (negative control)."""
    rng = np.random.default_rng(11)
    for (m, k, n), size in (((2, 8, 2), (2, 2, 4)), ((5, 13, 7), (2, 3, 4)),
                            ((8, 40, 8), (4, 4, 4))):
        a, b = rng.integers(-128, 128, (m, k)), rng.integers(-128, 128, (k, n))
        a[0, :3] = 0
        ref = ac.matrix_toggles(kind, ac.matrix_tiles(a, b, *size))
        assert ac.matrix_gemm_toggles(kind, a, b, *size) == ref
        a[-1, -1] ^= 0x21
        assert ac.matrix_gemm_toggles(kind, a, b, *size) != ref


@pytest.mark.parametrize("kind", ["mac", "opt2"])
def test_tree_chunks_and_controls(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tree mirror gives the same counts whatever its chunk size; zeros toggle only the
    valid shift register (2 toggles per bit); trace < random; a changed weight changes it."""
    from sim.models.tpe import tree_activity as tr

    a, b = ac.trace_gemms()["attention.self.query"]
    a, b = a[:5, :40], b[:40, :9]  # K and N not multiples of the tree: zero-padded lanes
    s = tr.tree_stream(a, b, 16, 4)
    ref = tr.tree_toggles(kind, s)
    monkeypatch.setattr(tr, "CHUNK", 7)
    assert tr.tree_toggles(kind, s) == ref
    zeros = tr.tree_toggles(kind, tr.tree_stream(np.zeros_like(a), np.zeros_like(b), 16, 4))
    assert zeros == {g: (8 if kind == "mac" else 12) if g == "reg_valid" else 0
                     for g in tr.TREE_GROUPS[kind]}
    rng = np.random.default_rng(3)
    rand = tr.tree_toggles(kind, tr.tree_stream(rng.integers(-128, 128, a.shape),
                                                rng.integers(-128, 128, b.shape), 16, 4))
    assert sum(ref.values()) < sum(rand.values())
    bb = b.copy()
    bb[0, 0] ^= 3
    assert tr.tree_toggles(kind, tr.tree_stream(a, bb, 16, 4)) != ref
    with pytest.raises(SimError):
        tr.tree_toggles("opt1", s)
