"""Result of one simulation: cycles, per-op records, utilisation, the action ledger, provenance.

A Result round-trips through JSON exactly (``Result.from_json(r.to_json()) == r``), and the same
inputs and seed give byte-identical JSON apart from ``provenance.created``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sim.core.ledger import Ledger


@dataclass
class OpRecord:
    """One executed operation: which unit ran it and when (cycles of the result's main clock)."""

    name: str
    kind: str
    unit: str
    start: int
    end: int
    macs: int = 0
    ledger: dict[str, float] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def cycles(self) -> int:
        """Latency of this op in cycles."""
        return self.end - self.start


@dataclass
class ClockDomain:
    """A clock domain: frequency (Hz) and how many of its cycles the run took."""

    freq_hz: float
    cycles: int


@dataclass
class Provenance:
    """Where a number came from: tool version, config hashes, seed, creation time (ISO 8601)."""

    tool_version: str
    arch_hash: str
    trace_hash: str
    seed: int
    family: str
    created: str = ""


@dataclass
class Result:
    """Outcome of ``Model.run``; energy and area are applied afterwards from the tech tables."""

    name: str
    cycles: int
    clock: str
    clocks: dict[str, ClockDomain]
    ops: list[OpRecord]
    utilisation: dict[str, float]
    ledger: Ledger
    inventory: dict[str, float]
    provenance: Provenance
    metrics: dict[str, float] = field(default_factory=dict)
    costing: dict[str, Any] = field(default_factory=dict)
    """Energy per ledger key (pJ), area per component (um^2) and the table rows used."""
    config: dict[str, Any] = field(default_factory=dict)
    """What ran: the workload file, the ``--set`` overrides, the resolved arch (every field,
    defaults included) and where the trace came from (filled in by ``sim.evaluation``)."""

    @property
    def seconds(self) -> float:
        """Wall-clock time of the run on the hardware: cycles / frequency of the main clock (s)."""
        return self.cycles / self.clocks[self.clock].freq_hz

    @property
    def macs(self) -> int:
        """Total multiply-accumulates over all ops."""
        return sum(op.macs for op in self.ops)

    def op_energy_pj(self, op: OpRecord) -> float:
        """Energy of one op (pJ): its ledger priced at this result's per-action energies (the
        costing's energy per key over the whole ledger's count of that key)."""
        totals = self.costing.get("energy_pj", {})
        return sum(n * totals[k] / self.ledger[k] for k, n in op.ledger.items()
                   if self.ledger.get(k))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (keys sorted on output)."""
        data = asdict(self)
        data["ledger"] = self.ledger.as_dict()
        data["seconds"] = self.seconds
        return data

    def to_json(self) -> str:
        """Deterministic JSON text: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Inverse of :meth:`to_dict`."""
        fields = {k: v for k, v in data.items() if k != "seconds"}
        fields["clocks"] = {k: ClockDomain(**v) for k, v in data["clocks"].items()}
        fields["ops"] = [OpRecord(**op) for op in data["ops"]]
        fields["ledger"] = Ledger(data["ledger"])
        fields["provenance"] = Provenance(**data["provenance"])
        return cls(**fields)

    @classmethod
    def from_json(cls, text: str) -> Result:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def new(cls, *, name: str, cycles: int, freq_hz: float, ops: list[OpRecord],
            ledger: Ledger, inventory: dict[str, float], utilisation: dict[str, float],
            metrics: dict[str, float] | None = None, clock: str = "core",
            extra_clocks: dict[str, ClockDomain] | None = None) -> Result:
        """A Result with one main clock domain ``clock`` at ``freq_hz`` (Hz); provenance blank
        (``sim.api`` fills it in)."""
        clocks = {clock: ClockDomain(freq_hz=freq_hz, cycles=cycles), **(extra_clocks or {})}
        blank = Provenance(tool_version="", arch_hash="", trace_hash="", seed=0, family="")
        return cls(name=name, cycles=cycles, clock=clock, clocks=clocks, ops=ops,
                   utilisation=utilisation, ledger=ledger, inventory=inventory,
                   provenance=blank, metrics=dict(metrics or {}))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and self.to_dict() == other.to_dict()
