"""YAML specs: loading with line tracking, pydantic schemas, one-line errors with file:line."""
