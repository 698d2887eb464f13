"""The sockets of every simulated host: one polling thread and a bounded worker pool.

Thousands of hosts must not cost a thread each. One thread polls every listening socket (each host has its own
loopback address with an HTTPS and an HTTP port) and every idle keep-alive connection; a connection with bytes to
read goes to a worker, which reads one HTTP request, answers it and re-arms the connection (see ``_poller``).
Accepted sockets get ``TCP_NODELAY`` because Nagle plus delayed ACK would otherwise add ~40 ms per request.

HTTP.sys behaviour reproduced: Negotiate authentication is bound to the TCP connection; NTLM over plain HTTP
must use WinRM message encryption (``AllowUnencrypted=false``: an unencrypted body is answered with HTTP 500);
Basic is offered only over HTTPS unless explicitly allowed for tests.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pinreset.emulator.winrm import _auth, _service
from pinreset.emulator.winrm._host import SimulatedHost
from pinreset.emulator.winrm._poller import make_poller
from pinreset.emulator.winrm._wire import BadRequestError, HttpRequest, read_request, write_response

__all__ = ["Endpoint", "WinRMListener"]

log = logging.getLogger(__name__)


class Endpoint:
    """One listening socket: a host's HTTPS or HTTP port."""

    __slots__ = ("host", "port", "sock", "tls")

    def __init__(self, host: SimulatedHost, *, tls: bool, port: int) -> None:
        self.host = host
        self.tls = tls
        self.port = port
        self.sock: socket.socket | None = None


class _Conn:
    __slots__ = ("acceptor", "buf", "delayed", "endpoint", "negotiated", "sock", "tls_done")

    def __init__(self, sock: socket.socket, endpoint: Endpoint) -> None:
        self.sock: Any = sock
        self.endpoint = endpoint
        self.buf = bytearray()
        self.acceptor: _auth.NegotiateAcceptor | None = None
        self.negotiated = False
        self.tls_done = not endpoint.tls
        # Set when the polling thread already held this connection's next request for the host's latency.
        self.delayed = False


class WinRMListener:
    """Serve many simulated hosts from one polling thread and a bounded pool of workers.

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
        self._poller = make_poller()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="winrm-worker")
        self._thread: threading.Thread | None = None
        self._running = False
        self._endpoints: list[Endpoint] = []
        self._conns: set[_Conn] = set()
        # The polling thread adds connections, workers remove them and misbehave() (any thread) walks them.
        self._conns_lock = threading.Lock()
        self._hung: set[socket.socket] = set()
        self._user_file: _auth._UserFile | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the polling thread and make the credentials acceptable to NTLM."""
        if self._running:
            return
        self._user_file = _auth.register_user(self.credentials)
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="winrm-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every socket, stop the thread and the workers, and withdraw the credentials."""
        if not self._running:
            return
        self._running = False
        self._poller.wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for endpoint in self._endpoints:
            self._close_listener(endpoint)
        for conn in self._connections():
            self._close(conn)
        for sock in list(self._hung):
            sock.close()
        self._hung.clear()
        # A worker may be holding a Receive open for up to OperationTimeout: release it.
        for host in {e.host for e in self._endpoints}:
            with host.lock:
                shells = list(host.shells.values())
                host.shells.clear()
            for shell in shells:
                shell.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._poller.close()
        if self._user_file is not None:
            _auth.unregister_user(self._user_file)
            self._user_file = None

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
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((endpoint.host.address, endpoint.port))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()  # a port already taken must not leak the socket
            raise
        endpoint.port = sock.getsockname()[1]
        endpoint.sock = sock
        self._poller.watch(sock, ("listen", endpoint))

    def _close_listener(self, endpoint: Endpoint) -> None:
        sock = endpoint.sock
        endpoint.sock = None
        if sock is not None:
            self._poller.forget(sock)
            sock.close()

    def _host_changed(self, host: SimulatedHost) -> None:
        # "refuse" means nothing listens: close the host's sockets, and reopen them on the same ports later.
        for endpoint in self._endpoints:
            if endpoint.host is not host:
                continue
            if host.has("refuse") and endpoint.sock is not None:
                self._close_listener(endpoint)
                # A host that went away also drops the connections it had.
                for conn in [c for c in self._connections() if c.endpoint is endpoint]:
                    self._close(conn)
            elif not host.has("refuse") and endpoint.sock is None:
                self._open_listener(endpoint)

    # -- polling thread -----------------------------------------------------------------------------------------
    def _loop(self) -> None:
        # Requests to "slow" hosts wait here, on a timer heap, rather than asleep in a worker: hundreds of slow
        # requests in flight then cost no thread each.
        delayed: list[tuple[float, int, _Conn]] = []
        sequence = 0
        while self._running:
            timeout = 1.0
            if delayed:
                timeout = max(0.0, min(timeout, delayed[0][0] - time.monotonic()))
            try:
                ready = self._poller.poll(timeout)
            except OSError:  # a socket closed under the poller; the next round is clean
                continue
            for kind, obj in ready:
                if kind == "listen":
                    self._accept(obj)
                elif kind == "conn":
                    latency = obj.endpoint.host.latency
                    if latency and obj.tls_done:
                        obj.delayed = True
                        sequence += 1
                        heapq.heappush(delayed, (time.monotonic() + latency, sequence, obj))
                    else:
                        self._pool.submit(self._serve, obj)
                elif kind == "hung":
                    self._discard(obj)
            now = time.monotonic()
            while delayed and delayed[0][0] <= now:
                self._pool.submit(self._serve, heapq.heappop(delayed)[2])

    def _accept(self, endpoint: Endpoint) -> None:
        listener = endpoint.sock
        if listener is None:
            return
        for _ in range(64):
            try:
                sock, _addr = listener.accept()
            except OSError:  # nothing more to accept, or the socket was just closed ("refuse")
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            if endpoint.host.has("hang"):
                # Accept and never answer: the client's own deadline is all that ends the wait.
                self._hung.add(sock)
                self._poller.watch(sock, ("hung", sock))
                continue
            conn = _Conn(sock, endpoint)
            with self._conns_lock:
                self._conns.add(conn)
            self._poller.watch_once(sock, ("conn", conn))

    def _discard(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._poller.forget(sock)
            self._hung.discard(sock)
            sock.close()

    def _connections(self) -> list[_Conn]:
        """A snapshot of the open connections, safe to walk while workers close theirs."""
        with self._conns_lock:
            return list(self._conns)

    def _close(self, conn: _Conn) -> None:
        with self._conns_lock:
            self._conns.discard(conn)
        self._poller.forget(conn.sock)
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
                request, conn.buf = read_request(conn.sock, conn.buf)
                if request is None or not self._respond(conn, request):
                    self._close(conn)
                    return
                pending = conn.sock.pending() if isinstance(conn.sock, ssl.SSLSocket) else 0
                if not conn.buf and not pending:
                    break
            conn.sock.setblocking(False)
            if self._running:
                self._poller.rearm(conn.sock, ("conn", conn))
        except (OSError, ssl.SSLError, BadRequestError, ValueError):
            self._close(conn)
        except Exception:
            log.exception("WinRM request failed")
            self._close(conn)

    def _send(
        self, conn: _Conn, status: int, headers: list[tuple[str, str]], body: bytes, *, cut: bool = False
    ) -> None:
        write_response(conn.sock, status, headers, body, cut=cut)

    def _offers(self, endpoint: Endpoint) -> list[tuple[str, str]]:
        offers = [("WWW-Authenticate", "Negotiate")]
        if endpoint.tls or self.allow_basic_http:
            offers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        return offers

    def _respond(self, conn: _Conn, req: HttpRequest) -> bool:
        endpoint = conn.endpoint
        host = endpoint.host
        with host.lock:
            host.requests_seen += 1
        if host.latency and not conn.delayed:
            time.sleep(host.latency)  # a request the polling thread did not hold (first one after a TLS handshake)
        conn.delayed = False
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
                    assert self._user_file is not None  # set by start(), before any connection is accepted
                    conn.acceptor = _auth.NegotiateAcceptor(self._user_file)
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
