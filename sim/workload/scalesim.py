"""SCALE-Sim inputs -> a workload: its ``.cfg`` (array, buffers, dataflow) and topology CSV.

Topology CSVs come in two forms, told apart by the header: GEMM (``Layer, M, N, K,``) and
convolution (``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
Num Filter, Strides,``). Every layer becomes one ``gemm`` op: a convolution is lowered the way
SCALE-Sim lowers it (no padding; output size ``ceil((H - R + S) / S)``, which our conv2d op
does not express when ``(H - R)`` is not a multiple of the stride), so M = output pixels,
N = filters, K = R x S x channels. Depth-wise layers (``DP`` in the name) are refused.

The arch is the systolic family with the cfg's array, dataflow and buffer sizes, ideal memory;
a cfg ``Bandwidth`` (bytes per cycle, used by SCALE-Sim with ``InterfaceBandwidth: USER``)
becomes ``memory.bandwidth_gbs`` at the 1 GHz clock, so switching ``memory.mode`` to ``fast``
or ``event`` puts a DRAM of that peak bandwidth in the loop.
"""

from __future__ import annotations

import configparser
import csv
import math
from pathlib import Path
from typing import Any

from sim.core.errors import SimError

FREQ_MHZ = 1000.0
CFG_FIELDS = {"arrayheight": "rows", "arraywidth": "cols", "ifmapsramszkb": "a_kib",
              "filtersramszkb": "b_kib", "ofmapsramszkb": "c_kib"}
DATAFLOWS = {"ws": "WS", "os": "OS", "is": "IS"}


def _int_field(path: Path, section: configparser.SectionProxy, key: str) -> int:
    raw = section.get(key)
    if raw is None:
        raise SimError(f"{path}: [{section.name}] has no {key!r}",
                       accepted=", ".join(sorted(CFG_FIELDS)))
    try:
        value = int(raw.strip())
    except ValueError:
        raise SimError(f"{path}: [{section.name}] {key} must be an integer, got {raw!r}") from None
    if value < 1:
        raise SimError(f"{path}: [{section.name}] {key} must be >= 1, got {value}")
    return value


def read_cfg(path: Path) -> dict[str, Any]:
    """Arch fields of a SCALE-Sim ``.cfg`` (keys are case-insensitive, ``:`` or ``=``)."""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, configparser.Error) as exc:
        raise SimError(f"{path}: cannot read SCALE-Sim config: {exc}") from None
    if "architecture_presets" not in parser:
        raise SimError(f"{path}: no [architecture_presets] section")
    section = parser["architecture_presets"]
    fields = {name: _int_field(path, section, key) for key, name in CFG_FIELDS.items()}
    dataflow = section.get("dataflow", "").strip().lower()
    if dataflow not in DATAFLOWS:
        raise SimError(f"{path}: [architecture_presets] Dataflow {dataflow!r} is not known",
                       accepted="ws, os, is")
    arch: dict[str, Any] = {
        "version": 1, "family": "systolic", "name": parser.get("general", "run_name",
                                                              fallback=path.stem).strip(),
        "rows": fields["rows"], "cols": fields["cols"], "dataflow": DATAFLOWS[dataflow],
        "freq_mhz": FREQ_MHZ,
        "sram": {k: fields[k] for k in ("a_kib", "b_kib", "c_kib")}}
    bandwidth = section.get("bandwidth")
    if bandwidth is not None and bandwidth.strip():
        try:
            first = float(bandwidth.split(",")[0])
        except ValueError:
            raise SimError(f"{path}: [architecture_presets] Bandwidth must be a number, "
                           f"got {bandwidth!r}") from None
        arch["memory"] = {"mode": "ideal", "bandwidth_gbs": first * FREQ_MHZ / 1000.0}
    return arch


def _cells(row: list[str]) -> list[str]:
    cells = [c.strip() for c in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _ints(path: Path, line: int, cells: list[str], count: int) -> list[int]:
    if len(cells) < count + 1:
        raise SimError(f"{path}:{line}: expected a name and {count} numbers, got {cells!r}")
    try:
        values = [int(c) for c in cells[1:count + 1]]
    except ValueError:
        raise SimError(f"{path}:{line}: layer {cells[0]!r} has a non-integer field") from None
    if min(values) < 1:
        raise SimError(f"{path}:{line}: layer {cells[0]!r} has a field < 1")
    return values


def conv_gemm(h: int, w: int, r: int, s: int, channels: int, filters: int,
              stride: int) -> tuple[int, int, int]:
    """(M, N, K) of a SCALE-Sim convolution layer (its output-size rule, no padding)."""
    out_h = math.ceil((h - r + stride) / stride)
    out_w = math.ceil((w - s + stride) / stride)
    return out_h * out_w, filters, r * s * channels


def read_topology(path: Path) -> list[dict[str, Any]]:
    """``gemm`` ops, one per layer of a SCALE-Sim topology CSV (GEMM or convolution form)."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    except OSError as exc:
        raise SimError(f"{path}: cannot read SCALE-Sim topology: {exc}") from None
    if not rows:
        raise SimError(f"{path}: empty topology file")
    header = [c.lower() for c in _cells(rows[0])]
    gemm_form = header[1:4] == ["m", "n", "k"]
    ops = []
    for line, row in enumerate(rows[1:], start=2):
        cells = _cells(row)
        if not cells:
            continue
        name = cells[0]
        if gemm_form:
            m, n, k = _ints(path, line, cells, 3)
        else:
            if "DP" in name:
                raise SimError(f"{path}:{line}: depth-wise layer {name!r} is not supported")
            h, w, r, s, channels, filters, stride = _ints(path, line, cells, 7)
            if r > h or s > w:
                raise SimError(f"{path}:{line}: layer {name!r} filter larger than its input")
            m, n, k = conv_gemm(h, w, r, s, channels, filters, stride)
        ops.append({"name": name, "kind": "gemm", "m": m, "n": n, "k": k})
    if not ops:
        raise SimError(f"{path}: no layers")
    return ops


def workload(cfg: Path, topology: Path) -> dict[str, Any]:
    """A workload document (inline arch and trace) from a SCALE-Sim cfg and topology."""
    arch = read_cfg(cfg)
    ops = read_topology(topology)
    return {"version": 1, "name": f"{topology.stem} on {arch['name']}", "arch": arch,
            "trace": {"version": 1, "name": topology.stem, "provenance": {
                "source": f"SCALE-Sim topology {topology.name}",
                "method": "sim import scalesim (layers lowered to GEMMs)"}, "ops": ops},
            "seed": 0}
