"""The ``tpe`` family: bit-weight-transformed tensor processing engines (Wu et al., HPCA 2025).

Modules: ``arith`` (bit-exact golden arithmetic), ``cost`` (PE inventories and critical paths),
``designs`` (architectures and cycle models), ``evaluate`` (area/energy/efficiency, published
comparison), ``model`` (the Model), ``realdata`` (the MiniLM INT8 sample), ``rtl`` (cocotb
kernels and synthesis targets of rtl/tpe), ``sweep_hooks`` (published ratios in sweep reports).
"""

from sim.family import Family
from sim.models.tpe.model import SUPPORTED_KINDS, TpeArch, TpeModel, check_trace, summary_lines
from sim.models.tpe.rtl import KERNELS, SYNTH_TARGETS
from sim.models.tpe.sweep_hooks import references

FAMILY = Family(
    "tpe", TpeArch, TpeModel, frozenset(SUPPORTED_KINDS),
    description="tensor processing engines transformed in the bit-weight dimension of their MACs",
    kernels=KERNELS, synth_targets=SYNTH_TARGETS, sweep_references=references,
    check=check_trace, metrics=("peak_macs_per_cycle",), summary=summary_lines)

__all__ = ["FAMILY", "TpeArch", "TpeModel"]
