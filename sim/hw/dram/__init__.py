"""Reusable HBM DRAM timing model: organisation/timing/controller presets, address mapping, a
controller with DRAMsim3's structure (readable reference path and compiled fast path), trace
replay, and sustained-bandwidth helpers for bulk transfers."""

from sim.hw.dram.address import decode, encode
from sim.hw.dram.config import PRESETS, HbmConfig, HbmController, HbmOrg, HbmTiming, make_config
from sim.hw.dram.controller import Command
from sim.hw.dram.replay import DramStats, replay
from sim.hw.dram.stream import stream_efficiency, transfer_cycles, transfer_ledger
from sim.hw.dram.trace import read_trace, read_trace_csv

__all__ = [
    "PRESETS", "Command", "DramStats", "HbmConfig", "HbmController", "HbmOrg", "HbmTiming",
    "decode", "encode", "make_config", "read_trace", "read_trace_csv", "replay",
    "stream_efficiency", "transfer_cycles", "transfer_ledger",
]
