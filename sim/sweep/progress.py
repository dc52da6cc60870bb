"""Progress of a sweep: points done, rate, ETA and failures.

On a terminal a live bar (rich); otherwise (a log file, CI) one plain line at most every
``LINE_EVERY_S`` seconds or each tenth of the points, and one at the end.
"""

from __future__ import annotations

import os
import time
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


LINE_EVERY_S = 10.0
"""Longest gap (s) between two progress lines when the output is not a terminal."""


def duration(seconds: float) -> str:
    """``75`` -> ``1m15s``; ``3700`` -> ``1h01m``."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class ProgressLines:
    """Plain progress lines (no terminal control codes) for logs."""

    def __init__(self, console: Console, total: int, done: int, failed: int) -> None:
        self.console, self.total, self.done, self.failed = console, total, done, failed
        self.start_done = self.printed = done
        self.started = self.last = time.monotonic()
        self.next_tenth = self._tenth_after(done)

    def _tenth_after(self, done: int) -> int:
        step = max(1, self.total // 10)
        return (done // step + 1) * step

    def advance(self, ok: int, failed: int) -> None:
        """Count finished points; print a line when a tenth is passed or time is up."""
        self.done += ok + failed
        self.failed += failed
        now = time.monotonic()
        if self.done >= self.next_tenth or now - self.last >= LINE_EVERY_S:
            self.next_tenth = self._tenth_after(self.done)
            self.line(now)

    def line(self, now: float | None = None) -> None:
        """One line: done/total, failures, rate, elapsed and ETA."""
        now = time.monotonic() if now is None else now
        self.last, self.printed = now, self.done
        elapsed = now - self.started
        rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
        eta = f", ETA {duration((self.total - self.done) / rate)}" if rate and \
            self.done < self.total else ""
        self.console.print(f"sweep: {self.done}/{self.total} points, {self.failed} failed, "
                           f"{rate:,.1f} pts/s, {duration(elapsed)} elapsed{eta}",
                           markup=False, highlight=False)


class SweepProgress:
    """Context manager: ``with SweepProgress(total, done) as bar: bar.advance(ok, failed)``.

    ``enabled``: None = a bar on a terminal, progress lines otherwise; True = the bar; False =
    nothing (``-q``)."""

    def __init__(self, total: int, done: int = 0, failed: int = 0, enabled: bool | None = None,
                 console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = interactive(self.console) if enabled is None else enabled
        self.lines = ProgressLines(self.console, total, done, failed) \
            if enabled is None and not self.enabled else None
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
        if self.lines is not None and self.lines.printed != self.lines.done:
            self.lines.line()  # the last state, unless its line is out already

    def advance(self, ok: int, failed: int) -> None:
        """Count newly finished points."""
        if self.lines is not None:
            self.lines.advance(ok, failed)
        self.failed += failed
        self.progress.update(self.task, advance=ok + failed, failed=self.failed)
