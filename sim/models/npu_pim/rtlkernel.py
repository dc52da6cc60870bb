"""The PIM bank GEMV RTL kernel description, for ``sim.rtlcheck`` (two builds: int8, fp16)."""

from __future__ import annotations

from sim.rtlcheck.bench import KERNELS, Kernel

PIM_GEMV = Kernel(
    name="pim_gemv",
    directory="pim",
    sources=("pim_gemv.sv",),
    toplevel="pim_gemv",
    test_module="tb_pim_gemv",
    parameter_sets=({"LANES": 16, "FP16": 0}, {"LANES": 16, "FP16": 1}),
    summary="PIM bank GEMV unit (int8 and fp16 x fp16 -> fp32 RNE) vs sim.models.npu_pim.arith",
)


def register_kernels() -> None:
    """Add the kernel to ``sim.rtlcheck``'s registry (idempotent)."""
    KERNELS.setdefault(PIM_GEMV.name, PIM_GEMV)
