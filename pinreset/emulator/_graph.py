"""The Microsoft Graph application of the emulator: routing, authentication, permissions, throttling, errors and
``$batch``, over the in-memory :class:`~pinreset.emulator._tenant.Tenant`.

Every request goes: version prefix -> route lookup -> authentication (the injected :class:`Authenticator`) ->
permission check (one table, ``_permissions.py``) -> throttling (``_throttle.py``) -> handler -> response, with
Graph's ``request-id`` / ``client-request-id`` headers. Domain errors become Graph's error body::

    {"error": {"code": "...", "message": "...", "innerError": {"date": "...", "request-id": "...",
                                                               "client-request-id": "..."}}}
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pinreset.emulator._errors import GraphProblem
from pinreset.emulator._graphcore import Ctx, Page, Route
from pinreset.emulator._http import Authenticator, Principal, Request, Response, Unauthorized
from pinreset.emulator._permissions import PERMISSIONS
from pinreset.emulator._routes_directory import DIRECTORY_ROUTES
from pinreset.emulator._routes_intune import INTUNE_ROUTES
from pinreset.emulator._tenant import Tenant
from pinreset.emulator._throttle import ThrottleConfig, Throttler

__all__ = ["BATCH_LIMIT", "ROUTES", "GraphApp"]

BATCH_LIMIT = 20
ROUTES: list[Route] = [*DIRECTORY_ROUTES, *INTUNE_ROUTES]
_VERSIONS = ("v1.0", "beta")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_WWW_AUTHENTICATE = ('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                     'client_id="00000003-0000-0000-c000-000000000000"')


def _compile(routes: list[Route]) -> dict[str, list[tuple[re.Pattern[str], Route]]]:
    """Index routes by their first path segment (lower-cased) for a short scan per request."""
    index: dict[str, list[tuple[re.Pattern[str], Route]]] = {}
    for route in routes:
        first = route.pattern.split("/", 1)[0].split("\\(", 1)[0].lower()
        index.setdefault(first, []).append((re.compile(route.pattern + r"/?", re.IGNORECASE), route))
    return index


_INDEX = _compile(ROUTES)


class GraphApp:
    """Answers Microsoft Graph requests from a :class:`Tenant`.

    Args:
        tenant: the emulated tenant.
        authenticator: verifies bearer tokens (raises :class:`Unauthorized`).
        throttle: throttling configuration (Intune's limits by default; ``ThrottleConfig(enabled=False)`` to disable).
        page_size: override every collection's default page size (e.g. 2 to exercise paging in tests).
    """

    def __init__(
        self,
        tenant: Tenant,
        authenticator: Authenticator,
        *,
        throttle: ThrottleConfig | None = None,
        page_size: int | None = None,
    ) -> None:
        self.tenant = tenant
        self.authenticator = authenticator
        self.throttler = Throttler(throttle)
        self.page_size = page_size

    def page(self, page: Page) -> Page:
        """A collection's paging, with the configured default page size applied."""
        if self.page_size is None:
            return page
        return Page(default=self.page_size, maximum=max(page.maximum, self.page_size), strict=page.strict)

    # --- entry point ------------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one Graph request; never raises for bad input."""
        request_id = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id") or request_id
        try:
            version, rest = self._split(request.path)
            try:
                principal = self.authenticator.authenticate(request)
            except Unauthorized as exc:
                raise GraphProblem(401, exc.code, exc.message, {"WWW-Authenticate": _WWW_AUTHENTICATE}) from None
            if principal.tenant_id.lower() != self.tenant.tenant_id:
                raise GraphProblem(401, "InvalidAuthenticationToken",
                                   "Access token validation failure. The token was issued for another tenant.",
                                   {"WWW-Authenticate": _WWW_AUTHENTICATE})
            ctx = Ctx(request=request, version=version, principal=principal, base=_base_url(request.headers))
            is_batch = rest.lower() == "$batch"
            response = self._batch(ctx) if is_batch else self._dispatch(ctx, rest)
        except GraphProblem as problem:
            response = self._error(problem, request_id, client_request_id)
        except Exception as exc:  # a server answers 500 rather than dropping the connection
            failure = GraphProblem(500, "InternalServerError", f"The emulator failed: {type(exc).__name__}.")
            response = self._error(failure, request_id, client_request_id)
        headers = dict(response.headers)
        headers["request-id"] = request_id
        headers["client-request-id"] = client_request_id
        return Response(status=response.status, headers=headers, body=response.body, fault=response.fault)

    @staticmethod
    def _split(path: str) -> tuple[str, str]:
        trimmed = path.lstrip("/")
        version, _, rest = trimmed.partition("/")
        if version not in _VERSIONS:
            raise GraphProblem(400, "BadRequest", f"Invalid version: {version or '(none)'}")
        return version, rest.rstrip("/")

    def _dispatch(self, ctx: Ctx, rest: str) -> Response:
        first = rest.split("/", 1)[0].split("(", 1)[0].lower()
        method = ctx.request.method.upper()
        allowed = False
        for pattern, route in _INDEX.get(first, ()):
            match = pattern.fullmatch(rest)
            if match is None or ctx.version not in route.versions:
                continue
            if route.method != method:
                allowed = True
                continue
            self._authorize(ctx.principal, route)
            self.throttler.check(route.family, ctx.principal.app_id, write=method in _WRITES)
            return route.handler(self, ctx, *match.groups())
        if allowed:
            raise GraphProblem(405, "Request_BadRequest" if first in _DIRECTORY_SEGMENTS else "BadRequest",
                               f"The HTTP method '{method}' is not allowed for this resource.")
        segment = next((s for s in rest.split("/") if s and s.lower() not in _KNOWN_SEGMENTS), rest or "/")
        raise GraphProblem(400, "BadRequest", f"Resource not found for the segment '{segment.split('(')[0]}'.")

    @staticmethod
    def _authorize(principal: Principal, route: Route) -> None:
        if not principal.allows(*PERMISSIONS[route.permission]):
            raise GraphProblem(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

    def _error(self, problem: GraphProblem, request_id: str, client_request_id: str) -> Response:
        body = {
            "error": {
                "code": problem.code,
                "message": problem.message,
                "innerError": {
                    "date": self.tenant.now().strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                },
            }
        }
        return Response.json_body(problem.status, body, problem.headers)

    # --- $batch -----------------------------------------------------------------------------------------------------

    def _batch(self, ctx: Ctx) -> Response:
        if ctx.request.method.upper() != "POST":
            raise GraphProblem(405, "BadRequest", "$batch accepts only POST.")
        body = ctx.body()
        items = body.get("requests") if isinstance(body, Mapping) else None
        if not isinstance(items, list) or not items:
            raise GraphProblem(400, "BadRequest", "The batch request needs a non-empty 'requests' array.")
        if len(items) > BATCH_LIMIT:
            raise GraphProblem(400, "BadRequest",
                               f"The number of batch requests exceeds the limit of {BATCH_LIMIT}.")
        order = _batch_order(items)
        results: dict[str, dict[str, Any]] = {}
        for item in order:
            item_id = str(item["id"])
            failed = [d for d in item.get("dependsOn") or [] if results[str(d)]["status"] >= 400]
            if failed:
                results[item_id] = _failed_dependency(item_id, failed)
                continue
            results[item_id] = self._batch_item(ctx, item)
        return Response.json_body(200, {"responses": [results[str(item["id"])] for item in items]})

    def _batch_item(self, ctx: Ctx, item: Mapping[str, Any]) -> dict[str, Any]:
        item_id = str(item["id"])
        request_id = str(uuid.uuid4())
        headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
        client_request_id = headers.get("client-request-id") or request_id
        try:
            try:
                split = urlsplit(str(item["url"]))
            except ValueError:  # e.g. an unclosed IPv6 bracket
                raise GraphProblem(400, "BadRequest", "The batch request URL is not valid.") from None
            if split.scheme or split.netloc:
                raise GraphProblem(400, "BadRequest", "Batch request URLs must be relative to the version root.")
            path = "/" + unquote(split.path).lstrip("/")
            if path.split("/", 2)[1] in _VERSIONS:
                raise GraphProblem(400, "BadRequest", "Batch request URLs must not repeat the version.")
            payload = item.get("body")
            raw = b"" if payload is None else json.dumps(payload).encode()
            merged = {**{k: v for k, v in ctx.request.headers.items() if k in ("host", "x-emulator-scheme",
                                                                                 "x-forwarded-proto")}, **headers}
            inner = Request(
                method=str(item["method"]).upper(),
                path=f"/{ctx.version}{path}",
                query=dict(parse_qsl(split.query, keep_blank_values=True)),
                headers=merged,
                body=raw,
                raw_query=split.query,
            )
            inner_ctx = Ctx(request=inner, version=ctx.version, principal=ctx.principal, base=ctx.base)
            response = self._dispatch(inner_ctx, path.lstrip("/").rstrip("/"))
        except GraphProblem as problem:
            response = self._error(problem, request_id, client_request_id)
        except Exception as exc:
            response = self._error(GraphProblem(500, "InternalServerError", type(exc).__name__), request_id,
                                   client_request_id)
        result: dict[str, Any] = {"id": item_id, "status": response.status,
                                  "headers": dict(response.headers)}
        if response.body:
            content_type = response.headers.get("Content-Type", "")
            result["body"] = response.json() if content_type.startswith("application/json") \
                else response.body.decode("utf-8", "replace")
        return result


_DIRECTORY_SEGMENTS = frozenset({"organization", "domains", "users", "groups", "serviceprincipals",
                                 "oauth2permissiongrants"})
_KNOWN_SEGMENTS = frozenset({"devicemanagement"})


def _base_url(headers: Mapping[str, str]) -> str:
    scheme = headers.get("x-emulator-scheme") or headers.get("x-forwarded-proto") or "https"
    host = headers.get("host") or "graph.microsoft.com"
    return f"{scheme}://{host}"


def _failed_dependency(item_id: str, failed: list[Any]) -> dict[str, Any]:
    return {
        "id": item_id,
        "status": 424,
        "headers": {"Content-Type": "application/json"},
        "body": {"error": {"code": "FailedDependency",
                           "message": f"The request depends on request(s) {', '.join(map(str, failed))}, "
                                      "which failed."}},
    }


def _batch_order(items: list[Any]) -> list[Mapping[str, Any]]:
    """Validate batch items and order them so that every item runs after its ``dependsOn``.

    Raises:
        GraphProblem: 400 for a malformed item, a duplicate id, an unknown dependency, a cycle, or a body without a
            Content-Type header.
    """
    seen: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if not isinstance(item, Mapping) or not item.get("id") or not item.get("method") or not item.get("url"):
            raise GraphProblem(400, "BadRequest", "Each batch request needs 'id', 'method' and 'url'.")
        item_id = str(item["id"])
        if not isinstance(item["method"], str) or not isinstance(item["url"], str):
            raise GraphProblem(400, "BadRequest", f"Batch request '{item_id}' needs string 'method' and 'url'.")
        if not isinstance(item.get("headers") or {}, Mapping):
            raise GraphProblem(400, "BadRequest", f"The 'headers' of batch request '{item_id}' must be an object.")
        if item_id in seen:
            raise GraphProblem(400, "BadRequest", f"Batch request id '{item_id}' is not unique.")
        depends = item.get("dependsOn") or []
        if not isinstance(depends, list):
            raise GraphProblem(400, "BadRequest", "'dependsOn' must be an array of request ids.")
        if item.get("body") is not None:
            headers = {str(k).lower() for k in (item.get("headers") or {})}
            if "content-type" not in headers:
                raise GraphProblem(400, "BadRequest",
                                   f"Batch request '{item_id}' has a body but no Content-Type header.")
        seen[item_id] = item
    order: list[Mapping[str, Any]] = []
    state: dict[str, int] = {}

    def visit(item_id: str) -> None:
        if state.get(item_id) == 2:
            return
        if state.get(item_id) == 1:
            raise GraphProblem(400, "BadRequest", "The dependsOn references form a cycle.")
        state[item_id] = 1
        for dependency in seen[item_id].get("dependsOn") or []:
            if str(dependency) not in seen:
                raise GraphProblem(400, "BadRequest", f"dependsOn references unknown request id '{dependency}'.")
            visit(str(dependency))
        state[item_id] = 2
        order.append(seen[item_id])

    for item_id in seen:
        visit(item_id)
    return order
