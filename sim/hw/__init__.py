"""Reusable hardware blocks with cycle behaviour and action counts."""
