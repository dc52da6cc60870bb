"""Matplotlib set-up shared by the report figures (Agg, no display).

Names in figures are user text (workload, op, sweep and parameter names), so mathtext is off:
a ``$`` in a name is drawn as a ``$``. Matplotlib's log-axis tick labels are themselves mathtext
(``$\\mathdefault{10^{-1}}$``), so :func:`finish` gives log axes plain-number labels before a
figure is written.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, LogFormatterMathtext

matplotlib.rcParams["text.parse_math"] = False


def finish(fig: Figure) -> None:
    """Replace every mathtext log-axis formatter of ``fig`` by a plain-number one (same base,
    same choice of labelled ticks)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            major, minor = axis.get_major_formatter(), axis.get_minor_formatter()
            if isinstance(major, LogFormatterMathtext):
                axis.set_major_formatter(_plain(major))
            if isinstance(minor, LogFormatterMathtext):
                axis.set_minor_formatter(_plain(minor))


def _plain(formatter: LogFormatterMathtext) -> LogFormatter:
    """A plain-text :class:`LogFormatter` configured as ``formatter``."""
    base = getattr(formatter, "_base", 10.0)  # matplotlib keeps the base private
    return LogFormatter(base=base, labelOnlyBase=formatter.labelOnlyBase,
                        minor_thresholds=formatter.minor_thresholds)
