"""Real weights for the quality proxy: the silero-vad encoder, read from its ONNX file.

``python -m sim.models.gap9.silero [out.npz]`` reads ``silero_vad_16k_op15.onnx`` shipped inside
the ``silero-vad`` package (with the ``onnx`` package only; nothing is downloaded and torch is not
imported), and writes a small sample (< 500 kB) to
``workloads/traces/gap9_silero_sample.npz``:

* ``enc{0..3}_w``/``_b``: the four Conv1d layers of the encoder (float32, real weights),
* ``enc_stride``: their strides,
* ``feat``: STFT-magnitude features (frames x 129, float16) of a 1.5 s synthetic speech-like test
  signal, computed with the model's own STFT basis (the model's first Conv, stride 128),
* ``act_u8``: the encoder layer-1 input activations quantised to uint8 (frames x 128), used as
  real activations by the RTL bench.

Default tests read only the committed sample, so they run without ``onnx``/``silero_vad``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.core.errors import SimError

F32 = npt.NDArray[np.float32]
SAMPLE_PATH = Path(__file__).resolve().parents[3] / "workloads" / "traces" / \
    "gap9_silero_sample.npz"
ONNX_NAME = "silero_vad_16k_op15.onnx"
ENC_STRIDES = (1, 2, 2, 1)
SAMPLE_RATE = 16000


def onnx_path() -> Path:
    """Path of the ONNX file inside the installed silero-vad package (without importing it)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise SimError("the silero-vad package is not installed (pip install silero-vad)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / ONNX_NAME
    if not path.is_file():
        raise SimError(f"{path} not found in the silero-vad package")
    return path


def read_initializers(path: Path) -> dict[str, F32]:
    """All initializer tensors of an ONNX model as float32 arrays."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    return {t.name: numpy_helper.to_array(t).astype(np.float32) for t in model.graph.initializer}


def test_signal(seconds: float = 1.5, seed: int = 0) -> npt.NDArray[np.float64]:
    """Speech-like synthetic signal: a gliding harmonic voice (f0 100-220 Hz) with 4 Hz
    syllabic envelope, alternating with noise bursts and low background noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 160 + 60 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voice = sum(np.sin(h * phase) / h for h in range(1, 20))
    env = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 2 * (t % 1.0 < 0.6)
    bursts = rng.standard_normal(t.size) * ((t % 1.0) > 0.75) * 0.3
    return 0.3 * voice * env + bursts + 0.01 * rng.standard_normal(t.size)


def stft_features(signal: npt.NDArray[np.float64], basis: F32) -> F32:
    """Magnitude features (frames x 129) with the model's STFT basis (258 x 1 x 256, hop 128,
    reflect padding of 64 on the right as in the model)."""
    x = np.pad(signal, (0, 64), mode="reflect")
    win = basis.shape[2]
    frames = (x.size - win) // 128 + 1
    idx = np.arange(win)[None, :] + 128 * np.arange(frames)[:, None]
    spec = x[idx] @ basis[:, 0, :].T.astype(np.float64)  # (frames, 258)
    half = basis.shape[0] // 2
    return np.sqrt(spec[:, :half] ** 2 + spec[:, half:] ** 2).astype(np.float32)


def conv1d(x: npt.NDArray[np.float64], w: npt.NDArray[np.float64], b: npt.NDArray[np.float64],
           stride: int) -> npt.NDArray[np.float64]:
    """Conv1d, kernel 3, padding 1: x (frames, C_in), w (C_out, C_in, 3) -> (frames', C_out)."""
    xp = np.pad(x, ((1, 1), (0, 0)))
    n = (xp.shape[0] - 3) // stride + 1
    cols = np.stack([xp[i: i + stride * (n - 1) + 1: stride] for i in range(3)], axis=2)
    return np.einsum("tck,ock->to", cols, w) + b


def extract(out: Path = SAMPLE_PATH) -> Path:
    """Write the sample npz (see module docstring)."""
    init = read_initializers(onnx_path())
    arrays: dict[str, npt.NDArray[np.generic]] = {}
    for i in range(4):
        arrays[f"enc{i}_w"] = init[f"model.encoder.{i}.reparam_conv.weight"]
        arrays[f"enc{i}_b"] = init[f"model.encoder.{i}.reparam_conv.bias"]
    arrays["enc_stride"] = np.array(ENC_STRIDES)
    feat = stft_features(test_signal(), init["model.stft.forward_basis_buffer"])
    arrays["feat"] = feat.astype(np.float16)  # features only; weights stay float32
    h1 = np.maximum(conv1d(feat.astype(np.float64), arrays["enc0_w"].astype(np.float64),
                           arrays["enc0_b"].astype(np.float64), 1), 0)
    top = float(np.percentile(h1[h1 > 0], 99)) if (h1 > 0).any() else 1.0
    arrays["act_u8"] = np.clip(np.rint(h1 / top * 255), 0, 255).astype(np.uint8)
    arrays["source"] = np.array(f"silero-vad package, data/{ONNX_NAME}, encoder.0-3")
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
    return out


def load_sample(path: Path = SAMPLE_PATH) -> dict[str, npt.NDArray[np.generic]]:
    """The committed sample as a dict of arrays."""
    if not path.is_file():
        raise SimError(f"{path} is missing; regenerate it with python -m sim.models.gap9.silero")
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


if __name__ == "__main__":
    print(extract(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_PATH))
