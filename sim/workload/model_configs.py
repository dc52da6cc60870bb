"""Published model architectures (``workloads/models/*.yaml``): schemas and loading.

Each config file names its source (paper table or released config). ``arch`` picks the schema:
``transformer`` (GPT-3, LLaMA-2, OPT, BERT, MiniLM), ``resnet``, ``mobilenetv2`` or ``crnn``.
A model is named either by file stem (``gpt3-13b`` -> ``workloads/models/gpt3-13b.yaml``) or
by a path to a YAML file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from sim.core.errors import SimError
from sim.spec.base import Count, Dim, Layers, StrictModel
from sim.spec.validate import validate
from sim.spec.yamlio import load_yaml

MODELS_DIR = Path(__file__).resolve().parents[2] / "workloads" / "models"
Source = Annotated[str, Field(min_length=1)]
Row4 = Annotated[list[Count], Field(min_length=4, max_length=4)]


class TransformerConfig(StrictModel):
    """A transformer stack (decoder-only LLM or encoder)."""

    version: Literal[1]
    name: str
    source: Source
    arch: Literal["transformer"]
    decoder: bool
    d_model: Dim
    heads: Count
    kv_heads: Count
    """Key/value heads (fewer than ``heads`` for grouped-query attention)."""
    head_dim: Dim
    layers: Layers
    ffn: Dim
    """FFN inner width."""
    ffn_kind: Literal["gelu", "relu", "swiglu"]
    """``swiglu`` has gate, up and down projections; the others up and down."""
    vocab: Dim
    max_len: Dim


class InputShape(StrictModel):
    """Input tensor: channels x height x width."""

    channels: Dim
    height: Dim
    width: Dim


class ResNetStem(StrictModel):
    """Stem conv and max-pool."""

    out_ch: Dim
    kernel: Dim
    stride: Count
    padding: int = Field(ge=0)
    pool_kernel: Dim
    pool_stride: Count
    pool_padding: int = Field(ge=0)


class ResNetStage(StrictModel):
    """A stage of bottleneck blocks; ``stride`` applies to its first block."""

    blocks: Count
    width: Dim
    stride: Count


class ResNetConfig(StrictModel):
    """Bottleneck ResNet."""

    version: Literal[1]
    name: str
    source: Source
    arch: Literal["resnet"]
    input: InputShape
    stem: ResNetStem
    stages: list[ResNetStage] = Field(min_length=1)
    expansion: Count
    classes: Dim


class ConvStem(StrictModel):
    """A plain stem conv."""

    out_ch: Dim
    kernel: Dim
    stride: Count
    padding: int = Field(ge=0)


class MobileNetV2Config(StrictModel):
    """MobileNetV2: ``bottlenecks`` rows are [t, c, n, s] as in the paper's Table 2."""

    version: Literal[1]
    name: str
    source: Source
    arch: Literal["mobilenetv2"]
    input: InputShape
    stem: ConvStem
    bottlenecks: list[Row4] = Field(min_length=1)
    head_ch: Dim
    classes: Dim


class CrnnConv(StrictModel):
    """A same-padded k x k conv followed by max-pooling over frequency (height) by ``pool_h``."""

    out_ch: Dim
    kernel: Dim
    pool_h: Count = 1


class RnnSpec(StrictModel):
    """Recurrent layers over time (width)."""

    cell: Literal["gru", "lstm"]
    hidden: Dim
    layers: Layers
    bidirectional: bool


class CrnnConfig(StrictModel):
    """Convolutional recurrent network over a spectrogram (height = frequency, width = time)."""

    version: Literal[1]
    name: str
    source: Source
    arch: Literal["crnn"]
    input: InputShape
    convs: list[CrnnConv] = Field(min_length=1)
    rnn: RnnSpec
    classes: Dim


ModelConfig = TransformerConfig | ResNetConfig | MobileNetV2Config | CrnnConfig
SCHEMAS: dict[str, type[ModelConfig]] = {
    "transformer": TransformerConfig, "resnet": ResNetConfig,
    "mobilenetv2": MobileNetV2Config, "crnn": CrnnConfig,
}


def known_models() -> list[str]:
    """Names of the configs in ``workloads/models``."""
    return sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))


def model_path(model: str) -> Path:
    """The config file of a model name or path; unknown names are a SimError."""
    if model.endswith((".yaml", ".yml")):
        return Path(model)
    path = MODELS_DIR / f"{model}.yaml"
    if not path.is_file():
        raise SimError(f"unknown model {model!r}", accepted=", ".join(known_models()) or "none")
    return path


def load_model_config(model: str) -> ModelConfig:
    """Load and validate a model config by name or path."""
    doc = load_yaml(model_path(model))
    data = doc.data
    if not isinstance(data, dict) or data.get("arch") not in SCHEMAS:
        where = doc.where(("arch",))
        got = data.get("arch") if isinstance(data, dict) else None
        raise SimError(f"unknown or missing model arch {got!r}", where,
                       accepted=", ".join(SCHEMAS))
    return validate(SCHEMAS[str(data["arch"])], doc, (), data)
