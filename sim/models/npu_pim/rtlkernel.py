"""The npu_pim family's RTL (``rtl/pim``): the PIM bank GEMV kernel (int8 and fp16 builds) and
its synthesis target."""

from __future__ import annotations

from sim.family import Inventory, RtlKernel, SynthTarget

PIM_GEMV = RtlKernel(
    name="pim_gemv",
    directory="pim",
    sources=("pim_gemv.sv",),
    toplevel="pim_gemv",
    test_module="tb_pim_gemv",
    parameter_sets=({"LANES": 16, "FP16": 0}, {"LANES": 16, "FP16": 1}),
    summary="PIM bank GEMV unit (int8 and fp16 x fp16 -> fp32 RNE) vs sim.models.npu_pim.arith",
)


def pim_inventory(lanes: int) -> Inventory:
    """The npu_pim model's PIM logic per bank: one FP16 MAC (``pim.mac_fp16``) per lane, plus
    the RTL's 32-bit accumulator register."""
    return {"pim.mac_fp16": float(lanes), "reg": 32.0}


SYNTH_TARGETS = (SynthTarget("pim", "pim_gemv_l4", ("pim_gemv.sv",), "pim_gemv", {"LANES": 4},
                             lambda: pim_inventory(4)),)
