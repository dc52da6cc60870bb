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
