"""Reusable HBM DRAM timing model: organisation/timing presets, address mapping, an
event-driven FR-FCFS controller, and sustained-bandwidth helpers for bulk transfers."""

from sim.hw.dram.address import decode, encode
from sim.hw.dram.config import PRESETS, HbmConfig, HbmOrg, HbmTiming, make_config
from sim.hw.dram.controller import Command, DramStats, replay
from sim.hw.dram.pim_channel import PimTile, dual_mode_stream_loss, replay_with_pim
from sim.hw.dram.stream import stream_efficiency, transfer_cycles, transfer_ledger
from sim.hw.dram.trace import read_trace_csv

__all__ = [
    "PRESETS", "Command", "DramStats", "HbmConfig", "HbmOrg", "HbmTiming", "PimTile", "decode",
    "dual_mode_stream_loss", "encode", "make_config", "read_trace_csv", "replay",
    "replay_with_pim", "stream_efficiency", "transfer_cycles", "transfer_ledger",
]
