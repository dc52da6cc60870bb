"""Content hashes for provenance: stable across runs and machines."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def stable_hash(data: Any) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of ``data``."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def bytes_hash(data: bytes) -> str:
    """SHA-256 (first 16 hex digits) of raw bytes."""
    return hashlib.sha256(data).hexdigest()[:16]
