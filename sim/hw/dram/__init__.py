"""Reusable HBM DRAM timing model: organisation/timing/controller presets (``config``), address
mapping (``address``), a controller with DRAMsim3's structure, readable reference path and
compiled fast path (``controller``), trace replay (``replay``, ``trace``), and sustained-bandwidth
helpers for bulk transfers (``stream``).

Import the submodule you need: the package itself imports nothing, so a model that only reads
the presets does not load the controller, numpy or numba."""
