"""Override mappings and generator settings validated before work starts: HBM organisation and
timing, tech tables named by an arch, generator sizes, op sizes. Each case once passed
``sim validate`` or crashed (ZeroDivisionError, TypeError, MemoryError, endless refresh)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.core.errors import SimError
from sim.hw.dram.config import make_config
from tests.hostile.test_yaml_limits import one_line_error

REPO = Path(__file__).resolve().parents[2]


def neupims_workload(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The shipped NeuPIMs workload with its arch inlined, then ``change``d."""
    data = yaml.safe_load((REPO / "workloads/neupims-7b-bs64.yaml").read_text())
    data["arch"] = yaml.safe_load((REPO / "arch/neupims.yaml").read_text())
    data["trace"]["requests"] = str(REPO / "workloads" / data["trace"]["requests"])
    data = copy.deepcopy(data)
    change(data)
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def hbm(section: str, fields: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["arch"]["memory"]["hbm"][section] = fields
    return change


CASES = {
    "bus_bits_1": (hbm("org", {"bus_bits": 1}), "bus_bits"),
    "bus_bits_12": (hbm("org", {"bus_bits": 12}), "multiple of 8"),
    "address_mapping_int": (hbm("org", {"address_mapping": 5}), "address_mapping"),
    "tREFI_0": (hbm("timing", {"tREFI": 0}), "tREFI"),
    "tRFC_over_tREFI": (hbm("timing", {"tRFC": 5000}), "tRFC"),
    "tRFC_float": (hbm("timing", {"tRFC": 1e30}), "tRFC"),
    "channels_2_40": (hbm("org", {"channels": 2**40}), "channels"),
    "channels_float": (hbm("org", {"channels": 4.0}), "channels"),
    "freq_zero": (hbm("org", {"freq_mhz": 0}), "freq_mhz"),
    "tech_missing": (lambda d: d["arch"].update(tech={"tables": ["missing.yaml"]}),
                     "tech.tables[0]"),
    "tech_device": (lambda d: d["arch"].update(tech={"tables": ["/dev/zero"]}),
                    "not a regular file"),
    "layers_huge": (lambda d: d["trace"].update(layers=1048576), "layers"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_override_refused_by_validate(name: str, tmp_path: Path,
                                      sim_cli: Callable[..., object]) -> None:
    change, expected = CASES[name]
    line = one_line_error(sim_cli("validate", str(neupims_workload(tmp_path, change))))
    assert expected in line


def test_shipped_presets_pass() -> None:
    """Negative control: the new range checks accept every shipped preset unchanged."""
    from sim.hw.dram.config import PRESETS

    for preset in PRESETS:
        make_config(preset)
    with pytest.raises(SimError, match="channels"):
        make_config(next(iter(PRESETS)), {"channels": 2048})


GENERATED = """\
version: 1
name: g
arch: {arch}
trace: {{generator: transformer, model: gpt3-7b, phase: prefill, bits: 8, layers: 1,
         seq_len: {seq}}}
"""


@pytest.mark.parametrize("seq", [2147483648, 2**31])
def test_generator_overflow_is_one_line(seq: int, tmp_path: Path,
                                        sim_cli: Callable[..., object]) -> None:
    target = tmp_path / "g.yaml"
    target.write_text(GENERATED.format(arch=REPO / "arch/systolic-16x16.yaml", seq=seq))
    line = one_line_error(sim_cli("validate", str(target)))
    assert "OP_MAX_WORK" in line


@pytest.mark.parametrize("op", [
    "{name: g, kind: gemm, m: 1048576, n: 1048576, k: 1048576}",
    "{name: a, kind: attention, heads: 4096, q_len: 65536, kv_len: 65536, head_dim: 128}",
])
def test_huge_op_refused(op: str, tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    target = tmp_path / "t.yaml"
    target.write_text(f"version: 1\nname: t\nops:\n  - {op}\n")
    assert "OP_MAX_WORK" in one_line_error(sim_cli("validate", str(target)))


def test_too_many_ops_refused(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    from sim.spec.inputs import TRACE_MAX_OPS

    ops = "".join(f"  - {{name: g{i}, kind: eltwise, elements: 1, function: add}}\n"
                  for i in range(TRACE_MAX_OPS + 1))
    target = tmp_path / "t.yaml"
    target.write_text(f"version: 1\nname: t\nops:\n{ops}")
    assert "ops" in one_line_error(sim_cli("validate", str(target)))


@pytest.mark.parametrize("body", [
    "vary:\n  arch.rows: {start: 1, stop: 1.0e+308, step: 1.0e-308}\n",
    "vary:\n  arch.rows: {start: 0, stop: 1.0e+30, step: 1}\n",
    "vary:\n  arch.rows: {start: 1, stop: 8, num: 1000000}\n",
    "vary:\n  arch.rows: {start: 1, stop: 1000, step: 1}\n  arch.cols: {start: 1, stop: 1000, "
    "step: 1}\n",
    "vary:\n  arch.rows: {start: 1, stop: 8}\nsampler: random\nn: 1048576\n",
])
def test_sweep_sizes_refused(body: str, make_sweep: Callable[..., Path],
                             sim_cli: Callable[..., object]) -> None:
    line = one_line_error(sim_cli("validate", str(make_sweep(body))))
    assert "SWEEP_MAX_POINTS" in line or "less than or equal" in line


def test_sweep_size_limit_is_not_a_ban(make_sweep: Callable[..., Path],
                                       sim_cli: Callable[..., object]) -> None:
    """Negative control: a 300 x 300 grid (90,000 points) is under the limit and validates."""
    body = "vary:\n  arch.rows: {start: 1, stop: 300, step: 1}\n  arch.cols: {start: 1, " \
           "stop: 300, step: 1}\n"
    outcome = sim_cli("validate", str(make_sweep(body)))
    assert outcome.code == 0, outcome.stderr  # type: ignore[attr-defined]


def test_tpe_operand_limit(tmp_path: Path, sim_cli: Callable[..., object]) -> None:
    """A data-dependent TPE GEMM too large to hold as int64 is refused with the limit named
    (it used to raise MemoryError); the same op on a data-independent design still runs."""
    text = ("version: 1\nname: t\narch: {arch}\ntrace: {{version: 1, name: t, ops: [{{name: g, "
            "kind: gemm, m: 4096, n: 4096, k: 4096}}]}}\n")
    big = tmp_path / "big.yaml"
    big.write_text(text.format(arch=REPO / "arch/tpe-bitslice-opt3.yaml"))
    line = one_line_error(sim_cli("run", str(big), "-o", str(tmp_path / "a")))
    assert "MAX_OPERAND_ELEMENTS" in line
    plain = tmp_path / "plain.yaml"
    plain.write_text(text.format(arch=REPO / "arch/tpe-systolic-ws-mac.yaml"))
    outcome = sim_cli("run", str(plain), "-o", str(tmp_path / "b"))
    assert outcome.code == 0, outcome.stderr  # type: ignore[attr-defined]


def test_generator_op_count_checked_early(tmp_path: Path,
                                          sim_cli: Callable[..., object]) -> None:
    """2,048 per-request attention ops x 96 layers is refused after one layer is built."""
    def change(data: dict[str, Any]) -> None:
        data["trace"].update(model="gpt3-175b", batch=2048, requests="sharegpt", tp=8)
        data["trace"].pop("layers")
    line = one_line_error(sim_cli("validate", str(neupims_workload(tmp_path, change))))
    assert "TRACE_MAX_OPS" in line
