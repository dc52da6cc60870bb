"""The ``tpe`` family: bit-weight-transformed tensor processing engines (Wu et al., HPCA 2025).

Modules: ``arith`` (bit-exact golden arithmetic), ``cost`` (PE inventories and critical paths),
``designs`` (architectures and cycle models), ``evaluate`` (area/energy/efficiency, published
comparison), ``model`` (the registered Model), ``realdata`` (the MiniLM INT8 sample),
``synth`` (Yosys gate counts of rtl/tpe), ``sweep_hooks`` (published ratios in sweep reports).
"""

from sim.core.registry import Family, register
from sim.models.tpe.model import SUPPORTED_KINDS, TpeArch, TpeModel
from sim.models.tpe.sweep_hooks import register as register_sweep_report

FAMILY = register(Family("tpe", TpeArch, TpeModel, frozenset(SUPPORTED_KINDS)))
register_sweep_report()

__all__ = ["FAMILY", "TpeArch", "TpeModel"]
