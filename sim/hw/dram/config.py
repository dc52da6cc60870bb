"""HBM organisation, timing and controller parameters, with named presets.

All timings are in command-clock cycles (tCK). ``burst_cycles`` = BL / 2 (double data rate).
Presets are named after what they describe (see :data:`PRESETS`); any field can be overridden
from an arch file with :func:`make_config`.
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
    tRTP: int = 6
    """Read to precharge, same bank."""
    tWR: int = 16
    tRFC: int = 260
    tREFI: int = 3900
    """Refresh interval per rank; ranks are refreshed staggered, every tREFI / ranks."""
    tRTRS: int = 1
    """Rank-to-rank switch and read/write bus turnaround."""


SCHEDULERS = ("rr", "frfcfs")


@dataclass(frozen=True)
class HbmController:
    """Queues and scheduling policy of each channel's controller (entries, not bytes).

    ``scheduler``: ``rr`` walks the per-bank command queues round-robin and issues the first
    ready command, letting a pending precharge pre-empt further row hits once the open row has
    served ``row_hit_cap`` hits (DRAMsim3's policy); ``frfcfs`` issues ready row hits first, then
    the oldest ready ACT/PRE, with no cap. ``write_drain``: writes are drained when the write
    buffer is full, or when every bank queue is empty and more than this many writes wait.
    ``read_inflight``: reads a channel's memory interface keeps in flight (accepted, data not yet
    returned); a new read is refused until one returns; 0 = no limit beyond the queues.
    """

    read_queue: int = 32
    write_buffer: int = 32
    write_drain: int = 8
    bank_queue: int = 8
    scheduler: str = "rr"
    row_hit_cap: int = 4
    dual_issue: bool = True
    read_inflight: int = 0


@dataclass(frozen=True)
class HbmConfig:
    """Organisation, timing and controller of one HBM device.

    ``energy_part`` names the technology-table component holding the device's per-command
    energies and standby powers (``<part>.act`` ...), or is empty when the tables have none.
    """

    org: HbmOrg
    timing: HbmTiming
    controller: HbmController = HbmController()
    energy_part: str = ""


DEFAULT_PRESET = "neupims_hbm2_32ch"
PRESETS: dict[str, dict[str, Any]] = {
    # The HBM2 configuration of the NeuPIMs simulator: 32 channels, 2 ranks x 4 BG x 4 banks,
    # 64 columns of 128 bit (1 KiB rows), BL4, tCK 1 ns; command queues of 128 per bank; one
    # command per cycle (its HBM2_8Gb_x128 PIM configs set hbm_dual_cmd = False, and its
    # controllers issue a single command per clock tick). Its configs list tRTP_L / tRTP_S,
    # which its config reader never reads: tRTP and tRTRS take the reader's defaults, 5 and 2.
    "neupims_hbm2_32ch": {"org": {}, "timing": {"tRTP": 5, "tRTRS": 2},
                          "controller": {"bank_queue": 128, "dual_issue": False},
                          "energy_part": "hbm2_8gb_x128"},
    # DRAMsim3's HBM2_8Gb_x128 as DRAMsim3 reads it: 8 channels x 1 rank, the column count
    # doubled for the 2n prefetch (128 columns, 2 KiB rows), its built-in tRTP 5 and tRTRS 2.
    "dramsim3_hbm2_8ch": {
        "org": {"channels": 8, "ranks": 1, "columns": 128},
        "timing": {"tRTP": 5, "tRTRS": 2},
        "energy_part": "hbm2_8gb_x128",
    },
    # Older Newton-style HBM (tCK 2 ns -> 500 MHz command clock), 8 channels.
    "newton_hbm_8ch": {
        "org": {"channels": 8, "rows": 16384, "freq_mhz": 500.0},
        "timing": {"CL": 7, "tRCDRD": 7, "tRCDWR": 6, "tRP": 7, "tRAS": 17, "tRC": 24,
                   "tFAW": 20, "tCCD_S": 2, "tCCD_L": 3, "tRRD_S": 4, "tRRD_L": 5},
    },
}


ORG_LIMITS: dict[str, tuple[int, int]] = {
    "channels": (1, 1024), "ranks": (1, 16), "bankgroups": (1, 64), "banks_per_group": (1, 64),
    "rows": (1, 1 << 24), "columns": (1, 1 << 16), "bus_bits": (8, 4096),
    "burst_length": (1, 64)}
"""Accepted range (inclusive) of each integer organisation field."""
TIMING_MAX = 1 << 20
"""Largest accepted timing parameter (cycles)."""
FREQ_MAX_MHZ = 100_000.0


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    """``value`` must be an integer (not a float, not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SimError(f"hbm.{name} must be an integer in {low}..{high:,}, got {value!r}")


def _check_org(fields: dict[str, Any]) -> None:
    """Types and ranges of the organisation fields."""
    for key, value in fields.items():
        if key == "address_mapping":
            if not isinstance(value, str):
                raise SimError(f"hbm.address_mapping must be text, got {value!r}",
                               accepted="a permutation of ro ra bg ba ch co, e.g. rorabgbachco")
        elif key == "freq_mhz":
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not 0 < value <= FREQ_MAX_MHZ:
                raise SimError(f"hbm.freq_mhz must be a number in (0, {FREQ_MAX_MHZ:g}], "
                               f"got {value!r}")
        else:
            _check_int(key, value, *ORG_LIMITS[key])
    bus = fields.get("bus_bits", 8)
    if bus % 8:
        raise SimError(f"hbm.bus_bits must be a multiple of 8, got {bus}")


def _pow2(name: str, value: int) -> None:
    if value & (value - 1):
        raise SimError(f"hbm.{name} must be a power of two, got {value}")


def validate_mapping(mapping: str) -> None:
    """Check that an address mapping names each of ro, ra, bg, ba, ch, co exactly once."""
    parts = [mapping[i:i + 2] for i in range(0, len(mapping), 2)]
    if len(mapping) != 12 or sorted(parts) != sorted(ADDRESS_FIELDS):
        raise SimError(f"hbm.address_mapping {mapping!r} must name each field once",
                       accepted="a permutation of ro ra bg ba ch co, e.g. rorabgbachco")


def _fields(section: str, cls: type, given: dict[str, Any]) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    for key in given:
        if key not in known:
            raise SimError(f"unknown hbm {section} field {key!r}",
                           accepted=", ".join(sorted(known)))


def _check_controller(fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "scheduler":
            if value not in SCHEDULERS:
                raise SimError(f"hbm.controller.scheduler {value!r} is not a known policy",
                               accepted=", ".join(SCHEDULERS))
        elif key == "dual_issue":
            if not isinstance(value, bool):
                raise SimError(f"hbm.controller.dual_issue must be true or false, got {value!r}")
        else:
            minimum = 0 if key in ("write_drain", "read_inflight") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise SimError(f"hbm.controller.{key} must be an integer >= {minimum}, "
                               f"got {value!r}")


def make_config(preset: str = DEFAULT_PRESET, org: dict[str, Any] | None = None,
                timing: dict[str, Any] | None = None,
                controller: dict[str, Any] | None = None) -> HbmConfig:
    """Build a config from a preset name plus field overrides; bad values raise SimError."""
    if preset not in PRESETS:
        raise SimError(f"unknown HBM preset {preset!r}", accepted=", ".join(sorted(PRESETS)))
    org_fields = {**PRESETS[preset]["org"], **(org or {})}
    timing_fields = {**PRESETS[preset]["timing"], **(timing or {})}
    ctrl_fields = {**PRESETS[preset].get("controller", {}), **(controller or {})}
    _fields("organisation", HbmOrg, org_fields)
    _fields("timing", HbmTiming, timing_fields)
    _fields("controller", HbmController, ctrl_fields)
    _check_org(org_fields)
    for key in ("channels", "ranks", "bankgroups", "banks_per_group", "rows", "columns"):
        if key in org_fields:
            _pow2(key, int(org_fields[key]))
    for key, value in timing_fields.items():
        _check_int(key, value, 1 if key == "tREFI" else 0, TIMING_MAX)
    _check_controller(ctrl_fields)
    built = HbmConfig(HbmOrg(**org_fields), HbmTiming(**timing_fields),
                      HbmController(**ctrl_fields), PRESETS[preset].get("energy_part", ""))
    validate_mapping(built.org.address_mapping)
    if built.org.bursts_per_row < 1:
        raise SimError("hbm row is smaller than one burst (columns * bus_bits < burst bytes)")
    if built.timing.tREFI % built.org.ranks:
        raise SimError(f"hbm.tREFI ({built.timing.tREFI}) must be a multiple of the rank count "
                       f"({built.org.ranks}): ranks are refreshed every tREFI / ranks cycles")
    if built.timing.tRFC >= built.timing.tREFI // built.org.ranks:
        raise SimError(f"hbm.tRFC ({built.timing.tRFC}) must be shorter than the refresh "
                       f"spacing tREFI / ranks ({built.timing.tREFI // built.org.ranks}): the "
                       "channel would never leave refresh")
    return built
