"""Progress display: bar with points, rate, ETA and failures on a terminal; silent otherwise."""

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


def test_quiet_without_terminal_or_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    plain = Console(file=buffer, force_terminal=False)
    monkeypatch.delenv("CI", raising=False)
    assert not interactive(plain)
    monkeypatch.setenv("CI", "1")
    assert not interactive(terminal(io.StringIO()))
    with SweepProgress(5, console=plain) as bar:
        bar.advance(5, 0)
    assert buffer.getvalue() == ""
