"""The in-flight read limit of a channel's memory interface (``controller.read_inflight``)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.errors import SimError
from sim.hw.dram.config import make_config
from sim.hw.dram.replay import replay
from sim.hw.dram.stream import sequential_stream, stream_efficiency


def _reads(cap: int, n: int = 400) -> object:
    cfg = make_config("neupims_hbm2_32ch", controller={"read_inflight": cap})
    return sequential_stream(cfg, n)


def test_one_read_in_flight_waits_for_the_previous_return() -> None:
    stats = _reads(1)
    accepted, done = stats.accepted, stats.done  # type: ignore[attr-defined]
    # A read enters one cycle after its slot frees (the driver hands it over at the return
    # cycle, the controller takes it the cycle after), never earlier.
    assert np.all(accepted[1:] >= done[:-1])
    assert np.all(accepted[1:] <= done[:-1] + 1)


def test_limit_zero_is_the_unlimited_controller() -> None:
    cfg = make_config("neupims_hbm2_32ch")
    addrs = np.arange(2000, dtype=np.int64) * 64
    ref = replay(cfg, np.zeros(2000, np.int64), addrs, np.zeros(2000, bool), path="reference")
    fast = replay(cfg, np.zeros(2000, np.int64), addrs, np.zeros(2000, bool))
    assert np.array_equal(ref.done, fast.done) and ref.cycles == fast.cycles


def test_a_large_limit_changes_nothing_a_small_one_throttles() -> None:
    unlimited, large, small = _reads(0), _reads(4096), _reads(8)
    assert np.array_equal(unlimited.done, large.done)  # type: ignore[attr-defined]
    assert small.cycles > unlimited.cycles  # type: ignore[attr-defined]


def test_a_limit_exposes_refresh_on_a_sequential_stream() -> None:
    # With 96 reads in flight every queued read can belong to the rank being refreshed, so the
    # channel idles for tRFC; without the refresh (tRFC 1) most of the loss goes.
    def eff(cap: int, trfc: int = 260) -> float:
        return stream_efficiency(make_config("neupims_hbm2_32ch", timing={"tRFC": trfc},
                                             controller={"read_inflight": cap}))

    assert eff(96) < eff(0) - 0.05
    assert eff(96, trfc=1) > eff(96) + 0.05


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(SimError, match="read_inflight"):
        make_config("neupims_hbm2_32ch", controller={"read_inflight": -1})
