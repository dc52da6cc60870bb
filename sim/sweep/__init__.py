"""Design-space sweeps: samplers, executors (local processes, Dask), SQLite store, Pareto."""
