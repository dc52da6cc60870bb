"""Sustained bandwidth of regular streams, measured once on the event-driven controller.

Bulk transfers (weights, KV caches) are far too many requests to replay one by one for a whole
LLM decode step. Their access pattern is regular (sequential addresses), so the controller is
run once per configuration on a sequential stream long enough to span several refresh
intervals; the measured efficiency (achieved / peak bytes per cycle, including ACT/PRE and
refresh overheads) then converts any transfer size into cycles.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.core.ledger import Ledger
from sim.hw.dram.config import HbmConfig
from sim.hw.dram.replay import DramStats, replay


def sequential_stream(cfg: HbmConfig, requests: int, write: bool = False,
                      start: int = 0) -> DramStats:
    """Replay ``requests`` sequential bursts of channel 0, all in the trace at cycle ``start``
    (the driver hands over one per cycle; refresh falls due from cycle 0 on)."""
    org = cfg.org
    stride = org.request_bytes
    # Sequential addresses over the whole device, keeping those that map to channel 0.
    from sim.hw.dram.address import decode

    addrs = np.arange(requests * org.channels, dtype=np.int64) * stride
    ch0 = addrs[decode(addrs, org).channel == 0][:requests]
    n = len(ch0)
    return replay(cfg, np.full(n, start, np.int64), ch0, np.full(n, write))


@lru_cache(maxsize=32)
def stream_efficiency(cfg: HbmConfig, write: bool = False) -> float:
    """Achieved / peak bandwidth of one channel on a long sequential stream (0..1)."""
    span = 2 * cfg.timing.tREFI + cfg.timing.tRFC
    requests = max(256, span // cfg.org.burst_cycles)
    stats = sequential_stream(cfg, int(requests), write)
    peak = cfg.org.channel_bytes_per_cycle * stats.cycles
    return len(stats.done) * cfg.org.request_bytes / peak


@lru_cache(maxsize=32)
def stream_ledger_per_request(cfg: HbmConfig, write: bool = False) -> dict[str, float]:
    """Commands per request of a long sequential stream (``hbm.act`` etc.), for energy."""
    span = 2 * cfg.timing.tREFI + cfg.timing.tRFC
    requests = max(256, span // cfg.org.burst_cycles)
    stats = sequential_stream(cfg, int(requests), write)
    n = len(stats.done)
    return {k: v / n for k, v in stats.ledger(0).items() if not k.endswith("_ns")}


def transfer_cycles(cfg: HbmConfig, nbytes: float, channels: int | None = None,
                    write: bool = False) -> float:
    """Cycles to move ``nbytes`` spread evenly over ``channels`` (default: all) channels."""
    if nbytes <= 0:
        return 0.0
    ch = cfg.org.channels if channels is None else channels
    per_cycle = cfg.org.channel_bytes_per_cycle * stream_efficiency(cfg, write) * ch
    return nbytes / per_cycle


def transfer_ledger(cfg: HbmConfig, nbytes: float, write: bool = False) -> Ledger:
    """DRAM command counts of a sequential transfer of ``nbytes`` (fractional counts)."""
    requests = nbytes / cfg.org.request_bytes
    return Ledger({k: v * requests for k, v in stream_ledger_per_request(cfg, write).items()})
