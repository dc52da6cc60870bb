"""TPE architectures x PE variants: engine inventories and exact GEMM cycle models.

==============  ===========  ==========================  ==========================================
architecture    PE variants  sizes (default)             mapping of C[M,N] = A[M,K] B[K,N]
==============  ===========  ==========================  ==========================================
systolic_os     mac, opt1    rows, cols (16, 16)         PE(i,j) owns C[i][j]; K streams
systolic_ws     mac, opt1    rows, cols (16, 16)         K on rows, N on columns; M streams
cube            mac, opt1    x, y, z (8, 8, 8)           one 8x8x8 product per cycle (M, K, N)
tree            mac, opt2    k, n (16, 16)               K-wide dot products for n columns per row
matrix2d        mac, opt2    m, n, k (8, 8, 4)           m x n PEs, each a k-wide dot product
bitslice        opt3, opt4c, columns, pes (4, 32)        a column streams A rows digit-serially
                opt4e                                    (zero digits skipped), pes outputs each
laconic         laconic      rows, cols, lanes (4, 8,    PE(i,j) owns C[i][j]; 16 k-lanes of term
                             16)                         pairs per cycle, lanes synchronised
==============  ===========  ==========================  ==========================================

Cycle models (exact closed forms; the bit-serial ones use the operand data):

* systolic: folds ``ceil(Sr/R) ceil(Sc/C) (2R + C + T - 2)`` from :mod:`sim.hw.systolic`
  (the count rtl/systolic is checked against; SCALE-Sim's OS overlaps the drain, R fewer per
  fold), plus one cycle per fold for the registered carry-save edge fuse (opt1;
  rtl/tpe/tpe_arrays.sv);
* cube: ``ceil(M/x) ceil(K/y) ceil(N/z)`` tile products, one per cycle, plus ``x + y + z - 2``
  fill/drain (A moves +z, B +x, partial sums +y; rtl/tpe/tpe_arrays.sv), +1 for the opt1 fuse;
* tree: ``ceil(K/k) ceil(N/n)`` folds of ``M`` rows, one row per cycle, plus the pipeline latency
  of ``rtl/tpe/tpe_opt2.sv`` (mac 3, opt2 5; the encoded row is broadcast to the columns, where
  the public RTL forwards it tile to tile and column n finishes n cycles later);
* matrix2d: ``ceil(M/m) ceil(N/n) ceil(K/k)`` tiles, one per cycle, plus latency (mac 1, opt2 2);
* bitslice: rows go round-robin to columns; a row costs ``T(m) = sum_j sum_g max(1, nnz)``
  (:func:`arith.bitserial_row_cycles`); per fold of ``pes`` outputs the slowest column sets the
  time: ``ceil(N/pes) * max_c sum_{m in c} T(m) + 2``;
* laconic: per output the sum over k-groups of ``max_lane terms(a) terms(b)``; PEs of one
  ``rows x cols`` output tile run in lock step, tiles back to back: ``sum_tiles max + 3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.shapes import GemmShape
from sim.hw.systolic import fold_counts, gemm_cycles
from sim.models.tpe import arith
from sim.models.tpe import cost as c

ARCHITECTURES = ("systolic_os", "systolic_ws", "cube", "tree", "matrix2d", "bitslice", "laconic")
PE_VARIANTS: dict[str, tuple[str, ...]] = {
    "systolic_os": ("mac", "opt1"),
    "systolic_ws": ("mac", "opt1"),
    "cube": ("mac", "opt1"),
    "tree": ("mac", "opt2"),
    "matrix2d": ("mac", "opt2"),
    "bitslice": ("opt3", "opt4c", "opt4e"),
    "laconic": ("laconic",),
}
DEFAULT_SIZES: dict[str, tuple[int, ...]] = {
    "systolic_os": (16, 16), "systolic_ws": (16, 16), "cube": (8, 8, 8), "tree": (16, 16),
    "matrix2d": (8, 8, 4), "bitslice": (4, 32), "laconic": (4, 8, 16),
}
DATA_DEPENDENT = ("bitslice", "laconic")
BITSLICE_LATENCY = 2
"""Edges from the last schedule step of a bit-slice column to its result register and ``done``:
the PE's (sum, carry) update, then the pass fuse (rtl/tpe/tpe_bitslice.sv)."""
LACONIC_LATENCY = 3
TREE_LATENCY = {"mac": 3, "opt2": 5}
"""Edges after the last A row until its dot products are registered (rtl/tpe/tpe_opt2.sv)."""
MATRIX_LATENCY = {"mac": 1, "opt2": 2}
"""Edges after the last tile until its outputs are registered (rtl/tpe/tpe_arrays.sv)."""
OUT_BITS = 32
WS_ACC_BITS = 20
CUBE_ACC_BITS = 19
OPT3_OPT4E_WAYS = 4

IntArray = npt.NDArray[np.int64]


@dataclass
class Design:
    """One design point: the engine's block (inventory, per-busy-cycle actions, critical path),
    its peak MACs per cycle, and actions charged per output element (edge fuse, write-back)."""

    architecture: str
    pe: str
    sizes: tuple[int, ...]
    engine: c.Block
    peak_macs_per_cycle: float
    per_output: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``architecture/pe/size x size``."""
        return f"{self.architecture}/{self.pe}/{'x'.join(map(str, self.sizes))}"


def _check(architecture: str, pe: str, sizes: tuple[int, ...]) -> None:
    if architecture not in PE_VARIANTS:
        raise SimError(f"unknown TPE architecture {architecture!r}", accepted=", ".join(
            ARCHITECTURES))
    if pe not in PE_VARIANTS[architecture]:
        raise SimError(f"PE variant {pe!r} does not fit architecture {architecture!r}",
                       accepted=", ".join(PE_VARIANTS[architecture]))
    want = len(DEFAULT_SIZES[architecture])
    if len(sizes) != want or any(s < 1 or s > 4096 for s in sizes):
        raise SimError(f"{architecture} needs {want} sizes in 1..4096, got {list(sizes)}")


def _fuse_actions(width: int) -> dict[str, float]:
    """Actions of one (sum, carry) fuse into a registered result."""
    return c.fuse_cpa(width).actions()


def build_design(architecture: str, pe: str, sizes: tuple[int, ...] | None = None) -> Design:
    """Build the engine of ``architecture`` with ``pe`` PEs at ``sizes`` (defaults above)."""
    sz = tuple(sizes) if sizes is not None else DEFAULT_SIZES.get(architecture, ())
    _check(architecture, pe, sz)
    builder = _BUILDERS[architecture]
    return builder(pe, sz)


def _systolic(arch: str, pe: str, sz: tuple[int, ...]) -> Design:
    rows, cols = sz
    acc = OUT_BITS if arch == "systolic_os" else WS_ACC_BITS
    unit = c.mac_pe(acc) if pe == "mac" else c.opt1_pe(acc)
    engine = unit.scaled(rows * cols, f"{arch}_{pe}")
    per_output: dict[str, float] = {}
    if pe == "opt1":
        edge = c.fuse_cpa(acc).scaled(cols)
        edge.activity = {}
        engine = engine.merged(edge)
        per_output = _fuse_actions(acc)
    if arch == "systolic_ws":  # partial sums of K folds accumulate outside the array
        out = c.Block("ws_out").add("cpa", OUT_BITS * cols, 0).add("ff", OUT_BITS * cols, 0)
        engine = engine.merged(out)
        per_output = {**per_output}
        for k, v in c.Block("o").add("cpa", OUT_BITS).add("ff", OUT_BITS).actions().items():
            per_output[k] = per_output.get(k, 0.0) + v
    return Design(arch, pe, sz, engine, rows * cols, per_output)


def _cube(pe: str, sz: tuple[int, ...]) -> Design:
    x, y, z = sz
    acc = max(CUBE_ACC_BITS, 16 + math.ceil(math.log2(max(y, 2))) + 1)
    unit = c.mac_pe(acc) if pe == "mac" else c.opt1_pe(acc)
    engine = unit.scaled(x * y * z, f"cube_{pe}")
    per_output: dict[str, float] = {}
    outs = x * z
    if pe == "opt1":
        edge = c.fuse_cpa(acc).scaled(outs)
        edge.activity = {}
        engine = engine.merged(edge)
        per_output = _fuse_actions(acc)
    out = c.Block("cube_out").add("cpa", OUT_BITS * outs, 0).add("ff", OUT_BITS * outs, 0)
    engine = engine.merged(out)
    for k, v in c.Block("o").add("cpa", OUT_BITS).add("ff", OUT_BITS).actions().items():
        per_output[k] = per_output.get(k, 0.0) + v
    return Design("cube", pe, sz, engine, x * y * z, per_output)


def _tree(pe: str, sz: tuple[int, ...]) -> Design:
    k, n = sz
    groups = max(1, math.ceil(k / 4))
    if pe == "mac":
        col = c.Block("tree_col").add("ff", 8 * k)  # stationary weights
        col = col.merged(c.booth_multiplier(16).scaled(k))
        col = col.merged(c.multi_operand_adder(4, 18).scaled(groups))
        col = col.merged(c.multi_operand_adder(groups, 20))
        col.path = c.booth_multiplier(16).path
        shared = c.Block("a_regs").add("ff", 8 * k)
    else:
        col = c.opt2_column(k, inter_bits_for(k), 20)
        shared = c.ent_encoder(k)
    engine = col.scaled(n, f"tree_{pe}").merged(shared)
    out = c.Block("tree_out").add("cpa", OUT_BITS * n, 0).add("ff", OUT_BITS * n, 0)
    engine = engine.merged(out)
    engine.path = col.path
    per_output = c.Block("o").add("cpa", OUT_BITS).add("ff", OUT_BITS).actions()
    return Design("tree", pe, sz, engine, k * n, per_output)


def inter_bits_for(k: int) -> int:
    """Architectural same-bit-weight width for ``k`` lanes: wide enough never to wrap."""
    return arith.safe_inter_bits(k)


def _matrix2d(pe: str, sz: tuple[int, ...]) -> Design:
    mt, nt, kt = sz
    pps = [c.Operand(2 * (i % 4), c.PP_BITS) for i in range(4 * kt)]
    unit = c.Block(f"m2d_{pe}_pe")
    if pe == "mac":
        unit.add("ff", OUT_BITS).add("enc", 4 * kt).add("ppg", 4 * kt * c.PP_BITS)
        levels = c.reduction(unit, [*pps, c.Operand(0, OUT_BITS)], OUT_BITS)
        unit.add("cpa", OUT_BITS)
        unit.path = {"tpe.ff": 1, "tpe.enc": 1, "tpe.ppg": 1, "tpe.fa": levels,
                     "tpe.cpa": c.cpa_levels(OUT_BITS)}
        shared = c.Block("operand_regs").add("ff", 8 * kt * (mt + nt))
        per_output: dict[str, float] = {}
    else:  # EN-T encoders hoisted per A row, PPs of all k reduced with the carry-save acc
        unit.add("ff", 2 * OUT_BITS).add("ppg", 4 * kt * c.PP_BITS)
        levels = c.reduction(unit, [*pps, c.Operand(0, OUT_BITS), c.Operand(0, OUT_BITS)],
                             OUT_BITS)
        unit.path = {"tpe.ff": 1, "tpe.ppg": 1, "tpe.fa": levels}
        shared = c.ent_encoder(mt * kt).merged(c.Block("b_regs").add("ff", 8 * kt * nt))
        # each PE fuses its pair with a CPA in the read-out path (not in the loop)
        shared = shared.merged(c.Block("fuse").add("cpa", OUT_BITS * mt * nt, 0))
        per_output = c.Block("o").add("cpa", OUT_BITS).actions()
    engine = unit.scaled(mt * nt, f"matrix2d_{pe}").merged(shared)
    engine.path = unit.path
    return Design("matrix2d", pe, sz, engine, mt * nt * kt, per_output)


def _bitslice(pe: str, sz: tuple[int, ...]) -> Design:
    columns, pes = sz
    post = c.bitserial_post()
    if pe == "opt4e":
        unit = c.opt4e_group().merged(post)
        unit.path = c.opt4e_group().path
        col = unit.scaled(pes).merged(c.sparse_encoder(ways=OPT3_OPT4E_WAYS))
        col.path = unit.path
        lanes = OPT3_OPT4E_WAYS
    else:
        unit = c.opt3_pe(own_encoder=(pe == "opt3")).merged(post)
        unit.path = c.opt3_pe().path
        col = unit.scaled(pes)
        if pe == "opt4c":
            col = col.merged(c.sparse_encoder())
        col.path = unit.path
        lanes = 1
    engine = col.scaled(columns, f"bitslice_{pe}")
    # per output: one fuse + shift-accumulate per digit pass (4 passes)
    per_output = {k: v * arith.DIGITS for k, v in
                  c.Block("p").add("cpa", 26 + OUT_BITS).add("ff", OUT_BITS).actions().items()}
    return Design("bitslice", pe, sz, engine, columns * pes * lanes, per_output)


def _laconic(pe: str, sz: tuple[int, ...]) -> Design:
    rows, cols, lanes = sz
    unit = c.laconic_pe(lanes)
    engine = unit.scaled(rows * cols, "laconic")
    return Design("laconic", pe, sz, engine, rows * cols * lanes, {})


_BUILDERS = {
    "systolic_os": lambda pe, sz: _systolic("systolic_os", pe, sz),
    "systolic_ws": lambda pe, sz: _systolic("systolic_ws", pe, sz),
    "cube": _cube, "tree": _tree, "matrix2d": _matrix2d, "bitslice": _bitslice,
    "laconic": _laconic,
}


# --------------------------------------------------------------------------- cycles


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def gemm_cycles_dense(design: Design, m: int, n: int, k: int) -> int:
    """Cycles of C[M,N] = A[M,K] B[K,N] on a data-independent design (closed form)."""
    arch, pe, sz = design.architecture, design.pe, design.sizes
    fuse = 1 if pe == "opt1" else 0
    if arch in ("systolic_os", "systolic_ws"):
        shape = GemmShape(m, n, k)
        flow: Literal["OS", "WS"] = "OS" if arch == "systolic_os" else "WS"
        row_folds, col_folds = fold_counts(shape, sz[0], sz[1], flow)
        return gemm_cycles(shape, sz[0], sz[1], flow) + fuse * row_folds * col_folds
    if arch == "cube":
        x, y, z = sz
        return _cdiv(m, x) * _cdiv(k, y) * _cdiv(n, z) + x + y + z - 2 + fuse
    if arch == "tree":
        kt, nt = sz
        return _cdiv(k, kt) * _cdiv(n, nt) * m + TREE_LATENCY[pe]
    if arch == "matrix2d":
        mt, nt, kt = sz
        return _cdiv(m, mt) * _cdiv(n, nt) * _cdiv(k, kt) + MATRIX_LATENCY[pe]
    raise SimError(f"{arch} cycles depend on the operand data; pass A and B")


def bitslice_cycles(design: Design, a: npt.ArrayLike, n: int) -> int:
    """Cycles of a bit-slice design on A[M, K] (actual INT8 values) and N output columns."""
    columns, pes = design.sizes
    ways = OPT3_OPT4E_WAYS if design.pe == "opt4e" else 1
    per_row = arith.bitserial_row_cycles(a, arith.OPT3_GROUP, ways)
    col_time = np.bincount(np.arange(per_row.size) % columns, weights=per_row,
                           minlength=columns)
    return int(_cdiv(n, pes) * int(col_time.max()) + BITSLICE_LATENCY)


def laconic_cycles(design: Design, a: npt.ArrayLike, b: npt.ArrayLike) -> int:
    """Cycles of the Laconic-style array on the actual INT8 operands."""
    rows, cols, lanes = design.sizes
    per_out = arith.laconic_group_cycles(a, b, lanes).sum(axis=1)  # (M, N)
    m, n = per_out.shape
    padded = np.zeros((_cdiv(m, rows) * rows, _cdiv(n, cols) * cols), dtype=np.int64)
    padded[:m, :n] = per_out
    tiles = padded.reshape(_cdiv(m, rows), rows, _cdiv(n, cols), cols).max(axis=(1, 3))
    return int(tiles.sum() + LACONIC_LATENCY)


def gemm_cycles_any(design: Design, m: int, n: int, k: int,
                    a: npt.ArrayLike | None = None, b: npt.ArrayLike | None = None) -> int:
    """Cycles of a GEMM on any design; bit-serial designs need the operand data."""
    if design.architecture == "bitslice":
        if a is None:
            raise SimError("bit-slice cycles depend on A; the GEMM has no operand data")
        return bitslice_cycles(design, a, n)
    if design.architecture == "laconic":
        if a is None or b is None:
            raise SimError("Laconic-style cycles depend on A and B; the GEMM has no data")
        return laconic_cycles(design, a, b)
    return gemm_cycles_dense(design, m, n, k)


def gemm_ledger(design: Design, cycles: int, m: int, n: int) -> dict[str, float]:
    """Action counts of one GEMM: every engine action each busy cycle (no clock gating) plus
    the per-output actions (edge fuse, write-back, bit-serial pass fuses)."""
    out = design.engine.actions(cycles)
    for key, v in design.per_output.items():
        out[key] = out.get(key, 0.0) + v * m * n
    return out


# --------------------------------------------------------------------------- RTL timing contracts

PE_LATENCY = 2
"""Word-parallel PEs (mac, opt1): operands registered at edge i, accumulated at edge i + 1."""


def pe_trajectory(a: npt.ArrayLike, b: npt.ArrayLike, width: int, edges: int) -> list[int]:
    """Accumulator value (signed, ``width`` bits) after each of ``edges`` clock edges when beat
    i (i = 1..K) of the operand vectors is presented at edge i, from a cleared accumulator."""
    prods = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    prefix = np.concatenate([[0], np.cumsum(prods)])
    out = []
    for e in range(1, edges + 1):
        done = min(max(e - (PE_LATENCY - 1), 0), prods.size)  # beats accumulated by edge e
        out.append(int(arith.wrap(prefix[done], width)))
    return out


def pe_cycles(k: int) -> int:
    """Edges from the first beat until a K-beat accumulation is complete: K + latency - 1."""
    return k + PE_LATENCY - 1
