"""Live progress of a sweep (rich): bar, points done, rate, ETA and failures.

Quiet when the output is not a terminal or ``CI`` is set, so logs stay clean.
"""

from __future__ import annotations

import os
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Points per second."""

    def render(self, task: Task) -> Text:
        """``12.3 pts/s`` (blank until known)."""
        speed = task.speed
        return Text(f"{speed:,.1f} pts/s" if speed else "", style="cyan")


def interactive(console: Console | None = None) -> bool:
    """Whether a live display makes sense: a terminal, and not CI."""
    console = console or Console(stderr=True)
    return console.is_terminal and not os.environ.get("CI")


class SweepProgress:
    """Context manager: ``with SweepProgress(total, done) as bar: bar.advance(ok, failed)``."""

    def __init__(self, total: int, done: int = 0, failed: int = 0, enabled: bool | None = None,
                 console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = interactive(self.console) if enabled is None else enabled
        self.failed = failed
        self.progress = Progress(
            TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), RateColumn(),
            TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
            console=self.console, disable=not self.enabled, transient=False)
        self.task = self.progress.add_task("sweep", total=total, completed=done, failed=failed)

    def __enter__(self) -> SweepProgress:
        self.progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()

    def advance(self, ok: int, failed: int) -> None:
        """Count newly finished points."""
        self.failed += failed
        self.progress.update(self.task, advance=ok + failed, failed=self.failed)
