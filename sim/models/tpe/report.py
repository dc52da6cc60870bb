"""The tpe family's report: model ratios beside the published ones, real-data digit statistics,
bit-serial cycles on real data, and (optionally) the Yosys cross-check.

``python -m sim.models.tpe.report [TABLE.yaml ...]`` prints it as Markdown (Yosys counts of the
same RTL beside the analytic areas: ``sim rtl synth tpe``). User table files given as arguments
(for instance the gate-level per-toggle rows written by ``sim tech calibrate --energy --out``) add
an activity-energy table costed with them. ``--figure PNG`` writes the energy-per-MAC-vs-data
figure instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.models.tpe import activity, arith, designs, evaluate
from sim.models.tpe.realdata import load_sample

REFERENCE_DIGITS = ("reference (tpe.md s6): EN-T 2.45/2.48 digits at sigma 40 (K=32/128), "
                    "2.28 digits per operand on the paper's GEMM testbench; uniform INT8 2.918")
LEAD_TRACE = Path(__file__).resolve().parents[3] / "workloads" / "traces" / "minilm-l6.npz"


def digit_rows(arrays: dict[str, npt.NDArray[np.generic]]) -> list[str]:
    """Markdown rows: operand, sigma, average non-zero digits per encoding."""
    rows = ["| operand | values | sigma | EN-T | Booth r4 | binary (Pragmatic) | NAF (Laconic) |",
            "|---|---|---|---|---|---|---|"]
    for name, arr in arrays.items():
        x = np.asarray(arr).astype(np.int64).ravel()
        cells = [f"{arith.nonzero_digits(x, e).mean():.3f}"
                 for e in ("ent", "booth", "binary", "naf")]
        rows.append(f"| {name} | {x.size} | {x.std():.1f} | " + " | ".join(cells) + " |")
    return rows


def bitserial_rows(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic], label: str) -> list[str]:
    """Markdown rows: bit-serial cycles of the GEMM on each bit-serial design vs dense."""
    aa, bb = np.asarray(a).astype(np.int64), np.asarray(b).astype(np.int64)
    m, k = aa.shape
    n = bb.shape[1]
    rows = [f"GEMM {label}: M={m} K={k} N={n}", "",
            "| design | cycles | cycles per MAC per PE | dense (4 digits) cycles |",
            "|---|---|---|---|"]
    for pe in ("opt3", "opt4c", "opt4e"):
        des = designs.build_design("bitslice", pe)
        cyc = designs.bitslice_cycles(des, aa, n)
        dense = designs.bitslice_cycles(des, np.full_like(aa, 85), n)
        per = cyc * des.peak_macs_per_cycle / (m * n * k)
        rows.append(f"| bitslice/{pe} {des.sizes} | {cyc} | {per:.3f} | {dense} |")
    lac = designs.build_design("laconic", "laconic")
    cyc = designs.laconic_cycles(lac, aa, bb)
    rows.append(f"| laconic {lac.sizes} | {cyc} | {cyc * lac.peak_macs_per_cycle / (m * n * k):.3f}"
                " | - |")
    return rows


def toggles_per_bit(states: npt.NDArray[np.int64], width: int) -> float:
    """Average fraction of the ``width`` bits that flip between consecutive states (axis 0)."""
    mask = (1 << width) - 1
    flips = (states[1:] & mask) ^ (states[:-1] & mask)
    bits = ((flips[..., None] >> np.arange(width)) & 1).sum()
    return float(bits) / (flips.size * width)


def toggle_rows(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> list[str]:
    """Toggle rates of the MAC accumulator vs the OPT1 (sum, carry) registers on real data."""
    aa, bb = np.asarray(a).astype(np.int64), np.asarray(b).astype(np.int64)
    k = aa.shape[1]
    prods = aa[:, :, None] * bb[None, :, :]  # (M, K, N)
    mac = np.concatenate([np.zeros((1, *prods[:, 0].shape), dtype=np.int64),
                          np.cumsum(prods, axis=1).transpose(1, 0, 2)])
    digits = arith.booth_r4_digits(aa)
    s = np.zeros((aa.shape[0], bb.shape[1]), dtype=np.int64)
    cv = np.zeros_like(s)
    sums, carries = [s], [cv]
    for step in range(k):
        pps = [digits[:, step, i][:, None] * bb[step][None, :] * 4 ** i for i in range(4)]
        s, cv = arith.csa_tree([*pps, s, cv], 32)
        sums.append(s)
        carries.append(cv)
    return ["| register | bits | toggle rate per bit per cycle |", "|---|---|---|",
            f"| MAC accumulator | 32 | {toggles_per_bit(mac, 32):.3f} |",
            f"| OPT1 sum | 32 | {toggles_per_bit(np.stack(sums), 32):.3f} |",
            f"| OPT1 carry | 32 | {toggles_per_bit(np.stack(carries), 32):.3f} |"]


DataEnergy = dict[str, dict[str, tuple[float, float]]]
"""data case -> PE -> (activity pJ/MAC, per-cycle pJ/MAC)."""


def data_energy(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64],
                size: tuple[int, int] = (32, 32)) -> DataEnergy:
    """Energy per MAC (activity and per-cycle, 28 nm) of the OS systolic MAC and OPT1 designs on
    the trace GEMM, with 0 / 50 / 90 / 100 % of its activations zeroed, and on uniform random
    data."""
    rng = np.random.default_rng(18)
    m, k = a.shape
    n = b.shape[1]
    keep = rng.random(a.shape)
    cases = {"all zeros": (np.zeros_like(a), b),
             "trace, 90 % activations zeroed": (np.where(keep < 0.1, a, 0), b),
             "trace, 50 % activations zeroed": (np.where(keep < 0.5, a, 0), b),
             "trace (real MiniLM)": (a, b),
             "uniform random INT8": (rng.integers(-128, 128, a.shape),
                                      rng.integers(-128, 128, b.shape))}
    table = evaluate.load_tables(28)
    out: DataEnergy = {}
    for label, (x, y) in cases.items():
        out[label] = {}
        for pe in ("mac", "opt1"):
            ev = evaluate.evaluate(designs.build_design("systolic_os", pe, size), m, n, k, table,
                                   x, y, activity=True)
            assert ev.activity_per_mac_pj is not None
            out[label][pe] = (ev.activity_per_mac_pj, ev.energy_per_mac_pj)
    return out


def data_energy_rows(data: DataEnergy) -> list[str]:
    """Markdown rows of :func:`data_energy`."""
    rows = ["| data | MAC pJ/MAC activity | OPT1 pJ/MAC activity | ratio MAC/OPT1 |"
            " per-cycle MAC/OPT1 pJ/MAC |", "|---|---|---|---|---|"]
    for label, pes in data.items():
        (mac, mac_pc), (opt1, opt1_pc) = pes["mac"], pes["opt1"]
        rows.append(f"| {label} | {mac:.3f} | {opt1:.3f} | {mac / opt1:.2f}x | "
                    f"{mac_pc:.3f}/{opt1_pc:.3f} |")
    return rows


def data_energy_figure(data: DataEnergy, path: Path) -> Path:
    """Bar chart of :func:`data_energy`: activity energy per MAC per data case, MAC vs OPT1, with
    the per-cycle figures (data-blind) as dashed lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(data)
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 4))
    for off, pe, colour in ((-0.2, "mac", "tab:blue"), (0.2, "opt1", "tab:orange")):
        ax.bar(x + off, [data[c][pe][0] for c in labels], 0.4, color=colour,
               label=f"{pe.upper()} activity-based")
        ax.axhline(data[labels[0]][pe][1], color=colour, linestyle="--",
                   label=f"{pe.upper()} per-cycle (any data)")
    ax.set_xticks(x, [c.replace(", ", ",\n") for c in labels], fontsize=8)
    ax.set_ylabel("energy per MAC (pJ, 28 nm)")
    ax.set_title("systolic OS 32x32, MiniLM layer-0 query GEMM: energy per MAC vs data")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def toggle_breakdown_rows(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64],
                          size: tuple[int, int] = (32, 32)) -> list[str]:
    """Toggles per MAC per component group of the OS MAC and OPT1 arrays on the trace GEMM (the
    RTL-mirroring array model that the energy uses), beside the PE-stream estimate (each output's
    operand stream through one PE: no zero-padded PEs, no drain)."""
    macs = a.shape[0] * a.shape[1] * b.shape[1]
    pes = ("mac", "opt1")
    arr = {pe: activity.os_array_toggles(pe, a, b, *size) for pe in pes}
    est = {pe: activity.os_gemm_toggles(pe, a, b, designs.OUT_BITS) for pe in pes}
    rows = [f"| group | nets | MAC array {size[0]}x{size[1]} | MAC PE-stream estimate | "
            "OPT1 array | OPT1 PE-stream estimate |", "|---|---|---|---|---|---|"]
    nets = {"reg_operand": "a_reg, b_reg", "reg_acc": "acc / sum, carry",
            "mult": "MAC product (16 b)", "cpa": "MAC adder output (32 b)",
            "ppg": "OPT1 Booth PPs (4 x 32 b)", "csa": "OPT1 3:2 outputs (8 x 32 b)"}
    for group, label in nets.items():
        cells = []
        for pe in pes:
            if group in arr[pe]:
                dev = est[pe][group] / arr[pe][group] - 1 if arr[pe][group] else 0.0
                cells += [f"{arr[pe][group] / macs:.2f}",
                          f"{est[pe][group] / macs:.2f} ({dev:+.1%})"]
            else:
                cells += ["-", "-"]
        rows.append(f"| {group} | {label} | " + " | ".join(cells) + " |")
    return rows


def build_report(tables: tuple[Path, ...] = ()) -> str:
    """The whole report as Markdown; ``tables``: user table files for an extra costing."""
    s = load_sample()
    a, b = s["a_q0"], s["b_x"]
    out = ["# tpe family report", "",
           "## Transformed vs baseline (28 nm, clock from critical path; GEMM = MiniLM layer-0 "
           "query weights x activations, 384x384x32, real INT8)", "",
           evaluate.format_table(evaluate.compare_all(a, b)), "",
           "## Average non-zero digits per operand (real data)", "", REFERENCE_DIGITS, ""]
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "MiniLM L0 query W (sample)": s["a_q0"], "MiniLM L3 FFN-in W (sample)": s["a_ff3"],
        "MiniLM L0 input activations (sample)": s["b_x"]}
    if LEAD_TRACE.is_file():
        with np.load(LEAD_TRACE) as lead:
            for key in sorted(lead.files):
                if key.endswith(".a") and lead[key].dtype == np.int8:
                    arrays[f"trace activations {key[:-2]}"] = lead[key]
    out += digit_rows(arrays)
    out += ["", "All linear weights of the model (when the sample was made): EN-T "
            f"{float(s['meta_ent']):.3f}, Booth {float(s['meta_booth']):.3f}, binary "
            f"{float(s['meta_binary']):.3f}, NAF {float(s['meta_naf']):.3f} "
            f"({int(s['meta_weights'])} weights)", "", "## Bit-serial cycles on real data", ""]
    out += bitserial_rows(a, b, "MiniLM L0 query (A = INT8 weights, B = activations)")
    if LEAD_TRACE.is_file():
        with np.load(LEAD_TRACE) as lead:
            key = "encoder.layer.0.attention.self.query"
            if f"{key}.a" in lead.files:
                out += ["", *bitserial_rows(lead[f"{key}.a"], lead[f"{key}.b"],
                                            "trace minilm-l6 L0 query (A = activations)")]
    out += ["", "## Register toggle rates on real data (accumulating K = 384 MACs)", "",
            *toggle_rows(a[:16], b[:, :8])]
    ta, tb = activity.trace_gemms()["attention.self.query"]
    out += ["", "## Activity-based energy on the MiniLM trace (layer-0 query, A = activations "
            f"{ta.shape[0]}x{ta.shape[1]}, B = weights {tb.shape[0]}x{tb.shape[1]})", "",
            evaluate.format_table(evaluate.compare_all(ta, tb)), "",
            *([f"Same, costed with {', '.join(p.name for p in tables)} over the built-in rows:",
               "", evaluate.format_table(evaluate.compare_all(ta, tb, tables=tables)), ""]
              if tables else []),
            "Toggles per MAC per component group (the array model is the one the RTL benches "
            "check exactly; the PE-stream estimate leaves out the zero-padded PEs, which still "
            "forward operands, and the drain, which shifts the accumulators):", "",
            *toggle_breakdown_rows(ta, tb), "",
            "Energy per MAC vs data, systolic OS 32x32 at 28 nm:", "",
            *data_energy_rows(data_energy(ta, tb))]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    """``[--figure PNG] [TABLE.yaml ...]``: print the report (extra costing with the tables), or
    write the energy-per-MAC-vs-data figure."""
    if argv[:1] == ["--figure"] and len(argv) == 2:
        ta, tb = activity.trace_gemms()["attention.self.query"]
        sys.stdout.write(f"wrote {data_energy_figure(data_energy(ta, tb), Path(argv[1]))}\n")
        return
    sys.stdout.write(build_report(tuple(Path(p) for p in argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
