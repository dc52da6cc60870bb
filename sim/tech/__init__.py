"""Technology tables: energy, area, delay and power per component, per node, with sources.

Public API: :func:`load_tables`, :class:`TechTable`, :func:`cost`, :class:`Costing`,
:func:`report` (energy/area breakdown + efficiency of a Result), :func:`critical_path`
(delay of the slowest chain of components and the clock it allows).
"""

from sim.tech.breakdown import TechReport, print_report, report
from sim.tech.costing import Costing, area_um2, cost, efficiency, energy_pj
from sim.tech.delay import PathTiming, critical_path, max_frequency_mhz, path_timing
from sim.tech.table import TechTable, TechValue, load_tables

__all__ = ["Costing", "PathTiming", "TechReport", "TechTable", "TechValue", "area_um2", "cost",
           "critical_path", "efficiency", "energy_pj", "load_tables", "max_frequency_mhz",
           "path_timing", "print_report", "report"]
