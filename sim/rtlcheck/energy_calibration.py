"""Check the per-toggle energy rows of the tpe activity model against gate-level toggles.

Procedure (``sim tech calibrate --energy``):

1. Yosys synthesizes the MAC and OPT1 PEs of ``rtl/tpe/tpe_pe.sv`` (W = 32) to generic gates and
   flops (:func:`sim.rtlcheck.gatesim.synthesize_netlist`), and a plain 32-bit adder
   (``y = a + b``) as the reference.
2. The netlists are simulated at zero delay (:mod:`sim.rtlcheck.gatesim`) on short windows of
   real and control data (MiniLM trace dot products, with activations zeroed, uniform random,
   small values, constant or zero operands). Each cell's output toggles are weighted by its
   NAND2-equivalent size (the switched capacitance of a cell grows with its area; the GE weights
   of ``sim rtl synth``), giving the gate-level energy of each window in GE-toggles.
3. The reference adder on random operands gives GE-toggles per 32-bit add; Horowitz's 0.1 pJ per
   add (the ``tpe.cpa.op`` source) divided by it is the energy of one GE-toggle at 45 nm.
4. Flop output toggles are the model's register toggles one for one (checked); the combinational
   gate energy of the windows is fitted as ``sum_g x_g t_g`` over the model's net groups g
   (non-negative least squares on relative errors, windows with almost no activity left out):
   x_g is the gate energy behind one toggle of a modelled net.
5. The report lists, per group, the fitted pJ per toggle beside the table row, their ratio and
   the fit's error over the windows: where the table and the gates agree, and by how much not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from scipy.optimize import nnls

from sim.core.errors import SimError
from sim.models.tpe import activity
from sim.rtlcheck import gatesim
from sim.rtlcheck.bench import cache_root, rtl_root
from sim.rtlcheck.synth import nand2_weight
from sim.tech import TechTable, load_tables

K = 48
"""Beats per window; each window is K beats, two idle edges and one clear edge."""
ADD_REF_PJ = 0.1
"""Horowitz ISSCC 2014, 45 nm 32-bit integer add (the source of the tpe.cpa rows)."""
ADDER_SV = ("module ref_add32(input logic [31:0] a, b, output logic [31:0] y);\n"
            "  assign y = a + b;\nendmodule\n")
PES = {"mac": ("tpe_mac_pe", ("reg_operand", "mult", "cpa")),
       "opt1": ("tpe_opt1_pe", ("reg_operand", "ppg", "csa"))}
"""Per PE: top module and the model toggle groups that explain its combinational energy
(``reg_operand``: logic fed straight by the operand registers, e.g. digit encoders, which
switches even when the product does not)."""
ROW = {"reg_operand": "", "reg": "tpe.reg.toggle_bit", "mult": "tpe.mult.toggle_bit",
       "cpa": "tpe.cpa.toggle_bit", "ppg": "tpe.ppg.toggle_bit", "csa": "tpe.fa.toggle_bit"}
"""Tech row of each group's per-toggle energy (none for the operand fan-out)."""

IntArray = npt.NDArray[np.int64]
MIN_SHARE = 0.01
"""Windows with less gate energy than this share of the mean are left out of the fit."""


def work_dir() -> Path:
    """Where netlists are kept (beside the RTL build cache; not under /tmp)."""
    return cache_root().parent / "gatesim"


def windows(seed: int = 18) -> dict[str, tuple[IntArray, IntArray]]:
    """Operand windows (a, b), K values each: trace rows, sparse trace, random and controls."""
    rng = np.random.default_rng(seed)
    act, w = activity.trace_gemms()["attention.self.query"]
    out: dict[str, tuple[IntArray, IntArray]] = {}
    for i, (row, col) in enumerate(((3, 11), (17, 200), (40, 77))):
        out[f"trace {i}"] = (act[row, :K], w[:K, col])
    a, b = out["trace 0"]
    out["trace, 50 % a zeroed"] = (np.where(rng.random(K) < 0.5, a, 0), b)
    out["trace, 90 % a zeroed"] = (np.where(rng.random(K) < 0.1, a, 0), b)
    out["random"] = (rng.integers(-128, 128, K), rng.integers(-128, 128, K))
    out["random small |x| < 8"] = (rng.integers(-7, 8, K), rng.integers(-7, 8, K))
    out["random a, b = 0"] = (rng.integers(-128, 128, K), np.zeros(K, dtype=np.int64))
    out["a = 1, random b"] = (np.ones(K, dtype=np.int64), rng.integers(-128, 128, K))
    out["random a, b = 127"] = (rng.integers(-128, 128, K), np.full(K, 127))
    out["alternating +-127"] = (np.where(np.arange(K) % 2, 127, -127), np.full(K, 99))
    out["zeros"] = (np.zeros(K, dtype=np.int64), np.zeros(K, dtype=np.int64))
    return out


def _stimulus(wins: dict[str, tuple[IntArray, IntArray]]) -> dict[str, IntArray]:
    """Per-edge port values (T, L): lane l is window l; the model's window shape."""
    a = np.stack([np.concatenate([x, [0, 0, 0]]) for x, _ in wins.values()], axis=1)
    b = np.stack([np.concatenate([y, [0, 0, 0]]) for _, y in wins.values()], axis=1)
    vld = np.zeros_like(a)
    vld[:K] = 1
    clr = np.zeros_like(a)
    clr[K + 2] = 1
    return {"a": a, "b": b, "vld": vld, "clr": clr}


@dataclass(frozen=True)
class GroupFit:
    """One net group: fitted and tabulated energy per toggle (pJ, 45 nm)."""

    pe: str
    group: str
    fitted_pj: float
    table_pj: float

    @property
    def ratio(self) -> float:
        """Gate-level fit over the table row."""
        return self.fitted_pj / self.table_pj if self.table_pj else float("nan")


@dataclass(frozen=True)
class PeCheck:
    """One PE: register toggles (gate flops vs model), fitted groups, fit errors per window."""

    pe: str
    cells: int
    flop_toggles: int
    model_register_toggles: int
    groups: tuple[GroupFit, ...]
    window_errors: dict[str, float]
    gate_pj_per_mac: float
    """Gate-level data energy (no clock) per MAC over the trace windows (pJ, 45 nm)."""
    model_pj_per_mac: float
    """The activity model's toggle energy (table rows, no clock) over the same windows."""


@dataclass(frozen=True)
class EnergyCalibration:
    """The whole check: pJ per GE-toggle from the reference adder, and each PE's fit."""

    ge_toggles_per_add: float
    pj_per_ge_toggle: float
    pes: tuple[PeCheck, ...]


def _weights(net: gatesim.Netlist, table45: TechTable) -> npt.NDArray[np.float64]:
    return np.array([nand2_weight(kind, table45) for _, kind, _ in net.cells])


def reference_adder(table45: TechTable, samples: int = 4000, seed: int = 0) -> float:
    """GE-toggles of the Yosys 32-bit adder per add on uniform random operands."""
    work = work_dir()
    work.mkdir(parents=True, exist_ok=True)
    src = work / "ref_add32.sv"
    src.write_text(ADDER_SV)
    net = gatesim.load_netlist(gatesim.synthesize_netlist([src], "ref_add32", {}, work),
                               "ref_add32")
    rng = np.random.default_rng(seed)
    stim = {p: rng.integers(0, 1 << 32, (samples, 1), dtype=np.int64) for p in ("a", "b")}
    toggles = gatesim.simulate(net, stim)[:, 0]
    return float(_weights(net, table45) @ toggles) / samples


def check_pe(pe: str, table45: TechTable, pj_per_ge: float,
             echo: Callable[[str], None] | None = None) -> PeCheck:
    """Gate-level toggles of one PE on :func:`windows` against the activity model."""
    top, comb_groups = PES[pe]
    path = gatesim.synthesize_netlist([rtl_root() / "tpe" / "tpe_pe.sv"], top, {"W": 32},
                                      work_dir())
    net = gatesim.load_netlist(path, top)
    wins = windows()
    stim = _stimulus(wins)
    toggles = gatesim.simulate(net, {k: v & 0xFF if k in ("a", "b") else v
                                     for k, v in stim.items()})
    weights = _weights(net, table45)
    flops = np.zeros(len(net.cells), dtype=bool)
    flops[net.flop_cells] = True
    model = [activity.pe_toggles(pe, activity.make_stream(stim["a"][:, i], stim["b"][:, i],
                                                          stim["vld"][:, i], stim["clr"][:, i]),
                                 32) for i in range(len(wins))]
    regs = int(sum(m["reg_operand"] + m["reg_valid"] + m["reg_acc"] for m in model))
    comb = weights[~flops] @ toggles[~flops]  # GE-toggles per window
    design = np.array([[m[g] for g in comb_groups] for m in model], dtype=float)
    total = comb + weights[flops] @ toggles[flops]
    # relative least squares over the windows with activity (all-zero windows fit trivially)
    live = total > MIN_SHARE * total.mean()
    x, _ = nnls(design[live] / comb[live, None], np.ones(int(live.sum())))
    pred = design @ x
    errors = {name: float((pred[i] - comb[i]) / total[i]) if live[i] else 0.0
              for i, name in enumerate(wins)}
    dff_ge = float(weights[flops].mean()) if flops.any() else 0.0
    groups = [GroupFit(pe, "reg", dff_ge * pj_per_ge,
                       table45.lookup(ROW["reg"], "energy").value)]
    groups += [GroupFit(pe, "operand fan-out" if g == "reg_operand" else g,
                        float(x[i]) * pj_per_ge,
                        table45.lookup(ROW[g], "energy").value if ROW[g] else 0.0)
               for i, g in enumerate(comb_groups)]
    if echo:
        echo(f"{pe}: {len(net.cells)} cells, {len(wins)} windows simulated")
    trace = [i for i, name in enumerate(wins) if name.startswith("trace ")]
    ledger = activity.toggle_ledger({g: sum(model[i][g] for i in trace) for g in model[0]}, 0)
    model_pj = sum(n * table45.lookup(k, "energy").value for k, n in ledger.items() if n)
    macs = K * len(trace)
    return PeCheck(pe, len(net.cells), int(toggles[flops].sum()), regs, tuple(groups), errors,
                   float(total[trace].sum()) * pj_per_ge / macs, model_pj / macs)


def calibrate_energy(echo: Callable[[str], None] | None = None) -> EnergyCalibration:
    """Run the whole check (module docstring) at 45 nm."""
    table45 = load_tables(45)
    per_add = reference_adder(table45)
    if per_add <= 0:
        raise SimError("the reference adder made no toggles")
    pj = ADD_REF_PJ / per_add
    return EnergyCalibration(per_add, pj, tuple(check_pe(pe, table45, pj, echo) for pe in PES))


def report_lines(cal: EnergyCalibration) -> list[str]:
    """Markdown lines of the check."""
    lines = [f"Reference: Yosys 32-bit adder, {cal.ge_toggles_per_add:.1f} GE-toggles per random "
             f"add; Horowitz 0.1 pJ -> {cal.pj_per_ge_toggle * 1e3:.3f} fJ per GE-toggle (45 nm)",
             "", "| PE | group | gate-level pJ/toggle | table pJ/toggle | gate/table |",
             "|---|---|---|---|---|"]
    for pe in cal.pes:
        for g in pe.groups:
            table = f"{g.table_pj:.5f}" if g.table_pj else "no row (not charged)"
            ratio = f"{g.ratio:.2f}" if g.table_pj else "-"
            lines.append(f"| {g.pe} | {g.group} | {g.fitted_pj:.5f} | {table} | {ratio} |")
    lines += ["", "| PE | gate-level pJ/MAC (trace windows, data only) | model pJ/MAC (same, no "
              "clock) |", "|---|---|---|"]
    for pe in cal.pes:
        lines.append(f"| {pe.pe} | {pe.gate_pj_per_mac:.4f} | {pe.model_pj_per_mac:.4f} |")
    if len(cal.pes) == 2:
        gate = cal.pes[0].gate_pj_per_mac / cal.pes[1].gate_pj_per_mac
        mod = cal.pes[0].model_pj_per_mac / cal.pes[1].model_pj_per_mac
        lines.append(f"| {cal.pes[0].pe}/{cal.pes[1].pe} | {gate:.2f}x | {mod:.2f}x |")
    for pe in cal.pes:
        worst = max(pe.window_errors.items(), key=lambda kv: abs(kv[1]))
        rms = float(np.sqrt(np.mean(np.square(list(pe.window_errors.values())))))
        lines += ["", f"{pe.pe}: {pe.cells} cells; flop toggles {pe.flop_toggles} = model "
                  f"register toggles {pe.model_register_toggles}: "
                  f"{'equal' if pe.flop_toggles == pe.model_register_toggles else 'DIFFER'}; "
                  f"combinational fit error (share of the window's gate energy) over "
                  f"{len(pe.window_errors)} windows: RMS "
                  f"{rms:.1%}, worst {worst[1]:+.1%} ({worst[0]})"]
    return lines


def table_yaml(cal: EnergyCalibration) -> str:
    """The gate-level per-toggle energies as a user table file (45 nm rows). The register row is
    the mean over the PEs; the operand fan-out has no action in the model and is left out. A row
    the fit set to zero is written as zero: its group toggles in step with another one in these
    PEs (the MAC adder output with its product), whose row then carries both shares."""
    fits: dict[str, list[float]] = {}
    for pe in cal.pes:
        for g in pe.groups:
            if ROW.get(g.group):
                fits.setdefault(ROW[g.group], []).append(g.fitted_pj)
    rows = [{"key": key, "metric": "energy", "value": float(f"{np.mean(v):.6g}"), "unit": "pJ",
             "node_nm": 45,
             "source": (f"sim tech calibrate --energy: zero-delay gate-level toggles of the Yosys "
                        f"netlists of rtl/tpe/tpe_pe.sv x NAND2-equivalent size x "
                        f"{cal.pj_per_ge_toggle * 1e3:.4g} fJ per GE-toggle (Horowitz 0.1 pJ "
                        f"32-bit add / {cal.ge_toggles_per_add:.1f} GE-toggles of the Yosys "
                        "adder)")}
            for key, v in sorted(fits.items())]
    header = ("# Per-toggle energies fitted by `sim tech calibrate --energy` "
              "(sim/rtlcheck/energy_calibration.py).\n"
              "# Select with `tech: {node_nm: 45, tables: [this file]}` in an arch file.\n")
    return header + yaml.safe_dump({"version": 1, "name": "gate-calibrated toggles",
                                    "rows": rows}, sort_keys=False, width=100)
