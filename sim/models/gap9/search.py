"""Mixed-precision search: per-layer weight bits (2..8) minimising latency, energy or memory
under a quality budget, with the Pareto front of (memory, latency, energy, quality).

Costs come from the model itself: every layer is simulated once per width (7 runs per layer,
with and without L3 weight streaming), energy is ledger x the technology table. Latency, energy
and memory of a network are then exact sums over its layers (layers run one after another; the
only coupling, whether the weights spill to L3, is a function of the total weight bytes and is
applied per candidate). Quality is the additive-noise SQNR of :mod:`sim.models.gap9.quality`.

Search (not FracBits; a hardware-cost-aware discrete search): greedy descent paths from all-8
bits, lowering at each step the layer with the best saving per added noise for each objective,
plus the uniform widths; best-improvement local search (single +-1 moves and pairwise bit swaps)
from the best allocation within the budget per objective; then seeded random +-1-bit
perturbations until ``n_candidates`` allocations are evaluated (vectorised over candidates).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.gap9.layers import Layer
from sim.models.gap9.model import Gap9Model
from sim.models.gap9.quality import BITS, sqnr_from_nsr
from sim.tech.costing import energy_per_action
from sim.tech.table import TechTable
from sim.workload.trace import Trace

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
OBJECTIVES = ("memory", "latency", "energy")


@dataclass(frozen=True)
class CostTable:
    """Per layer (rows) and width (columns, BITS): cycles, energy (pJ), weight bytes, and the
    extra cycles/energy when weights stream from L3; ``l3_limit`` is the weight-byte total
    above which they do."""

    cycles: F64
    energy_pj: F64
    weight_bytes: F64
    l3_cycles: F64
    l3_energy_pj: F64
    l3_limit: float
    freq_hz: float
    searchable: npt.NDArray[np.bool_]  # layers with weights

    def evaluate(self, alloc: I64) -> dict[str, F64]:
        """memory (B), latency (s), energy (J) of allocations (candidates x layers)."""
        a = np.atleast_2d(alloc) - BITS[0]
        rows = np.arange(a.shape[1])[None, :]
        mem = self.weight_bytes[rows, a].sum(axis=1)
        l3 = mem > self.l3_limit
        cyc = self.cycles[rows, a].sum(axis=1) + l3 * self.l3_cycles[rows, a].sum(axis=1)
        en = self.energy_pj[rows, a].sum(axis=1) + l3 * self.l3_energy_pj[rows, a].sum(axis=1)
        return {"memory": mem, "latency": cyc / self.freq_hz, "energy": en * 1e-12,
                "cycles": cyc, "l3": l3.astype(np.float64)}


def ledger_energy_pj(ledger: Mapping[str, float], table: TechTable,
                     cache: dict[str, float] | None = None) -> float:
    """Energy (pJ) of a ledger with the technology table."""
    cache = {} if cache is None else cache
    total = 0.0
    for key, count in ledger.items():
        if key not in cache:
            cache[key] = energy_per_action(table, key).value
        total += count * cache[key]
    return total


def cost_table(model: Gap9Model, layers: list[Layer], table: TechTable) -> CostTable:
    """Simulate every layer at every width (see module docstring)."""
    n = len(layers)
    shape = (n, len(BITS))
    cyc, en, mem, l3c, l3e = (np.zeros(shape) for _ in range(5))
    cache: dict[str, float] = {}
    for i, layer in enumerate(layers):
        widths = BITS if layer.params else (layer.qw,)
        for j, b in enumerate(widths):
            ly = dataclasses.replace(layer, qw=b)
            base = model.simulate_layer(ly, from_l3=False)
            extra_cycles, extra_ledger = model.l3_extra(ly)
            e0 = ledger_energy_pj(base.ledger, table, cache)
            cols = slice(j, j + 1) if layer.params else slice(None)
            cyc[i, cols] = base.cycles
            en[i, cols] = e0
            mem[i, cols] = ly.weight_bytes()
            l3c[i, cols] = extra_cycles
            l3e[i, cols] = ledger_energy_pj(extra_ledger, table, cache)
    acts = max((ly.in_bytes() + ly.out_bytes() for ly in layers), default=0)
    return CostTable(cyc, en, mem, l3c, l3e, float(model.arch.l2.data_bytes - acts),
                     model.arch.clock_mhz * 1e6, np.array([ly.params > 0 for ly in layers]))


def _greedy_path(costs: CostTable, nsr: F64, objective: str) -> list[I64]:
    """From all-8, repeatedly lower the layer with the best objective saving per added NSR."""
    n = nsr.shape[0]
    alloc = np.full(n, BITS[-1], dtype=np.int64)
    path = [alloc.copy()]
    while True:
        cands = [i for i in range(n) if costs.searchable[i] and alloc[i] > BITS[0]]
        if not cands:
            return path
        trial = np.repeat(alloc[None, :], len(cands), axis=0)
        trial[np.arange(len(cands)), cands] -= 1
        now = costs.evaluate(alloc[None, :])[objective][0]
        saved = now - costs.evaluate(trial)[objective]
        j = alloc[cands] - BITS[0]
        noise = nsr[cands, j - 1] - nsr[cands, j]
        score = saved / np.maximum(noise, 1e-15)
        alloc = trial[int(np.argmax(score))]
        path.append(alloc.copy())


def _moves(alloc: I64, searchable: npt.NDArray[np.bool_]) -> I64:
    """Neighbours of an allocation: every single-layer +-1 bit and every swap (-1 on one layer,
    +1 on another), within 2..8."""
    idx = np.flatnonzero(searchable)
    out = []
    for d in (-1, 1):
        m = np.repeat(alloc[None, :], idx.size, axis=0)
        m[np.arange(idx.size), idx] += d
        out.append(m)
    a, b = np.meshgrid(idx, idx, indexing="ij")
    keep = a != b
    a, b = a[keep], b[keep]
    m = np.repeat(alloc[None, :], a.size, axis=0)
    m[np.arange(a.size), a] -= 1
    m[np.arange(b.size), b] += 1
    out.append(m)
    allm = np.concatenate(out)
    ok = (allm >= BITS[0]).all(axis=1) & (allm <= BITS[-1]).all(axis=1)
    return allm[ok]


def refine(costs: CostTable, nsr: F64, start: I64, objective: str, budget_db: float,
           max_evals: int) -> list[I64]:
    """Best-improvement local search from ``start`` over :func:`_moves` for ``objective`` with
    SQNR >= budget; returns every allocation it evaluated (at most ``max_evals``)."""
    seen: list[I64] = []
    cur = start.copy()
    cur_val = costs.evaluate(cur[None, :])[objective][0]
    while len(seen) < max_evals:
        nb = _moves(cur, costs.searchable)[: max_evals - len(seen)]
        if nb.size == 0:
            break
        seen.extend(nb)
        val = costs.evaluate(nb)[objective]
        feasible = sqnr_from_nsr(nsr, nb) >= budget_db
        score = np.where(feasible, val, np.inf)
        i = int(np.argmin(score))
        if not score[i] < cur_val:
            break
        cur, cur_val = nb[i], float(score[i])
    return seen


def candidates(costs: CostTable, nsr: F64, n_candidates: int, seed: int = 0,
               budget_db: float | None = None) -> I64:
    """``n_candidates`` allocations: greedy paths and uniform widths, then (with a budget) local
    search from the best feasible one per objective (up to a third of the candidates), then
    seeded random +-1 perturbations of those points."""
    if n_candidates < 1:
        raise SimError(f"n_candidates must be positive, got {n_candidates}")
    pts = [a for obj in OBJECTIVES for a in _greedy_path(costs, nsr, obj)]
    n = nsr.shape[0]
    pts += [np.full(n, b, dtype=np.int64) for b in BITS]
    base = np.array(pts)
    base[:, ~costs.searchable] = BITS[-1]
    if budget_db is not None:
        ok = sqnr_from_nsr(nsr, base) >= budget_db
        extra_pts: list[I64] = []
        for obj in OBJECTIVES:
            if not ok.any():
                break
            val = np.where(ok, costs.evaluate(base)[obj], np.inf)
            start = base[int(np.argmin(val))]
            extra_pts += refine(costs, nsr, start, obj, budget_db, n_candidates // 9)
        if extra_pts:
            base = np.concatenate([base, np.array(extra_pts)])
    rng = np.random.default_rng(seed)
    extra = max(0, n_candidates - len(base))
    picks = base[rng.integers(0, len(base), extra)]
    flips = rng.random((extra, n)) < (2.0 / max(n, 1))
    step = rng.choice([-1, 1], size=(extra, n))
    pert = np.clip(picks + flips * step, BITS[0], BITS[-1])
    pert[:, ~costs.searchable] = BITS[-1]
    return np.concatenate([base, pert])[:n_candidates]


def monotone(nsr: F64) -> F64:
    """nsr made non-increasing in the width (measured noise can wiggle by a fraction of a dB):
    nsr'(b) = max(nsr(b), nsr'(b + 1))."""
    return np.maximum.accumulate(nsr[:, ::-1], axis=1)[:, ::-1]


def pareto_mask(points: F64) -> npt.NDArray[np.bool_]:
    """Non-dominated rows of ``points`` (all columns minimised; duplicate rows all kept).

    Rows are sorted by the first column; a row can only be dominated by rows before it (or tied
    with it), so each chunk is compared with the prefix up to its end, column by column.
    """
    pts, inverse = np.unique(points, axis=0, return_inverse=True)  # sorted by column 0
    n = pts.shape[0]
    keep = np.ones(n, dtype=bool)
    chunk = 512
    for s in range(0, n, chunk):
        blk = pts[s:s + chunk]
        # tied first columns may sit after the chunk: extend the prefix over them
        end = int(np.searchsorted(pts[:, 0], blk[-1, 0], side="right"))
        pre = pts[:end]
        le = pre[None, :, 0] <= blk[:, None, 0]
        for c in range(1, pts.shape[1]):
            le &= pre[None, :, c] <= blk[:, None, c]
        keep[s:s + chunk] = le.sum(axis=1) <= 1  # only itself (rows are unique)
    return keep[np.asarray(inverse).reshape(-1)]


@dataclass
class SearchResult:
    """All evaluated candidates, their metrics, the Pareto front and the best per objective."""

    alloc: I64
    metrics: dict[str, F64]
    pareto: npt.NDArray[np.bool_]
    best: dict[str, int]  # objective -> row of the best allocation within the budget
    budget_db: float


def search(costs: CostTable, nsr: F64, budget_db: float, n_candidates: int = 10000,
           seed: int = 0) -> SearchResult:
    """Evaluate candidates, keep the Pareto front, pick the best per objective with
    SQNR >= ``budget_db``."""
    nsr = monotone(nsr)
    alloc = candidates(costs, nsr, n_candidates, seed, budget_db)
    met = costs.evaluate(alloc)
    met["sqnr_db"] = sqnr_from_nsr(nsr, alloc)
    pts = np.stack([met["memory"], met["latency"], met["energy"], -met["sqnr_db"]], axis=1)
    front = pareto_mask(pts)
    ok = met["sqnr_db"] >= budget_db
    if not ok.any():
        raise SimError(f"no allocation reaches the quality budget {budget_db:.1f} dB")
    best = {}
    for obj in OBJECTIVES:
        score = np.where(ok, met[obj], np.inf)
        best[obj] = int(np.argmin(score))
    return SearchResult(alloc, met, front, best, budget_db)


def best_under_storage(res: SearchResult, cap_bytes: float) -> int:
    """Row of the best allocation under a storage target (FracBits' constraint): weight memory
    at most ``cap_bytes``, then the highest SQNR proxy, ties broken by the lowest energy."""
    met = res.metrics
    ok = np.flatnonzero(met["memory"] <= cap_bytes)
    if ok.size == 0:
        raise SimError(f"no allocation fits the storage target {cap_bytes:.0f} B")
    order = np.lexsort((met["energy"][ok], -met["sqnr_db"][ok]))
    return int(ok[order[0]])


def apply_allocation(trace: Trace, alloc: npt.ArrayLike) -> Trace:
    """A copy of ``trace`` whose conv2d/gemm ops carry the allocation's weight bits (b_bits)."""
    bits = np.asarray(alloc).reshape(-1)
    if bits.size != len(trace.ops):
        raise SimError(f"allocation has {bits.size} widths, trace has {len(trace.ops)} ops")
    data = trace.model_dump()
    for op, b in zip(data["ops"], bits.tolist(), strict=True):
        if op["kind"] in ("conv2d", "gemm"):
            op["b_bits"] = int(b)
    return Trace.model_validate(data)
