"""Switching activity of the NE16 engine slice (``rtl/gap9/ne16_slice.sv``): a cycle mirror.

The mirror steps the engine's control FSM edge by edge, as the RTL does, and keeps every register
of ``ne16_engine`` as numpy arrays: the input window shift register ``xbuf`` (RR pixel words of
``lanes`` bytes), the accumulator rows of the ``side x side`` columns (``kmax`` 32-bit words
each), the control registers (state, cnt, nin, kk, bb, pix, beat, done, o_valid) and the
streamout register ``o_data``. The column datapath (9 x lanes AND-and-add products, weight-offset
sum, MV accumulate, NQ scale / bias / quantise) is evaluated for all columns at once with numpy.
After each rising edge the bit changes of every register are counted per group:

* ``reg_xbuf``  -- the window shift register (LOAD);
* ``reg_acc``   -- the accumulator rows (clear, MV, NQ_MUL, NQ_BIAS);
* ``reg_ctrl``  -- state, counters and indices, done, o_valid;
* ``reg_out``   -- the 256-bit streamout word.

The combinational products and sums of the columns are always_comb variables of the RTL and are
not counted here (the bench cannot read them); each feeds an accumulator register.

The slice's memories (x, w, p) stand for the cluster L1 and are not part of the engine. The
RTL's window and accumulators have no reset; a zero *flush* job (3x3, every channel) writes all
of them, so the mirror starts every counted sequence with that job and counts from after it.
Job sequences come from :func:`bench_jobs`, which the toggle bench uses too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.models.gap9 import arith
from sim.models.gap9.rtlslice import OUT_CODE, SliceJob, make_job

GROUPS = ("reg_xbuf", "reg_acc", "reg_ctrl", "reg_out")
SAMPLE = Path(__file__).resolve().parents[3] / "workloads" / "traces" / "gap9_silero_sample.npz"
S_IDLE, S_LOAD, S_WOFF, S_MV, S_UPD, S_NQM, S_NQB, S_SO = range(8)
CTRL_BITS = {"state": 4, "cnt": 16, "nin": 5, "kk": 7, "bb": 4, "pix": 16, "beat": 4,
             "done": 1, "o_valid": 1}
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Geometry:
    """Slice parameters (the RTL's SIDE, LANES, KMAX, NIN_MAX)."""

    side: int
    lanes: int
    kmax: int
    nin_max: int

    @property
    def cols(self) -> int:
        """Output pixels (columns)."""
        return self.side * self.side

    @property
    def rr(self) -> int:
        """Window pixels of a 3x3 job, (side + 2)^2."""
        return (self.side + 2) ** 2


def _tap_slots(g: Geometry, mode: str) -> npt.NDArray[np.intp]:
    """Window slot of (column, tap): the RTL's ``wpix`` (3x3, dw) or RR - COLS + c (1x1)."""
    c = np.arange(g.cols)[:, None]
    t = np.arange(9)[None, :]
    if mode == "1x1":
        return np.broadcast_to(g.rr - g.cols + c, (g.cols, 9)).copy()
    return ((c // g.side) + (t // 3)) * (g.side + 2) + (c % g.side) + (t % 3)


def _quant(a: I64, w: int, nq: arith.NormQuant) -> I64:
    """``ne16_quant`` of W-bit two's-complement values ``a`` (any int64 holding the W bits)."""
    half = 1 << (w - 1)
    v = ((a + half) % (1 << w)) - half
    shift = int(nq.shift)
    if nq.rounding and shift != 0:
        v = np.minimum(v + (1 << (shift - 1)), half - 1)
    if nq.relu:
        v = np.maximum(v, 0)
    v = v >> shift
    osel = OUT_CODE[nq.out_bits]
    hi = ((255, 65535, 2**31 - 1) if nq.relu else (127, 32767, 2**31 - 1))[osel]
    v = np.minimum(v, hi)
    if not nq.relu:
        v = np.maximum(v, -hi - 1)
    return v & 0xFFFFFFFF


class _Engine:
    """Register state of ``ne16_engine`` and one job's configuration and memories."""

    def __init__(self, g: Geometry) -> None:
        self.g = g
        self.xbuf = np.zeros((g.rr, g.lanes), dtype=np.uint8)
        self.rows = np.zeros((g.cols, g.kmax), dtype=np.uint32)
        self.ctrl = dict.fromkeys(CTRL_BITS, 0)
        self.o_data = 0
        self.words: list[int] = []  # streamout words of the last job (o_valid)
        self.edges = 0  # rising edges of the last job, start to done low

    def run(self, job: SliceJob) -> dict[str, int]:
        """Edges from the one sampling ``start`` until the engine is idle again with ``done``
        low; returns the bit toggles per group over those edges."""
        g = self.g
        xmem = np.array([[(w >> (8 * i)) & 0xFF for i in range(g.lanes)] for w in job.x_words],
                        dtype=np.int64)
        wmem = np.array([[(w >> b) & 1 for b in range(9 * g.lanes)] for w in job.w_words],
                        dtype=np.int64).reshape(-1, 9, g.lanes)
        counts = dict.fromkeys(GROUPS, 0)
        self.words, self.edges = [], 0
        start = 1
        while True:
            self.edges += 1
            old_x, old_rows, old_c, old_o = self.xbuf, self.rows, dict(self.ctrl), self.o_data
            self._edge(job, xmem, wmem, start)
            start = 0
            counts["reg_xbuf"] += int(np.bitwise_count(old_x ^ self.xbuf).sum())
            counts["reg_acc"] += int(np.bitwise_count(old_rows ^ self.rows).sum())
            counts["reg_ctrl"] += sum(bin(old_c[n] ^ self.ctrl[n]).count("1") for n in CTRL_BITS)
            counts["reg_out"] += bin(old_o ^ self.o_data).count("1")
            if self.ctrl["o_valid"]:
                self.words.append(self.o_data)
            if self.ctrl["state"] == S_IDLE and not self.ctrl["done"]:
                return counts

    def _plen(self, job: SliceJob) -> int:
        """The RTL's ``plen``: length of the current phase (cycles)."""
        g, k, s = self.g, job.k, self.ctrl["state"]
        bpp = -(-k * job.nq.out_bits // 256)
        return {S_LOAD: (10 + g.cols) if job.mode == "1x1" else (6 + g.rr),
                S_WOFF: (6 + k) if job.mode == "dw" else 6,
                S_MV: (6 + k) if job.mode == "1x1" else (6 + k * job.qw),
                S_UPD: 2, S_NQM: 9 + (k + 3) // 4, S_NQB: 8 + (k + 7) // 8,
                S_SO: 3 + g.cols * bpp + 1}.get(s, 1)

    def _edge(self, job: SliceJob, xmem: I64, wmem: I64, start: int) -> None:
        """One rising edge: next register values from the current ones."""
        g, c = self.g, self.ctrl
        st, cnt = c["state"], c["cnt"]
        last = cnt == ((self._plen(job) - 1) & 0xFFFF)
        rows = self.rows
        if st == S_IDLE and start:
            rows = np.zeros_like(rows)
        elif st == S_MV and cnt >= 6:
            rows = self._mv(job, wmem)
        elif st == S_NQM and cnt >= 9:
            rows = self._nqm(job, cnt - 9)
        elif st == S_NQB and cnt >= 8:
            rows = self._nqb(job, cnt - 8)
        xbuf = self.xbuf
        off = 10 if job.mode == "1x1" else 6
        if st == S_LOAD and off <= cnt < off + g.rr:
            word = xmem[c["nin"] * g.rr + cnt - off].astype(np.uint8)
            xbuf = np.concatenate([xbuf[1:], word[None, :]])
        so_word = self._so_word(job) if st == S_SO and cnt >= 3 and c["pix"] < g.cols else None
        self._control(job, start, last)
        if so_word is not None:
            self.o_data = so_word
        self.rows, self.xbuf = rows, xbuf

    def _control(self, job: SliceJob, start: int, last: bool) -> None:
        """The engine's control always_ff block."""
        c = self.ctrl
        n = dict(c)
        n["done"], n["o_valid"] = 0, 0
        n["cnt"] = 0 if last else (c["cnt"] + 1) & 0xFFFF
        st = c["state"]
        if st == S_IDLE:
            n["cnt"] = 0
            if start:
                n["state"], n["nin"] = S_LOAD, 0
        elif st == S_LOAD and last:
            n["state"] = S_WOFF
        elif st == S_WOFF and last:
            n["state"], n["kk"], n["bb"] = S_MV, 0, 0
        elif st == S_MV:
            self._mv_step(job, n, last)
        elif st == S_UPD and last:
            self._upd_step(job, n)
        elif st == S_NQM and last:
            n["state"] = S_NQB if job.nq.bias is not None else S_SO
        elif st == S_NQB and last:
            n["state"] = S_SO
        elif st == S_SO:
            self._so_step(job, n, last)
        self.ctrl = n

    def _mv_step(self, job: SliceJob, n: dict[str, int], last: bool) -> None:
        """MV phase: next weight bit / channel; UPDATE after the last cycle."""
        c = self.ctrl
        if c["cnt"] >= 6:
            if job.mode == "1x1" or c["bb"] == job.qw - 1:
                n["bb"], n["kk"] = 0, (c["kk"] + 1) & 0x7F
            else:
                n["bb"] = c["bb"] + 1
        if last:
            n["state"] = S_UPD

    def _upd_step(self, job: SliceJob, n: dict[str, int]) -> None:
        """End of UPDATE: next k_in subtile, or NQ / streamout."""
        if self.ctrl["nin"] == job.n_in - 1:
            n["state"] = S_NQM if job.nq.enabled else S_SO
            n["pix"], n["beat"] = 0, 0
        else:
            n["nin"], n["state"] = self.ctrl["nin"] + 1, S_LOAD

    def _so_step(self, job: SliceJob, n: dict[str, int], last: bool) -> None:
        """Streamout: one word per cycle from cycle 3; done after the last cycle."""
        c = self.ctrl
        if c["cnt"] >= 3 and c["pix"] < self.g.cols:
            n["o_valid"] = 1
            bpp = -(-job.k * job.nq.out_bits // 256)
            if c["beat"] == bpp - 1:
                n["beat"], n["pix"] = 0, c["pix"] + 1
            else:
                n["beat"] = c["beat"] + 1
        if last:
            n["done"], n["state"] = 1, S_IDLE

    def _mv(self, job: SliceJob, wmem: I64) -> U32:
        """MV: acc[kk] += window x weight-bit products (<< bb; 1x1: taps weighted 2^t), plus
        woff x the offset sum on the first weight bit, for every column."""
        g, c = self.g, self.ctrl
        kk, bb, nin = c["kk"], c["bb"], c["nin"]
        taps = self.xbuf[_tap_slots(g, job.mode)].astype(np.int64)  # (cols, 9, lanes)
        t = np.arange(9)[:, None]
        lane = np.arange(g.lanes)[None, :]
        if job.mode == "1x1":
            w = wmem[kk * job.n_in + nin] * ((t < 8) & (t < job.qw))
            xsel = np.broadcast_to(t == 0, (9, g.lanes))
        elif job.mode == "dw":
            w = wmem[bb] * (lane == kk)
            xsel = np.broadcast_to(lane == kk, (9, g.lanes))
        else:
            w = wmem[(kk * job.n_in + nin) * job.qw + bb]
            xsel = np.ones((9, g.lanes), dtype=bool)
        part = (taps * w[None]).sum(axis=2)  # (cols, 9)
        xs = (taps * xsel[None]).sum(axis=(1, 2))
        if job.mode == "1x1":
            mv = (part[:, :8] << np.arange(8)).sum(axis=1)
        else:
            mv = part.sum(axis=1) << bb
        add = mv + ((job.woff & 0xFFFFFFFF) * xs if bb == 0 else 0)
        rows = self.rows.copy()
        rows[:, kk] = (rows[:, kk].astype(np.int64) + add) & 0xFFFFFFFF
        return rows

    def _nqm(self, job: SliceJob, grp: int) -> U32:
        """NQ_MUL: channels 4 grp + j < k take acc x scale (low 32 bits with bias, else
        quantised from the 40-bit product)."""
        q = 4 * grp + np.arange(4)
        q = q[q < job.k]
        rows = self.rows.copy()
        acc = rows[:, q].astype(np.int32).astype(np.int64)
        prod = acc * job.nq.scale[q]
        rows[:, q] = (prod & 0xFFFFFFFF) if job.nq.bias is not None else _quant(prod, 40, job.nq)
        return rows

    def _nqb(self, job: SliceJob, grp: int) -> U32:
        """NQ_BIAS: channels 8 grp + j < k take quant((acc + bias) mod 2^32)."""
        assert job.nq.bias is not None
        q = 8 * grp + np.arange(8)
        q = q[q < job.k]
        rows = self.rows.copy()
        rows[:, q] = _quant((rows[:, q].astype(np.int64) + job.nq.bias[q]) & 0xFFFFFFFF, 32,
                            job.nq)
        return rows

    def _so_word(self, job: SliceJob) -> int:
        """Streamout word of pixel ``pix``, beat ``beat``."""
        ob = job.nq.out_bits
        per = 256 // ob
        ch = self.ctrl["beat"] * per + np.arange(per)
        row = self.rows[self.ctrl["pix"]]
        word = 0
        for j, q in enumerate(ch.tolist()):
            if q < min(job.k, self.g.kmax):
                word |= (int(row[q]) & ((1 << ob) - 1)) << (j * ob)
        return word


def flush_job(g: Geometry) -> SliceJob:
    """All-zero 3x3 job over every channel: writes every window slot and accumulator."""
    r = g.side + 2
    return make_job("3x3", np.zeros((r, r, g.lanes)), np.zeros((g.kmax, g.lanes, 3, 3)), 2,
                    arith.make_normquant(g.kmax, enabled=False, out_bits=32), g.side, g.lanes)


def slice_toggles(jobs: list[SliceJob], g: Geometry) -> dict[str, int]:
    """Register bit toggles per group over ``jobs`` run back to back after the flush job."""
    eng = _Engine(g)
    eng.run(flush_job(g))
    total = dict.fromkeys(GROUPS, 0)
    for job in jobs:
        for group, n in eng.run(job).items():
            total[group] += n
    return total


def bench_jobs(g: Geometry) -> dict[str, list[SliceJob]]:
    """The toggle bench's cases: ``real`` (uint8 activations of the silero sample with its
    encoder weights quantised to 2, 5 and 8 bits, 3x3 and 1x1, as the functional bench),
    ``random`` (random windows, weights and norm/quant settings, every mode) and ``zeros``."""
    data = np.load(SAMPLE)
    w_real, act = data["enc1_w"], data["act_u8"]
    r3 = g.side + 2
    cin = min(g.nin_max * g.lanes, w_real.shape[1])
    k = min(g.kmax, w_real.shape[0])
    real = []
    for qw in (2, 5, 8):
        q, _ = arith.quantise_symmetric(w_real[:k, :cin, :], qw, axis=0)
        w = np.zeros((k, cin, 3, 3), dtype=np.int64)
        w[:, :, 1, :] = q
        x = act[qw: qw + r3 * r3, :cin].reshape(r3, r3, cin)
        nq = arith.make_normquant(k, scale=1, bias=0, shift=qw + 6, rounding=True, relu=True)
        real.append(make_job("3x3", x, w, qw, nq, g.side, g.lanes))
        q1, _ = arith.quantise_symmetric(w_real[:k, :cin, 1], qw, axis=0)
        x1 = act[40: 40 + g.cols, :cin].reshape(g.side, g.side, cin)
        nq1 = arith.make_normquant(k, scale=3, bias=-100, shift=qw + 5, relu=False, out_bits=16)
        real.append(make_job("1x1", x1, q1[:, :, None, None], qw, nq1, g.side, g.lanes))
    rng = np.random.default_rng(18)
    rand = [_random_job(rng, g, mode, qw) for mode, qw in
            (("3x3", 3), ("dw", 8), ("1x1", 5), ("3x3", 8))]
    zk = min(g.kmax, g.lanes)
    zeros = [make_job(m, np.zeros((r, r, zk)), np.zeros((zk, 1 if m == "dw" else zk, kk, kk)),
                      4, arith.make_normquant(zk, out_bits=8), g.side, g.lanes)
             for m, r, kk in (("3x3", r3, 3), ("dw", r3, 3), ("1x1", g.side, 1))]
    return {"real": real, "random": rand, "zeros": zeros}


def _random_job(rng: np.random.Generator, g: Geometry, mode: str, qw: int) -> SliceJob:
    """Random uint8 window, random signed qw-bit weights, random norm/quant with bias."""
    r = g.side if mode == "1x1" else g.side + 2
    if mode == "dw":
        k = c_in = min(g.lanes, g.kmax)
        shape: tuple[int, ...] = (k, 1, 3, 3)
    else:
        k, c_in = g.kmax, g.nin_max * g.lanes
        shape = (k, c_in, 1, 1) if mode == "1x1" else (k, c_in, 3, 3)
    w = rng.integers(-(2 ** (qw - 1)), 2 ** (qw - 1), shape)
    x = rng.integers(0, 256, (r, r, c_in))
    nq = arith.make_normquant(k, scale=rng.integers(0, 256, k),
                              bias=rng.integers(-(2**20), 2**20, k), shift=int(rng.integers(0, 24)),
                              rounding=True, relu=bool(rng.integers(0, 2)), out_bits=16)
    return make_job(mode, x, w, qw, nq, g.side, g.lanes)


REG_ACTION = "ne16.reg.toggle_bit"
CLOCK_ACTION = "ne16.ff.clock_bit"


def flops(g: Geometry) -> int:
    """Flip-flops of the engine: window, accumulators, control and the streamout word."""
    return g.rr * g.lanes * 8 + g.cols * g.kmax * 32 + sum(CTRL_BITS.values()) + 256


def toggle_ledger(toggles: dict[str, int], cycles: int, g: Geometry) -> dict[str, float]:
    """Ledger of the engine's registers over ``cycles`` busy cycles: one ``ne16.reg.toggle_bit``
    per register bit toggle and one ``ne16.ff.clock_bit`` per flop per cycle (no clock gating).
    The combinational datapath (products, sums, quantisers) is not in it."""
    return {REG_ACTION: float(sum(toggles.values())), CLOCK_ACTION: float(flops(g) * cycles)}
