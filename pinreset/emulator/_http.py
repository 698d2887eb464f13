"""The seam between the emulator's HTTP front ends and its applications.

Both ways into the emulator -- the in-process httpx transport and the threaded loopback HTTPS server --
turn what arrived into a :class:`Request`, hand it to an application (identity or Graph), and send back
the :class:`Response`. Applications never see sockets, so the same code answers both, and tests of the
Graph surface need no network.

This module imports nothing from the client side of pinreset (backends, converter, models): the emulator
is built from Microsoft's documented shapes, independently of what our own client sends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

import attrs


@attrs.frozen
class Request:
    """One HTTP request as an application sees it.

    Attributes:
        method: upper-case HTTP method.
        path: the percent-decoded path, e.g. ``/v1.0/servicePrincipals``.
        query: percent-decoded query parameters; a repeated name keeps its last value.
        headers: header names lower-cased.
        body: the raw body.
        raw_query: the query string as sent, for building ``@odata.nextLink``.
    """

    method: str
    path: str
    query: Mapping[str, str] = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    raw_query: str = ""

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body); raises ``ValueError`` when it is not JSON (nesting
        too deep for the parser included)."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


@attrs.frozen
class Response:
    """One HTTP response produced by an application.

    Attributes:
        status: HTTP status code.
        headers: response headers (``Content-Type`` included when there is a body).
        body: the raw body.
        fault: a transport-level misbehaviour the front end must act out instead of answering cleanly:
            ``None`` (answer normally), ``"drop"`` (close the connection without answering) or
            ``"truncate"`` (send the headers and only part of the body, then close).
    """

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    fault: str | None = None

    @classmethod
    def json_body(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        """A JSON response with Graph's content type."""
        merged = {"Content-Type": "application/json; odata.metadata=minimal; charset=utf-8"}
        merged.update(headers or {})
        return cls(status=status, headers=merged, body=json.dumps(payload).encode())

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None


class Application(Protocol):
    """Anything that answers requests: the identity app, the Graph app, or the router over both."""

    def handle(self, request: Request) -> Response:
        """Answer one request. Must not raise for bad input: bad input is an error response."""
        ...


@attrs.frozen
class Principal:
    """Who is calling, as established from a verified access token.

    Attributes:
        app_id: the calling application's client id (``appid``/``azp`` claim).
        tenant_id: the tenant the token was issued for.
        roles: application permissions (``roles`` claim), e.g. ``DeviceManagementConfiguration.ReadWrite.All``.
        scopes: delegated permissions (``scp`` claim, split on spaces).
        user_id: object id of the signed-in user for delegated tokens, else ``None``.
    """

    app_id: str
    tenant_id: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    user_id: str | None = None

    def allows(self, *permissions: str) -> bool:
        """True when the token carries at least one of ``permissions`` (as role or delegated scope)."""
        granted = self.roles | self.scopes
        return any(p in granted for p in permissions)


class Unauthorized(Exception):  # noqa: N818 - mirrors the HTTP status it stands for
    """Raised by an authenticator when a request carries no valid token (answered as Graph's 401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Authenticator(Protocol):
    """Turns a request's ``Authorization`` header into a :class:`Principal`, or raises :class:`Unauthorized`."""

    def authenticate(self, request: Request) -> Principal:
        """Verify the bearer token of ``request`` and say who is calling."""
        ...
