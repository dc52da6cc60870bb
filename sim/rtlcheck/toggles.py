"""What the cocotb toggle benches share: reading signal groups, counting changed bits, and
appending their result line to $SIM_RTL_REPORT (read back by the tests that compare the model).

A group is a list of ``(handle, width)``; a read masks each value to its width (bits)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

Nets = Mapping[str, list[tuple[Any, int]]]
"""Signal group -> (simulator handle, width in bits) of each signal in it."""


def read_nets(nets: Nets) -> dict[str, list[int]]:
    """The current value of every signal, per group, masked to its width."""
    return {g: [int(h.value) & ((1 << w) - 1) for h, w in hs] for g, hs in nets.items()}


def add_changed_bits(counts: dict[str, int], now: Mapping[str, list[int]],
                     prev: Mapping[str, list[int]]) -> None:
    """Add, per group, the bits that differ between two reads of the same signals (toggles)."""
    for group, values in now.items():
        counts[group] += sum(bin(p ^ q).count("1")
                             for p, q in zip(values, prev[group], strict=True))


def append_report(record: Mapping[str, Any]) -> None:
    """Append ``record`` as one JSON line to $SIM_RTL_REPORT (nothing when it is unset)."""
    path = os.environ.get("SIM_RTL_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
