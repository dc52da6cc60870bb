"""Technology tables: energy, area, delay and power per component, per node, with sources.

Public API: :func:`load_tables`, :class:`TechTable`, :func:`cost`, :class:`Costing`.
"""

from sim.tech.costing import Costing, cost
from sim.tech.table import TechTable, TechValue, load_tables

__all__ = ["Costing", "TechTable", "TechValue", "cost", "load_tables"]
