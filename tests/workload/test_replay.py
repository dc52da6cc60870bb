"""Committed traces replayed with ``sim run`` on the systolic family (no torch needed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from sim import api
from sim.workload.load import load_trace_file
from sim.workload.lowering import to_gemms
from sim.workload.trace import Trace
from sim.workload.trace_io import write_trace

REPLAYS = ["minilm-l6", "silero-vad", "gpt3-13b-decode-int8", "resnet-50-convs"]


@pytest.mark.parametrize("name", REPLAYS)
def test_committed_trace_runs_on_systolic(name: str, repo: Path) -> None:
    output = api.run(repo / "workloads" / f"{name}-systolic.yaml", write=False)
    trace = load_trace_file(repo / "workloads" / "traces" / f"{name}.yaml")
    assert [r.name for r in output.result.ops] == [op.name for op in trace.ops]
    expected = sum(s.macs * c for op in trace.ops for s, c in to_gemms(op))
    assert output.result.macs == expected and output.result.cycles > 0


def test_fp16_trace_is_refused_by_name(repo: Path, sim_cli: Callable[..., object]) -> None:
    outcome = sim_cli("run", str(repo / "workloads" / "gpt3-13b-decode-systolic.yaml"))
    assert outcome.code == 2  # type: ignore[attr-defined]
    line = outcome.stderr.strip()  # type: ignore[attr-defined]
    assert "\n" not in line and re.search(r"op 'l0\.qkv'.*systolic", line), line


def test_unsupported_kind_names_op_and_family(tmp_path: Path, repo: Path,
                                              sim_cli: Callable[..., object]) -> None:
    trace = Trace.model_validate({"version": 1, "name": "t", "ops": [
        {"name": "g", "kind": "gemm", "m": 4, "n": 4, "k": 4},
        {"name": "ln", "kind": "eltwise", "elements": 16, "function": "layernorm", "a_bits": 8}]})
    write_trace(trace, tmp_path / "t.yaml")
    workload = tmp_path / "w.yaml"
    workload.write_text(f"version: 1\nname: w\narch: {repo / 'arch/systolic-16x16.yaml'}\n"
                        "trace: t.yaml\n")
    outcome = sim_cli("run", str(workload), "-o", str(tmp_path / "out"))
    assert outcome.code == 2  # type: ignore[attr-defined]
    assert re.search(r"op 'ln' of kind 'eltwise' is not supported by family 'systolic'",
                     outcome.stderr), outcome.stderr  # type: ignore[attr-defined]


def family_archs(repo: Path) -> list[Path]:
    """One arch file per registered family (the first by name in arch/)."""
    from sim.family import known_families

    chosen: dict[str, Path] = {}
    for path in sorted((repo / "arch").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        family = data.get("family") if isinstance(data, dict) else None
        if family in known_families() and family not in chosen:
            chosen[family] = path
    return list(chosen.values())


def test_every_committed_trace_on_every_family(tmp_path: Path, repo: Path) -> None:
    """Each registered family either runs every op of a committed trace or names the op it
    cannot run and itself in a one-line error; nothing is skipped silently."""
    from sim.core.errors import SimError
    from sim.evaluation.committed import COMMITTED, TRACES_DIR
    from sim.family import get_family

    archs = family_archs(repo)
    assert archs, "no arch file for any registered family"
    for arch in archs:
        family = get_family(str(yaml.safe_load(arch.read_text())["family"])).name
        for entry in COMMITTED:
            trace = load_trace_file(TRACES_DIR / entry.file)
            workload = tmp_path / f"{family}-{entry.file}"
            workload.write_text(f"version: 1\nname: replay\narch: {arch}\n"
                                f"trace: {TRACES_DIR / entry.file}\n")
            try:
                output = api.run(workload, write=False)
            except SimError as exc:
                text = str(exc)
                assert "\n" not in text and family in text, text
                assert any(f"'{op.name}'" in text for op in trace.ops), text
                continue
            ran = {r.name.split("@")[0] for r in output.result.ops}  # npu_pim: "op@sub-batch"
            assert ran >= {op.name for op in trace.ops}, (family, entry.file)
