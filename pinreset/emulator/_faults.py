"""Seeded transport-level faults: what an unreliable network and an overloaded service do to a client.

A :class:`FaultInjector` decides, request by request and reproducibly from a seed, whether to misbehave:

- ``error``: answer 500/502/503/504 with Graph's error body (optionally ``Retry-After``) without touching the
  tenant, as a gateway in front of a busy service does;
- ``slow``: answer correctly after a delay;
- ``drop``: close the connection without answering;
- ``truncate``: send the headers and only part of the body, then close.

A dropped request may or may not have been carried out before the connection broke (``drop_after_processing``):
that is the case that punishes a client which blindly re-sends a create. Throttling (429) is the Graph
application's business, not this module's. Identity requests are spared unless ``include_identity`` is set.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Mapping

import attrs

from pinreset.emulator._http import Response
from pinreset.exceptions import ConfigurationError

__all__ = ["FaultConfig", "FaultDecision", "FaultInjector", "graph_server_error"]

FAULT_KINDS: tuple[str, ...] = ("error", "slow", "drop", "truncate")

_ERROR_CODES = {
    500: ("generalException", "An unexpected error occurred while processing the request."),
    502: ("BadGateway", "The gateway received an invalid response from the upstream service."),
    503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The upstream service did not respond in time."),
}


def _check_rate(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigurationError(f"{attribute.name} must be between 0 and 1, not {value!r}")


def _check_kinds(
    _instance: object, _attribute: attrs.Attribute[Mapping[str, float]], value: Mapping[str, float]
) -> None:
    unknown = set(value) - set(FAULT_KINDS)
    if unknown:
        raise ConfigurationError(f"unknown fault kinds {sorted(unknown)}; choose from {list(FAULT_KINDS)}")
    if any(w < 0 for w in value.values()) or not any(w > 0 for w in value.values()):
        raise ConfigurationError("fault weights must be non-negative and not all zero")


@attrs.frozen(kw_only=True)
class FaultConfig:
    """Which faults to inject, how often, reproducibly.

    Attributes:
        rate: fraction of eligible requests that get a fault (0 to 1).
        kinds: relative weights of the fault kinds (``error``, ``slow``, ``drop``, ``truncate``).
        statuses: the 5xx statuses ``error`` faults choose from.
        retry_after: ``Retry-After`` seconds sent with 503 and 504 errors, or ``None`` for none.
        slow_seconds: the delay of ``slow`` faults.
        drop_after_processing: fraction of ``drop`` faults that happen after the request was carried out.
        include_identity: inject faults into sign-in requests too.
        seed: makes the sequence of decisions reproducible.
    """

    rate: float = attrs.field(default=0.1, validator=_check_rate)
    kinds: Mapping[str, float] = attrs.field(
        factory=lambda: {"error": 1.0, "slow": 1.0, "drop": 1.0, "truncate": 1.0}, validator=_check_kinds
    )
    statuses: tuple[int, ...] = (500, 502, 503, 504)
    retry_after: int | None = 1
    slow_seconds: float = 0.2
    drop_after_processing: float = attrs.field(default=0.5, validator=_check_rate)
    include_identity: bool = False
    seed: int = 0


@attrs.frozen
class FaultDecision:
    """What to do to one request.

    Attributes:
        kind: one of ``error``, ``slow``, ``drop``, ``truncate``.
        status: the status of an ``error`` fault.
        process: whether the request is still handed to the application (a ``drop`` after processing, a
            ``slow`` or ``truncate`` fault).
    """

    kind: str
    status: int | None = None
    process: bool = True


class FaultInjector:
    """Makes reproducible fault decisions and counts what it injected. Thread-safe.

    Args:
        config: the fault configuration.
    """

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._kinds = [k for k in FAULT_KINDS if config.kinds.get(k, 0) > 0]
        self._weights = [config.kinds[k] for k in self._kinds]
        self._counts: Counter[str] = Counter()

    def decide(self, *, identity: bool = False) -> FaultDecision | None:
        """Decide the fate of the next request.

        Args:
            identity: whether the request goes to the identity endpoints.

        Returns:
            A fault to act out, or ``None`` to answer normally.
        """
        config = self.config
        if config.rate <= 0 or (identity and not config.include_identity):
            return None
        with self._lock:
            if self._rng.random() >= config.rate:
                return None
            kind = self._rng.choices(self._kinds, self._weights)[0]
            status = self._rng.choice(config.statuses) if kind == "error" else None
            process = kind != "error" and (kind != "drop" or self._rng.random() < config.drop_after_processing)
            self._counts[kind] += 1
            if status is not None:
                self._counts[str(status)] += 1
        return FaultDecision(kind=kind, status=status, process=process)

    @property
    def counts(self) -> dict[str, int]:
        """Injected faults so far, by kind (``error``, ``slow``, ``drop``, ``truncate``) and by 5xx status."""
        with self._lock:
            return dict(self._counts)

    @property
    def total(self) -> int:
        """How many requests got a fault."""
        counts = self.counts
        return sum(counts.get(kind, 0) for kind in FAULT_KINDS)

    def __repr__(self) -> str:
        return f"FaultInjector(rate={self.config.rate}, injected={self.total})"


def graph_server_error(
    status: int, retry_after: int | None, now_iso: str, client_request_id: str | None = None
) -> Response:
    """A 5xx with Graph's error body, as Graph's front end answers when a service is unavailable."""
    code, message = _ERROR_CODES.get(status, ("generalException", "An unexpected error occurred."))
    request_id = str(uuid.uuid4())
    inner = {"date": now_iso, "request-id": request_id, "client-request-id": client_request_id or request_id}
    payload = {"error": {"code": code, "message": message, "innerError": inner}}
    headers = {"request-id": request_id, "client-request-id": inner["client-request-id"]}
    if retry_after is not None and status in (503, 504):
        headers["Retry-After"] = str(retry_after)
    return Response.json_body(status, payload, headers)
