"""Command-level model of one HBM channel running a PIM program (no normal traffic).

A *program* is the in-order list of PIM operations the NPU sends to one channel: ``gwrite``
(copy one DRAM row into the channel's global buffer: the query chunk, or a row of attention
scores) and ``tile`` (one all-bank GEMV: every bank multiplies its open row with the global
buffer, ``heads`` results of ``comps`` COMP beats each). The controller issues the commands in
program order, each at the earliest cycle every constraint allows, at most one command per
cycle on the channel's command bus, and never before the command has arrived from the NPU.

Commands of a tile: a precharge of every bank whose row buffer holds another row (one command
per bank, tRTP after the last column command to that row, tRAS after its activation), the
tile's header (``P_HEADER``: one command slot, once every row is closed; NeuPIMs simulator,
``neupims_controller.cc``: the header is a command of its own, issued when all banks are ready
for it), one G_ACT per (rank, bank group) (tRP after the group's precharges; a G_ACT activates
the group's four banks, so it fills the rank's tFAW window: consecutive G_ACTs of a rank are
tFAW apart, and tRC apart in the same group), then the GEMV commands tRCDRD after the last
G_ACT and once the global buffer is filled:

* fused (``COMPS_READRES``, NeuPIMs): one command per head, which streams the head's beats
  ``spacing`` apart through the bank's GEMV unit and then reads the result; the next head's
  command follows ``beats x spacing + column_slot`` later (the beats plus the READRES slot;
  NeuPIMs simulator, ``channel_state.cc``: (max(n, 6) + 1) column slots per COMPS_READRES) and
  each head's result appears ``gemv_cycles(beats)`` after its first beat (the unit clears its
  accumulator after every head). For the row-buffer timing a COMPS_READRES is one column
  command at its issue cycle: the next tile may precharge tRTP after the last one *issues*
  (NeuPIMs simulator, ``timing.cc``: COMPS_READRES to PIM precharge = tRTP), while its beats
  still stream;
* unfused (Newton: n x ``COMP`` + ``READRES``): one command per COMP beat; the head's result
  is read by its READRES once the unit has produced it (``gemv_cycles(max(n, min_beats))``
  after the head's first beat), and the next head's first COMP follows the READRES (the
  accumulator is reused).

A fused head always streams at least ``min_beats`` beats (the adder-tree pipeline fill).

``gwrite``: the global buffer is read from the channel's staging row in bank 0 (the NeuPIMs
NPU addresses every GWRITE to the same row: ``NeuPIMSLogitSoftmax.cc``, ``NeuPIMSAttend.cc``).
It issues one column slot (``column_slot``) after the previous tile's last GEMV command. With
dual row buffers the staging row stays open in bank 0's normal row buffer, so only the first
GWRITE (or the first after a refresh closed it) needs an ACT (tRCDRD); with a single row buffer
bank 0 must first close its PIM row (precharge) and reopen the staging row. While the copy
(``gwrite_cycles``) runs, the controller holds its PIM queue: the next operation's first
command issues no earlier than the copy's end (NeuPIMs simulator,
``neupims_command_queue.cc``: ``is_gwriting_`` until the GWRITE returns).

Refresh (all-bank, per rank, staggered: rank r is due at (r + 1) x tREFI / ranks + k x tREFI):
before an operation starts, if its estimated duration reaches a due refresh, the controller
waits until the refresh is due, precharges that rank's open rows, issues REF and keeps the
rank's banks closed for tRFC.

The GEMV unit timing ``gemv_cycles(beats)`` is supplied by the caller (the model family's
RTL-checked bank unit timing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sim.core.errors import SimError
from sim.hw.dram.config import HbmConfig

GemvCycles = Callable[[int], int]
STAGING_ROW = 0
"""Bank 0's row every GWRITE reads (tiles use rows after it)."""


@dataclass(frozen=True)
class PimOp:
    """One operation of a channel's PIM program: ``gwrite`` or ``tile`` (heads x comps)."""

    kind: str
    heads: int = 0
    comps: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("gwrite", "tile"):
            raise SimError(f"unknown PIM operation {self.kind!r}", accepted="gwrite, tile")
        if self.kind == "tile" and (self.heads < 1 or self.comps < 1):
            raise SimError(f"a PIM tile needs heads >= 1 and comps >= 1, got {self.heads}, "
                           f"{self.comps}")


@dataclass(frozen=True)
class PimDesign:
    """What the channel's PIM hardware and controller do (see the module docstring)."""

    row_buffers: int
    fused: bool
    spacing: int
    """Cycles between COMP beats (max(burst, tCCD_S) per 32 B column fetch)."""
    min_beats: int
    gemv_cycles: GemvCycles
    refresh: bool = True
    release_at_issue: bool = False
    """Fused: a COMPS_READRES releases its row (tRTP to the next precharge) and the global
    buffer (to the next GWRITE) when it issues, as the NeuPIMs simulator's timing table has it,
    instead of after its last beat has read them."""

    def __post_init__(self) -> None:
        if self.row_buffers not in (1, 2):
            raise SimError(f"row_buffers must be 1 or 2, got {self.row_buffers}")


@dataclass(frozen=True)
class Cmd:
    """One issued command: cycle, name, rank (-1 = channel-wide), bank group / bank index."""

    cycle: int
    name: str
    rank: int = -1
    index: int = -1


@dataclass
class PimRun:
    """Per operation (start, end) cycles and the command log of one channel."""

    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    commands: list[Cmd] = field(default_factory=list)

    @property
    def cycles(self) -> int:
        """Cycle the last operation ends (0 for an empty program)."""
        return self.end[-1] if self.end else 0


def gwrite_cycles(cfg: HbmConfig) -> int:
    """Cycles of one GWRITE: a row's bursts alternate bank groups, (tCCD_S + tCCD_L) per pair of
    columns: (tCCD_S + tCCD_L) x columns / 2 (96 on HBM2_8Gb_x128)."""
    return (cfg.timing.tCCD_S + cfg.timing.tCCD_L) * max(1, cfg.org.columns // 2)


def readres_spacing(cfg: HbmConfig) -> int:
    """Cycles a READRES holds the column bus before the next column command."""
    return max(cfg.org.burst_cycles, cfg.timing.tCCD_L)


def column_slot(cfg: HbmConfig) -> int:
    """Cycles of one column command slot, max(burst, tCCD_S): the READRES slot of a fused
    COMPS_READRES and the gap from a tile's last GEMV command to a GWRITE."""
    return max(cfg.org.burst_cycles, cfg.timing.tCCD_S)


class PimChannel:
    """State of one channel while it executes a PIM program (see the module docstring)."""

    def __init__(self, cfg: HbmConfig, design: PimDesign,
                 estimate: Callable[[PimOp], int] | None = None) -> None:
        org, t = cfg.org, cfg.timing
        self.cfg, self.t, self.design = cfg, t, design
        self.estimate = estimate
        self.ranks, self.groups, self.per_group = org.ranks, org.bankgroups, org.banks_per_group
        banks = org.banks_per_channel
        self.bus = 0  # next free command slot
        self.open_row = [-1] * banks  # PIM (single: the only) row buffer
        self.normal_row = -1  # bank 0's normal row buffer (dual only)
        self.last_col = [-(1 << 40)] * banks  # last column access of the open row
        self.act_at = [-(1 << 40)] * banks  # activation of the open row
        self.normal_col = -(1 << 40)
        self.normal_act = -(1 << 40)
        self.gact_rank: list[list[int]] = [[] for _ in range(org.ranks)]
        self.gact_group = [-(1 << 40)] * (org.ranks * org.bankgroups)
        self.rank_ready = [0] * org.ranks  # end of the rank's last tRFC
        self.buffer_ready = 0  # global buffer filled
        self.buffer_read = -(1 << 40)  # last GEMV command (reads the global buffer)
        self.hold = 0  # the PIM queue waits for a GWRITE's copy until this cycle
        self.ref_due = [(r + 1) * t.tREFI // org.ranks for r in range(org.ranks)]
        self.next_row = 0
        self.log: list[Cmd] = []

    # -- helpers ---------------------------------------------------------------------------
    def _issue(self, earliest: int, name: str, rank: int = -1, index: int = -1) -> int:
        cycle = max(earliest, self.bus)
        self.bus = cycle + 1
        self.log.append(Cmd(cycle, name, rank, index))
        return cycle

    def _bank(self, rank: int, group: int, bank: int) -> int:
        return (rank * self.groups + group) * self.per_group + bank

    def _precharge(self, b: int, earliest: int) -> int:
        """Close bank ``b``'s (PIM / single) row; returns the precharge cycle."""
        t = self.t
        cyc = self._issue(max(earliest, self.last_col[b] + t.tRTP, self.act_at[b] + t.tRAS),
                          "PRE", b // (self.groups * self.per_group), b)
        self.open_row[b] = -1
        return cyc

    # -- refresh ---------------------------------------------------------------------------
    def refresh_if_due(self, op: PimOp, arrival: int) -> None:
        """Refresh every rank whose deadline the next operation would cross."""
        if not self.design.refresh or self.estimate is None:
            return
        t = self.t
        start = max(self.bus, arrival, self.hold)
        horizon = min(self.estimate(op), t.tREFI // 2)  # an operation never skips a refresh
        for r in range(self.ranks):
            while self.ref_due[r] <= start + horizon:
                due = self.ref_due[r]
                pres = [self._precharge(b, due) for b in self._rank_banks(r)
                        if self.open_row[b] >= 0]
                if r == 0 and self.normal_row >= 0:
                    pres.append(self._normal_precharge(due))
                ref = self._issue(max([due] + [p + t.tRP for p in pres]), "REF", r)
                self.rank_ready[r] = ref + t.tRFC
                self.ref_due[r] += t.tREFI
                start = max(self.bus, arrival, self.hold)

    def _rank_banks(self, r: int) -> range:
        n = self.groups * self.per_group
        return range(r * n, (r + 1) * n)

    def _normal_precharge(self, earliest: int) -> int:
        t = self.t
        cyc = self._issue(max(earliest, self.normal_col + t.tRTP, self.normal_act + t.tRAS),
                          "PRE_N", 0, 0)
        self.normal_row = -1
        return cyc

    # -- operations ------------------------------------------------------------------------
    def gwrite(self, arrival: int) -> tuple[int, int]:
        """Fill the global buffer from bank 0's staging row; returns (start, end)."""
        t = self.t
        arrival = max(arrival, self.hold)
        row = STAGING_ROW
        gw = gwrite_cycles(self.cfg)
        if self.design.row_buffers == 2 and self.normal_row == row:
            start = cyc = self._issue(max(arrival, self.normal_act + t.tRCDRD,
                                          self.buffer_read + column_slot(self.cfg)), "GWRITE", 0, 0)
            self.buffer_ready = self.hold = self.normal_col = cyc + gw
            return start, self.buffer_ready
        if self.design.row_buffers == 2:
            act_ok = max(arrival, self.rank_ready[0],
                         *(g + t.tFAW for g in self.gact_rank[0][-1:]))
            act = start = self._issue(act_ok, "ACT_N", 0, 0)
            self.normal_row, self.normal_act = row, act
        else:
            pre = self._precharge(0, arrival) if self.open_row[0] >= 0 else None
            act_ok = max(arrival, self.rank_ready[0],
                         (pre + t.tRP) if pre is not None else arrival,
                         *(g + t.tFAW for g in self.gact_rank[0][-1:]))
            act = self._issue(act_ok, "ACT", 0, 0)
            start = pre if pre is not None else act
            self.open_row[0], self.act_at[0] = row, act
        cyc = self._issue(max(act + t.tRCDRD, self.buffer_read + column_slot(self.cfg)),
                          "GWRITE", 0, 0)
        self.buffer_ready = self.hold = cyc + gw
        if self.design.row_buffers == 2:
            self.normal_col = self.buffer_ready
        else:
            self.last_col[0] = self.buffer_ready
        return start, self.buffer_ready

    def tile(self, op: PimOp, arrival: int) -> tuple[int, int]:
        """One all-bank GEMV tile on a fresh row; returns (start, end of its last result)."""
        t, d = self.t, self.design
        arrival = max(arrival, self.hold)
        row = self._new_row()
        pre_at: dict[int, int] = {}
        for b in range(len(self.open_row)):
            if self.open_row[b] >= 0:
                pre_at[b] = self._precharge(b, arrival)
        header = self._issue(arrival, "P_HEADER")
        start = min(pre_at.values(), default=header)
        gacts = []
        for g in range(self.groups):
            for r in range(self.ranks):
                banks = [self._bank(r, g, k) for k in range(self.per_group)]
                ok = max([arrival, self.rank_ready[r], self.gact_group[r * self.groups + g] + t.tRC]
                         + [pre_at[b] + t.tRP for b in banks if b in pre_at]
                         + [x + t.tFAW for x in self.gact_rank[r][-1:]]
                         + ([self.normal_act + (t.tRRD_L if g == 0 else t.tRRD_S)]
                            if r == 0 else []))
                cyc = self._issue(ok, "G_ACT", r, g)
                gacts.append(cyc)
                self.gact_rank[r].append(cyc)
                self.gact_group[r * self.groups + g] = cyc
                for b in banks:
                    self.open_row[b], self.act_at[b] = row, cyc
        beats = max(op.comps, d.min_beats)
        first = max(max(gacts) + t.tRCDRD, self.buffer_ready)
        if d.fused:
            head = self._issue(first, "COMPS_READRES")
            for _ in range(1, op.heads):
                head = self._issue(head + beats * d.spacing + column_slot(self.cfg),
                                   "COMPS_READRES")
            last_beat = last_col = head if d.release_at_issue else head + (beats - 1) * d.spacing
            end = head + d.gemv_cycles(beats)
        else:
            nxt = first
            for _ in range(op.heads):
                head0 = self._issue(nxt, "COMP")
                for k in range(1, op.comps):
                    self._issue(head0 + k * d.spacing, "COMP")
                readres = self._issue(head0 + d.gemv_cycles(beats), "READRES")
                nxt = readres + readres_spacing(self.cfg)
            last_beat = readres
            end = readres + readres_spacing(self.cfg)
            last_col = readres
        for b in range(len(self.open_row)):
            self.last_col[b] = last_col
        self.buffer_read = last_beat
        return start, end

    def _new_row(self) -> int:
        self.next_row += 1
        return self.next_row + STAGING_ROW


def run_program(cfg: HbmConfig, design: PimDesign, program: Sequence[PimOp],
                arrivals: Sequence[int] | None = None,
                estimate: Callable[[PimOp], int] | None = None) -> PimRun:
    """Execute ``program`` on one channel; ``arrivals`` (cycle each operation's commands are
    available, default 0) and ``estimate`` (cycles an operation will take, for the refresh
    deadline check; None disables refresh)."""
    ch = PimChannel(cfg, design, estimate)
    run = PimRun()
    for i, op in enumerate(program):
        arrival = int(arrivals[i]) if arrivals is not None else 0
        ch.refresh_if_due(op, arrival)
        start, end = ch.gwrite(arrival) if op.kind == "gwrite" else ch.tile(op, arrival)
        run.start.append(start)
        run.end.append(end)
    run.commands = ch.log
    return run
