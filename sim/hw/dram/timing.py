"""Command-to-command timing constraints of an HBM channel, as one table shared by both
controller paths.

After a command of kind ``k`` issues at cycle ``t`` on bank ``b``, every bank ``x`` in scope
``s`` of ``b`` may not take a command of kind ``j`` before ``t + DELAY[k, s, j]``. Scopes: the
bank itself, the other banks of its bank group, the banks of the other groups of its rank, the
banks of the other ranks. A refresh acts on its whole rank (the first three scopes alike).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.hw.dram.config import HbmConfig

ACT, RD, WR, PRE, REF = range(5)
KINDS = ("ACT", "RD", "WR", "PRE", "REF")
SAME_BANK, SAME_GROUP, OTHER_GROUPS, OTHER_RANKS = range(4)
NONE = -(1 << 40)
"""Delay of a pair with no constraint (far below any cycle)."""


def delays(cfg: HbmConfig) -> npt.NDArray[np.int64]:
    """DELAY[issued kind, scope, constrained kind] in cycles (``NONE`` where unconstrained)."""
    t, burst = cfg.timing, cfg.org.burst_cycles
    read_delay, write_delay = t.CL + burst, t.CWL + burst
    grouped = cfg.org.bankgroups > 1  # with one group the "same group" values are the _S ones
    rr_s, ww_s = max(burst, t.tCCD_S), max(burst, t.tCCD_S)
    rr_l = max(burst, t.tCCD_L) if grouped else rr_s
    ww_l = max(burst, t.tCCD_L) if grouped else ww_s
    w2r_s = write_delay + t.tWTR_S
    w2r_l = write_delay + t.tWTR_L if grouped else w2r_s
    rrd_l = t.tRRD_L if grouped else t.tRRD_S
    r2w = t.CL + burst - t.CWL + t.tRTRS
    d = np.full((5, 4, 5), NONE, dtype=np.int64)
    d[RD, SAME_BANK, [RD, WR, PRE]] = [rr_l, r2w, t.tRTP]
    d[RD, SAME_GROUP, [RD, WR]] = [rr_l, r2w]
    d[RD, OTHER_GROUPS, [RD, WR]] = [rr_s, r2w]
    d[RD, OTHER_RANKS, [RD, WR]] = [burst + t.tRTRS, read_delay + burst + t.tRTRS - write_delay]
    d[WR, SAME_BANK, [RD, WR, PRE]] = [w2r_l, ww_l, t.CWL + burst + t.tWR]
    d[WR, SAME_GROUP, [RD, WR]] = [w2r_l, ww_l]
    d[WR, OTHER_GROUPS, [RD, WR]] = [w2r_s, ww_s]
    d[WR, OTHER_RANKS, [RD, WR]] = [write_delay + burst + t.tRTRS - read_delay, burst]
    d[ACT, SAME_BANK, [ACT, RD, WR, PRE]] = [t.tRC, t.tRCDRD, t.tRCDWR, t.tRAS]
    d[ACT, SAME_GROUP, ACT] = rrd_l
    d[ACT, OTHER_GROUPS, ACT] = t.tRRD_S
    d[PRE, SAME_BANK, [ACT, REF]] = t.tRP
    for scope in (SAME_BANK, SAME_GROUP, OTHER_GROUPS):
        d[REF, scope, [ACT, REF]] = t.tRFC
    return d
