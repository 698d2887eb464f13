"""HTTP/1.1 as WinRM clients speak it: one request read from a blocking socket, one response written at once.

WinRM clients (requests/urllib3) always send ``Content-Length`` and never chunk a request body; responses go out
as one ``sendall`` of headers plus body, so no small segment waits for a delayed ACK.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_BODY", "BadRequestError", "HttpRequest", "read_request", "write_response"]

MAX_HEADER = 64 * 1024
MAX_BODY = 8 * 1024 * 1024
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


class BadRequestError(Exception):
    """The bytes on the connection are not an HTTP request this server reads; the connection is closed."""


class HttpRequest:
    """One request: method, path, lower-cased headers (repeated ones joined with ``, ``) and body."""

    __slots__ = ("body", "headers", "method", "path")

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


def read_request(sock: Any, buf: bytearray) -> tuple[HttpRequest | None, bytearray]:
    """Read one request from ``sock``, starting with the bytes already in ``buf``.

    Returns:
        The request (``None`` when the peer closed the connection between requests) and the bytes left over.

    Raises:
        BadRequestError: malformed, oversized or cut-off requests.
        OSError: socket errors and timeouts.
    """
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            if buf:
                raise BadRequestError("connection closed mid-request")
            return None, buf
        buf += chunk
        if len(buf) > MAX_HEADER and b"\r\n\r\n" not in buf:
            raise BadRequestError("headers too large")
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, path, _version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise BadRequestError("bad request line") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise BadRequestError("chunked bodies are not used by WinRM clients")
    try:
        length = int(headers.get("content-length", "0") or "0")
    except ValueError as exc:
        raise BadRequestError("bad Content-Length") from exc
    if not 0 <= length <= MAX_BODY:
        raise BadRequestError("body too large")
    body = bytearray(rest)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise BadRequestError("connection closed mid-body")
        body += chunk
    return HttpRequest(method.upper(), path, headers, bytes(body[:length])), bytearray(body[length:])


def write_response(sock: Any, status: int, headers: list[tuple[str, str]], body: bytes, *, cut: bool = False) -> None:
    """Send a response in one write; ``cut`` sends only half the body (the ``drop`` misbehaviour)."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "Server: Microsoft-HTTPAPI/2.0"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    lines.append(f"Content-Length: {len(body)}")
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body[: len(body) // 2] if cut else body)
    sock.sendall(payload)
