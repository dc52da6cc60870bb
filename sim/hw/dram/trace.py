"""Memory request traces as CSV: ``cycle,address,write`` (address decimal or 0x-hex; write is
0/1 or R/W), one request per line, with a header line."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.core.errors import Location, SimError

WRITE_VALUES = {"1": True, "0": False, "w": True, "r": False, "write": True, "read": False}


def read_trace_csv(path: str | Path) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                               npt.NDArray[np.bool_]]:
    """(cycles, byte addresses, write flags) of a request trace CSV; bad rows are SimErrors."""
    cycles: list[int] = []
    addrs: list[int] = []
    writes: list[bool] = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
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
