"""The ``Family`` record: everything the rest of the tool needs from one model family.

A family is one folder (``sim/models/<name>/`` for the built-in ones, or any installed package)
plus one :class:`Family` instance, published under the ``accel_sim.families`` entry-point group
(:mod:`sim.family.registry`). The tool never names a family in its own code: the CLI, the
workload loader, the RTL runner, the synthesis flow and the reports read what they need from
this record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sim.family.hooks import FigureHook, ReferenceHook
from sim.spec.base import ArchBase
from sim.workload.generators import Generator

if TYPE_CHECKING:
    from sim.core.result import Result
    from sim.workload.trace import Trace

Inventory = dict[str, float]
"""Components (technology-table keys) -> instance count."""


class Model(Protocol):
    """What every family's model provides."""

    def run(self, trace: Trace, seed: int) -> Result:
        """Simulate the trace and return a Result with cycles, per-op records and a ledger."""
        ...


@dataclass(frozen=True)
class RtlKernel:
    """An RTL kernel: its sources, top level, cocotb bench module and shipped parameter sets.

    ``directory`` is a folder under the project's ``rtl/`` (built-in families) or an absolute
    path (a family installed elsewhere ships its Verilog and benches in its own package). The
    bench module (``tb_*.py``) sits in that folder and imports the family's golden functions.
    """

    name: str
    directory: str | Path
    sources: tuple[str, ...]
    toplevel: str
    test_module: str
    parameter_sets: tuple[Mapping[str, Any], ...]
    summary: str = ""

    def label(self, parameters: Mapping[str, Any]) -> str:
        """Short readable name of a parameter set, e.g. ``DATAFLOW=WS,ROWS=4``."""
        return ",".join(f"{k}={v}" for k, v in sorted(parameters.items()))


@dataclass(frozen=True)
class SynthTarget:
    """One top module of an RTL folder at one parameter set, with its analytic inventory.

    ``kernel`` names the folder under ``rtl/`` (or an absolute folder) holding ``sources``.
    """

    kernel: str
    name: str
    sources: tuple[str, ...]
    top: str
    parameters: Mapping[str, int] = field(default_factory=dict)
    analytic: Callable[[], Inventory] | None = None
    """Components (tech-table keys) -> instance count of the same block, or None if undeclared."""
    analytic_path: Callable[[], Mapping[str, float]] | None = None
    """Delay rows -> count on the block's critical path (``sim.tech.delay``), if modelled."""
    note: str = ""
    hierarchical: bool = False
    """Synthesize each module once (instances share it), then flatten the mapped netlist; for
    tops built of many identical submodules. Otherwise the design is flattened first."""
    transistors: bool = False
    """Also map the logic to CMOS gates (``abc -g cmos2``) and estimate transistors."""
    directory: str | Path | None = None
    """Folder of the sources when it is not ``rtl/<kernel>`` (absolute, or under ``rtl/``)."""

    @property
    def label(self) -> str:
        """``systolic/ws_4x4``: kernel and target name."""
        return f"{self.kernel}/{self.name}"

    @property
    def folder(self) -> str | Path:
        """Where the sources are: ``directory``, else the kernel's folder name under ``rtl/``."""
        return self.directory if self.directory is not None else self.kernel


CheckHook = Callable[[Any, "Trace"], None]
"""A family's checks of a validated arch and trace that its model would make before simulating
(operand widths it supports, ...): raises a SimError; ``sim validate`` runs it."""

SummaryHook = Callable[["Result"], list[tuple[str, str]]]
"""A family's extra ``sim run`` summary lines: (label, formatted value) pairs."""


@dataclass(frozen=True)
class Family:
    """One model family: what it accepts, how it is built, and what it adds to every tool.

    ``build`` turns a validated arch (an instance of ``arch_schema``) into a :class:`Model`;
    ``op_kinds`` are the trace op kinds it runs. The rest is optional: technology tables with
    the energy/area rows of its own components (a family installed outside ``sim/`` ships them
    in its package; the arch's own ``tech.tables`` still override them), RTL kernels checked by
    ``sim rtl test``, synthesis targets for ``sim rtl synth``, trace generators usable as
    ``trace: {generator: NAME}``, sweep-report figure and published-reference hooks, summary
    lines for ``sim run``, pre-simulation checks for ``sim validate`` and its metric names.
    """

    name: str
    arch_schema: type[ArchBase]
    build: Callable[[Any], Model]
    op_kinds: frozenset[str]
    description: str = ""
    tech_tables: tuple[Path, ...] = ()
    kernels: tuple[RtlKernel, ...] = ()
    synth_targets: tuple[SynthTarget, ...] = ()
    generators: tuple[Generator, ...] = ()
    sweep_figures: FigureHook | None = None
    sweep_references: ReferenceHook | None = None
    summary: SummaryHook | None = None
    check: CheckHook | None = None
    metrics: tuple[str, ...] | None = None
    """Names of the family's own result metrics (``fnmatch`` patterns such as ``stage.*``; ``()``
    when it has only the generic ones); sweeps check objective and constraint names against them
    and the generic metrics. None: not declared (names are then checked after the sweep, in its
    report)."""
