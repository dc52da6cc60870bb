"""Progress display: bar with points, rate, ETA and failures on a terminal; plain lines (each
tenth of the points, at most every few seconds, and at the end) otherwise; silent on request."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from sim.sweep.progress import SweepProgress, interactive


def terminal(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=True, width=150)


def test_bar_shows_counts_rate_and_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    buffer = io.StringIO()
    with SweepProgress(10, done=2, failed=1, console=terminal(buffer)) as bar:
        assert bar.enabled
        bar.advance(3, 1)
        bar.advance(2, 0)
        bar.progress.refresh()
    text = buffer.getvalue()
    assert "8/10" in text
    assert "2 failed" in text
    assert "pts/s" in text and "ETA" in text


def test_lines_without_terminal_or_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    plain = Console(file=buffer, force_terminal=False, width=200)
    monkeypatch.delenv("CI", raising=False)
    assert not interactive(plain)
    monkeypatch.setenv("CI", "1")
    assert not interactive(terminal(io.StringIO()))
    with SweepProgress(100, done=10, console=plain) as bar:
        for _ in range(9):
            bar.advance(9, 1)
        bar.advance(0, 0)
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("sweep: 20/100 points, 1 failed, ")
    assert lines[-1].startswith("sweep: 100/100 points, 9 failed, ")
    assert len(lines) == 9 and "\x1b" not in buffer.getvalue()  # a line per tenth, no codes


def test_silent_on_request() -> None:
    buffer = io.StringIO()
    with SweepProgress(5, console=Console(file=buffer), enabled=False) as bar:
        bar.advance(5, 0)
    assert buffer.getvalue() == ""
