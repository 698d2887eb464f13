"""The one place where HTTP failures become pinreset errors.

Everything httpx raises and every non-2xx Graph answer passes through :func:`error_from_response` or
:func:`error_from_transport`; no httpx exception or raw status escapes :class:`~pinreset.graph.GraphClient`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from pinreset.exceptions import (
    AuthenticationError,
    BackendError,
    ConflictError,
    GraphError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransportError,
)
from pinreset.graph._retry import retry_after_of

__all__ = ["ERROR_BY_STATUS", "error_body", "error_from_response", "error_from_transport", "safe_url"]

#: The :class:`GraphError` subclass of a status (others: :class:`GraphError`), for every backend alike.
ERROR_BY_STATUS: dict[int, type[GraphError]] = {
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}


def safe_url(url: httpx.URL | str) -> str:
    """The URL without userinfo, for messages (Graph URLs carry no secrets in the query)."""
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(username=None, password=None)) if parsed.userinfo else str(parsed)


def error_body(body: Any) -> tuple[str | None, str, str | None]:
    """Read Graph's error envelope ``{"error": {"code", "message", "innerError": {"request-id"}}}``.

    Returns:
        ``(code, message, request_id)``; missing parts are ``None`` (message: empty string).
    """
    if not isinstance(body, Mapping):
        return None, "", None
    error = body.get("error")
    if not isinstance(error, Mapping):
        return None, "", None
    inner = error.get("innerError") or error.get("innererror") or {}
    request_id = inner.get("request-id") if isinstance(inner, Mapping) else None
    code = error.get("code")
    return (str(code) if code else None), str(error.get("message") or ""), request_id


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: Any,
    *,
    method: str | None = None,
    url: str | None = None,
    client_request_id: str | None = None,
) -> BackendError:
    """The typed error for a non-2xx Graph answer (also for one inner ``$batch`` response).

    401 becomes :class:`AuthenticationError` (Graph refused the token); everything else a :class:`GraphError`.

    Args:
        status: HTTP status.
        headers: response headers (``request-id``, ``Retry-After``).
        body: decoded JSON body, raw text, or ``None``.
        method: request method, for the message.
        url: request URL, for the message.
        client_request_id: the id we sent.
    """
    if isinstance(body, (bytes, str)) and body:
        try:
            body = json.loads(body)
        except ValueError:
            body = None
    code, message, request_id = error_body(body)
    lowered = {k.lower(): v for k, v in headers.items()}
    request_id = request_id or lowered.get("request-id")
    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "request_id": request_id,
        "client_request_id": client_request_id or lowered.get("client-request-id"),
        "method": method,
        "url": url,
    }
    text = message or httpx.codes.get_reason_phrase(status) or "error"
    if status == 401:
        where = f" ({method} {url})" if method and url else ""
        ids = [f"request-id {request_id}"] if request_id else []
        if kwargs["client_request_id"]:
            ids.append(f"client-request-id {kwargs['client_request_id']}")
        rid = f" ({', '.join(ids)})" if ids else ""
        message = f"Graph refused the access token{where}: {code or 401}: {text}{rid}"
        return AuthenticationError(message, error_code=code)
    if status == 429:
        return ThrottledError(text, retry_after=retry_after_of(headers), **kwargs)
    return ERROR_BY_STATUS.get(status, GraphError)(text, **kwargs)


def error_from_transport(exc: Exception, *, method: str, url: str) -> TransportError:
    """The typed error for a network failure: refused, reset, TLS, timeout, truncated or unreadable body."""
    kind = type(exc).__name__
    detail = str(exc) or kind
    return TransportError(f"{method} {safe_url(url)} failed: {kind}: {detail}")
