"""Progress on stderr for long operations: tqdm when installed, else a counter; silent when not on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["Progress"]


class Progress:
    """A ``(done, total)`` callback that draws progress on stderr, only when stderr is a TTY.

    Use as a context manager so the bar is closed (and the line ended) whatever happens.
    """

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        self._last = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        known = total if total > 0 else None  # 0: the total is not known in advance (a streamed listing)
        if self._bar is None:
            self._bar = _make_bar(self.label, known)
        if isinstance(self._bar, _Counter):
            self._bar.show(done, known)
        else:
            if self._bar.total != known:
                self._bar.total = known
            self._bar.update(max(0, done - self._last))
        self._last = done

    def close(self) -> None:
        """End the bar's line."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._last = 0


class _Counter:
    """The fallback: ``label: done/total`` rewritten in place."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.drawn = False

    def show(self, done: int, total: int | None) -> None:
        sys.stderr.write(f"\r{self.label}: {done}" + (f"/{total}" if total else ""))
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")


def _make_bar(label: str, total: int | None) -> Any:
    try:
        import tqdm
    except ImportError:
        return _Counter(label)
    factory: Callable[..., Any] = tqdm.tqdm
    return factory(total=total, desc=label, file=sys.stderr, leave=False, unit="record" if total is None else "device")
