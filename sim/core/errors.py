"""User-facing errors.

Every error a user can cause is a :class:`SimError` whose ``str()`` is one line of the form
``file:line: field.path: what is wrong (accepted: ...)``. The CLI prints it and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Location:
    """Where in an input file something is: file path, 1-based line (0 if unknown), field path."""

    file: str | Path | None = None
    line: int = 0
    field: str = ""

    def prefix(self) -> str:
        """Render as ``file:line: field: `` (parts that are unknown are left out)."""
        parts = []
        if self.file is not None:
            parts.append(f"{self.file}:{self.line}" if self.line else str(self.file))
        if self.field:
            parts.append(self.field)
        return "".join(p + ": " for p in parts)


class SimError(Exception):
    """An error caused by the user's input; rendered as one line, exit status 2."""

    exit_code = 2

    def __init__(self, message: str, where: Location | None = None,
                 accepted: str | None = None) -> None:
        self.message = message
        self.where = where or Location()
        self.accepted = accepted
        super().__init__(self.render())

    def render(self) -> str:
        """One line: ``file:line: field.path: message (accepted: ...)``."""
        text = " ".join(self.message.split())
        if self.accepted:
            text += f" (accepted: {self.accepted})"
        return self.where.prefix() + text


class UnsupportedOpError(SimError):
    """A trace operation that the chosen family cannot execute."""
