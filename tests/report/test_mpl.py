"""Report figures draw user text without mathtext, and log axes still get readable tick labels."""

from __future__ import annotations

import matplotlib.pyplot as plt

from sim.report.mpl import finish


def _tick_texts(log_x: bool, finished: bool) -> list[str]:
    fig, ax = plt.subplots()
    ax.plot([0.1, 1.0, 10.0], [1, 2, 3])
    if log_x:
        ax.set_xscale("log")
    if finished:
        finish(fig)
    fig.canvas.draw()
    texts = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    plt.close(fig)
    return texts


def test_log_ticks_are_plain_numbers_after_finish() -> None:
    texts = _tick_texts(log_x=True, finished=True)
    assert texts and not any("$" in t or "mathdefault" in t for t in texts)
    assert "1" in texts and "10" in texts


def test_without_finish_log_ticks_would_print_as_mathtext_code() -> None:
    # The control: mathtext is off for user text, so matplotlib's own log labels show as code.
    assert any("mathdefault" in t for t in _tick_texts(log_x=True, finished=False))


def test_a_dollar_in_a_title_is_text() -> None:
    fig, ax = plt.subplots()
    ax.set_title("cost $x$ and $")
    finish(fig)
    fig.canvas.draw()  # with mathtext on, the unpaired '$' raises ValueError here
    plt.close(fig)
