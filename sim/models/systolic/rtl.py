"""The systolic family's RTL (``rtl/systolic``): the cocotb kernel and its synthesis targets."""

from __future__ import annotations

from sim.family import Inventory, RtlKernel, SynthTarget
from sim.hw.systolic import ACCUMULATOR_BITS, OPERAND_BITS
from sim.models.systolic.model import REGISTER_BITS_PER_PE

KERNEL = RtlKernel(
    name="systolic",
    directory="systolic",
    sources=("systolic_ws.sv", "systolic_os.sv", "systolic.sv"),
    toplevel="systolic",
    test_module="tb_systolic",
    parameter_sets=(*(
        {"DATAFLOW": dataflow, "ROWS": size, "COLS": size, "T_MAX": 64}
        for size in (4, 8)
        for dataflow in ("WS", "OS", "IS")
    ), *({"DATAFLOW": "OS", "ROWS": size, "COLS": size, "T_MAX": 64, "OVERLAP_DRAIN": 1}
         for size in (4, 8))),
    summary="int8 systolic GEMM folds (WS, OS, OS with overlapped drain, IS) vs sim.hw.systolic",
)


def inventory(dataflow: str, rows: int, cols: int, t_max: int) -> Inventory:
    """Analytic inventory of ``rtl/systolic`` at R x C with T_MAX-deep flop buffers.

    PEs as in the systolic model (R*C ``mac_int8`` + R*C*48 register bits); the RTL's operand and
    result buffers are flop arrays, so their bits are ``reg`` and each read port is a
    (depth - 1)-level ``mux2`` tree per bit; control: a 32-bit cycle counter, a 32-bit length
    register and a 32-bit compare.
    """
    pes = rows * cols
    a_bits, acc = OPERAND_BITS, ACCUMULATOR_BITS
    if dataflow == "WS":  # a_mem[T], w_mem[R], p_mem[T], c_mem[T]
        buffer_bits = t_max * rows * a_bits + pes * a_bits + 2 * t_max * cols * acc
        mux_bits = (rows * a_bits + 2 * cols * acc) * (t_max - 1) + cols * a_bits * (rows - 1)
    else:  # OS: a_mem[T], b_mem[T], c_mem[R]
        buffer_bits = t_max * (rows + cols) * a_bits + pes * acc
        mux_bits = (rows + cols) * a_bits * (t_max - 1) + cols * acc * (rows - 1)
    return {"mac_int8": float(pes), "reg": float(pes * REGISTER_BITS_PER_PE + buffer_bits + 32),
            "mux2": float(mux_bits), "counter_int32": 1.0, "cmp_int32": 1.0}


def _target(dataflow: str, size: int, t_max: int) -> SynthTarget:
    module = "systolic_ws" if dataflow == "WS" else "systolic_os"
    return SynthTarget(
        "systolic", f"{dataflow.lower()}_{size}x{size}_t{t_max}", (f"{module}.sv",), module,
        {"ROWS": size, "COLS": size, "T_MAX": t_max},
        lambda: inventory(dataflow, size, size, t_max),
        note="buffers are flop arrays in the RTL (SRAM in the model): costed as reg + mux2")


SYNTH_TARGETS = (_target("WS", 2, 2), _target("WS", 4, 4), _target("OS", 2, 2),
                 _target("OS", 4, 4))
