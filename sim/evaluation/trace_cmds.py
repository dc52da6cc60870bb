"""What ``sim trace ...`` does (called through :mod:`sim.api`): extract, generate, regenerate,
write request logs, and summarise traces."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.core.errors import Location, SimError
from sim.family import get_generator
from sim.spec.validate import validate
from sim.spec.yamlio import Document, parse_assignments
from sim.workload.load import load_trace_file, tensor_file, trace_hash
from sim.workload.lowering import LOWERABLE_KINDS, to_gemms
from sim.workload.trace import Trace
from sim.workload.trace_io import write_trace


@dataclass
class TraceOutput:
    """A written trace: its path, content hash, the trace, and per-layer int8 SQNR (dB)."""

    path: Path
    content_hash: str
    trace: Trace
    sqnr_db: dict[str, float] = field(default_factory=dict)


def _tensors_name(out: Path) -> str:
    """The ``.npz`` beside a trace file."""
    return out.with_suffix(".npz").name


def extract_minilm(out: Path, sentences: list[str] | None = None,
                   int8_prefix: str | None = None, tensors: bool = True,
                   command: str = "") -> TraceOutput:
    """all-MiniLM-L6-v2 from the installed package, on real sentences."""
    from sim.workload import real_models as rm

    built = rm.minilm_trace(tuple(sentences) if sentences else rm.MINILM_SENTENCES,
                            rm.MINILM_INT8_PREFIX if int8_prefix is None else int8_prefix,
                            _tensors_name(out) if tensors else None)
    digest = write_trace(built.trace, out, built.arrays, command or f"sim trace minilm -o {out}")
    return TraceOutput(out, digest, built.trace, built.sqnr_db)


def extract_silero(out: Path, chunks: int = 32, command: str = "") -> TraceOutput:
    """Silero VAD from the installed package's ONNX graph."""
    from sim.workload.real_models import silero_trace

    built = silero_trace(chunks)
    digest = write_trace(built.trace, out, None,
                         command or f"sim trace silero --chunks {chunks} -o {out}")
    return TraceOutput(out, digest, built.trace)


def extract_onnx_file(model: Path, out: Path, dims: list[str], bits: int = 8,
                      command: str = "") -> TraceOutput:
    """Any ONNX file; ``dims`` are ``name=size`` for symbolic input dimensions."""
    from sim.workload.real_models import onnx_trace

    sizes = parse_assignments(dims, "--dim")
    for key, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise SimError(f"--dim {key}={value!r}: size must be a positive integer")
    built = onnx_trace(model, sizes, bits)
    digest = write_trace(built.trace, out, None, command or f"sim trace onnx {model} -o {out}")
    return TraceOutput(out, digest, built.trace)


def generate(generator: str, settings: list[str], seed: int, out: Path,
             command: str = "") -> TraceOutput:
    """Run a registered generator with ``key=value`` settings."""
    gen = get_generator(generator)
    params = parse_assignments(settings, "--set")
    doc = Document(Path("<command line>"), params)
    trace = gen.build(validate(gen.schema, doc, (), params), seed)
    digest = write_trace(trace, out, None, command or f"sim trace generate {generator} "
                         + " ".join(f"--set {s}" for s in settings) + f" --seed {seed} -o {out}")
    return TraceOutput(out, digest, trace)


def requests_csv(dataset: str, batch: int, seed: int, out: Path | None,
                 channels: int | None = None) -> str:
    """A seeded batch of request context lengths as CSV text (written to ``out`` if given)."""
    from sim.workload.serving import sample_context_lengths, write_request_csv

    text = write_request_csv(sample_context_lengths(dataset, batch, seed), channels)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return text


def summary(path: Path) -> dict[str, Any]:
    """Validate a trace file (and its tensors) and summarise it: ops per kind, MACs, hash."""
    trace = load_trace_file(path)
    from sim.spec.yamlio import load_yaml

    doc = load_yaml(path)
    tensors = tensor_file(trace, path.parent, Location(path, 0, "tensors"), doc)
    macs = sum(shape.macs * count for op in trace.ops if op.kind in LOWERABLE_KINDS
               for shape, count in to_gemms(op))
    return {"name": trace.name, "ops": len(trace.ops),
            "kinds": dict(sorted(Counter(op.kind for op in trace.ops).items())),
            "macs": macs, "tensors": str(tensors) if tensors else None,
            "content_hash": trace_hash(trace, tensors), "source": trace.provenance.source}
