"""Client-side pacing under Intune's documented per-app request limits.

Intune throttles per service family and per app per tenant, with separate limits for writes and for all
requests, over 20-second windows (domain facts in docs/graph-backend.md). Sending at most that many requests in
*any* 20-second window keeps bulk work under the limit instead of bouncing off 429s. A token bucket that starts
full would let ``capacity + rate x window`` requests through one window, so the limiter keeps a sliding log of
send times instead: the exact bound, with memory proportional to the limit (a few thousand floats at most).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import attrs

__all__ = ["INTUNE_LIMITS", "MARGIN_FRACTION", "FamilyLimit", "Pacer", "SlidingWindow", "service_family"]


@attrs.frozen
class FamilyLimit:
    """Per-app-per-tenant limits of one Intune service family.

    Attributes:
        writes: POST/PUT/PATCH/DELETE allowed per window.
        total: requests of any method allowed per window.
        window: the window length in seconds.
    """

    writes: int
    total: int
    window: float = 20.0


#: Intune's per-app-per-tenant limits (Graph throttling docs, Intune sections).
INTUNE_LIMITS: dict[str, FamilyLimit] = {
    "device_configuration": FamilyLimit(writes=100, total=1000),
    "device_config_v2": FamilyLimit(writes=100, total=1000),
    "devices": FamilyLimit(writes=200, total=2000),
}

_FAMILY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/devicemanagement/manageddevices", "devices"),
    ("/devicemanagement/comanageddevices", "devices"),
    ("/devicemanagement/remoteactionaudits", "devices"),
    ("/devicemanagement/configurationpolicies", "device_config_v2"),
    ("/devicemanagement/configurationpolicytemplates", "device_config_v2"),
    ("/devicemanagement/configurationsettings", "device_config_v2"),
    ("/devicemanagement/deviceconfigurations", "device_configuration"),
)


def service_family(url: str) -> str | None:
    """The Intune service family a Graph URL belongs to, or ``None`` when it is not paced.

    Args:
        url: absolute URL or path, with or without ``/v1.0``/``/beta``.
    """
    path = urlsplit(url).path.lower()
    for version in ("/v1.0", "/beta"):
        if path.startswith(version + "/"):
            path = path[len(version) :]
            break
    if not path.startswith("/"):
        path = "/" + path
    for prefix, family in _FAMILY_PREFIXES:
        if path == prefix or path.startswith((prefix + "/", prefix + "(")):
            return family
    return None


#: Extra length added to each window, as a fraction of it (0.25 s per 20 s): requests sent exactly one window
#: apart can arrive slightly closer together, and the server counts arrivals.
MARGIN_FRACTION = 0.0125


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds (plus ``margin`` seconds for network jitter)."""

    def __init__(self, limit: int, window: float, *, margin: float = 0.25) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a sliding window needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window + margin
        self._sent: deque[float] = deque()

    def wait_time(self, now: float, count: int = 1) -> float:
        """Seconds until ``count`` more events are allowed together (0 when they are allowed now).

        More than ``limit`` events can never fit; they are let through once the window is empty.
        """
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        count = min(max(count, 1), self.limit)
        if len(self._sent) + count <= self.limit:
            return 0.0
        # The oldest events must leave until ``count`` free places remain.
        return self._sent[len(self._sent) + count - self.limit - 1] + self.window - now

    def record(self, now: float) -> None:
        """Count one event at ``now``."""
        self._sent.append(now)


class Pacer:
    """Blocks before each request until its service family's limits allow it; thread-safe.

    Args:
        limits: family -> limits (default: :data:`INTUNE_LIMITS`).
        clock: monotonic seconds (injectable for tests).
        sleep: how to wait (injectable for tests).
        margin_fraction: each window is lengthened by this fraction of itself (default
            :data:`MARGIN_FRACTION`, 0.25 s per 20 s), so scaled-down windows keep a proportional margin.
    """

    def __init__(
        self,
        limits: dict[str, FamilyLimit] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        margin_fraction: float = MARGIN_FRACTION,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, bool], SlidingWindow] = {}
        for family, limit in (limits if limits is not None else INTUNE_LIMITS).items():
            margin = limit.window * margin_fraction
            self._windows[(family, True)] = SlidingWindow(limit.writes, limit.window, margin=margin)
            self._windows[(family, False)] = SlidingWindow(limit.total, limit.window, margin=margin)
        self.waited = 0.0  # total seconds spent waiting, for benchmarks and logs

    def _windows_for(self, method: str, url: str) -> list[SlidingWindow]:
        family = service_family(url)
        if family is None or (family, False) not in self._windows:
            return []
        write = method.upper() in ("POST", "PUT", "PATCH", "DELETE")
        return [self._windows[(family, False)]] + ([self._windows[(family, True)]] if write else [])

    def wait_time(self, method: str, url: str) -> float:
        """Seconds :meth:`acquire` would wait now for this request (nothing is counted)."""
        return self.wait_time_all([(method, url)])

    def _counts(self, requests: Sequence[tuple[str, str]]) -> dict[int, tuple[SlidingWindow, int]]:
        counts: dict[int, tuple[SlidingWindow, int]] = {}
        for method, url in requests:
            for window in self._windows_for(method, url):
                counts[id(window)] = (window, counts.get(id(window), (window, 0))[1] + 1)
        return counts

    def wait_time_all(self, requests: Sequence[tuple[str, str]]) -> float:
        """Seconds until all ``(method, url)`` requests may be sent together (nothing is counted)."""
        counts = self._counts(requests)
        with self._lock:
            now = self._clock()
            return max((w.wait_time(now, n) for w, n in counts.values()), default=0.0)

    def acquire_all(self, requests: Sequence[tuple[str, str]]) -> float:
        """Wait until all ``(method, url)`` requests may be sent together, then count them all at once.

        Requests that travel in one ``$batch`` arrive together, so they are counted at the same moment: counting
        them one by one with a wait in between would date the earlier ones too early.

        Returns:
            Seconds waited.
        """
        counts = self._counts(requests)
        if not counts:
            return 0.0
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                wait = max(w.wait_time(now, n) for w, n in counts.values())
                if wait <= 0:
                    for w, n in counts.values():
                        for _ in range(n):
                            w.record(now)
                    break
                self._sleep(wait)
                waited += wait
            self.waited += waited
        return waited

    def acquire(self, method: str, url: str) -> float:
        """Wait until a ``method`` request to ``url`` may be sent, then count it.

        Returns:
            Seconds waited.
        """
        windows = self._windows_for(method, url)
        if not windows:
            return 0.0
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                wait = max(w.wait_time(now) for w in windows)
                if wait <= 0:
                    for w in windows:
                        w.record(now)
                    break
                self._sleep(wait)
                waited += wait
            self.waited += waited
        return waited
