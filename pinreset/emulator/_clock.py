"""The emulator's simulated wall clock.

Every timestamp the emulated tenant hands out (``createdDateTime``, ``lastSyncDateTime``, error dates) comes from
one :class:`SimClock`. It starts at an instant derived from the seed, so two tenants generated with the same seed
agree byte for byte, and it only moves when told to: tests advance it to make devices check in, without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

__all__ = ["SimClock"]

# A Monday morning, so generated "last sync" times look like a working week.
_EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)


class SimClock:
    """A deterministic, advanceable, thread-safe clock.

    Args:
        seed: picks the starting instant (``2026-01-05 09:00 UTC`` plus ``seed % 256`` days).
        start: an explicit aware starting instant, overriding ``seed``.
    """

    def __init__(self, seed: int = 0, *, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("SimClock start must be timezone-aware")
        self._now = (start or _EPOCH + timedelta(days=seed % 256)).astimezone(timezone.utc)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        """The current simulated instant (aware, UTC)."""
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and tell the listeners (e.g. the tenant's device check-ins).

        Args:
            seconds: how far to move; must not be negative.

        Returns:
            The new current instant.

        Raises:
            ValueError: when ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError("a simulated clock only moves forward")
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            now = self._now
            listeners = list(self._listeners)
        for listener in listeners:
            listener(now)
        return now

    def subscribe(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(now)`` after every :meth:`advance`."""
        with self._lock:
            self._listeners.append(listener)

    def __repr__(self) -> str:
        return f"SimClock(now={self._now.isoformat()})"
