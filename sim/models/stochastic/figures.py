"""Report figures (PNG, matplotlib Agg) and comparison tables of the stochastic family.

``make_figures(out_dir)`` writes:
  * ``edge_maps.png``: clean / 10 / 30 / 50 % noise; binary (pixel bit flips), stochastic on the
    shipped memristor preset (cycle-to-cycle and device-to-device variation, comparator offsets,
    8-bit reference DAC) with independent flips on the encoder outputs, the same on an ideal
    device, and the common-mode control;
  * ``quality_vs_noise.png``: PSNR, SSIM and F1 vs flip rate for the operators of
    :func:`operator_configs`;
  * ``error_vs_length.png``: RMS value error vs stream length (random, memristor, Sobol SNGs)
    against the Bernoulli law sqrt(p(1-p)/N);
  * ``cost.png``: GE and energy per pixel, stochastic vs binary, per basis of comparison.
``comparison_tables()`` returns the same numbers as rows, with Yosys counts and the paper's
published claims beside them as targets.

``python -m sim.models.stochastic.figures OUTDIR`` writes the PNGs into OUTDIR and prints the
tables as Markdown (``docs/families/stochastic.md`` is made this way).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.models.stochastic.analysis import (
    cost_rows,
    device_rows,
    drive_rows,
    error_vs_length,
    loglog_slope,
    noise_rows,
    scc_rows,
    sweep_rows,
)
from sim.models.stochastic.arch import StochasticArch
from sim.models.stochastic.device import Readout
from sim.models.stochastic.metrics import match_contrast
from sim.models.stochastic.model import load_sample
from sim.models.stochastic.roberts import (
    G_MAX,
    U8,
    ScConfig,
    maps_under_noise,
    roberts_binary,
)

PUBLISHED = {
    "cost_saving_pct": 95.0,
    "cost_source": "Song et al., Nat. Commun. 2025 (doi 10.1038/s41467-025-59872-2): "
                   "'~95% less computational cost' (basis not stated)",
    "noise_claim": "tolerates 50% bit-flip errors (same paper)",
}
MAP_RATES = (0.0, 0.1, 0.3, 0.5)
CURVE_RATES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
PRESET = Path(__file__).resolve().parents[3] / "arch" / "stochastic-memristor.yaml"
REAL = "real device"
IDEAL = "ideal device"
CONTROL = "control: common-mode flips"


def preset_config(n_bits: int = 256) -> ScConfig:
    """The shipped memristor preset (``arch/stochastic-memristor.yaml``) as an ScConfig."""
    import yaml

    arch = StochasticArch.model_validate(yaml.safe_load(PRESET.read_text()))
    return replace(arch.sc_config(), n_bits=n_bits)


def operator_configs(n_bits: int = 256) -> dict[str, ScConfig]:
    """The stochastic variants of the figures, realistic device and independent flips first.

    Independent flips on every encoder output stream are the paper's fault model (its Fig. 1
    flips a bit of an input stochastic number); the common-mode control XORs one mask into both
    streams of each correlated pair, which cancels exactly in the XOR, so it is shown only to
    explain why such a setup would appear to survive 50 % flips.
    """
    real = replace(preset_config(n_bits), noise_sites=("inputs",))
    ideal = replace(real, readout=Readout(), units=1)
    return {
        f"{REAL}, N={n_bits}, independent input flips": real,
        f"{REAL}, N={n_bits}, independent input + output flips": replace(
            real, noise_sites=("inputs", "output")),
        f"{REAL}, N={4 * n_bits}, independent input flips": replace(real, n_bits=4 * n_bits),
        f"{IDEAL}, N={n_bits}, independent input flips": ideal,
        f"{CONTROL} (cancel in the XOR), {REAL}, N={n_bits}": replace(
            real, noise_sites=("common_mode",)),
    }


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def edge_maps(img: U8, n_bits: int = 256, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """Edge maps per operator and flip rate, each contrast-matched to the clean map (the same
    affine rule as the PSNR/SSIM metrics) for display."""
    ref = roberts_binary(img) / G_MAX
    cfgs = operator_configs(n_bits)
    shown = {k: v for k, v in cfgs.items() if f"N={4 * n_bits}" not in k and "output" not in k}
    maps: dict[str, list[np.ndarray]] = {"binary": []}
    maps.update({k: [] for k in shown})
    for _, label, edges in maps_under_noise(img, MAP_RATES, shown, seed):
        maps[label].append(match_contrast(ref, edges))
    return maps


def _save(fig: Any, path: Path, grey: bool = False) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    _plt().close(fig)
    if grey:  # a grey-only figure stored as 8-bit greyscale PNG (~4x smaller than RGBA)
        from PIL import Image

        with Image.open(path) as im:
            im.convert("L").save(path, optimize=True)
    return path


MAP_CROP = (slice(40, 296), slice(160, 416))
"""Window of the image shown in ``edge_maps.png`` (256 x 256; keeps the noisy PNG small). The
quality curves and tables use the whole image."""


def plot_edge_maps(img: U8, path: Path, n_bits: int, seed: int) -> Path:
    """Grid of edge maps of a 256 x 256 crop (:data:`MAP_CROP`): rows = flip rates, columns =
    operators."""
    if img.shape[0] >= MAP_CROP[0].stop and img.shape[1] >= MAP_CROP[1].stop:
        img = img[MAP_CROP]
    maps = edge_maps(img, n_bits, seed)
    vmax = float(np.quantile(roberts_binary(img) / G_MAX, 0.99))
    fig, axes = _plt().subplots(len(MAP_RATES), len(maps),
                                figsize=(2.6 * len(maps), 2.8 * len(MAP_RATES)))
    for col, (label, series) in enumerate(maps.items()):
        for row, rate in enumerate(MAP_RATES):
            ax = axes[row, col]
            ax.imshow(np.clip(series[row], 0, None), cmap="gray", vmin=0, vmax=vmax)
            ax.set_title(label.replace(", ", "\n", 1) + f"\nflip rate {rate:.0%}", fontsize=7)
            ax.axis("off")
    return _save(fig, path, grey=True)


def plot_quality(img: U8, path: Path, n_bits: int, seed: int, image: str) -> Path:
    """PSNR, SSIM and F1 vs flip rate for the binary baseline and the stochastic variants."""
    rows = noise_rows(img, CURVE_RATES, operator_configs(n_bits), seed)
    fig, axes = _plt().subplots(1, 3, figsize=(15, 4))
    for ax, metric in zip(axes, ("psnr", "ssim", "f1"), strict=True):
        for label in dict.fromkeys(str(r["operator"]) for r in rows):
            sel = [r for r in rows if r["operator"] == label]
            ax.plot([r["rate"] for r in sel], [r[metric] for r in sel], "o-", label=label)
        ax.set_xlabel("bit-flip rate")
        ax.set_ylabel(metric.upper() + (" (dB)" if metric == "psnr" else ""))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Roberts cross on skimage '{image}': quality vs the clean binary map")
    return _save(fig, path)


def plot_error_vs_length(path: Path) -> Path:
    """Log-log RMS value error vs N for random, memristor and Sobol SNGs, with the 1/sqrt law."""
    err = error_vs_length()
    fig, ax = _plt().subplots(figsize=(6, 4))
    for sng in ("random", "memristor", "sobol"):
        sel = [r for r in err if r["sng"] == sng]
        ax.loglog([r["n_bits"] for r in sel], [r["rms_error"] for r in sel], "o-",
                  label=f"{sng} (slope {loglog_slope(err, sng):.2f})")
    sel = [r for r in err if r["sng"] == "random"]
    ax.loglog([r["n_bits"] for r in sel], [r["theory"] for r in sel], "k--",
              label="sqrt(p(1-p)/N)")
    ax.set_xlabel("stream length N (bits)")
    ax.set_ylabel("RMS value error")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, path)


def plot_cost(path: Path, n_bits: int) -> Path:
    """GE and energy per pixel, stochastic vs binary, for each basis of comparison."""
    cost = cost_rows(n_bits)
    fig, axes = _plt().subplots(1, 2, figsize=(13, 4))
    labels = [str(r["basis"]).split(" (")[0] for r in cost]
    x = np.arange(len(cost))
    for ax, key, unit in ((axes[0], "ge", "GE (NAND2 equivalents)"),
                          (axes[1], "energy_pj_per_pixel", "energy per pixel (pJ)")):
        ax.bar(x - 0.2, [float(r["sc_" + key]) for r in cost], 0.4, label="stochastic")
        ax.bar(x + 0.2, [float(r["bin_" + key]) for r in cost], 0.4, label="binary")
        ax.set_xticks(x, labels, rotation=15, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel(unit)
        ax.legend(fontsize=8)
    fig.suptitle(f"cost per operator instance (N={n_bits}; published claim: "
                 f"{PUBLISHED['cost_saving_pct']:.0f}% less cost)")
    return _save(fig, path)


def make_figures(out_dir: str | Path, image: str = "camera", n_bits: int = 256,
                 seed: int = 0) -> list[Path]:
    """Write the family's figures as PNGs into ``out_dir``; returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    img = load_sample(image)
    return [
        plot_edge_maps(img, out / "edge_maps.png", n_bits, seed),
        plot_quality(img, out / "quality_vs_noise.png", n_bits, seed, image),
        plot_error_vs_length(out / "error_vs_length.png"),
        plot_cost(out / "cost.png", n_bits),
    ]


def comparison_tables(n_bits: int = 256, image: str = "camera", seed: int = 0
                      ) -> dict[str, Any]:
    """All comparison numbers as data: SCC, error-vs-N slopes, quality vs noise, cost. (Yosys
    gate and transistor counts of the same units: ``sim rtl synth sc``.)

    Published numbers are kept under ``published`` as targets, never mixed into the results.
    """
    img = load_sample(image)
    err = error_vs_length()
    tables: dict[str, Any] = {
        "published": dict(PUBLISHED),
        "scc": scc_rows(n_bits, seed=seed),
        "error_vs_length": err,
        "error_slopes": {s: loglog_slope(err, s) for s in ("random", "memristor", "sobol")},
        "quality_vs_noise": noise_rows(img, MAP_RATES, operator_configs(n_bits), seed),
        "device_variation": device_rows(img, preset_config(n_bits), (0.0, 0.1), seed),
        "drive_pulse": drive_rows(img, preset_config(n_bits), seed),
        "cost": cost_rows(n_bits),
        "sweep_n_noise": sweep_rows(img, (64, 256, 1024), (0.0, 0.1, 0.3)),
    }
    return tables


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_tables(tables: dict[str, Any]) -> None:
    """Print :func:`comparison_tables` as Markdown tables (published targets labelled as such)."""
    for key, rows in tables.items():
        print(f"\n## {key}")
        if isinstance(rows, list) and rows:
            cols = list(rows[0])
            print("| " + " | ".join(cols) + " |")
            print("|" + "---|" * len(cols))
            for row in rows:
                print("| " + " | ".join(_fmt(row[c]) for c in cols) + " |")
        elif isinstance(rows, dict):
            for name, val in rows.items():
                label = "published target" if key == "published" else "measured"
                print(f"- {name} ({label}): {_fmt(val)}")


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.models.stochastic.figures OUTDIR``: writes the PNGs into
    OUTDIR and prints the comparison tables (measured, with published targets labelled)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sim.models.stochastic.figures",
                                     description=main.__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--image", default="camera")
    parser.add_argument("--n-bits", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-figures", action="store_true", help="print the tables only")
    args = parser.parse_args(argv)
    if not args.no_figures:
        for path in make_figures(args.outdir, args.image, args.n_bits, args.seed):
            print(f"wrote {path} ({path.stat().st_size // 1024} kB)")
    print_tables(comparison_tables(args.n_bits, args.image, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
