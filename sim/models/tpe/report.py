"""The tpe family's report: model ratios beside the published ones, real-data digit statistics,
bit-serial cycles on real data, and (optionally) the Yosys cross-check.

``python -m sim.models.tpe.report`` prints it as Markdown (Yosys counts of the same RTL beside
the analytic areas: ``sim rtl synth tpe``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.models.tpe import arith, designs, evaluate
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


def build_report() -> str:
    """The whole report as Markdown."""
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
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(build_report())
