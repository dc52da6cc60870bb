"""Evaluation of design points: workload files resolved against the installed families,
simulation, costing and efficiency metrics, and the trace commands that need the families."""
