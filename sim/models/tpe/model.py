"""The ``tpe`` family: one tensor processing engine (architecture x PE variant) running GEMMs.

Cycles come from :mod:`sim.models.tpe.designs` (closed forms; the bit-serial designs from the
operands' actual INT8 values), area from the engine's inventory, and the clock from the critical
path in the tech table unless ``freq_mhz`` is given. Actions: with ``energy: activity`` (default)
the bit toggles of the PEs on the op's actual operands plus every flop's clock
(:mod:`sim.models.tpe.activity`) where the design has an activity model and the op has data;
otherwise (``energy: per_cycle``, no activity model, or no operand data) every engine action once
per busy cycle, the named per-cycle fallback. Each op records which basis it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import model_validator

from sim.core.errors import SimError, UnsupportedOpError
from sim.core.ledger import Ledger
from sim.core.result import OpRecord, Result
from sim.models.tpe import designs as d
from sim.models.tpe.evaluate import ACTIVITY_ARCHITECTURES, activity_ledger, path_ps
from sim.spec.base import ArchBase, FreqMHz
from sim.tech import energy_pj, load_tables
from sim.workload.trace import GemmOp, Op, Trace

SUPPORTED_KINDS = ("gemm",)
Architecture = Literal["systolic", "cube", "tree", "matrix2d", "bitslice", "laconic"]
PeVariant = Literal["mac", "opt1", "opt2", "opt3", "opt4c", "opt4e", "laconic"]


MAX_OPERAND_ELEMENTS = 1 << 23
"""Most operand values (m*k + k*n) of one GEMM the data-dependent model holds (as int64: 64 MiB
per copy)."""


class TpeArch(ArchBase):
    """A bit-weight TPE design point (see ``sim/models/tpe/designs.py`` for the mappings)."""

    family: Literal["tpe"]
    architecture: Architecture
    """systolic | cube | tree | matrix2d | bitslice | laconic."""
    pe: PeVariant
    """PE variant: mac (baseline), opt1 (carry-save), opt2 (same-bit-weight), opt3 / opt4c /
    opt4e (bit-serial, shared encoder, shared compressor), laconic (term-serial baseline)."""
    sizes: list[int] | None = None
    """PEs per dimension: systolic [rows, cols]; cube [x, y, z]; tree [k, n]; matrix2d
    [m, n, k]; bitslice [columns, pes per column]; laconic [rows, cols, lanes]. Default: the
    published sizes."""
    dataflow: Literal["OS", "WS"] = "OS"
    """Systolic dataflow (output- or weight-stationary); ignored by the other architectures."""
    freq_mhz: FreqMHz | None = None
    """Clock (MHz); omitted: 1 / critical path from the tech table at the arch's node."""
    energy: Literal["activity", "per_cycle"] = "activity"
    """Energy basis: ``activity`` (bit toggles on the operands where the design has an activity
    model and the op has data, else per-cycle) or ``per_cycle`` (every action each busy cycle)."""

    @model_validator(mode="after")
    def _fits(self) -> TpeArch:
        key = self.key
        if self.pe not in d.PE_VARIANTS[key]:
            raise ValueError(f"pe {self.pe!r} does not fit architecture {self.architecture!r} "
                             f"(accepted: {', '.join(d.PE_VARIANTS[key])})")
        want = len(d.DEFAULT_SIZES[key])
        if self.sizes is not None and (len(self.sizes) != want
                                       or any(not 1 <= s <= 4096 for s in self.sizes)):
            raise ValueError(f"sizes of {self.architecture} must be {want} integers in 1..4096")
        return self

    @property
    def key(self) -> str:
        """Architecture key of :mod:`designs` (systolic + dataflow -> systolic_os/ws)."""
        if self.architecture == "systolic":
            return f"systolic_{self.dataflow.lower()}"
        return self.architecture


IntArray = npt.NDArray[np.int64]
WORKLOADS_DIR = Path(__file__).resolve().parents[3] / "workloads"


def find_tensor_file(name: str) -> Path | None:
    """The trace's ``.npz``: ``name`` as given (absolute or relative to the working directory),
    else relative to the project's ``workloads/`` or ``workloads/traces/``. (``Model.run`` gets no
    file location; ``sim.api`` should pass the loaded arrays as ``tensors=``.)"""
    for candidate in (Path(name), WORKLOADS_DIR / name, WORKLOADS_DIR / "traces" / name):
        if candidate.is_file():
            return candidate
    return None


def check_op(op: Op) -> GemmOp:
    """The op as a GEMM; another kind, or operands wider than INT8, is an error."""
    if not isinstance(op, GemmOp):
        raise UnsupportedOpError(f"op {op.name!r} of kind {op.kind!r} is not supported by "
                                 "family 'tpe'", accepted=", ".join(SUPPORTED_KINDS))
    if op.a_bits > 8 or op.b_bits > 8:
        raise UnsupportedOpError(f"op {op.name!r} has operands wider than 8 bits; the tpe "
                                 "family is INT8", accepted="a_bits, b_bits <= 8")
    return op


def check_trace(arch: TpeArch, trace: Trace) -> None:
    """Every op of ``trace`` passes :func:`check_op` (``sim validate``)."""
    for op in trace.ops:
        check_op(op)


class TpeModel:
    """A built TPE design; ``run`` executes the GEMMs of a trace back to back."""

    def __init__(self, arch: TpeArch) -> None:
        self.arch = arch
        sizes = tuple(arch.sizes) if arch.sizes is not None else None
        self.design = d.build_design(arch.key, arch.pe, sizes)
        self.table = load_tables(arch.tech.node_nm)
        if arch.freq_mhz is not None:
            self.freq_hz = arch.freq_mhz * 1e6
        else:
            self.freq_hz = 1e12 / path_ps(self.design, self.table)

    def _operands(self, op: GemmOp, tensors: Mapping[str, npt.NDArray[np.generic]] | None,
                  rng: np.random.Generator) -> tuple[IntArray | None, IntArray | None, str]:
        needs_data = bool(op.tensors and tensors is not None) or \
            self.arch.key in d.DATA_DEPENDENT
        if needs_data and op.m * op.k + op.k * op.n > MAX_OPERAND_ELEMENTS:
            raise SimError(f"op {op.name!r}: operands of {op.m * op.k + op.k * op.n:,} values "
                           f"are over the limit MAX_OPERAND_ELEMENTS = {MAX_OPERAND_ELEMENTS:,} "
                           "of the data-dependent tpe model (it holds every operand as int64)",
                           accepted="smaller m, n, k, or a data-independent design")
        if op.tensors and tensors is not None:
            try:
                a = np.asarray(tensors[op.tensors["a"]]).astype(np.int64)
                b = np.asarray(tensors[op.tensors["b"]]).astype(np.int64)
            except KeyError as exc:
                raise SimError(f"op {op.name!r}: tensor {exc.args[0]!r} is not in the trace's "
                               "tensor file", accepted="roles a and b") from None
            if a.shape != (op.m, op.k) or b.shape != (op.k, op.n):
                raise SimError(f"op {op.name!r}: tensors A{a.shape} B{b.shape} do not match "
                               f"m={op.m} k={op.k} n={op.n}")
            return a, b, "trace"
        if self.arch.key not in d.DATA_DEPENDENT:
            return None, None, "not needed"
        a = rng.integers(-128, 128, size=(op.m, op.k), dtype=np.int64)
        b = rng.integers(-128, 128, size=(op.k, op.n), dtype=np.int64)
        return a, b, "seeded uniform random INT8 (the trace has no tensors)"

    def op_record(self, op: Op, start: int, rng: np.random.Generator,
                  tensors: Mapping[str, npt.NDArray[np.generic]] | None) -> OpRecord:
        """Cycles and actions of one GEMM starting at cycle ``start``."""
        op = check_op(op)
        a, b, source = self._operands(op, tensors, rng)
        cycles = d.gemm_cycles_any(self.design, op.m, op.n, op.k, a, b)
        ledger = d.gemm_ledger(self.design, cycles, op.m, op.n)
        detail: dict[str, object] = {"operands": source, "energy_basis": self._basis(a)}
        if detail["energy_basis"] == "activity":
            act = activity_ledger(self.design, cycles, a, b)
            assert act is not None  # _basis checked the design and the data
            detail["per_cycle_energy_pj"] = energy_pj(ledger, self.table)
            ledger = act
        return OpRecord(op.name, op.kind, "engine", start, start + cycles, op.shape.macs, ledger,
                        detail)

    def _basis(self, a: IntArray | None) -> str:
        """Which energy basis an op gets: ``activity`` or why it falls back to per-cycle."""
        if self.arch.energy == "per_cycle":
            return "per-cycle"
        if self.arch.key not in ACTIVITY_ARCHITECTURES:
            return f"per-cycle (no activity model for {self.arch.key}/{self.arch.pe})"
        return "activity" if a is not None else "per-cycle (no operand data)"

    def run(self, trace: Trace, seed: int,
            tensors: Mapping[str, npt.NDArray[np.generic]] | None = None) -> Result:
        """Simulate ``trace``; ``tensors`` maps the trace's array names to INT8 data (default:
        the trace's ``.npz`` if it can be found, see :func:`find_tensor_file`)."""
        if tensors is None and trace.tensors is not None:
            path = find_tensor_file(trace.tensors)
            if path is not None:
                with np.load(path, allow_pickle=False) as data:
                    tensors = {k: data[k] for k in data.files}
        rng = np.random.default_rng(seed)
        ops: list[OpRecord] = []
        ledger = Ledger()
        now = 0
        for op in trace.ops:
            record = self.op_record(op, now, rng, tensors)
            ops.append(record)
            ledger.merge(record.ledger)
            now = record.end
        macs = sum(r.macs for r in ops)
        peak = self.design.peak_macs_per_cycle
        return Result.new(name=trace.name, cycles=now, freq_hz=self.freq_hz, ops=ops,
                          ledger=ledger, inventory=self.design.engine.inventory(),
                          utilisation={"engine": macs / (peak * now) if now else 0.0},
                          metrics={"peak_macs_per_cycle": float(peak)})


def summary_lines(result: Result) -> list[tuple[str, str]]:
    """``sim run`` lines: the energy basis of the ops and, where activity energy was used, the
    per-cycle energy of the same ops beside it (how much the data matters)."""
    bases: dict[str, int] = {}
    for op in result.ops:
        basis = str(op.detail.get("energy_basis", "per-cycle"))
        bases[basis] = bases.get(basis, 0) + 1
    lines = [("energy basis", ", ".join(f"{k}: {v} op(s)" for k, v in sorted(bases.items())))]
    act_ops = [op for op in result.ops if "per_cycle_energy_pj" in op.detail]
    if act_ops:
        activity = sum(result.op_energy_pj(op) for op in act_ops)
        per_cycle = sum(float(op.detail["per_cycle_energy_pj"]) for op in act_ops)
        lines.append(("energy of those ops, per-cycle model",
                      f"{per_cycle / 1e6:,.3f} uJ (activity {activity / 1e6:,.3f} uJ, "
                      f"{activity / per_cycle:.2f}x)"))
    return lines
