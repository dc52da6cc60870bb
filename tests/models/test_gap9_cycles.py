"""NE16 cycle model, tiling and the SimPy double-buffer pipeline.

Expected numbers are hand-derived from the reference's published formulas and tables
(``shared/reference/gap9.md`` section 4), never from the code under test.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.models.gap9 import cycles as cy
from sim.models.gap9.arch import Gap9Arch
from sim.models.gap9.layers import Layer
from sim.models.gap9.soc import TileJob, run_tiles
from sim.models.gap9.tiling import choose_tiling, dma_cycles, tile_cycles_vec

# Reference section 4: cycles per K_in subtile (k = 32; depthwise k = 16).
KIN_3X3 = {8: 301, 7: 269, 6: 237, 5: 205, 4: 173, 3: 141, 2: 109}
KIN_DW = {8: 189, 6: 157, 4: 125, 3: 109, 2: 93}


@pytest.mark.parametrize("qw", sorted(KIN_3X3))
def test_kin_subtile_cycles_3x3(qw: int) -> None:
    # 31 (load) + 6 (woff) + 6 + 32*Qw (mv) + 2 (update)
    assert cy.kin_subtile_cycles("3x3", 32, qw) == KIN_3X3[qw] == 45 + 32 * qw


@pytest.mark.parametrize("qw", sorted(KIN_DW))
def test_kin_subtile_cycles_dw_and_1x1(qw: int) -> None:
    assert cy.kin_subtile_cycles("dw", 16, qw) == KIN_DW[qw]
    assert cy.kin_subtile_cycles("1x1", 32, qw) == 65  # 19 + 6 + 38 + 2, independent of Qw


def test_normquant_and_streamout_by_hand() -> None:
    assert cy.normquant_cycles(32) == 9 + 8 + 8 + 4 == 29
    assert cy.streamout_cycles(32) == 13
    assert cy.normquant_cycles(16) == 9 + 4 + 8 + 2
    assert cy.normquant_cycles(32, cy.NqConfig(per_channel_shift=True, bias=False)) == 8 + 9 + 8
    assert cy.normquant_cycles(32, cy.NqConfig(scale_bits=32)) == 9 + 32 + 8 + 4
    assert cy.streamout_cycles(32, cy.NqConfig(out_bits=32)) == 3 + 9 * 4 + 1
    assert cy.normquant_cycles(32, cy.NqConfig(enabled=False, out_bits=32)) == 0


# Reference table "MAC/cycle (many K_in)" and "(K_in = 16, incl. nq + so)", one decimal.
MAC_STEADY_3X3 = {8: 137.8, 7: 154.2, 6: 175.0, 5: 202.3, 4: 239.7, 3: 294.1, 2: 380.5}
MAC_KIN16_3X3 = {8: 120.9, 7: 133.4, 6: 148.6, 5: 167.9, 4: 192.9, 3: 226.6, 2: 274.6}
MAC_DW = {8: (6.9, 5.8), 6: (8.3, 6.7), 4: (10.4, 8.0), 3: (11.9, 8.9), 2: (13.9, 10.0)}


@pytest.mark.parametrize("qw", sorted(MAC_STEADY_3X3))
def test_mac_per_cycle_matches_reference_table(qw: int) -> None:
    assert round(cy.mac_per_cycle_steady("3x3", qw), 1) == MAC_STEADY_3X3[qw]
    assert round(cy.mac_per_cycle("3x3", qw, 16), 1) == MAC_KIN16_3X3[qw]
    assert round(cy.mac_per_cycle_steady("1x1", qw), 1) == 70.9
    assert round(cy.mac_per_cycle("1x1", qw, 16), 1) == 43.1
    if qw in MAC_DW:
        assert round(cy.mac_per_cycle_steady("dw", qw), 1) == MAC_DW[qw][0]
        assert round(cy.mac_per_cycle("dw", qw, 16), 1) == MAC_DW[qw][1]


@pytest.mark.parametrize("qw,want", [(8, 301.5e3), (6, 239.6e3), (4, 177.6e3), (3, 146.7e3),
                                     (2, 115.7e3)])
def test_example_layer_3x3(qw: int, want: float) -> None:
    got = cy.layer_cycles(cy.LayerShape("3x3", 64, 64, 32, 32, qw))
    assert abs(got - want) <= 0.05e3


@pytest.mark.parametrize("qw,want", [(8, 64.8e3), (6, 55.6e3), (4, 46.4e3), (3, 41.8e3),
                                     (2, 37.2e3)])
def test_example_layers_dw_and_1x1(qw: int, want: float) -> None:
    assert abs(cy.layer_cycles(cy.LayerShape("dw", 128, 128, 16, 16, qw)) - want) <= 0.05e3
    assert abs(cy.layer_cycles(cy.LayerShape("1x1", 64, 128, 16, 16, qw)) - 43.5e3) <= 0.05e3


def test_layer_formula_with_remainders_by_hand() -> None:
    # 3x3, K_in 20 (2 subtiles), K_out 40 (32 + 8), 4x5 output -> 2*2 spatial subtiles, Qw 3
    job32 = 2 * (31 + 6 + 6 + 32 * 3 + 2) + 29 + 13
    job8 = 2 * (31 + 6 + 6 + 8 * 3 + 2) + (9 + 2 + 8 + 1) + 13
    assert cy.layer_cycles(cy.LayerShape("3x3", 20, 40, 4, 5, 3)) == 4 * (job32 + job8)
    # linear (derived model): K_in 300 -> 2 subtiles of 256, K_out 10, M = 3 rows
    lin = 2 * (14 + 6 + 6 + 10 * 5 + 2) + (9 + 3 + 8 + 2) + (3 + 1 + 1)
    assert cy.layer_cycles(cy.LayerShape("linear", 300, 10, 3, 1, 5)) == 3 * lin


def test_breakdown_sums_to_total() -> None:
    for mode, qw in itertools.product(("3x3", "1x1", "dw", "linear"), (2, 5, 8)):
        k_in = 48 if mode == "dw" else 70
        layer = cy.LayerShape(mode, k_in, 48, 7, 11, qw)
        assert sum(cy.layer_breakdown(layer).values()) == cy.layer_cycles(layer)


def test_vectorised_tile_cycles_equal_scalar() -> None:
    rng = np.random.default_rng(0)
    nq, geo = cy.DEFAULT_NQ, cy.NE16
    for mode in ("3x3", "1x1", "dw", "linear"):
        h = rng.integers(1, 20, 30)
        w = rng.integers(1, 20, 30)
        k = rng.integers(1, 100, 30)
        got = tile_cycles_vec(mode, 37, h, w, k, 5, 1, nq, geo)
        for i in range(30):
            k_in = int(k[i]) if mode == "dw" else 37
            want = cy.layer_cycles(cy.LayerShape(mode, k_in, int(k[i]), int(h[i]), int(w[i]), 5))
            assert got[i] == want


def test_bad_layer_is_sim_error() -> None:
    with pytest.raises(SimError, match=r"2\.\.8"):
        cy.LayerShape("3x3", 16, 16, 3, 3, 9)
    with pytest.raises(SimError, match="mode"):
        cy.LayerShape("5x5", 16, 16, 3, 3, 8)


# ---------------------------------------------------------------- SimPy double buffering


def test_pipeline_compute_bound_by_hand() -> None:
    jobs = [TileJob(load=10, compute=100, store=5)] * 3
    # load0 0-10, compute 10-310 back to back, last store 310-315
    assert run_tiles(jobs).cycles == 315


def test_pipeline_dma_bound_by_hand() -> None:
    jobs = [TileJob(load=50, compute=10, store=20)] * 3
    # L0 0-50 C0 50-60 L1 50-100 S0 100-120 C1 100-110 S1 120-140 L2 140-190 C2 190-200 S2 200-220
    tl = run_tiles(jobs)
    assert tl.cycles == 220
    assert tl.dma_busy == 3 * 70
    assert tl.compute_busy == 30
    assert run_tiles(jobs, buffers=1).cycles == 3 * 80  # nothing overlaps


def test_pipeline_bounds_random() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        jobs = [TileJob(int(a), int(b), int(c)) for a, b, c in rng.integers(0, 200, (7, 3))]
        t = run_tiles(jobs).cycles
        comp = sum(j.compute for j in jobs)
        dma = sum(j.load + j.store for j in jobs)
        assert max(comp, dma) <= t <= comp + dma


# ---------------------------------------------------------------- tiling


def _layer(mode: str, k_in: int, k_out: int, h: int, w: int, qw: int = 8) -> Layer:
    k = 3 if mode in ("3x3", "dw") else 1
    return Layer(name="l", kind="conv2d", mode=mode, k_in=k_in, k_out=k_out, h_in=h + k - 1,
                 w_in=w + k - 1, h_out=h, w_out=w, kernel=(k, k), stride=1, padding=0,
                 groups=k_in if mode == "dw" else 1, qw=qw, macs=0)


@pytest.mark.parametrize("mode,k_in,k_out,h,w", [("3x3", 64, 64, 32, 32), ("1x1", 96, 160, 20, 9),
                                                  ("dw", 144, 144, 25, 25),
                                                  ("3x3", 128, 256, 8, 8)])
def test_tiling_fits_and_covers(mode: str, k_in: int, k_out: int, h: int, w: int) -> None:
    arch = Gap9Arch(version=1, family="gap9")
    layer = _layer(mode, k_in, k_out, h, w)
    t = choose_tiling(layer, arch)
    assert t.l1_bytes <= arch.l1.tiling_budget_bytes
    assert sum(k.count * k.h * k.w * k.k for k in t.kinds) == h * w * k_out
    # hand L1 footprint of the body tile (double buffered): inputs + weights + params + outputs
    kk = 3 if mode != "1x1" else 1
    c_in = t.k if mode == "dw" else k_in
    inp = (t.h + kk - 1) * (t.w + kk - 1) * c_in
    wts = (-(-t.k // 16) * 8 * 9 * 2) if mode == "dw" else t.k * -(-k_in // 16) * 8 * kk * kk * 2
    single = t.tiles == 1
    assert t.l1_bytes == (1 if single else 2) * (inp + wts + t.k * 5 + t.h * t.w * t.k)


def test_tiling_picks_minimum_of_brute_force() -> None:
    arch = Gap9Arch(version=1, family="gap9",
                    l1={"tiling_budget_bytes": 20000})  # type: ignore[arg-type]
    layer = _layer("3x3", 32, 64, 12, 12, qw=4)
    t = choose_tiling(layer, arch)
    # brute force with plain loops: tiles of multiples of 3 (or the full size), k of 32 or 64
    best = None
    for th in (3, 6, 9, 12):
        for tw in (3, 6, 9, 12):
            for tk in (32, 64):
                n = -(-12 // th) * -(-12 // tw) * -(-64 // tk)
                l1 = (1 if n == 1 else 2) * ((th + 2) * (tw + 2) * 32 + tk * 2 * 4 * 9 * 2
                                             + tk * 5 + th * tw * tk)
                if l1 > 20000:
                    continue
                comp = 0
                dma = 0
                for hh, ww in itertools.product(_sizes(12, th), _sizes(12, tw)):
                    for kk in _sizes(64, tk):
                        comp += cy.layer_cycles(cy.LayerShape("3x3", 32, kk, hh, ww, 4))
                        dma += int(dma_cycles((hh + 2) * (ww + 2) * 32, hh + 2, arch.dma))
                        dma += int(dma_cycles(hh * ww * kk, hh, arch.dma))
                first = int(dma_cycles((th + 2) * (tw + 2) * 32, th + 2, arch.dma)) + int(
                    dma_cycles(tk * 2 * 4 * 9 * 2 + tk * 5, 1, arch.dma))
                last = int(dma_cycles(_sizes(12, th)[-1] * _sizes(12, tw)[-1]
                                      * _sizes(64, tk)[-1], _sizes(12, th)[-1], arch.dma))
                dma += -(-64 // tk) * int(dma_cycles(tk * 2 * 4 * 9 * 2 + tk * 5, 1, arch.dma))
                est = first + max(comp, dma - first - last) + last
                if best is None or est < best:
                    best = est
    assert t.estimate == best


def _sizes(total: int, t: int) -> list[int]:
    return [t] * (total // t) + ([total % t] if total % t else [])


def test_layer_too_big_for_l1_is_sim_error() -> None:
    arch = Gap9Arch(version=1, family="gap9",
                    l1={"tiling_budget_bytes": 1000})  # type: ignore[arg-type]
    with pytest.raises(SimError, match="does not fit L1"):
        choose_tiling(_layer("3x3", 512, 64, 9, 9), arch)
