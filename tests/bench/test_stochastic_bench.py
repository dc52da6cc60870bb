"""Speed of the stochastic Roberts cross: 512 x 512 image, N = 256, one core (prints, no timed
asserts; the issue's target is < 2 s)."""

from __future__ import annotations

import time

import pytest

from sim.models.stochastic.model import load_sample
from sim.models.stochastic.roberts import ScConfig, make_rng, roberts_binary, roberts_sc

pytestmark = pytest.mark.bench


@pytest.mark.parametrize("sng", ["lfsr", "sobol", "memristor"])
@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_roberts_512_at_256_bits(sng: str, rate: float) -> None:
    img = load_sample("camera")
    assert img.shape == (512, 512)
    cfg = ScConfig(n_bits=256, sng=sng, noise_rate=rate)  # type: ignore[arg-type]
    roberts_sc(img[:8, :8], cfg)  # warm caches (LFSR tables, scipy import)
    began, cpu = time.perf_counter(), time.process_time()
    run = roberts_sc(img, cfg, make_rng(0))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    bits = run.counts.size * 256 * 5
    print(f"\nstochastic roberts 512x512 N=256 sng={sng} flips={rate:.0%}: {seconds:.3f} s wall, "
          f"{cpu:.3f} s CPU ({bits / seconds / 1e9:.2f} Gbit/s of input streams; target < 2 s)")
    assert run.counts.shape == roberts_binary(img).shape
