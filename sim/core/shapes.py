"""Shapes and integer arithmetic shared by every layer: GEMM shapes, ceiling division."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # numpy is not imported at run time: a scalar-only run does without it
    import numpy as np
    import numpy.typing as npt

IntOrArray = TypeVar("IntOrArray", int, "npt.NDArray[np.int64]")


def ceil_div(a: IntOrArray, b: int) -> IntOrArray:
    """Integer ceiling of a / b for positive b (elementwise on integer arrays)."""
    return -(-a // b)


@dataclass(frozen=True)
class GemmShape:
    """C[M, N] = A[M, K] @ B[K, N]."""

    m: int
    n: int
    k: int

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the GEMM."""
        return self.m * self.n * self.k
