"""The emulator's real loopback server: threaded HTTP/1.1 with keep-alive, TLS by default.

Each connection gets its own daemon thread; the TLS handshake happens in that thread, so a slow or refused
handshake never stalls the accept loop. Accepted sockets get ``TCP_NODELAY``: without it Nagle's algorithm and
the client's delayed ACK add up to 40 ms to every small keep-alive response. The server acts out transport
faults decided upstream (``Response.fault``): ``drop`` closes the connection without answering, ``truncate``
declares the full ``Content-Length``, sends part of the body and closes.
"""

from __future__ import annotations

import contextlib
import email.utils
import http
import http.server
import logging
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
from typing import Any

from pinreset.emulator._http import Application, Request, Response

__all__ = ["EmulatorServer"]

_log = logging.getLogger("pinreset.emulator")
_MAX_BODY = 64 * 1024 * 1024
_MAX_LINE = 65536
_MAX_HEADERS = 100
_HANDSHAKE_TIMEOUT = 10.0
_IDLE_TIMEOUT = 120.0
_NO_BODY_STATUSES = frozenset({204, 304})
_FRAMING = frozenset({"content-length", "date", "connection", "transfer-encoding"})  # the server writes these


_REASONS = {status.value: status.phrase for status in http.HTTPStatus}
_date_cache: tuple[int, str] = (0, "")


def _date_header() -> str:
    """The ``Date`` value, formatted once per second rather than once per response."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True))
    return _date_cache[1]


class _BodyTooLargeError(ValueError):
    """A chunked request body beyond the size the server accepts."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pinreset-emulator"
    timeout = _IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(_HANDSHAKE_TIMEOUT)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)

    def handle_one_request(self) -> None:
        # A lean replacement for the base class's parsing, which runs the email package's parser over every
        # request's headers: that alone cost a third of the server's time per request.
        try:
            line = self.rfile.readline(_MAX_LINE + 1)
        except TimeoutError:  # an idle keep-alive connection
            self.close_connection = True
            return
        if not line:
            self.close_connection = True
            return
        self.raw_requestline = line
        self.requestline = line.decode("latin-1").rstrip("\r\n")
        parts = self.requestline.split()
        if len(line) > _MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self.command, self.request_version = "", "HTTP/1.1"
            self._refuse(414 if len(line) > _MAX_LINE else 400)
            return
        self.command, self.path, self.request_version = parts
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
            raw = self.rfile.readline(_MAX_LINE + 1)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, separator, value = raw.decode("latin-1").partition(":")
            if not separator or len(raw) > _MAX_LINE:
                self._refuse(400)
                return
            key, value = name.strip().lower(), value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        else:
            self._refuse(431)
            return
        connection = headers.get("connection", "").lower()
        if self.request_version == "HTTP/1.0":
            self.close_connection = connection != "keep-alive"
        else:
            self.close_connection = connection == "close"
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._dispatch(headers)

    def _refuse(self, status: int) -> None:
        self.close_connection = True
        self._write(Response(status=status))

    def _dispatch(self, headers: dict[str, str]) -> None:
        body = self._read_body(headers)
        if body is None:
            return
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute-form request target
            try:
                parts = urllib.parse.urlsplit(target)
            except ValueError:  # e.g. an unclosed IPv6 bracket
                self._refuse(400)
                return
            target = parts.path + ("?" + parts.query if parts.query else "")
        raw_path, _, raw_query = target.partition("?")
        headers.setdefault("host", self.server.authority)
        headers["x-emulator-scheme"] = self.server.scheme
        request = Request(
            method=self.command,
            path=urllib.parse.unquote(raw_path),
            query=dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True)),
            headers=headers,
            body=body,
            raw_query=raw_query,
        )
        self._write(self.server.app.handle(request))

    def _read_body(self, headers: dict[str, str]) -> bytes | None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            try:
                return self._read_chunked()
            except _BodyTooLargeError:
                self._refuse(413)
            except ValueError:  # a chunk size that is not hexadecimal
                self._refuse(400)
            return None
        length_text = headers.get("content-length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0 or length > _MAX_BODY:
            self._refuse(400 if length < 0 else 413)
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers carry nothing the applications read
                return b"".join(chunks)
            total += size
            if size < 0 or total > _MAX_BODY:
                raise _BodyTooLargeError if size >= 0 else ValueError("negative chunk size")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)

    def _write(self, response: Response) -> None:
        if response.fault == "drop":
            self.close_connection = True
            return
        body = b"" if response.status in _NO_BODY_STATUSES else response.body
        lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}"]
        lines.extend(f"{name}: {value}" for name, value in response.headers.items() if name.lower() not in _FRAMING)
        lines.append(f"Date: {_date_header()}")
        if response.status not in _NO_BODY_STATUSES:
            lines.append(f"Content-Length: {len(body)}")
        if response.fault == "truncate":
            self.close_connection = True
            body = body[: len(body) // 2]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        # One write for head and body: with TCP_NODELAY each write is its own segment (and TLS record).
        self.wfile.write(head if self.command == "HEAD" else head + body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], app: Application, ssl_context: ssl.SSLContext | None, family: int
    ) -> None:
        self.address_family = family
        self.app = app
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context else "http"
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        host, port = str(self.server_address[0]), int(self.server_address[1])
        self.authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (OSError, ValueError)):  # refused handshakes, resets, idle timeouts, bad framing
            _log.debug("connection from %s ended: %r", client_address, error)
            return
        _log.error("unexpected error serving %s", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Break every open keep-alive connection, so no handler thread outlives the server."""
        with self.connections_lock:
            connections = list(self.connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """A threaded HTTP(S) server in front of one application, serving from a background thread.

    Args:
        app: the application answering every request (the router).
        host: address to bind (loopback by default).
        port: port to bind; 0 lets the OS choose.
        ssl_context: server-side TLS context; ``None`` serves plain HTTP.
    """

    def __init__(
        self, app: Application, *, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._ssl_context = ssl_context
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (meaningful once started)."""
        return self._server.server_port if self._server else self._port

    @property
    def url(self) -> str:
        """The root URL, e.g. ``https://127.0.0.1:8443`` (IPv6 hosts in brackets)."""
        scheme = "https" if self._ssl_context else "http"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread; returns once the socket is listening.

        Raises:
            OSError: the address cannot be bound.
        """
        if self._server is not None:
            return
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        server = _Server((self._host, self._port), self._app, self._ssl_context, family)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="pinreset-emulator", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        self._port = server.server_port  # a restart binds the same port, so clients' URLs stay valid

    def stop(self) -> None:
        """Stop accepting, break open connections and release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url!r}, running={self.running})"
