"""Charts with matplotlib (the ``notebook`` extra), imported only when a chart is asked for.

Figures are built with ``matplotlib.figure.Figure`` on an Agg canvas, not with ``pyplot``: no global state, no
window, safe in threads and on servers without a display. Jupyter shows a returned Figure inline.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pinreset.exceptions import ConfigurationError
from pinreset.reports._tabular import INSTALL_HINT

if TYPE_CHECKING:
    from pinreset.reports._history import HistoryEntry

__all__ = ["bar_figure", "counts_figure", "figure_png", "history_figure", "join_build_figure", "png_data_uri"]

# Good/bad colours for the values pinreset reports; anything else is grey-blue.
_COLOURS = {
    "ready": "#2da44e", "ok": "#2da44e", "eligible": "#2da44e", "succeeded": "#2da44e",
    "destructive_only": "#d4a72c", "no_windows_hello": "#bf8700", "pending": "#d4a72c",
    "no_interactive_user": "#d4a72c", "not_collected": "#8c959f", "unknown": "#8c959f",
    "not_ready": "#cf222e", "not_eligible": "#cf222e", "error": "#cf222e", "conflict": "#cf222e",
    "os_too_old": "#cf222e", "not_joined": "#cf222e", "unreachable": "#a40e26", "auth_failed": "#a40e26",
    "timeout": "#a40e26", "command_failed": "#a40e26", "unparseable": "#a40e26",
}
_DEFAULT = "#54aeff"
_SERIES = ("#0969da", "#2da44e", "#d4a72c", "#cf222e", "#8250df", "#8c959f", "#bf3989", "#1b7c83")


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ConfigurationError(f"charts need matplotlib: {INSTALL_HINT}") from exc
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _bars(ax: Any, counts: Mapping[str, int], title: str, ylabel: str) -> None:
    labels = [str(k) for k in counts]
    values = [int(v) for v in counts.values()]
    bars = ax.bar(labels, values, color=[_COLOURS.get(k, _DEFAULT) for k in labels])
    ax.bar_label(bars, padding=2)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max([*values, 1]) * 1.15)
    ax.tick_params(axis="x", labelrotation=20)
    ax.spines[["top", "right"]].set_visible(False)


def bar_figure(counts: Mapping[str, int], *, title: str, ylabel: str = "devices") -> Any:
    """One bar per key of ``counts``, in order, coloured by what the key means (ready green, …).

    Raises:
        ConfigurationError: matplotlib is not installed.
    """
    fig = _figure(max(4.0, 1.1 * len(counts) + 2), 3.4)
    _bars(fig.add_subplot(), counts, title, ylabel)
    return fig


def counts_figure(panels: Sequence[tuple[str, Mapping[str, int]]], *, ylabel: str = "devices") -> Any:
    """Several bar charts side by side, one per ``(title, counts)`` panel (empty panels left out).

    Raises:
        ConfigurationError: matplotlib is not installed.
    """
    shown = [(t, c) for t, c in panels if c] or [(panels[0][0] if panels else "no data", {})]
    fig = _figure(max(4.5, 4.2 * len(shown)), 3.4)
    axes = fig.subplots(1, len(shown), squeeze=False)[0]
    for ax, (title, counts) in zip(axes, shown, strict=True):
        _bars(ax, counts, title, ylabel)
    return fig


def join_build_figure(pairs: Iterable[tuple[str | None, int | None]]) -> Any:
    """Devices by OS build (x axis), stacked by join type: one bar container per join type.

    Args:
        pairs: (join type, OS build) per device; ``None`` shows as ``unknown``.

    Raises:
        ConfigurationError: matplotlib is not installed.
    """
    counts = Counter((join or "unknown", str(build) if build is not None else "unknown") for join, build in pairs)
    builds = sorted({b for _, b in counts}, key=lambda b: (not b.isdigit(), int(b) if b.isdigit() else 0, b))
    joins = sorted({j for j, _ in counts})
    fig = _figure(max(5.0, 0.9 * len(builds) + 3), 3.6)
    ax = fig.add_subplot()
    bottom = [0] * len(builds)
    for n, join in enumerate(joins):
        heights = [counts.get((join, b), 0) for b in builds]
        ax.bar(builds, heights, bottom=bottom, label=join, color=_SERIES[n % len(_SERIES)])
        bottom = [x + h for x, h in zip(bottom, heights, strict=True)]
    ax.set_title("Devices by OS build and join type")
    ax.set_xlabel("OS build")
    ax.set_ylabel("devices")
    ax.tick_params(axis="x", labelrotation=20)
    if joins:
        ax.legend(title="join type", fontsize="small")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def history_figure(entries: Sequence[HistoryEntry], *, title: str = "Readiness over time") -> Any:
    """One line per category (``ready``, ``not_ready``, …) across runs, oldest first.

    Raises:
        ConfigurationError: matplotlib is not installed.
    """
    fig = _figure(7.0, 3.6)
    ax = fig.add_subplot()
    categories = list(dict.fromkeys(k for e in entries for k in e.counts))
    times = [e.time for e in entries]
    for n, category in enumerate(categories):
        ax.plot(times, [e.counts.get(category, 0) for e in entries], marker="o", label=category,
                color=_COLOURS.get(category, _SERIES[n % len(_SERIES)]))
    ax.set_title(title)
    ax.set_ylabel("devices")
    if categories:
        ax.legend(fontsize="small")
    fig.autofmt_xdate()
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def figure_png(fig: Any) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def png_data_uri(fig: Any) -> str:
    """The figure as a ``data:image/png;base64,…`` URI, for self-contained HTML."""
    return "data:image/png;base64," + base64.b64encode(figure_png(fig)).decode("ascii")


def save(fig: Any, path: str) -> None:
    """Write the figure as PNG to ``path``.

    Raises:
        ConfigurationError: the file cannot be written.
    """
    try:
        with open(path, "wb") as handle:  # noqa: PTH123 - a plain write of bytes
            handle.write(figure_png(fig))
    except OSError as exc:
        raise ConfigurationError(f"cannot write chart {path!r}: {exc.strerror or exc}") from exc
