"""Intune's documented request limits, enforced per tenant and per application per tenant.

Graph's throttling guidance documents, for each Intune service family, limits per 20 seconds:

=====================  ===================================  =====================================
family                 writes (POST/PUT/PATCH/DELETE)        any request
                       per tenant / per app per tenant       per tenant / per app per tenant
=====================  ===================================  =====================================
deviceConfiguration    200 / 100                             2000 / 1000
deviceConfigV2         200 / 100                             2000 / 1000
devices                400 / 200                             4000 / 2000
=====================  ===================================  =====================================

The emulator counts requests in sliding 20-second windows on a monotonic clock. A request over any limit is
answered ``429 TooManyRequests`` with ``Retry-After`` (whole seconds until the oldest counted request leaves the
window, at least 1) and is not counted. Directory endpoints get a generous limit of their own.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

import attrs

from pinreset.emulator._errors import GraphProblem

__all__ = ["DEFAULT_LIMITS", "Limits", "ThrottleConfig", "Throttler"]


@attrs.frozen
class Limits:
    """One family's limits per window: writes and all requests, per tenant and per app."""

    tenant_writes: int
    app_writes: int
    tenant_all: int
    app_all: int


DEFAULT_LIMITS: dict[str, Limits] = {
    "deviceConfiguration": Limits(tenant_writes=200, app_writes=100, tenant_all=2000, app_all=1000),
    "deviceConfigV2": Limits(tenant_writes=200, app_writes=100, tenant_all=2000, app_all=1000),
    "devices": Limits(tenant_writes=400, app_writes=200, tenant_all=4000, app_all=2000),
    # Not one of Intune's families: Entra's own limits are far higher for the few calls made here.
    "directory": Limits(tenant_writes=3000, app_writes=3000, tenant_all=30000, app_all=30000),
}


@attrs.frozen(kw_only=True)
class ThrottleConfig:
    """How the Graph application throttles.

    Attributes:
        enabled: switch throttling off entirely with ``False``.
        window_seconds: the counting window (Intune: 20 s).
        scale: multiply every limit (e.g. ``0.01`` to hit limits in a fast test); results are at least 1.
        limits: per-family overrides of :data:`DEFAULT_LIMITS`.
        clock: monotonic seconds (inject a fake in tests).
    """

    enabled: bool = True
    window_seconds: float = 20.0
    scale: float = 1.0
    limits: Mapping[str, Limits] = attrs.field(factory=dict)
    clock: Callable[[], float] = time.monotonic

    def limits_for(self, family: str) -> Limits:
        """The effective (scaled) limits of a family."""
        base = self.limits.get(family) or DEFAULT_LIMITS.get(family) or DEFAULT_LIMITS["directory"]
        if self.scale == 1.0:
            return base
        return Limits(*(max(1, int(v * self.scale)) for v in attrs.astuple(base)))


class Throttler:
    """Sliding-window counters keyed by (family, scope, kind); thread-safe."""

    def __init__(self, config: ThrottleConfig | None = None) -> None:
        self.config = config or ThrottleConfig()
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str, str], deque[float]] = {}
        self._limits: dict[str, Limits] = {}

    def check(self, family: str, app_id: str, *, write: bool) -> None:
        """Count one request, or refuse it.

        Raises:
            GraphProblem: 429 ``TooManyRequests`` with a ``Retry-After`` header when a limit is reached.
        """
        config = self.config
        if not config.enabled:
            return
        limits = self._limits.get(family)
        if limits is None:
            limits = self._limits[family] = config.limits_for(family)
        keys = [((family, "tenant", "all"), limits.tenant_all), ((family, app_id, "all"), limits.app_all)]
        if write:
            keys += [((family, "tenant", "write"), limits.tenant_writes),
                     ((family, app_id, "write"), limits.app_writes)]
        now = config.clock()
        horizon = now - config.window_seconds
        with self._lock:
            wait = 0.0
            windows = []
            for key, limit in keys:
                window = self._windows.get(key)
                if window is None:
                    window = self._windows[key] = deque()
                while window and window[0] <= horizon:
                    window.popleft()
                if len(window) >= limit:
                    wait = max(wait, window[len(window) - limit] + config.window_seconds - now)
                windows.append(window)
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                raise GraphProblem(
                    429,
                    "TooManyRequests",
                    "Too many requests: the application or tenant exceeded the service's request limit. "
                    f"Retry after {retry_after} seconds.",
                    headers={"Retry-After": str(retry_after)},
                )
            for window in windows:
                window.append(now)

    def reset(self) -> None:
        """Forget every counted request."""
        with self._lock:
            self._windows.clear()
