"""Switching activity of the bit-slice columns (OPT3 / OPT4C / OPT4E) of
``rtl/tpe/tpe_bitslice.sv``.

The issue stage is a data-dependent schedule (zero-digit skipping), so the mirror steps edge by
edge through the RTL's registers; the N PEs (which all follow the same schedule) are numpy
vectors. Per edge, from the values before it: the issue unit(s) (busy, fresh, m, j, s, rem, the
issued way valid/select/lane, first/last, j, m, go), each PE's (sum, carry) pair, and the column's
pass-fuse registers (p_last, p_j, p_m), running result, output rows and done flag.

Groups: ``reg_issue`` (the issue registers, of every issue unit: one per PE for OPT3, one shared
for OPT4C/E), ``enc`` (the encoder outputs of the current row: select and non-zero bits),
``ppg`` (each way's 10-bit PP of each PE), ``csa`` (every 3:2 row's sum and carry of each PE),
``reg_acc`` (sum, carry), ``cpa`` (each PE's fuse adder ``sum + carry`` and the shifted
``fused``), ``reg_out`` (p_last, p_j, p_m, res, the output rows, done).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.models.tpe import arith
from sim.models.tpe.activity import _ent_lut

IntArray = npt.NDArray[np.int64]
GROUPS = ("reg_issue", "enc", "ppg", "csa", "reg_acc", "cpa", "reg_out")
AW = 26
MASK_AW = (1 << AW) - 1
MASK32 = (1 << 32) - 1
VARIANTS = {"opt3": (1, False), "opt4c": (1, True), "opt4e": (4, True)}
"""PE kind -> (ways, shared issue unit)."""


@dataclass
class _State:
    """Register values of one column group (issue registers as ints, PE values (N,) arrays)."""

    issue: dict[str, Any]
    sum: IntArray
    carry: IntArray
    p: dict[str, int]
    res: IntArray
    outr: IntArray  # (M, N)
    done: int


def _bits(x: int) -> int:
    return int(x).bit_count()


def _pop(x: npt.ArrayLike) -> int:
    return int(np.bitwise_count(np.asarray(x, dtype=np.int64).view(np.uint64)).sum())


class BitsliceMirror:
    """Edge-by-edge mirror of one ``tpe_bitslice_cols`` instance (M rows, K lanes, N PEs)."""

    def __init__(self, kind: str, m: int, k: int, n: int) -> None:
        self.ways, self.shared = VARIANTS[kind]
        self.m, self.k, self.n = m, k, n
        self.steps = k // (4 * self.ways)
        self.lut = _ent_lut().astype(np.int64)
        z = np.zeros(n, dtype=np.int64)
        self.state = _State(
            {"busy": 0, "fresh": 0, "m": 0, "j": 0, "s": 0, "rem": [0] * self.ways,
             "vld": [0] * self.ways, "sel": [0] * self.ways, "kidx": [0] * self.ways,
             "first": 0, "last": 0, "ij": 0, "im": 0, "go": 0},
            z.copy(), z.copy(), {"last": 0, "j": 0, "m": 0}, z.copy(),
            np.zeros((m, n), dtype=np.int64), 0)
        self.a = np.zeros((m, k), dtype=np.int64)
        self.b = np.zeros((k, n), dtype=np.int64)

    def set_inputs(self, a: npt.ArrayLike, b: npt.ArrayLike) -> None:
        """Drive a_mat (M, K) and b_mat (K, N)."""
        self.a = np.asarray(a, dtype=np.int64)
        self.b = np.asarray(b, dtype=np.int64)

    # ------------------------------------------------------------------ settled nets
    def nets(self) -> dict[str, Any]:
        """Settled nets of the current state and inputs."""
        st = self.state
        iss = st.issue
        code = self.lut[self.a[iss["m"] % self.m] + 128]  # (K,) 12-bit: sel 0..7, nz 8..11
        cur, lane, nxt = [], [], []
        for w in range(self.ways):
            if iss["fresh"]:
                g = (iss["s"] * self.ways + w) * 4
                c = sum(((int(code[g + i]) >> (8 + iss["j"])) & 1) << i for i in range(4))
            else:
                c = iss["rem"][w]
            ln = 0 if c & 1 else 1 if c & 2 else 2 if c & 4 else 3
            cur.append(c)
            lane.append(ln)
            nxt.append(c & ~(1 << ln) & 0xF)
        pps = []
        for w in range(self.ways):
            bcol = self.b[iss["kidx"][w]]
            mult = int(arith.SELECT_MULTIPLIER[iss["sel"][w]]) if iss["vld"][w] else 0
            pps.append(mult * bcol)
        ops = [p & MASK_AW for p in pps]
        zero = np.zeros(self.n, dtype=np.int64)
        ops += [zero if iss["first"] else st.sum, zero if iss["first"] else st.carry]
        rows = []
        for t in range(self.ways):
            nn = self.ways + 2 - t
            x, y, z = ops[nn - 3], ops[nn - 2], ops[nn - 1]
            s_, c_ = x ^ y ^ z, (((x & y) | (x & z) | (y & z)) << 1) & MASK_AW
            rows += [s_, c_]
            ops = [*ops[:nn - 3], s_, c_]
        f26 = (st.sum + st.carry) & MASK_AW
        signed = np.where(f26 >> (AW - 1), f26 - (1 << AW), f26)
        fused = (signed << (2 * st.p["j"])) & MASK32
        return {"code": code, "cur": cur, "lane": lane, "nxt": nxt,
                "all_done": all(x == 0 for x in nxt), "pp": [p & 0x3FF for p in pps],
                "rows": rows, "out": ops[:2], "f26": f26, "fused": fused}

    # ------------------------------------------------------------------ one edge
    def edge(self, start: int) -> None:
        """Advance the registers by one rising edge (``start`` sampled at it)."""
        st = self.state
        iss = dict(st.issue)
        nets = self.nets()
        new_iss = dict(iss)
        new_iss["go"] = 0
        if start:
            new_iss.update(busy=1, fresh=1, m=0, j=0, s=0)
        elif iss["busy"]:
            new_iss["go"] = 1
            j = iss["j"]
            vld, sel, kidx = [], [], []
            for w in range(self.ways):
                g = iss["s"] * self.ways + w
                k = g * 4 + nets["lane"][w]
                vld.append(int(nets["cur"][w] != 0))
                sel.append((int(nets["code"][k]) >> (2 * j)) & 3)
                kidx.append(k)
            new_iss.update(vld=vld, sel=sel, kidx=kidx, rem=list(nets["nxt"]),
                           first=int(bool(iss["fresh"]) and iss["s"] == 0),
                           last=int(nets["all_done"] and iss["s"] == self.steps - 1),
                           ij=j, im=iss["m"], fresh=int(nets["all_done"]))
            if nets["all_done"]:
                if iss["s"] != self.steps - 1:
                    new_iss["s"] = iss["s"] + 1
                else:
                    new_iss["s"] = 0
                    new_iss["j"] = (j + 1) & 3
                    if j == 3:
                        if iss["m"] == self.m - 1:
                            new_iss["busy"] = 0
                        else:
                            new_iss["m"] = iss["m"] + 1
        s_new, c_new = (nets["out"] if iss["go"] else (st.sum, st.carry))
        p = {"last": int(bool(iss["go"]) and bool(iss["last"])), "j": iss["ij"],
             "m": iss["im"] & 0xFF}
        res, outr = st.res, st.outr.copy()
        if st.p["last"]:
            base = np.zeros_like(st.res) if st.p["j"] == 0 else st.res
            res = (base + nets["fused"]) & MASK32
            row = st.p["m"] & ((1 << (max(self.m, 2) - 1).bit_length()) - 1)
            if st.p["j"] == 3 and row < self.m:
                outr[row] = (st.res + nets["fused"]) & MASK32
        done = 0 if start else (1 if st.p["last"] and st.p["j"] == 3
                                and st.p["m"] == self.m - 1 else st.done)
        self.state = _State(new_iss, s_new.copy(), c_new.copy(), p, res, outr, done)


def _issue_bits(iss: dict[str, Any]) -> list[int]:
    """The issue registers as ints (ways packed as the RTL packs them)."""
    vld = sum(v << w for w, v in enumerate(iss["vld"]))
    sel = sum(v << (2 * w) for w, v in enumerate(iss["sel"]))
    kidx = sum((v & 0xFF) << (8 * w) for w, v in enumerate(iss["kidx"]))
    return [iss["busy"], iss["fresh"], iss["m"], iss["j"], iss["s"], *iss["rem"], vld, sel, kidx,
            iss["first"], iss["last"], iss["ij"], iss["im"], iss["go"]]


def snapshot(mirror: BitsliceMirror) -> dict[str, list[Any]]:
    """Values per group of the mirror's current state and nets (for toggle counting)."""
    st, nets = mirror.state, mirror.nets()
    copies = 1 if mirror.shared else mirror.n
    return {"reg_issue": _issue_bits(st.issue) * copies,
            "enc": [int(c) & 0xFFF for c in nets["code"]] * copies,
            "ppg": nets["pp"], "csa": nets["rows"], "reg_acc": [st.sum, st.carry],
            "cpa": [nets["f26"], nets["fused"]],
            "reg_out": [st.p["last"], st.p["j"], st.p["m"], st.res, st.outr, st.done]}


def flips(now: dict[str, list[Any]], prev: dict[str, list[Any]]) -> dict[str, int]:
    """Changed bits per group between two snapshots."""
    out = {}
    for g in GROUPS:
        total = 0
        for x, y in zip(now[g], prev[g], strict=True):
            if isinstance(x, int | np.integer) and isinstance(y, int | np.integer):
                total += _bits(int(x) ^ int(y))
            else:
                total += _pop(np.bitwise_xor(np.asarray(x), np.asarray(y)))
        out[g] = total
    return out


def job_toggles(kind: str, a: npt.ArrayLike, b: npt.ArrayLike, edges: int) -> dict[str, int]:
    """Toggles per group over ``edges`` rising edges from the one that samples ``start`` of a job
    on A (M, K), B (K, N), after a flush job on zeros (which leaves every register known)."""
    aa, bb = arith.as_int8(a, "A"), arith.as_int8(b, "B")
    mir = BitsliceMirror(kind, aa.shape[0], aa.shape[1], bb.shape[1])
    mir.set_inputs(np.zeros_like(aa), np.zeros_like(bb))
    mir.edge(1)
    while not (mir.state.done and not mir.state.issue["busy"]):
        mir.edge(0)
    mir.edge(0)
    total = dict.fromkeys(GROUPS, 0)
    prev = snapshot(mir)
    mir.set_inputs(aa, bb)
    for e in range(edges):
        mir.edge(int(e == 0))
        now = snapshot(mir)
        for g, v in flips(now, prev).items():
            total[g] += v
        prev = now
    return total
