"""Accelerator families; each subpackage registers itself with :mod:`sim.core.registry`."""
