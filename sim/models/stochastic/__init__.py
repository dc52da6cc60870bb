"""The ``stochastic`` family: memristor stochastic number encoders, stochastic logic on bit-packed
streams, stochastic vs binary Roberts-cross edge detection under bit-flip noise, and its cost.

Modules: ``device`` (switching models), ``streams`` (packed streams, gates, SCC), ``sng`` (LFSR,
Sobol, memristor SNEs), ``roberts`` (both operators; golden model of ``rtl/sc``), ``metrics``
(PSNR, SSIM, F1), ``cost`` (cells, GE, transistors, ledger per pixel), ``synth`` (Yosys counts),
``model`` (the registered model), ``figures`` (report figures and tables).
"""

from sim.core.registry import Family, register
from sim.models.stochastic.arch import StochasticArch
from sim.models.stochastic.model import SUPPORTED_KINDS, StochasticModel, build

FAMILY = register(Family("stochastic", StochasticArch, build, SUPPORTED_KINDS))

__all__ = ["FAMILY", "StochasticArch", "StochasticModel"]
