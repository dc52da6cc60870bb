"""Memory request traces: CSV (``cycle,address,write`` with a header line; address decimal or
0x-hex; write 0/1 or R/W), DRAMsim3's trace format (``0x<hex address> READ|WRITE <cycle>`` per
line), and SplitMix64 random addresses for synthetic traces."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.core.errors import Location, SimError
from sim.spec.inputs import CSV_MAX_BYTES, read_text_limited

WRITE_VALUES = {"1": True, "0": False, "w": True, "r": False, "write": True, "read": False}


def read_trace_csv(path: str | Path) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                               npt.NDArray[np.bool_]]:
    """(cycles, byte addresses, write flags) of a request trace CSV; bad rows are SimErrors."""
    cycles: list[int] = []
    addrs: list[int] = []
    writes: list[bool] = []
    try:
        with io.StringIO(read_text_limited(path, "DRAM trace", CSV_MAX_BYTES),
                         newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"cycle", "address", "write"} <= set(
                    reader.fieldnames):
                raise SimError("DRAM trace needs the columns cycle,address,write",
                               Location(path, 1))
            for line, row in enumerate(reader, start=2):
                try:
                    cycles.append(int(row["cycle"]))
                    addrs.append(int(row["address"], 0))
                    writes.append(WRITE_VALUES[row["write"].strip().lower()])
                except (KeyError, ValueError, AttributeError):
                    raise SimError(f"bad DRAM trace row {row}", Location(path, line),
                                   accepted="cycle int, address int/0x-hex, write 0/1/R/W"
                                   ) from None
    except OSError as exc:
        raise SimError(f"cannot read DRAM trace: {exc}", Location(path)) from None
    return (np.array(cycles, dtype=np.int64), np.array(addrs, dtype=np.int64),
            np.array(writes, dtype=bool))


TraceArrays = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]
DRAMSIM3_KINDS = {"READ": False, "WRITE": True}


def read_trace_dramsim3(path: str | Path) -> TraceArrays:
    """(cycles, byte addresses, write flags) of a DRAMsim3-format trace; blank lines are
    skipped, anything else malformed is a SimError naming the line."""
    cycles: list[int] = []
    addrs: list[int] = []
    writes: list[bool] = []
    try:
        with io.StringIO(read_text_limited(path, "DRAM trace", CSV_MAX_BYTES)) as handle:
            for line_no, line in enumerate(handle, start=1):
                parts = line.split()
                if not parts:
                    continue
                try:
                    addr, kind, cycle = parts
                    addrs.append(int(addr, 16))
                    writes.append(DRAMSIM3_KINDS[kind.upper()])
                    cycles.append(int(cycle))
                except (KeyError, ValueError):
                    raise SimError(f"bad DRAM trace line {line.strip()!r}",
                                   Location(path, line_no),
                                   accepted="0x<hex address> READ|WRITE <cycle>") from None
    except OSError as exc:
        raise SimError(f"cannot read DRAM trace: {exc}", Location(path)) from None
    return (np.array(cycles, dtype=np.int64), np.array(addrs, dtype=np.int64),
            np.array(writes, dtype=bool))


def read_trace(path: str | Path) -> TraceArrays:
    """A trace file in either format: CSV if the name ends in ``.csv``, else DRAMsim3's."""
    if str(path).lower().endswith(".csv"):
        return read_trace_csv(path)
    return read_trace_dramsim3(path)


def write_trace_dramsim3(path: str | Path, cycles: npt.ArrayLike, addresses: npt.ArrayLike,
                         is_write: npt.ArrayLike) -> None:
    """Write a trace in DRAMsim3's format (one request per line)."""
    kinds = np.where(np.asarray(is_write, dtype=bool), "WRITE", "READ")
    with open(path, "w", encoding="utf-8") as handle:
        for addr, kind, cycle in zip(np.asarray(addresses).tolist(), kinds.tolist(),
                                     np.asarray(cycles).tolist(), strict=True):
            handle.write(f"{addr:#x} {kind} {cycle}\n")


GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(seed: int, n: int) -> npt.NDArray[np.uint64]:
    """The first ``n`` outputs of SplitMix64 started from state ``seed`` (all mod 2^64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + GOLDEN_GAMMA * np.arange(1, n + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def random_addresses(seed: int, n: int) -> npt.NDArray[np.int64]:
    """``n`` 64 B-aligned byte addresses uniform over 4 GiB: one SplitMix64 draw each,
    (draw >> 38) << 6."""
    return ((splitmix64(seed, n) >> np.uint64(38)) << np.uint64(6)).astype(np.int64)
