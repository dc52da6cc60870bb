"""Address decoding: byte address -> (channel, rank, bank group, bank, row, column).

The mapping string lists two-letter fields from the most to the least significant bits, e.g.
``rorabgbachco`` = row | rank | bank group | bank | channel | column. The byte offset inside
one burst sits below all of them. The column field counts bursts within a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.hw.dram.config import HbmOrg, validate_mapping

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Decoded:
    """Decoded fields of many addresses (one int64 array per field)."""

    channel: IntArray
    rank: IntArray
    bankgroup: IntArray
    bank: IntArray
    row: IntArray
    column: IntArray

    def flat_bank(self, org: HbmOrg) -> IntArray:
        """Bank index within its channel: (rank * bankgroups + bankgroup) * banks + bank."""
        return (self.rank * org.bankgroups + self.bankgroup) * org.banks_per_group + self.bank


def field_widths(org: HbmOrg) -> dict[str, int]:
    """Bit width of every mapping field."""
    return {
        "ch": int(org.channels).bit_length() - 1,
        "ra": int(org.ranks).bit_length() - 1,
        "bg": int(org.bankgroups).bit_length() - 1,
        "ba": int(org.banks_per_group).bit_length() - 1,
        "ro": int(org.rows).bit_length() - 1,
        "co": int(org.bursts_per_row).bit_length() - 1,
    }


def decode(addresses: npt.ArrayLike, org: HbmOrg) -> Decoded:
    """Decode byte addresses (vectorised); bits above the row field wrap around."""
    validate_mapping(org.address_mapping)
    addr = np.asarray(addresses, dtype=np.int64) >> (org.request_bytes.bit_length() - 1)
    widths = field_widths(org)
    fields = [org.address_mapping[i:i + 2] for i in range(0, 12, 2)]
    out: dict[str, IntArray] = {}
    for name in reversed(fields):  # least significant first
        width = widths[name]
        out[name] = addr & ((1 << width) - 1)
        addr = addr >> width
    return Decoded(channel=out["ch"], rank=out["ra"], bankgroup=out["bg"], bank=out["ba"],
                   row=out["ro"], column=out["co"])


def encode(org: HbmOrg, *, channel: int = 0, rank: int = 0, bankgroup: int = 0, bank: int = 0,
           row: int = 0, column: int = 0) -> int:
    """Byte address of the given fields (inverse of :func:`decode`), for building traces."""
    widths = field_widths(org)
    values = {"ch": channel, "ra": rank, "bg": bankgroup, "ba": bank, "ro": row, "co": column}
    addr = 0
    for i in range(0, 12, 2):
        name = org.address_mapping[i:i + 2]
        addr = (addr << widths[name]) | (values[name] & ((1 << widths[name]) - 1))
    return addr << (org.request_bytes.bit_length() - 1)
