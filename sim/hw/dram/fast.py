"""The controller of :mod:`sim.hw.dram.controller`, compiled: the fast path.

The same mechanisms, decisions and tie-breaks as the readable reference path, compiled with
numba (a cycle-level controller is a chain of data-dependent decisions, so it cannot be
vectorised; compiled, it runs at C++ speed). Each function mirrors the reference method of the
same name; the test suite checks that both paths give identical statistics.

For speed the whole state lives in one flat int64 array ``m`` (blocks located by the offsets in
``o``, which also holds the configuration's sizes, see the ``O_*`` / ``P_*`` indices) and every
request is one row of ``rq`` (columns ``Q_*``); pending transactions are looked up by address
number (addresses numbered densely before the run) instead of a hash map. Compiled code is
cached on disk after the first call.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from sim.hw.dram.config import HbmConfig
from sim.hw.dram.controller import Requests, _scope
from sim.hw.dram.timing import ACT, NONE, PRE, RD, REF, WR, delays

IntArray = npt.NDArray[np.int64]
FAR = 1 << 62
REF_RING = 64  # pending refreshes per channel (a few at most in any schedule)
jit = numba.njit(cache=True)

# configuration sizes in ``o``
(P_CH, P_NB, P_BPR, P_NR, P_RQ, P_WQ, P_DRAIN, P_BQ, P_FRFCFS, P_CAP, P_DUAL, P_INTERVAL,
 P_TFAW, P_RDELAY, P_WDELAY) = range(15)
# offsets of the state blocks of ``m`` in ``o`` (shapes: first index the channel)
(O_DELAY, O_SCOPE, O_EARLIEST, O_OPEN, O_HITS, O_OPENRANK, O_FAW, O_FAWN, O_RQ, O_WQ, O_QLEN,
 O_BQ, O_BQN, O_MISC, O_REFQ, O_COUNTS, O_STANDBY, O_PEND, O_NXT, O_END) = range(15, 35)
# per-channel scalars in the misc block
(M_DRAIN, M_RR, M_REF_HEAD, M_REF_N, M_NEXT_REF, M_REF_RANK, M_ACCOUNTED, M_UNRESOLVED,
 M_SOONEST, M_QUEUED, M_FLUSH) = range(11)
N_MISC = 11
# request columns of ``rq``
(Q_ARR, Q_WRITE, Q_CH, Q_BANK, Q_ROW, Q_COL, Q_ADDR, Q_ACC, Q_ISS, Q_DONE, Q_LINK,
 Q_TAIL) = range(12)
COUNT_INDEX = (0, 2, 3, 1, 4)  # counts column of ACT, RD, WR, PRE, REF


def run_fast(cfg: HbmConfig, req: Requests) -> tuple[int, IntArray, IntArray]:
    """Replay ``req`` (outcomes written into it); returns (cycles to finish, per-channel command
    counts, per-channel per-rank standby cycles)."""
    org = cfg.org
    n = req.n
    _, addr_no = np.unique(np.asarray(req.addr, np.int64), return_inverse=True)
    rq = np.full((n, 12), -1, np.int64)
    cols: list[npt.ArrayLike] = [req.arrival_a, req.write_a, req.channel_a, req.bank, req.row,
                                 req.col, addr_no]
    for k, col in enumerate(cols):
        rq[:, k] = col
    rq[:, Q_TAIL] = np.arange(n)
    o = _layout(cfg, int(addr_no.max(initial=-1)) + 1)
    m = _memory(cfg, o)
    finish = _drive(m, o, rq)
    req.accepted[:], req.issue[:], req.done[:] = rq[:, Q_ACC], rq[:, Q_ISS], rq[:, Q_DONE]
    counts = m[o[O_COUNTS]:o[O_COUNTS] + org.channels * 6].reshape(org.channels, 6)
    standby = m[o[O_STANDBY]:o[O_STANDBY] + org.channels * org.ranks * 2]
    return int(finish), counts.copy(), standby.reshape(org.channels, org.ranks, 2).copy()


def _layout(cfg: HbmConfig, addresses: int) -> IntArray:
    """Sizes and block offsets of the state array for ``cfg`` and ``addresses`` addresses."""
    org, ctrl, t = cfg.org, cfg.controller, cfg.timing
    c, nb, nr = org.channels, org.banks_per_channel, org.ranks
    sizes = [5 * 4 * 5, nb * nb, c * nb * 5, c * nb, c * nb, c * nr, c * nr * 4, c * nr * 2,
             c * ctrl.read_queue, c * ctrl.write_buffer, c * 2, c * nb * ctrl.bank_queue,
             c * nb, c * N_MISC, c * REF_RING, c * 6, c * nr * 2, addresses * 2, c]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    params = [c, nb, org.banks_per_rank, nr, ctrl.read_queue, ctrl.write_buffer,
              ctrl.write_drain, ctrl.bank_queue, int(ctrl.scheduler == "frfcfs"),
              ctrl.row_hit_cap, int(ctrl.dual_issue), t.tREFI // nr, t.tFAW,
              t.CL + org.burst_cycles, t.CWL + org.burst_cycles]
    return np.array([*params, *offsets], dtype=np.int64)


def _memory(cfg: HbmConfig, o: IntArray) -> IntArray:
    """The initial state: timing tables, closed banks, empty queues, no pending address."""
    org = cfg.org
    nb = org.banks_per_channel
    m = np.zeros(int(o[O_END]), np.int64)
    m[o[O_DELAY]:o[O_SCOPE]] = delays(cfg).ravel()
    m[o[O_SCOPE]:o[O_EARLIEST]] = [_scope(b, x, org.banks_per_rank, org.banks_per_group)
                                   for b in range(nb) for x in range(nb)]
    m[o[O_OPEN]:o[O_HITS]] = -1
    m[o[O_MISC] + M_REF_RANK:o[O_REFQ]:N_MISC] = -1
    m[o[O_PEND]:o[O_NXT]] = -1
    return m


# -- transactions ------------------------------------------------------------------------
@jit
def _misc(o: Any, c: int, k: int) -> int:
    return int(o[O_MISC] + c * N_MISC + k)


@jit
def _will_accept(m: Any, o: Any, c: int, write: int) -> bool:
    if write:
        return bool(m[o[O_QLEN] + 2 * c + 1] < o[P_WQ])
    return bool(m[o[O_QLEN] + 2 * c] < o[P_RQ])


@jit
def _chain(rq: Any, head: int, i: int) -> None:
    rq[rq[head, Q_TAIL], Q_LINK] = i
    rq[head, Q_TAIL] = i


@jit
def _push(m: Any, o: Any, c: int, write: int, i: int) -> None:
    ln = o[O_QLEN] + 2 * c + write
    base = o[O_WQ] + c * o[P_WQ] if write else o[O_RQ] + c * o[P_RQ]
    m[base + m[ln]] = i
    m[ln] += 1


@jit
def _add(m: Any, o: Any, rq: Any, c: int, i: int, cycle: int) -> None:
    rq[i, Q_ACC] = cycle
    pend = o[O_PEND] + 2 * rq[i, Q_ADDR]
    if rq[i, Q_WRITE]:
        if m[pend + 1] >= 0:
            _chain(rq, m[pend + 1], i)
        else:
            m[pend + 1] = i
            _push(m, o, c, 1, i)
    elif m[pend + 1] >= 0:
        rq[i, Q_DONE] = cycle + 1
        return
    elif m[pend] >= 0:
        _chain(rq, m[pend], i)
    else:
        m[pend] = i
        _push(m, o, c, 0, i)
    m[_misc(o, c, M_UNRESOLVED)] += 1


@jit
def _remove(m: Any, start: int, n: int, i: int) -> None:
    for k in range(start + i, start + n - 1):
        m[k] = m[k + 1]


@jit
def _drain_due(m: Any, o: Any, c: int) -> bool:
    nw = m[o[O_QLEN] + 2 * c + 1]
    threshold = 0 if m[_misc(o, c, M_FLUSH)] else o[P_DRAIN]
    return bool(nw >= o[P_WQ] or (m[_misc(o, c, M_QUEUED)] == 0 and nw > threshold))


@jit
def _schedule_transaction(m: Any, o: Any, rq: Any, c: int) -> bool:
    drain = _misc(o, c, M_DRAIN)
    if m[drain] == 0 and _drain_due(m, o, c):
        m[drain] = m[o[O_QLEN] + 2 * c + 1]
    write = 1 if m[drain] > 0 else 0
    start = o[O_WQ] + c * o[P_WQ] if write else o[O_RQ] + c * o[P_RQ]
    ln = o[O_QLEN] + 2 * c + write
    for i in range(m[ln]):
        x = m[start + i]
        b = rq[x, Q_BANK]
        bqn = o[O_BQN] + c * o[P_NB] + b
        if m[bqn] < o[P_BQ]:
            if write:
                if m[o[O_PEND] + 2 * rq[x, Q_ADDR]] >= 0:
                    m[drain] = 0
                    return False
                m[drain] -= 1
            m[o[O_BQ] + (c * o[P_NB] + b) * o[P_BQ] + m[bqn]] = x
            m[bqn] += 1
            m[_misc(o, c, M_QUEUED)] += 1
            _remove(m, start, m[ln], i)
            m[ln] -= 1
            return True
    return False


# -- one cycle ---------------------------------------------------------------------------
@jit
def _tick(m: Any, o: Any, rq: Any, c: int, now: int) -> bool:
    _account(m, o, c, now)
    m[_misc(o, c, M_SOONEST)] = FAR
    if now > 0 and now % o[P_INTERVAL] == 0:
        n = m[_misc(o, c, M_REF_N)]
        m[o[O_REFQ] + c * REF_RING + (m[_misc(o, c, M_REF_HEAD)] + n) % REF_RING] = \
            m[_misc(o, c, M_NEXT_REF)]
        m[_misc(o, c, M_REF_N)] = n + 1
        m[_misc(o, c, M_NEXT_REF)] = (m[_misc(o, c, M_NEXT_REF)] + 1) % o[P_NR]
    busy = _issue_commands(m, o, rq, c, now)
    if _schedule_transaction(m, o, rq, c):
        busy = True
    return busy


@jit
def _issue_commands(m: Any, o: Any, rq: Any, c: int, now: int) -> bool:
    kind, b, pos = -1, -1, -1
    if m[_misc(o, c, M_REF_N)] > 0:
        kind, b, pos = _refresh_command(m, o, c, now)
    if kind < 0:
        kind, b, pos = _pick(m, o, rq, c, now, -1)
    if kind < 0:
        return False
    _issue(m, o, rq, c, kind, b, pos, now)
    if o[P_DUAL]:
        first_col = kind in (RD, WR)
        k2, b2, p2 = _pick(m, o, rq, c, now, 0 if first_col else 1)
        if k2 >= 0 and (k2 in (RD, WR)) != first_col:
            _issue(m, o, rq, c, k2, b2, p2, now)
    return True


@jit
def _next_tick(m: Any, o: Any, c: int, now: int, busy: bool) -> int:
    if busy:
        return now + 1
    return min(m[_misc(o, c, M_SOONEST)], (now // o[P_INTERVAL] + 1) * o[P_INTERVAL])


@jit
def _account(m: Any, o: Any, c: int, now: int) -> None:
    acc = _misc(o, c, M_ACCOUNTED)
    dt = now - m[acc]
    if dt > 0:
        for rank in range(o[P_NR]):
            opened = m[o[O_OPENRANK] + c * o[P_NR] + rank]
            m[o[O_STANDBY] + (c * o[P_NR] + rank) * 2 + (0 if opened else 1)] += dt
        m[acc] = now


# -- choosing a command ------------------------------------------------------------------
@jit
def _later(m: Any, o: Any, c: int, cycle: int) -> None:
    k = _misc(o, c, M_SOONEST)
    if cycle < m[k]:
        m[k] = cycle


@jit
def _earliest(m: Any, o: Any, c: int, b: int, kind: int) -> int:
    return int(m[o[O_EARLIEST] + (c * o[P_NB] + b) * 5 + kind])


@jit
def _faw_ready(m: Any, o: Any, c: int, rank: int) -> int:
    fn = o[O_FAWN] + (c * o[P_NR] + rank) * 2
    if m[fn] < 4:
        return 0
    return int(m[o[O_FAW] + (c * o[P_NR] + rank) * 4 + m[fn + 1]] + o[P_TFAW])


@jit
def _refresh_command(m: Any, o: Any, c: int, now: int) -> tuple[int, int, int]:
    rank = m[o[O_REFQ] + c * REF_RING + m[_misc(o, c, M_REF_HEAD)]]
    m[_misc(o, c, M_REF_RANK)] = rank
    lo = rank * o[P_BPR]
    all_ready = True
    for b in range(lo, lo + o[P_BPR]):
        kind = PRE if m[o[O_OPEN] + c * o[P_NB] + b] >= 0 else REF
        ready = _earliest(m, o, c, b, kind)
        if ready <= now and kind == PRE:
            return PRE, b, -1
        if ready > now:
            _later(m, o, c, ready)
            all_ready = False
    if all_ready:
        return REF, lo, -1
    return -1, -1, -1


@jit
def _pick(m: Any, o: Any, rq: Any, c: int, now: int, column: int) -> tuple[int, int, int]:
    if o[P_FRFCFS]:
        return _pick_frfcfs(m, o, rq, c, now, column)
    nb = o[P_NB]
    rr = _misc(o, c, M_RR)
    ref_rank = m[_misc(o, c, M_REF_RANK)]
    for i in range(1, nb + 1):
        b = (m[rr] + i) % nb
        if m[o[O_BQN] + c * nb + b] == 0 or b // o[P_BPR] == ref_rank:
            continue
        kind, pos = _first_ready(m, o, rq, c, b, now)
        if kind >= 0:
            m[rr] = b
            return kind, b, pos
    return -1, -1, -1


@jit
def _act_ready(m: Any, o: Any, c: int, b: int, now: int) -> bool:
    ready = max(_earliest(m, o, c, b, ACT), _faw_ready(m, o, c, b // o[P_BPR]))
    if ready > now:
        _later(m, o, c, ready)
    return bool(ready <= now)


@jit
def _col_ready(m: Any, o: Any, c: int, kind: int, b: int, now: int) -> bool:
    ready = _earliest(m, o, c, b, kind)
    if ready > now:
        _later(m, o, c, ready)
    return bool(ready <= now)


@jit
def _no_hits(m: Any, o: Any, rq: Any, start: int, n: int, row: int) -> bool:
    for k in range(n):  # noqa: SIM110 (numba compiles no generator expressions)
        if rq[m[start + k], Q_ROW] == row:
            return False
    return True


@jit
def _first_ready(m: Any, o: Any, rq: Any, c: int, b: int, now: int) -> tuple[int, int]:
    row = m[o[O_OPEN] + c * o[P_NB] + b]
    if row < 0:
        return (ACT, 0) if _act_ready(m, o, c, b, now) else (-1, -1)
    start = o[O_BQ] + (c * o[P_NB] + b) * o[P_BQ]
    n = m[o[O_BQN] + c * o[P_NB] + b]
    pre_ready = _earliest(m, o, c, b, PRE)
    for pos in range(n):
        x = m[start + pos]
        if rq[x, Q_ROW] == row:
            kind = WR if rq[x, Q_WRITE] else RD
            if _col_ready(m, o, c, kind, b, now) and not (
                    kind == WR and _depends(m, rq, start, pos)):
                return kind, pos
        elif pre_ready > now:
            _later(m, o, c, pre_ready)
        elif pos == 0 and (m[o[O_HITS] + c * o[P_NB] + b] >= o[P_CAP]
                           or _no_hits(m, o, rq, start, n, row)):
            return PRE, 0
    return -1, -1


@jit
def _depends(m: Any, rq: Any, start: int, pos: int) -> bool:
    w = m[start + pos]
    for k in range(pos):
        x = m[start + k]
        if not rq[x, Q_WRITE] and rq[x, Q_ROW] == rq[w, Q_ROW] and rq[x, Q_COL] == rq[w, Q_COL]:
            return True
    return False


@jit
def _frfcfs_candidate(m: Any, o: Any, rq: Any, c: int, b: int, now: int) -> tuple[int, int]:
    row = m[o[O_OPEN] + c * o[P_NB] + b]
    if row < 0:
        return (ACT, 0) if _act_ready(m, o, c, b, now) else (-1, -1)
    start = o[O_BQ] + (c * o[P_NB] + b) * o[P_BQ]
    hit = False
    for pos in range(m[o[O_BQN] + c * o[P_NB] + b]):
        x = m[start + pos]
        if rq[x, Q_ROW] == row:
            hit = True
            kind = WR if rq[x, Q_WRITE] else RD
            if _col_ready(m, o, c, kind, b, now) and not (
                    kind == WR and _depends(m, rq, start, pos)):
                return kind, pos
    if hit:
        return -1, -1
    if _earliest(m, o, c, b, PRE) > now:
        _later(m, o, c, _earliest(m, o, c, b, PRE))
        return -1, -1
    return PRE, 0


@jit
def _pick_frfcfs(m: Any, o: Any, rq: Any, c: int, now: int,
                 column: int) -> tuple[int, int, int]:
    best_class, best_req, best = 2, 0, (-1, -1, -1)
    ref_rank = m[_misc(o, c, M_REF_RANK)]
    for b in range(o[P_NB]):
        if m[o[O_BQN] + c * o[P_NB] + b] == 0 or b // o[P_BPR] == ref_rank:
            continue
        kind, pos = _frfcfs_candidate(m, o, rq, c, b, now)
        if kind < 0:
            continue
        is_col = kind in (RD, WR)
        if column >= 0 and is_col != (column == 1):
            continue
        cls = 0 if is_col else 1
        x = m[o[O_BQ] + (c * o[P_NB] + b) * o[P_BQ] + pos]
        if cls < best_class or (cls == best_class and x < best_req):
            best_class, best_req, best = cls, x, (kind, b, pos)
    return best


# -- issuing -----------------------------------------------------------------------------
@jit
def _issue(m: Any, o: Any, rq: Any, c: int, kind: int, b: int, pos: int, now: int) -> None:
    rank = b // o[P_BPR]
    bank = c * o[P_NB] + b
    if kind == ACT:
        m[o[O_OPEN] + bank] = rq[m[o[O_BQ] + bank * o[P_BQ] + pos], Q_ROW]
        m[o[O_HITS] + bank] = 0
        m[o[O_OPENRANK] + c * o[P_NR] + rank] += 1
        _record_act(m, o, c, rank, now)
    elif kind == PRE:
        m[o[O_OPEN] + bank] = -1
        m[o[O_HITS] + bank] = 0
        m[o[O_OPENRANK] + c * o[P_NR] + rank] -= 1
    elif kind == REF:
        _pop_refresh(m, o, c, rank)
    else:
        start = o[O_BQ] + bank * o[P_BQ]
        x = m[start + pos]
        _remove(m, start, m[o[O_BQN] + bank], pos)
        m[o[O_BQN] + bank] -= 1
        m[_misc(o, c, M_QUEUED)] -= 1
        _serve(m, o, rq, c, kind, b, x, now)
    _update_timing(m, o, c, kind, b, now)
    m[o[O_COUNTS] + c * 6 + COUNT_INDEX[kind]] += 1


@jit
def _record_act(m: Any, o: Any, c: int, rank: int, now: int) -> None:
    fn = o[O_FAWN] + (c * o[P_NR] + rank) * 2
    m[o[O_FAW] + (c * o[P_NR] + rank) * 4 + m[fn + 1]] = now
    m[fn + 1] = (m[fn + 1] + 1) % 4
    m[fn] = min(m[fn] + 1, 4)


@jit
def _pop_refresh(m: Any, o: Any, c: int, rank: int) -> None:
    ring = o[O_REFQ] + c * REF_RING
    head, n = m[_misc(o, c, M_REF_HEAD)], m[_misc(o, c, M_REF_N)]
    for k in range(n):  # remove the first pending refresh of ``rank``
        if m[ring + (head + k) % REF_RING] == rank:
            for j in range(k, 0, -1):
                m[ring + (head + j) % REF_RING] = m[ring + (head + j - 1) % REF_RING]
            break
    m[_misc(o, c, M_REF_HEAD)] = (head + 1) % REF_RING
    m[_misc(o, c, M_REF_N)] = n - 1
    m[_misc(o, c, M_REF_RANK)] = -1


@jit
def _update_timing(m: Any, o: Any, c: int, kind: int, b: int, now: int) -> None:
    nb = o[P_NB]
    base = o[O_EARLIEST] + c * nb * 5
    for x in range(nb):
        table = o[O_DELAY] + (kind * 4 + m[o[O_SCOPE] + b * nb + x]) * 5
        for j in range(5):
            d = m[table + j]
            if d != NONE and now + d > m[base + x * 5 + j]:
                m[base + x * 5 + j] = now + d


@jit
def _serve(m: Any, o: Any, rq: Any, c: int, kind: int, b: int, x: int, now: int) -> None:
    hits = o[O_HITS] + c * o[P_NB] + b
    if m[hits]:
        m[o[O_COUNTS] + c * 6 + 5] += 1
    m[hits] += 1
    pend = o[O_PEND] + 2 * rq[x, Q_ADDR] + (0 if kind == RD else 1)
    i = m[pend]
    m[pend] = -1
    done = now + (o[P_RDELAY] if kind == RD else o[P_WDELAY])
    while i >= 0:
        rq[i, Q_ISS] = now
        rq[i, Q_DONE] = done
        m[_misc(o, c, M_UNRESOLVED)] -= 1
        i = rq[i, Q_LINK]


# -- the driver --------------------------------------------------------------------------
@jit
def _tick_due(m: Any, o: Any, rq: Any, t: int) -> None:
    for c in range(o[P_CH]):
        if m[o[O_NXT] + c] <= t:
            busy = _tick(m, o, rq, c, t)
            m[o[O_NXT] + c] = _next_tick(m, o, c, t, busy)


@jit
def _outstanding(m: Any, o: Any) -> bool:
    for c in range(o[P_CH]):  # noqa: SIM110 (numba compiles no generator expressions)
        if m[_misc(o, c, M_UNRESOLVED)]:
            return True
    return False


@jit
def _flush(m: Any, o: Any, cycle: int) -> None:
    for c in range(o[P_CH]):
        m[_misc(o, c, M_FLUSH)] = 1
        m[o[O_NXT] + c] = min(m[o[O_NXT] + c], cycle)


@jit
def _next_cycle(m: Any, o: Any, rq: Any, head: int, t: int, accepted: bool) -> int:
    t_next = m[o[O_NXT]:o[O_NXT] + o[P_CH]].min()
    if head < len(rq):
        if accepted:
            t_next = min(t_next, max(t + 1, rq[head, Q_ARR]))
        elif rq[head, Q_ARR] > t:
            t_next = min(t_next, rq[head, Q_ARR])
    return int(t_next)


@jit
def _drive(m: Any, o: Any, rq: Any) -> int:
    n = len(rq)
    head, t = 0, 0
    if n == 0:
        _flush(m, o, 0)
    while True:
        _tick_due(m, o, rq, t)
        accepted = False
        if head < n and rq[head, Q_ARR] <= t:
            c = rq[head, Q_CH]
            if _will_accept(m, o, c, rq[head, Q_WRITE]):
                _add(m, o, rq, c, head, t + 1)
                m[o[O_NXT] + c] = t + 1
                head += 1
                accepted = True
                if head == n:
                    _flush(m, o, t + 1)
        if head == n and not _outstanding(m, o):
            break
        t = _next_cycle(m, o, rq, head, t, accepted)
    finish = _finish(rq)
    for c in range(o[P_CH]):
        nxt = o[O_NXT] + c
        while m[nxt] < finish:
            busy = _tick(m, o, rq, c, m[nxt])
            m[nxt] = _next_tick(m, o, c, m[nxt], busy)
        _account(m, o, c, finish)
    return finish


@jit
def _finish(rq: Any) -> int:
    finish = 0
    for i in range(len(rq)):
        end = rq[i, Q_ISS] + 1 if rq[i, Q_WRITE] else rq[i, Q_DONE]
        finish = max(finish, end)
    return finish
