"""One entry point for both front ends: route to identity or Graph, inject faults, keep a request log.

``/v1.0/…`` and ``/beta/…`` go to the Graph application; ``/{tenant}/…`` (tenant id, default domain,
``organizations``, ``common``) to the identity application. The log records method, path, status, calling app,
duration and fault of each request -- never bodies, query strings or ``Authorization`` headers.
"""

from __future__ import annotations

import base64
import binascii
import collections
import datetime
import json
import logging
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable

import attrs

from pinreset.emulator._faults import FaultDecision, FaultInjector, graph_server_error
from pinreset.emulator._http import Application, Request, Response
from pinreset.emulator._identity import is_identity_path

__all__ = ["RequestRecord", "Router"]

_log = logging.getLogger("pinreset.emulator")
_GRAPH_VERSIONS = ("v1.0", "beta")
_APP_ID_CACHE_LIMIT = 1024
_IDENTITY_SEGMENTS = frozenset({"v2.0", "oauth2", "discovery"})


@attrs.frozen
class RequestRecord:
    """One line of the request log.

    Attributes:
        method: HTTP method.
        path: the path, without the query string.
        status: the status answered (0 when the connection was dropped without an answer).
        app_id: the calling app's client id when known (from the token or the sign-in form), else ``None``.
        duration: seconds spent answering.
        fault: the injected fault, if any.
        service: ``graph``, ``identity`` or ``none``.
    """

    method: str
    path: str
    status: int
    app_id: str | None
    duration: float
    fault: str | None = None
    service: str = "graph"


class Router:
    """Routes requests and applies faults; implements ``Application``.

    Args:
        identity: the identity application.
        graph: the Graph application (``None`` answers 503 until one is set).
        tenant_id: the tenant whose identity paths are routed to ``identity``.
        default_domain: the tenant's default domain, also accepted as an identity path segment.
        verified_domains: further verified domains accepted likewise (e.g. the initial ``*.onmicrosoft.com``).
        faults: the fault injector, or ``None`` for none.
        log_size: how many requests the log keeps (oldest dropped first).
    """

    def __init__(
        self,
        *,
        identity: Application,
        graph: Application | None,
        tenant_id: str,
        default_domain: str | None = None,
        verified_domains: Iterable[str] = (),
        faults: FaultInjector | None = None,
        log_size: int = 10_000,
    ) -> None:
        self.identity = identity
        self.graph = graph
        self.tenant_id = tenant_id
        self.default_domain = default_domain
        self.verified_domains = tuple(verified_domains)
        self.faults = faults
        self.log: collections.deque[RequestRecord] = collections.deque(maxlen=log_size)
        self._app_ids: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()  # iterating a deque while another thread appends raises

    def handle(self, request: Request) -> Response:
        """Answer one request (never raises)."""
        started = time.perf_counter()
        service, target = self._target(request.path)
        faults = self.faults
        decision = faults.decide(identity=service == "identity") if faults and target is not None else None
        if decision is not None and faults is not None and decision.kind == "slow":
            time.sleep(faults.config.slow_seconds)
        response = self._answer(request, target, decision, faults)
        app_id = self._app_id(request, service)
        record = RequestRecord(
            method=request.method,
            path=request.path,
            status=0 if response.fault == "drop" else response.status,
            app_id=app_id,
            duration=time.perf_counter() - started,
            fault=decision.kind if decision else None,
            service=service,
        )
        with self._log_lock:
            self.log.append(record)
        return response

    def snapshot(self) -> list[RequestRecord]:
        """The request log, oldest first, copied safely while other threads keep serving."""
        with self._log_lock:
            return list(self.log)

    def clear_log(self) -> None:
        """Forget every logged request."""
        with self._log_lock:
            self.log.clear()

    def _target(self, path: str) -> tuple[str, Application | None]:
        first = path.lstrip("/").split("/", 1)[0]
        if first in _GRAPH_VERSIONS:
            return "graph", self.graph
        if is_identity_path(path, self.tenant_id, self.default_domain, domains=self.verified_domains) \
                or _looks_like_identity(path):
            return "identity", self.identity
        return "none", None

    def _answer(
        self,
        request: Request,
        target: Application | None,
        decision: FaultDecision | None,
        faults: FaultInjector | None,
    ) -> Response:
        if decision is not None and decision.kind == "error":
            retry_after = faults.config.retry_after if faults else None
            return graph_server_error(
                decision.status or 500, retry_after, _now_iso(), request.headers.get("client-request-id")
            )
        if decision is not None and not decision.process:
            return Response(status=0, fault="drop")
        response = self._call(request, target)
        if decision is None or decision.kind == "slow":
            return response
        # A body-less answer cannot be cut short; the connection breaks instead.
        fault = "truncate" if decision.kind == "truncate" and response.body else "drop"
        return attrs.evolve(response, fault=fault)

    def _call(self, request: Request, target: Application | None) -> Response:
        client_request_id = request.headers.get("client-request-id")
        if target is None:
            if request.path.lstrip("/").split("/", 1)[0] in _GRAPH_VERSIONS:
                return _graph_error(503, "serviceNotAvailable", "The Graph surface is not configured.",
                                    client_request_id)
            return _graph_error(404, "NotFound", f"No emulated service answers '{request.path}'.", client_request_id)
        try:
            return target.handle(request)
        except Exception:  # a bug must not take the server down; Graph answers 500 in that case too
            _log.exception("unhandled error answering %s %s", request.method, request.path)
            return _graph_error(500, "generalException", "An unexpected error occurred in the emulator.",
                                client_request_id)

    def _app_id(self, request: Request, service: str) -> str | None:
        if service == "identity":
            if request.method != "POST" or not request.body:
                return None
            form = urllib.parse.parse_qs(request.body.decode("utf-8", "replace"))
            return form.get("client_id", [None])[0]
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        token = header[7:].strip()
        # One lookup, not "in" then "[]": another thread may clear the cache between the two.
        try:
            return self._app_ids[token]
        except KeyError:
            pass
        app_id = _unverified_app_id(token)
        with self._lock:
            if len(self._app_ids) >= _APP_ID_CACHE_LIMIT:
                self._app_ids.clear()
            self._app_ids[token] = app_id
        return app_id

    def __repr__(self) -> str:
        return f"Router(tenant_id={self.tenant_id!r}, logged={len(self.log)})"


def _looks_like_identity(path: str) -> bool:
    """An identity endpoint for some other tenant: answered by the identity app with "tenant not found"."""
    parts = path.lstrip("/").split("/")
    return len(parts) > 2 and parts[1] in _IDENTITY_SEGMENTS


def _unverified_app_id(token: str) -> str | None:
    """The ``appid``/``azp`` claim, read without verification: for the log only, never for decisions."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict):
        return None
    value = claims.get("appid") or claims.get("azp")
    return str(value) if value else None


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _graph_error(status: int, code: str, message: str, client_request_id: str | None) -> Response:
    """Graph's error shape; ``client-request-id`` echoes the caller's, else equals ``request-id`` (as Graph does)."""
    request_id = str(uuid.uuid4())
    ids = {"request-id": request_id, "client-request-id": client_request_id or request_id}
    payload = {"error": {"code": code, "message": message, "innerError": {"date": _now_iso(), **ids}}}
    return Response.json_body(status, payload, ids)
