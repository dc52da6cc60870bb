"""accel-sim: cycle-level ML accelerator simulator and design-space explorer."""

__version__ = "0.1.0"
