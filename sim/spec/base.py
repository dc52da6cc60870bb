"""Schema building blocks shared by arch, workload, trace and sweep files."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sim.spec.inputs import GEN_MAX_LAYERS

# Hardware and tensor sizes: positive and small enough that products stay in int64.
Dim = Annotated[int, Field(ge=1, le=2**31)]
Count = Annotated[int, Field(ge=1, le=2**20)]
Bits = Annotated[int, Field(ge=1, le=64)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]
FreqMHz = Annotated[float, Field(gt=0, le=100_000)]
def _relative_dir(value: str | None) -> str | None:
    """A report folder must stay under the working directory: relative, without ``..``."""
    if value is None:
        return None
    if "\0" in value or len(value) > 1024:
        raise ValueError("report folder must be a plain relative path")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or value.startswith("~"):
        raise ValueError(f"report folder {value[:80]!r} must stay under the working directory "
                         "(relative, no '..'); use --out to write elsewhere")
    return value


ReportDir = Annotated[str | None, AfterValidator(_relative_dir)]
"""``report.dir`` of a workload or sweep file: relative to the working directory, inside it."""
Layers = Annotated[int, Field(ge=1, le=GEN_MAX_LAYERS)]
"""Layers of a model or a generated trace (at most ``GEN_MAX_LAYERS``)."""


class StrictModel(BaseModel):
    """Base of every schema: unknown keys, type coercions, NaN and infinity are all errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False,
                              defer_build=True)


class TechSelection(StrictModel):
    """Which technology node and tables cost this design."""

    node_nm: Literal[45, 40, 32, 28, 22] = 28
    tables: list[str] = Field(default_factory=list)
    """Extra table files (YAML), relative to the arch file; they override built-in rows."""


class ArchBase(StrictModel):
    """Fields every arch file has; each family's schema extends this."""

    version: Literal[1]
    family: str
    name: str = ""
    tech: TechSelection = Field(default_factory=TechSelection)
