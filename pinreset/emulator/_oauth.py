"""The identity platform's vocabulary: its errors, the signed-in user, pending device code flows.

Shared by the client-authentication and grant modules; nothing here touches HTTP beyond rendering an error.
"""

from __future__ import annotations

import datetime
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from pinreset.emulator._http import Response

__all__ = [
    "FLOW_LIMIT", "DeviceFlow", "DeviceFlows", "IdentityError", "RefreshGrant", "SignInUser", "error_response",
    "required",
]


class IdentityError(Exception):
    """A token request refused, with the identity platform's error and AADSTS code.

    Args:
        status: HTTP status (400, or 401 for failed client authentication).
        error: the OAuth error, e.g. ``invalid_client``.
        code: the AADSTS number, e.g. ``7000215``.
        message: the description after ``AADSTS<code>: ``.
    """

    def __init__(self, status: int, error: str, code: int, message: str) -> None:
        super().__init__(f"AADSTS{code}: {message}")
        self.status = status
        self.error = error
        self.code = code
        self.message = message


def error_response(exc: IdentityError, *, correlation: str | None, now: float) -> Response:
    """Render ``exc`` as the identity platform does, echoing the client's ``client-request-id``."""
    trace_id = str(uuid.uuid4())
    correlation_id = correlation or str(uuid.uuid4())
    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    timestamp = stamp.strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": exc.error,
        "error_description": (
            f"AADSTS{exc.code}: {exc.message} Trace ID: {trace_id} Correlation ID: {correlation_id} "
            f"Timestamp: {timestamp}"
        ),
        "error_codes": [exc.code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={exc.code}",
    }
    headers = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache"}
    return Response(exc.status, headers, json.dumps(body).encode())


@attrs.frozen
class SignInUser:
    """The user who signs in through the device code flow.

    Attributes:
        object_id: the user's object id (``oid``).
        user_principal_name: ``upn`` / ``preferred_username``.
        display_name: ``name``.
    """

    object_id: str
    user_principal_name: str
    display_name: str


@attrs.define
class DeviceFlow:
    """One pending device code sign-in (mutable: polling updates it)."""

    client_id: str
    scopes: frozenset[str]
    audience: str
    created: float
    expires: float
    interval: int
    requested: tuple[str, ...]
    last_poll: float | None = None
    redeemed: bool = False


@attrs.define
class RefreshGrant:
    """What a refresh token stands for."""

    client_id: str
    scopes: frozenset[str]
    audience: str


FLOW_LIMIT = 10_000  # pending flows kept; a client starting flows in a loop must not grow memory without end


class DeviceFlows:
    """The pending device code flows, keyed by device code (at most :data:`FLOW_LIMIT`, oldest dropped first).
    Thread-safe."""

    def __init__(self, config: Any, *, now: Callable[[], float]) -> None:
        self._config = config
        self._now = now
        self._lock = threading.Lock()
        self._flows: dict[str, DeviceFlow] = {}

    def start(
        self, client_id: str, scopes: frozenset[str], audience: str, requested: tuple[str, ...]
    ) -> tuple[str, DeviceFlow]:
        """Register a new flow and return its device code."""
        now = self._now()
        flow = DeviceFlow(
            client_id=client_id,
            scopes=scopes,
            audience=audience,
            created=now,
            expires=now + self._config.device_code_lifetime,
            interval=self._config.device_code_interval,
            requested=requested,
        )
        code = secrets.token_urlsafe(48)
        with self._lock:
            # Expired flows stay an hour so that a late poll hears "expired", not "unknown code".
            self._flows = {k: v for k, v in self._flows.items() if v.expires > now - 3600}
            while len(self._flows) >= FLOW_LIMIT:
                del self._flows[next(iter(self._flows))]  # dicts keep insertion order: the oldest goes
            self._flows[code] = flow
        return code, flow

    def get(self, code: str) -> DeviceFlow | None:
        """The flow for ``code``, or ``None``."""
        return self._flows.get(code)

    @property
    def lock(self) -> threading.Lock:
        """Held while a poll inspects and updates a flow."""
        return self._lock


def required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise IdentityError(
            400, "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'."
        )
    return value
