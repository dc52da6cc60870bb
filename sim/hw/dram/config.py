"""HBM organisation and timing parameters, with named presets.

All timings are in command-clock cycles (tCK). ``burst_cycles`` = BL / 2 (double data rate).
Presets follow the reference tables (``HBM2_8Gb_x128`` as used by NeuPIMs); any field can be
overridden from an arch file with :func:`make_config`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sim.core.errors import SimError

ADDRESS_FIELDS = ("ro", "ra", "bg", "ba", "ch", "co")


@dataclass(frozen=True)
class HbmOrg:
    """Organisation of one HBM device (stack set): counts and widths.

    ``bus_bits`` is the channel data-bus width in bits; one request moves one burst of
    ``bus_bits * burst_length / 8`` bytes. ``columns`` counts bus-width columns per row.
    """

    channels: int = 32
    ranks: int = 2
    bankgroups: int = 4
    banks_per_group: int = 4
    rows: int = 32768
    columns: int = 64
    bus_bits: int = 128
    burst_length: int = 4
    address_mapping: str = "rorabgbachco"
    freq_mhz: float = 1000.0

    @property
    def banks_per_rank(self) -> int:
        """Banks in one rank."""
        return self.bankgroups * self.banks_per_group

    @property
    def banks_per_channel(self) -> int:
        """Banks in one channel (all ranks)."""
        return self.ranks * self.banks_per_rank

    @property
    def request_bytes(self) -> int:
        """Bytes moved by one read or write burst."""
        return self.bus_bits * self.burst_length // 8

    @property
    def row_bytes(self) -> int:
        """Bytes in one row (page) of one bank."""
        return self.columns * self.bus_bits // 8

    @property
    def bursts_per_row(self) -> int:
        """Bursts (requests) that fit in one row."""
        return self.row_bytes // self.request_bytes

    @property
    def burst_cycles(self) -> int:
        """Data-bus cycles per burst (DDR: BL / 2)."""
        return max(1, self.burst_length // 2)

    @property
    def channel_bytes_per_cycle(self) -> float:
        """Peak data bytes per cycle of one channel."""
        return self.request_bytes / self.burst_cycles


@dataclass(frozen=True)
class HbmTiming:
    """JEDEC-style timing constraints in cycles (see the reference, section 2)."""

    CL: int = 14
    CWL: int = 4
    tRCDRD: int = 14
    tRCDWR: int = 14
    tRP: int = 14
    tRAS: int = 34
    tRC: int = 48
    tCCD_S: int = 1
    tCCD_L: int = 2
    tRRD_S: int = 4
    tRRD_L: int = 6
    tFAW: int = 30
    tWTR_S: int = 6
    tWTR_L: int = 8
    tRTP_S: int = 4
    tRTP_L: int = 6
    tWR: int = 16
    tRFC: int = 260
    tREFI: int = 3900
    tRTRS: int = 1


@dataclass(frozen=True)
class HbmConfig:
    """Organisation plus timing of one HBM device."""

    org: HbmOrg
    timing: HbmTiming


PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    # NeuPIMs' HBM2_8Gb_x128: 32 channels, 2 ranks x 4 BG x 4 banks, 1 KB rows, BL4, tCK 1 ns.
    "HBM2_8Gb_x128": {"org": {}, "timing": {}},
    # Older Newton-style part (tCK 2 ns -> 500 MHz command clock).
    "HBM_4Gb_x128": {
        "org": {"channels": 8, "rows": 16384, "freq_mhz": 500.0},
        "timing": {"CL": 7, "tRCDRD": 7, "tRCDWR": 6, "tRP": 7, "tRAS": 17, "tRC": 24,
                   "tFAW": 20, "tCCD_S": 2, "tCCD_L": 3, "tRRD_S": 4, "tRRD_L": 5},
    },
}


def _check_positive(name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise SimError(f"hbm.{name} must be a number >= {minimum}, got {value!r}")


def _pow2(name: str, value: int) -> None:
    if value & (value - 1):
        raise SimError(f"hbm.{name} must be a power of two, got {value}")


def validate_mapping(mapping: str) -> None:
    """Check that an address mapping names each of ro, ra, bg, ba, ch, co exactly once."""
    parts = [mapping[i:i + 2] for i in range(0, len(mapping), 2)]
    if len(mapping) != 12 or sorted(parts) != sorted(ADDRESS_FIELDS):
        raise SimError(f"hbm.address_mapping {mapping!r} must name each field once",
                       accepted="a permutation of ro ra bg ba ch co, e.g. rorabgbachco")


def make_config(preset: str = "HBM2_8Gb_x128", org: dict[str, Any] | None = None,
                timing: dict[str, Any] | None = None) -> HbmConfig:
    """Build a config from a preset name plus field overrides; bad values raise SimError."""
    if preset not in PRESETS:
        raise SimError(f"unknown HBM preset {preset!r}", accepted=", ".join(sorted(PRESETS)))
    org_fields = {**PRESETS[preset]["org"], **(org or {})}
    timing_fields = {**PRESETS[preset]["timing"], **(timing or {})}
    known_org = {f.name for f in dataclasses.fields(HbmOrg)}
    known_t = {f.name for f in dataclasses.fields(HbmTiming)}
    for key in org_fields:
        if key not in known_org:
            raise SimError(f"unknown hbm organisation field {key!r}",
                           accepted=", ".join(sorted(known_org)))
    for key in timing_fields:
        if key not in known_t:
            raise SimError(f"unknown hbm timing field {key!r}", accepted=", ".join(sorted(known_t)))
    for key, value in org_fields.items():
        if key != "address_mapping":
            _check_positive(key, value)
    for key in ("channels", "ranks", "bankgroups", "banks_per_group", "rows", "columns"):
        if key in org_fields:
            _pow2(key, int(org_fields[key]))
    for key, value in timing_fields.items():
        _check_positive(key, value, minimum=0)
    built = HbmConfig(HbmOrg(**org_fields), HbmTiming(**timing_fields))
    validate_mapping(built.org.address_mapping)
    if built.org.bursts_per_row < 1:
        raise SimError("hbm row is smaller than one burst (columns * bus_bits < burst bytes)")
    return built
