"""The sockets of every simulated host: one selector thread and a bounded worker pool.

Thousands of hosts must not cost a thread each. One thread owns a selector over every listening socket (each host
has its own loopback address with an HTTPS and an HTTP port) and every idle keep-alive connection; when a
connection has bytes to read it is handed to a worker, which reads one HTTP request, answers it and hands the
connection back. Accepted sockets get ``TCP_NODELAY`` (headers and body leave in one write anyway) because
Nagle plus delayed ACK would otherwise add ~40 ms per request.

HTTP.sys behaviour reproduced: Negotiate authentication is bound to the TCP connection; NTLM over plain HTTP
must use WinRM message encryption (``AllowUnencrypted=false``: an unencrypted body is answered with HTTP 500);
Basic is offered only over HTTPS unless explicitly allowed for tests.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pinreset.emulator.winrm import _auth, _service
from pinreset.emulator.winrm._host import SimulatedHost

__all__ = ["Endpoint", "WinRMListener"]

log = logging.getLogger(__name__)

_MAX_HEADER = 64 * 1024
_MAX_BODY = 8 * 1024 * 1024
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


class _BadRequestError(Exception):
    pass


class Endpoint:
    """One listening socket: a host's HTTPS or HTTP port."""

    __slots__ = ("host", "port", "sock", "tls")

    def __init__(self, host: SimulatedHost, *, tls: bool, port: int) -> None:
        self.host = host
        self.tls = tls
        self.port = port
        self.sock: socket.socket | None = None


class _Conn:
    __slots__ = ("acceptor", "buf", "endpoint", "negotiated", "sock", "tls_done")

    def __init__(self, sock: socket.socket, endpoint: Endpoint) -> None:
        self.sock: Any = sock
        self.endpoint = endpoint
        self.buf = bytearray()
        self.acceptor: _auth.NegotiateAcceptor | None = None
        self.negotiated = False
        self.tls_done = not endpoint.tls


class _Request:
    __slots__ = ("body", "headers", "method", "path")

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


class WinRMListener:
    """Serve many simulated hosts from one selector thread and a bounded pool of workers.

    Args:
        credentials: the account every host accepts.
        tls_context: server context for the HTTPS ports (``None``: HTTP only).
        workers: the most requests answered at the same time.
        allow_basic_http: accept Basic over plain HTTP (tests of the refusal path leave it off).
        request_timeout: how long a worker waits for the rest of a started request.
    """

    def __init__(
        self,
        credentials: _auth.Credentials,
        tls_context: ssl.SSLContext | None,
        *,
        workers: int = 64,
        allow_basic_http: bool = False,
        request_timeout: float = 15.0,
    ) -> None:
        self.credentials = credentials
        self.tls_context = tls_context
        self.allow_basic_http = allow_basic_http
        self.request_timeout = request_timeout
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._calls: deque[Callable[[], None]] = deque()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="winrm-worker")
        self._thread: threading.Thread | None = None
        self._running = False
        self._endpoints: list[Endpoint] = []
        self._conns: set[_Conn] = set()
        self._hung: set[socket.socket] = set()
        self._token: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the selector thread and make the credentials acceptable to NTLM."""
        if self._running:
            return
        self._token = _auth.register_user(self.credentials)
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="winrm-selector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every socket, stop the thread and the workers, and withdraw the credentials."""
        if not self._running:
            return
        self._running = False
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for endpoint in self._endpoints:
            self._close_listener(endpoint)
        for conn in list(self._conns):
            self._close(conn)
        for sock in list(self._hung):
            sock.close()
        self._hung.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()
        if self._token is not None:
            _auth.unregister_user(self._token)
            self._token = None

    def add_host(self, host: SimulatedHost, *, https_port: int = 0, http_port: int = 0) -> None:
        """Listen for ``host`` on its address (port 0: any free port; the chosen ports are set on ``host``)."""
        endpoints = []
        if self.tls_context is not None:
            endpoints.append(Endpoint(host, tls=True, port=https_port))
        endpoints.append(Endpoint(host, tls=False, port=http_port))
        for endpoint in endpoints:
            self._open_listener(endpoint)
            if endpoint.tls:
                host.https_port = endpoint.port
            else:
                host.http_port = endpoint.port
            self._endpoints.append(endpoint)
        host.on_change.append(self._host_changed)
        if host.has("refuse"):
            self._host_changed(host)

    def _open_listener(self, endpoint: Endpoint) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((endpoint.host.address, endpoint.port))
        sock.listen(128)
        sock.setblocking(False)
        endpoint.port = sock.getsockname()[1]
        endpoint.sock = sock

        def register() -> None:
            self._selector.register(sock, selectors.EVENT_READ, ("listen", endpoint))

        # Listening changes take effect before the caller goes on (a "refuse" switched off must accept at once).
        self._call_soon(register, wait=True)

    def _close_listener(self, endpoint: Endpoint) -> None:
        sock = endpoint.sock
        endpoint.sock = None
        if sock is None:
            return

        def unregister() -> None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            sock.close()

        if self._running:
            self._call_soon(unregister, wait=True)
        else:
            sock.close()

    def _host_changed(self, host: SimulatedHost) -> None:
        # "refuse" means nothing listens: close the host's sockets, and reopen them on the same ports later.
        for endpoint in self._endpoints:
            if endpoint.host is not host:
                continue
            if host.has("refuse") and endpoint.sock is not None:
                self._close_listener(endpoint)
            elif not host.has("refuse") and endpoint.sock is None:
                self._open_listener(endpoint)

    # -- selector thread ----------------------------------------------------------------------------------------
    def _call_soon(self, fn: Callable[[], None], *, wait: bool = False) -> None:
        """Run ``fn`` on the selector thread (which owns the selector); ``wait`` until it has run."""
        if not self._running or threading.current_thread() is self._thread:
            fn()
            return
        if not wait:
            self._calls.append(fn)
            self._wake()
            return
        done = threading.Event()

        def call() -> None:
            try:
                fn()
            finally:
                done.set()

        self._calls.append(call)
        self._wake()
        done.wait(timeout=5)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _loop(self) -> None:
        while self._running:
            try:
                events = self._selector.select(timeout=1.0)
            except OSError:  # a socket closed under the selector; the next round is clean
                continue
            for key, _ in events:
                kind, obj = key.data
                if kind == "wake":
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                elif kind == "listen":
                    self._accept(key.fileobj, obj)  # type: ignore[arg-type]
                elif kind == "conn":
                    self._selector.unregister(key.fileobj)
                    self._pool.submit(self._serve, obj)
                elif kind == "hung":
                    self._discard(key.fileobj)  # type: ignore[arg-type]
            while self._calls:
                call = self._calls.popleft()
                with contextlib.suppress(Exception):
                    call()

    def _accept(self, listener: socket.socket, endpoint: Endpoint) -> None:
        for _ in range(64):
            try:
                sock, _addr = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            if endpoint.host.has("hang"):
                # Accept and never answer: the client's own deadline is all that ends the wait.
                self._hung.add(sock)
                self._selector.register(sock, selectors.EVENT_READ, ("hung", None))
                continue
            conn = _Conn(sock, endpoint)
            self._conns.add(conn)
            self._selector.register(sock, selectors.EVENT_READ, ("conn", conn))

    def _discard(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._selector.unregister(sock)
            self._hung.discard(sock)
            sock.close()

    def _close(self, conn: _Conn) -> None:
        self._conns.discard(conn)
        with contextlib.suppress(OSError):
            conn.sock.close()

    # -- workers ------------------------------------------------------------------------------------------------
    def _serve(self, conn: _Conn) -> None:
        try:
            conn.sock.setblocking(True)
            conn.sock.settimeout(self.request_timeout)
            if not conn.tls_done:
                assert self.tls_context is not None
                conn.sock = self.tls_context.wrap_socket(conn.sock, server_side=True)
                conn.tls_done = True
            while True:
                request = self._read_request(conn)
                if request is None or not self._respond(conn, request):
                    self._close(conn)
                    return
                pending = conn.sock.pending() if isinstance(conn.sock, ssl.SSLSocket) else 0
                if not conn.buf and not pending:
                    break
            conn.sock.setblocking(False)
        except (OSError, ssl.SSLError, _BadRequestError, ValueError):
            self._close(conn)
            return
        except Exception:
            log.exception("WinRM request failed")
            self._close(conn)
            return
        sock = conn.sock

        def register() -> None:
            if self._running and conn in self._conns:
                try:
                    self._selector.register(sock, selectors.EVENT_READ, ("conn", conn))
                except (KeyError, ValueError, OSError):
                    self._close(conn)

        self._call_soon(register)

    def _recv(self, conn: _Conn) -> bytes:
        data: bytes = conn.sock.recv(65536)
        return data

    def _read_request(self, conn: _Conn) -> _Request | None:
        buf = conn.buf
        while b"\r\n\r\n" not in buf:
            chunk = self._recv(conn)
            if not chunk:
                if buf:
                    raise _BadRequestError("connection closed mid-request")
                return None
            buf += chunk
            if len(buf) > _MAX_HEADER and b"\r\n\r\n" not in buf:
                raise _BadRequestError("headers too large")
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, path, _version = lines[0].split(" ", 2)
        except ValueError as exc:
            raise _BadRequestError("bad request line") from exc
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                key = name.strip().lower()
                headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _BadRequestError("chunked bodies are not used by WinRM clients")
        length = int(headers.get("content-length", "0") or "0")
        if length > _MAX_BODY:
            raise _BadRequestError("body too large")
        body = bytearray(rest)
        while len(body) < length:
            chunk = self._recv(conn)
            if not chunk:
                raise _BadRequestError("connection closed mid-body")
            body += chunk
        conn.buf = bytearray(body[length:])
        return _Request(method.upper(), path, headers, bytes(body[:length]))

    def _send(
        self, conn: _Conn, status: int, headers: list[tuple[str, str]], body: bytes, *, cut: bool = False
    ) -> None:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "Server: Microsoft-HTTPAPI/2.0"]
        lines.extend(f"{k}: {v}" for k, v in headers)
        lines.append(f"Content-Length: {len(body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body[: len(body) // 2] if cut else body)
        conn.sock.sendall(payload)

    def _offers(self, endpoint: Endpoint) -> list[tuple[str, str]]:
        offers = [("WWW-Authenticate", "Negotiate")]
        if endpoint.tls or self.allow_basic_http:
            offers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        return offers

    def _respond(self, conn: _Conn, req: _Request) -> bool:
        endpoint = conn.endpoint
        host = endpoint.host
        if host.latency:
            time.sleep(host.latency)
        if req.method != "POST" or req.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            self._send(conn, 405 if req.path.lower().startswith("/wsman") else 404, [], b"")
            return True
        if host.has("reject_credentials"):
            conn.negotiated = False
            self._send(conn, 401, self._offers(endpoint), b"")
            return True
        final_token: str | None = None
        basic_ok = False
        authorization = req.headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            scheme = scheme.lower()
            if scheme == "basic":
                basic_ok = (endpoint.tls or self.allow_basic_http) and self.credentials.check_basic(token)
                if not basic_ok:
                    self._send(conn, 401, self._offers(endpoint), b"")
                    return True
            elif scheme in ("negotiate", "ntlm"):
                if conn.acceptor is None or conn.negotiated:
                    conn.acceptor = _auth.NegotiateAcceptor()
                    conn.negotiated = False
                try:
                    answer = conn.acceptor.step(token.strip())
                except PermissionError:
                    conn.acceptor = None
                    self._send(conn, 401, self._offers(endpoint), b"")
                    return True
                if not conn.acceptor.complete:
                    self._send(conn, 401, [("WWW-Authenticate", f"Negotiate {answer or ''}".strip())], b"")
                    return True
                conn.negotiated = True
                final_token = answer
            else:
                self._send(conn, 401, self._offers(endpoint), b"")
                return True
        if not (basic_ok or conn.negotiated):
            self._send(conn, 401, self._offers(endpoint), b"")
            return True
        extra = [("WWW-Authenticate", f"Negotiate {final_token}")] if final_token else []
        content_type = req.headers.get("content-type", "")
        encrypted = content_type.lower().startswith("multipart/encrypted")
        if encrypted:
            if conn.acceptor is None or not conn.negotiated:
                self._send(conn, 400, extra, b"")
                return True
            try:
                plain = _auth.unwrap(conn.acceptor, req.body)
            except _auth.EncryptionError:
                self._send(conn, 400, extra, b"")
                return True
        elif not req.body:
            # The empty POST clients send to finish authentication before encrypting.
            self._send(conn, 200, extra, b"")
            return True
        elif conn.negotiated and not endpoint.tls:
            # AllowUnencrypted=false: Windows refuses a readable body over plain HTTP.
            self._send(conn, 500, extra, b"")
            return True
        else:
            plain = req.body
        status, answer_body, action = _service.handle(host, plain)
        if encrypted and conn.acceptor is not None:
            answer_body = _auth.wrap(conn.acceptor, answer_body)
            headers = [("Content-Type", _auth.ENCRYPTED_CONTENT_TYPE), *extra]
        else:
            headers = [("Content-Type", "application/soap+xml;charset=UTF-8"), *extra]
        if host.has("drop") and action == _service.RECEIVE:
            self._send(conn, status, headers, answer_body, cut=True)
            return False
        self._send(conn, status, headers, answer_body)
        return True
