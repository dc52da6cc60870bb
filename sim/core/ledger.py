"""The action ledger: how many times each component performed each action.

Energy is applied after simulation (ledger x technology table), so re-costing a result for
another node needs no re-simulation. Keys are ``component.action``, e.g. ``pe.mac_int8``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class Ledger(Mapping[str, float]):
    """Counts of actions keyed ``"component.action"`` (counts are floats to allow bit counts)."""

    def __init__(self, counts: Mapping[str, float] | None = None) -> None:
        self._counts: dict[str, float] = {}
        for key, value in (counts or {}).items():
            self.add(key, value)

    def add(self, key: str, count: float = 1.0) -> None:
        """Add ``count`` occurrences of action ``key`` (``component.action``)."""
        if key.count(".") < 1:
            raise ValueError(f"ledger key {key!r} must look like 'component.action'")
        if count < 0:
            raise ValueError(f"ledger count for {key!r} is negative: {count}")
        self._counts[key] = self._counts.get(key, 0.0) + float(count)

    def merge(self, other: Mapping[str, float], scale: float = 1.0) -> None:
        """Add every count of ``other`` (times ``scale``) into this ledger."""
        for key, value in other.items():
            self.add(key, value * scale)

    def __getitem__(self, key: str) -> float:
        return self._counts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._counts))

    def __len__(self) -> int:
        return len(self._counts)

    def as_dict(self) -> dict[str, float]:
        """Plain sorted dict, for JSON."""
        return {k: self._counts[k] for k in sorted(self._counts)}

    @staticmethod
    def split(key: str) -> tuple[str, str]:
        """Split ``"a.b.c"`` into component ``"a.b"`` and action ``"c"``."""
        component, _, action = key.rpartition(".")
        return component, action
