"""When and how long to wait before retrying a Graph request (pure; clock and randomness injected).

Graph asks clients to wait ``Retry-After`` seconds after a 429 and to keep backing off while throttled; 503 and
504 are transient too. Without a ``Retry-After`` we back off exponentially, capped, with jitter so that many
clients do not retry in lockstep.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import attrs

__all__ = [
    "ALWAYS_RETRYABLE",
    "RETRYABLE_IF_IDEMPOTENT",
    "Deadline",
    "RetryPolicy",
    "parse_retry_after",
    "retry_after_of",
]

#: Statuses that mean "not done, try again later": retried for any request, a create included.
ALWAYS_RETRYABLE: frozenset[int] = frozenset({429, 503})
#: Server errors that may or may not have carried the request out: retried only when repeating is harmless.
RETRYABLE_IF_IDEMPOTENT: frozenset[int] = frozenset({500, 502, 504})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header.

    Args:
        value: the header: delta-seconds (``"7"``, also fractional) or an HTTP date.
        now: the current time for HTTP dates (default: the system clock).

    Returns:
        Seconds (never negative), or ``None`` when the header is absent or unreadable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


def retry_after_of(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """:func:`parse_retry_after` of a header mapping (case-insensitive lookup)."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            return parse_retry_after(value, now=now)
    return None


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Capped exponential backoff with jitter.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        base_delay: the first backoff, in seconds.
        max_delay: no single wait is longer (also caps a server's ``Retry-After``).
        jitter: the fraction of each backoff that is randomised (0 = none, 1 = "full jitter").
    """

    max_retries: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.5

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based) when the server gave no ``Retry-After``."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempt - 1))
        spread: float = ceiling * self.jitter * rng.random()
        return ceiling * (1.0 - self.jitter) + spread

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry ``attempt``: the server's ``Retry-After`` when given, else :meth:`backoff`."""
        if retry_after is not None:
            return min(self.max_delay, retry_after)
        return self.backoff(attempt, rng)


@attrs.define
class Deadline:
    """An overall time budget measured on an injectable monotonic clock.

    Attributes:
        seconds: the budget, or ``None`` for no deadline.
        clock: monotonic seconds.
    """

    seconds: float | None
    clock: Callable[[], float]
    started: float = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float | None:
        """Seconds left (may be negative), or ``None`` without a deadline."""
        if self.seconds is None:
            return None
        return self.seconds - (self.clock() - self.started)

    def allows_wait(self, wait: float) -> bool:
        """Whether waiting ``wait`` seconds still leaves time for another attempt."""
        left = self.remaining()
        return left is None or wait < left
