"""Workload traces: the schema, loading, generators and (optional) extractors from real models."""
