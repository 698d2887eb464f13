"""In-process ways into the emulator: an httpx transport and an msal ``http_client``, no sockets involved.

Both build the emulator's :class:`~pinreset.emulator._http.Request` from what the client library hands them,
call the router, and return what the library expects. Faults are acted out the way the client library would
experience them over a real connection: a dropped connection raises ``httpx.RemoteProtocolError`` before any
response, a truncated body raises it while the body is read.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from pinreset.emulator._http import Application, Request, Response

__all__ = ["EmulatorTransport", "MsalHttpClient", "MsalResponse"]


class _TruncatedStream(httpx.SyncByteStream):
    """Yields part of a body, then fails as a connection closed mid-body does."""

    def __init__(self, part: bytes, expected: int) -> None:
        self._part = part
        self._expected = expected

    def __iter__(self) -> Iterator[bytes]:
        if self._part:
            yield self._part
        raise httpx.RemoteProtocolError(
            f"peer closed connection without sending complete message body: received {len(self._part)} bytes, "
            f"expected {self._expected}"
        )


class EmulatorTransport(httpx.BaseTransport):
    """An httpx transport that answers from the emulator in the calling thread.

    Any base URL works (``https://graph.microsoft.com`` included): every request goes to the emulator, and
    absolute URLs it returns (``@odata.nextLink``) use the request's own host.

    Args:
        app: the emulator's router (or any application).
        delay: seconds added to every request, to imitate network latency.
    """

    def __init__(self, app: Application, *, delay: float = 0.0) -> None:
        self._app = app
        self._delay = delay

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the emulator.

        Raises:
            httpx.RemoteProtocolError: the emulator dropped the connection or cut the body short.
        """
        if self._delay:
            time.sleep(self._delay)
        raw_path, _, raw_query = request.url.raw_path.decode("ascii").partition("?")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        headers["x-emulator-scheme"] = request.url.scheme
        emulated = Request(
            method=request.method,
            path=urllib.parse.unquote(raw_path),
            query=dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True)),
            headers=headers,
            body=request.read(),
            raw_query=raw_query,
        )
        response = self._app.handle(emulated)
        if response.fault == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        headers_out = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        if response.fault == "truncate":
            headers_out.append(("Content-Length", str(len(response.body))))
            part = response.body[: len(response.body) // 2]
            return httpx.Response(
                response.status,
                headers=headers_out,
                stream=_TruncatedStream(part, len(response.body)),
                request=request,
            )
        return httpx.Response(response.status, headers=headers_out, content=response.body, request=request)


class MsalResponse:
    """The response object msal's ``http_client`` contract asks for (a subset of ``requests.Response``)."""

    def __init__(self, status_code: int, text: str, headers: Mapping[str, str]) -> None:
        self.status_code = status_code
        self.text = text
        self.headers = dict(headers)

    def raise_for_status(self) -> None:
        """Raise for 4xx and 5xx statuses, as ``requests`` does.

        Raises:
            ConnectionError: the status is 400 or higher.
        """
        if self.status_code >= 400:
            raise ConnectionError(f"HTTP {self.status_code}")

    def __repr__(self) -> str:
        return f"MsalResponse(status_code={self.status_code})"


class MsalHttpClient:
    """An msal ``http_client`` answering from the emulator in-process.

    Use with any authority URL, e.g. ``msal.ConfidentialClientApplication(client_id, client_credential=…,
    authority=f"https://login.microsoftonline.com/{tenant_id}", instance_discovery=False,
    http_client=MsalHttpClient(router))``.

    Args:
        app: the emulator's router.
    """

    def __init__(self, app: Application) -> None:
        self._app = app

    def get(
        self, url: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None, **_: Any
    ) -> MsalResponse:
        """Send a GET."""
        return self._send("GET", url, params, headers, b"")

    def post(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> MsalResponse:
        """Send a POST; ``data`` is a form (dict) or an already encoded body."""
        merged = dict(headers or {})
        if isinstance(data, Mapping):
            body = urllib.parse.urlencode(data).encode()
            merged.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif isinstance(data, str):
            body = data.encode()
        else:
            body = bytes(data or b"")
        return self._send("POST", url, params, merged, body)

    def close(self) -> None:
        """Nothing to release (msal may call it)."""

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        body: bytes,
    ) -> MsalResponse:
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        query.update(params or {})
        lowered = {k.lower(): str(v) for k, v in (headers or {}).items()}
        lowered.setdefault("host", parts.netloc)
        lowered["x-emulator-scheme"] = parts.scheme
        request = Request(
            method=method,
            path=urllib.parse.unquote(parts.path),
            query=query,
            headers=lowered,
            body=body,
            raw_query=urllib.parse.urlencode(query),
        )
        response: Response = self._app.handle(request)
        if response.fault is not None:
            raise ConnectionError("the emulator dropped the connection")
        return MsalResponse(response.status, response.body.decode("utf-8", "replace"), response.headers)
