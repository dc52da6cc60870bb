"""``sim dram replay``: replay a trace file on a preset and summarise the run.

The summary is cycles to finish, bandwidth, read latency (mean and nearest-rank percentiles,
from acceptance by the controller and from the trace cycle), row-hit rate, command counts and
energy (per-command energies and standby powers from the technology tables, where the preset
names a part that has rows there).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sim.hw.dram.config import HbmConfig, make_config
from sim.hw.dram.replay import DramStats, replay
from sim.hw.dram.trace import read_trace
from sim.tech.table import TechTable

PERCENTILES = (50, 90, 99)
ENERGY_ACTIONS = ("act", "pre", "rd", "wr", "ref")
STANDBY_STATES = ("act_stb", "pre_stb")  # columns of DramStats.standby


@dataclass
class ReplayRun:
    """A finished replay: configuration, statistics, wall time (s), energy per item (pJ)."""

    trace: Path
    preset: str
    cfg: HbmConfig
    stats: DramStats
    seconds: float
    energy_pj: dict[str, float]


def run(trace: str | Path, preset: str, table: TechTable | None, path: str = "fast",
        controller: dict[str, object] | None = None) -> ReplayRun:
    """Read ``trace`` (DRAMsim3 format, or CSV by extension), replay it on ``preset``."""
    cfg = make_config(preset, controller=controller)
    cycles, addresses, writes = read_trace(trace)
    start = time.perf_counter()
    stats = replay(cfg, cycles, addresses, writes, path=path)
    seconds = time.perf_counter() - start
    energy = energy_pj(stats, cfg, table) if table is not None and cfg.energy_part else {}
    return ReplayRun(Path(trace), preset, cfg, stats, seconds, energy)


def energy_pj(stats: DramStats, cfg: HbmConfig, table: TechTable) -> dict[str, float]:
    """Energy (pJ) of each command kind and standby state over the whole window."""
    part = cfg.energy_part
    counts = stats.counts
    out = {a: counts[a] * table.lookup(f"{part}.{a}", "energy").value for a in ENERGY_ACTIONS}
    ns = 1e9 / stats.freq_hz
    cycles = stats.standby.sum(axis=(0, 1)).tolist()
    for state, n in zip(STANDBY_STATES, cycles, strict=True):
        out[state] = n * ns * table.lookup(f"{part}.{state}", "power").value  # mW x ns = pJ
    return out


def summary_lines(r: ReplayRun) -> list[str]:
    """The human-readable summary printed by ``sim dram replay``."""
    s, org = r.stats, r.cfg.org
    reads = s.read_latency
    arrival = s.latency_from_arrival[~s.write]
    c = s.counts
    pct = ", ".join(f"p{q} {s.read_percentile(q)}" for q in PERCENTILES)
    lines = [
        f"trace {r.trace}: {len(s.done)} requests ({int(s.write.sum())} writes), preset "
        f"{r.preset} ({org.channels} ch x {org.ranks} rank, {org.row_bytes} B rows, "
        f"scheduler {r.cfg.controller.scheduler})",
        f"cycles to finish: {s.cycles} ({s.cycles * 1e3 / org.freq_mhz:.0f} ns)",
        f"bandwidth: {s.bandwidth_bytes_per_s / 1e9:.2f} GB/s "
        f"(peak {org.channel_bytes_per_cycle * org.channels * org.freq_mhz / 1e3:.1f})",
    ]
    if len(reads):
        lines += [
            f"read latency from acceptance (cycles): mean {reads.mean():.1f}, {pct}, "
            f"max {reads.max()}",
            f"read latency from trace cycle (cycles): mean {arrival.mean():.1f}, "
            f"max {arrival.max()}",
        ]
    lines += [
        f"row-hit rate: {100 * s.row_hit_rate:.3f} % of READ + WRITE commands",
        "commands: " + ", ".join(f"{k.upper()} {c[k]}" for k in ENERGY_ACTIONS),
    ]
    if r.energy_pj:
        parts = ", ".join(f"{k} {v / 1e6:.4g}" for k, v in r.energy_pj.items() if v)
        lines.append(f"energy: {sum(r.energy_pj.values()) / 1e6:.4g} uJ ({parts}; "
                     f"tables row {r.cfg.energy_part}.*)")
    else:
        lines.append(f"energy: not available (preset {r.preset} names no part in the "
                     f"technology tables)")
    lines.append(f"simulated in {r.seconds:.2f} s ({len(s.done) / max(r.seconds, 1e-9):.0f} "
                 f"requests/s)")
    return lines
