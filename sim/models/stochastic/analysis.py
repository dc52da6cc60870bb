"""Experiments of the stochastic family as data: SCC of generated pairs, value error vs stream
length, edge quality vs noise for both operators, and cost/energy per pixel.

Every function returns plain rows (lists of dicts) so that tests, figures and reports share them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np

from sim.models.stochastic.cost import comparison, counter_bits, pixel_actions
from sim.models.stochastic.device import DeviceModel, Readout, ThresholdDevice
from sim.models.stochastic.metrics import quality
from sim.models.stochastic.roberts import (
    G_MAX,
    U8,
    ScConfig,
    make_rng,
    maps_under_noise,
    roberts_binary,
    roberts_sc,
)
from sim.models.stochastic.sng import (
    Pairing,
    as_codes,
    lfsr_pair,
    memristor_pair,
    random_streams,
    sobol_pair,
    sobol_streams,
)
from sim.models.stochastic.streams import scc, value
from sim.tech.table import TechTable, load_tables

PAIRINGS: tuple[Pairing, ...] = ("shared", "inverted", "separate")
TARGET_SCC = {"shared": 1.0, "inverted": -1.0, "separate": 0.0}


def scc_rows(n_bits: int = 256, pairs: int = 4000, seed: int = 0,
             device: DeviceModel | None = None) -> list[dict[str, float | str]]:
    """Mean and mean-absolute SCC of generated pairs per SNG kind and pairing.

    Values are uniform in [0.05, 0.95] (independent for the two streams of a pair).
    """
    rng = make_rng(seed)
    px = rng.uniform(0.05, 0.95, pairs)
    py = rng.uniform(0.05, 0.95, pairs)
    dev = device or ThresholdDevice()
    rows: list[dict[str, float | str]] = []
    for pairing in PAIRINGS:
        gens = {
            "memristor": memristor_pair(dev, px, py, n_bits, rng, pairing),
            "lfsr": lfsr_pair(as_codes(px), as_codes(py), n_bits, pairing),
            "sobol": sobol_pair(px, py, n_bits, pairing),
        }
        for kind, (x, y) in gens.items():
            s = scc(x, y, n_bits)
            rows.append({"sng": kind, "pairing": pairing, "target": TARGET_SCC[pairing],
                         "scc_mean": float(s.mean()), "scc_mean_abs": float(np.abs(s).mean()),
                         "n_bits": float(n_bits)})
    return rows


def error_vs_length(lengths: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
                    values: int = 4000, seed: int = 0) -> list[dict[str, float | str]]:
    """RMS value error of generated streams vs stream length N, random and Sobol SNGs.

    ``theory`` is the Bernoulli law sqrt(mean p(1 - p) / N) for the same values.
    """
    rng = make_rng(seed)
    p = rng.uniform(0.0, 1.0, values)
    rows: list[dict[str, float | str]] = []
    for n in lengths:
        theory = float(np.sqrt(np.mean(p * (1 - p)) / n))
        for kind in ("random", "memristor", "sobol"):
            if kind == "random":
                est = value(random_streams(p, n, rng), n)
            elif kind == "memristor":
                est = value(memristor_pair(ThresholdDevice(), p, p, n, rng, "separate")[0], n)
            else:
                est = value(sobol_streams(p, 0, n), n)
            rms = float(np.sqrt(np.mean((est - p) ** 2)))
            rows.append({"sng": kind, "n_bits": float(n), "rms_error": rms, "theory": theory})
    return rows


def loglog_slope(rows: list[dict[str, float | str]], sng: str) -> float:
    """Least-squares slope of log(rms_error) vs log(N) for one SNG kind."""
    sel = [r for r in rows if r["sng"] == sng]
    x = np.log([float(r["n_bits"]) for r in sel])
    y = np.log([float(r["rms_error"]) for r in sel])
    return float(np.polyfit(x, y, 1)[0])


def noise_rows(img: U8, rates: tuple[float, ...], configs: dict[str, ScConfig],
               seed: int = 0, edge_fraction: float = 0.1) -> list[dict[str, float | str]]:
    """Quality vs bit-flip rate: each stochastic config and the binary baseline (pixel flips)."""
    ref = roberts_binary(img) / G_MAX
    return [{"operator": label, "rate": rate, **quality(ref, edges, edge_fraction)}
            for rate, label, edges in maps_under_noise(img, rates, configs, seed)]


def device_rows(img: U8, cfg: ScConfig, rates: tuple[float, ...], seed: int = 0,
                edge_fraction: float = 0.1) -> list[dict[str, float | str]]:
    """Quality of the memristor operator (independent input flips) as the device's static
    non-idealities are switched on one by one, up to ``cfg`` (the shipped preset)."""
    ro = cfg.readout
    variants = {
        "ideal (no DAC, no mismatch)": replace(cfg, readout=Readout(), units=1),
        f"{ro.dac_bits}-bit reference DAC only": replace(cfg, readout=Readout(ro.dac_bits)),
        f"+ device-to-device sigma {ro.sigma_d2d:g}": replace(
            cfg, readout=Readout(ro.dac_bits, 0.0, ro.sigma_d2d)),
        f"+ comparator offset sigma {ro.sigma_cmp:g} (no d2d)": replace(
            cfg, readout=Readout(ro.dac_bits, ro.sigma_cmp, 0.0)),
        "all (shipped preset)": cfg,
        "all + per-device calibration of the references": replace(
            cfg, readout=replace(ro, calibrated=True)),
    }
    ref = roberts_binary(img) / G_MAX
    rows: list[dict[str, float | str]] = []
    for label, v in variants.items():
        for rate in rates:
            run = roberts_sc(img, replace(v, noise_rate=rate, noise_sites=("inputs",)),
                             make_rng(seed))
            q = quality(ref, run.g_hat / G_MAX, edge_fraction)
            rows.append({"device": label, "rate": rate, "f1": q["f1"], "ssim": q["ssim"]})
    return rows


def drive_rows(img: U8, cfg: ScConfig, seed: int = 0,
               amplitudes: tuple[float, ...] = (1.0, 1.05, 1.1, 1.5),
               widths: tuple[float, ...] = (1e-7, 1e-6, 1e-5),
               edge_fraction: float = 0.1) -> list[dict[str, float | str]]:
    """Switching probability of the drive pulse and clean edge quality vs pulse amplitude (V)
    and width (s): targets above the drive's switching probability are clipped to it."""
    ref = roberts_binary(img) / G_MAX
    rows: list[dict[str, float | str]] = []
    for v in amplitudes:
        for w in widths:
            dev = dataclasses.replace(cfg.device, pulse_v=v, pulse_s=w)  # type: ignore[type-var]
            run = roberts_sc(img, replace(cfg, device=dev), make_rng(seed))
            q = quality(ref, run.g_hat / G_MAX, edge_fraction)
            rows.append({"pulse_v": v, "pulse_s": w, "p_switch": dev.drive_p(), "f1": q["f1"],
                         "ssim": q["ssim"]})
    return rows


def energy_per_pixel(operator: str, sng: str, n_bits: int, table: TechTable | None = None,
                     switch_p: float = 1.0) -> float:
    """Energy of one output pixel (pJ): ledger of :func:`pixel_actions` x the tech table."""
    table = table or load_tables(45)
    actions = pixel_actions(operator, sng, n_bits, switch_p)
    return float(sum(count * table.lookup(key, "energy").value for key, count in actions.items()))


def cost_rows(n_bits: int = 256, node_nm: int = 45) -> list[dict[str, float | str]]:
    """Analytic cost comparison (cells, GE, transistors, area) plus energy per pixel (pJ)."""
    table = load_tables(node_nm)
    rows = comparison(n_bits, table)
    e_bin = energy_per_pixel("binary", "", n_bits, table)
    per_cycle_core = (2 * table.lookup("sc_xor2.eval", "energy").value
                      + table.lookup("sc_mux2.eval", "energy").value)
    per_cycle_counter = counter_bits(n_bits) * (table.lookup("sc_ha.eval", "energy").value
                                                + table.lookup("reg.write_bit", "energy").value)
    energies = [n_bits * per_cycle_core, n_bits * (per_cycle_core + per_cycle_counter),
                energy_per_pixel("stochastic", "memristor", n_bits, table),
                energy_per_pixel("stochastic", "lfsr", n_bits, table)]
    for row, e_sc in zip(rows, energies, strict=True):
        row["sc_energy_pj_per_pixel"] = e_sc
        row["bin_energy_pj_per_pixel"] = e_bin
        row["sc_cycles_per_pixel"] = float(n_bits)
        row["bin_cycles_per_pixel"] = 1.0
    return rows


def sweep_rows(img: U8, lengths: tuple[int, ...], rates: tuple[float, ...], sng: str = "lfsr",
               units: int = 16, freq_mhz: float = 100.0, seed: int = 0
               ) -> list[dict[str, float | str]]:
    """Quality, latency, throughput (P units at freq) and energy per pixel over N x noise rate."""
    table = load_tables(45)
    ref = roberts_binary(img) / G_MAX
    rows: list[dict[str, float | str]] = []
    for n in lengths:
        energy = energy_per_pixel("stochastic", sng, n, table)
        for rate in rates:
            cfg = ScConfig(n_bits=n, sng=sng, noise_rate=rate)  # type: ignore[arg-type]
            run = roberts_sc(img, cfg, make_rng(seed))
            q = quality(ref, run.g_hat / G_MAX)
            rows.append({"n_bits": float(n), "rate": rate, **q,
                         "cycles_per_pixel": float(n),
                         "pixels_per_s": units * freq_mhz * 1e6 / n,
                         "energy_pj_per_pixel": energy})
    return rows
