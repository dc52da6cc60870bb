"""The traces committed in ``workloads/traces/`` and how each is made (``sim trace regen``).

Every entry is rebuilt from its source (installed package or published config) and written with
:func:`sim.workload.trace_io.write_trace`; regeneration is byte-identical on the same versions of
torch, transformers and onnx (recorded in each trace's provenance).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.core.errors import SimError
from sim.family import get_generator
from sim.spec.validate import validate
from sim.spec.yamlio import Document
from sim.workload.trace import Trace
from sim.workload.trace_io import write_trace

TRACES_DIR = Path(__file__).resolve().parents[2] / "workloads" / "traces"


@dataclass(frozen=True)
class Committed:
    """One committed trace: file name, the command that makes it, and the builder."""

    file: str
    command: str
    needs_models: bool
    build: Callable[[str], tuple[Trace, dict[str, Any] | None]]
    """``build(tensors_name)`` -> (trace, arrays or None)."""


def generated(generator: str, params: dict[str, Any], seed: int = 0) -> Trace:
    """Run a registered generator with parameters given as a mapping (validated)."""
    gen = get_generator(generator)
    doc = Document(Path(f"<{generator} parameters>"), params)
    return gen.build(validate(gen.schema, doc, (), params), seed)


def _minilm(tensors: str) -> tuple[Trace, dict[str, Any] | None]:
    from sim.workload.real_models import minilm_trace

    built = minilm_trace(tensors=tensors)
    return built.trace, built.arrays


def _silero(_tensors: str) -> tuple[Trace, dict[str, Any] | None]:
    from sim.workload.real_models import silero_trace

    return silero_trace(32).trace, None


GPT3_DECODE = {"model": "gpt3-13b", "phase": "decode", "batch": 256, "requests": "sharegpt",
               "layers": 1, "tp": 4}

COMMITTED: tuple[Committed, ...] = (
    Committed("minilm-l6.yaml", "sim trace minilm -o workloads/traces/minilm-l6.yaml", True,
              _minilm),
    Committed("silero-vad.yaml", "sim trace silero --chunks 32 -o workloads/traces/silero-vad.yaml",
              True, _silero),
    Committed("gpt3-13b-decode.yaml", "sim trace generate transformer --set model=gpt3-13b "
              "--set phase=decode --set batch=256 --set requests=sharegpt --set layers=1 "
              "--set tp=4 --set bits=16 --seed 0 -o workloads/traces/gpt3-13b-decode.yaml", False,
              lambda _t: (generated("transformer", {**GPT3_DECODE, "bits": 16}), None)),
    Committed("gpt3-13b-decode-int8.yaml", "sim trace generate transformer --set model=gpt3-13b "
              "--set phase=decode --set batch=256 --set requests=sharegpt --set layers=1 "
              "--set tp=4 --set bits=8 --seed 0 -o workloads/traces/gpt3-13b-decode-int8.yaml",
              False, lambda _t: (generated("transformer", {**GPT3_DECODE, "bits": 8}), None)),
    Committed("resnet-50-convs.yaml", "sim trace generate cnn --set model=resnet-50 --seed 0 "
              "-o workloads/traces/resnet-50-convs.yaml", False,
              lambda _t: (generated("cnn", {"model": "resnet-50"}), None)),
)


def write_committed(entry: Committed, folder: Path) -> tuple[Path, str]:
    """Build one committed trace into ``folder``; returns (trace path, content hash)."""
    tensors = Path(entry.file).with_suffix(".npz").name
    trace, arrays = entry.build(tensors)
    path = folder / entry.file
    return path, write_trace(trace, path, arrays, entry.command)


def regenerate(folder: Path = TRACES_DIR, check: bool = False, only: list[str] | None = None,
               models: bool = True) -> list[tuple[str, str, bool]]:
    """Rebuild the committed traces (or, with ``check``, compare them byte for byte).

    Returns (file, content hash, identical) per trace; ``models=False`` skips the traces that
    need the ``models`` extra. Unknown names in ``only`` are a SimError.
    """
    names = [c.file for c in COMMITTED]
    for name in only or []:
        if name not in names:
            raise SimError(f"no committed trace {name!r}", accepted=", ".join(names))
    rows = []
    for entry in COMMITTED:
        if (only and entry.file not in only) or (entry.needs_models and not models):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path, digest = write_committed(entry, Path(tmp))
            files = [path, *([path.with_suffix(".npz")] if path.with_suffix(".npz").exists()
                            else [])]
            same = all((folder / f.name).is_file() and (folder / f.name).read_bytes()
                       == f.read_bytes() for f in files)
            if not check:
                folder.mkdir(parents=True, exist_ok=True)
                for f in files:
                    (folder / f.name).write_bytes(f.read_bytes())
        rows.append((entry.file, digest, same))
    return rows
