"""The built-in model families: one subpackage each, published as a ``sim.family.Family`` record
through the ``accel_sim.families`` entry-point group (``pyproject.toml``)."""
