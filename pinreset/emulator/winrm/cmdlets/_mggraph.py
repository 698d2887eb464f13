"""Microsoft Graph PowerShell on the admin host: the connection context, Graph calls and the SDK's errors.

The cmdlet families (``_mggraph_auth``, ``_mggraph_directory``, ``_mggraph_intune``) build on this module.
A ``Connect-MgGraph`` sign-in lives in the runspace pool's session state, as it does in a real runspace; every
later cmdlet of that pool calls the emulator's Graph in-process (through its router, so the request log,
faults, throttling and permissions apply) with an app-only token minted for the connected app. Graph errors
become the SDK's terminating errors: the Graph message, then ``Status:``/``ErrorCode:``/``Date:`` lines and
the response headers (``request-id`` among them), FullyQualifiedErrorId ``<ErrorCode>,<cmdlet class>_<variant>``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import attrs

from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, PSError, command_not_found, register

__all__ = [
    "CLOUDS",
    "LIST_PARAMS",
    "GraphReply",
    "MgConnection",
    "call",
    "connection",
    "get_all",
    "graph_problem",
    "mg_cmdlet",
    "path_segment",
    "sdk_error",
]

#: ``Connect-MgGraph -Environment`` name -> (Graph root, login authority), as Get-MgEnvironment lists them.
CLOUDS: dict[str, tuple[str, str]] = {
    "Global": ("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "USGov": ("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "USGovDoD": ("https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    "China": ("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}

_SESSION_KEY = "mggraph.connection"
_TOKEN_LIFETIME = 3600.0

#: The list parameter set every generated ``Get-Mg…`` cmdlet has (aliases as the SDK declares them).
LIST_PARAMS = (
    Param("Filter", "string"),
    Param("All", "switch"),
    Param("Top", "int", aliases=("Limit",)),
    Param("PageSize", "int"),
    Param("Search", "string"),
    Param("Sort", "strings", aliases=("OrderBy",)),
    Param("Skip", "int"),
    Param("CountVariable", "string", aliases=("CV",)),
    Param("ConsistencyLevel", "string"),
)
#: Parameters of both sets of a ``Get-Mg…`` cmdlet.
COMMON_GET = (
    Param("Property", "strings", aliases=("Select",)),
    Param("ExpandProperty", "strings", aliases=("Expand",)),
    Param("Headers", "object"),
    Param("ResponseHeadersVariable", "string", aliases=("RHV",)),
)
_LIST_ONLY = frozenset(p.name for p in LIST_PARAMS)


@attrs.define
class MgConnection:
    """A ``Connect-MgGraph`` sign-in of one runspace pool (app-only)."""

    tenant_id: str
    client_id: str
    app_name: str
    credential_type: str  # ClientCertificate, ClientSecret, ManagedIdentity
    environment: str
    scopes: list[str]
    certificate_thumbprint: str | None = None
    token: str = attrs.field(default="", repr=False)
    expires: float = 0.0

    @property
    def graph_root(self) -> str:
        """The connected cloud's Graph root (``https://graph.microsoft.com``)."""
        return CLOUDS[self.environment][0]


def connection(inv: Invocation, cls_name: str) -> MgConnection:
    """The pool's sign-in, or the SDK's "Authentication needed" error for cmdlet class ``cls_name``."""
    found = inv.session.get(_SESSION_KEY)
    if not isinstance(found, MgConnection):
        raise PSError(
            "Authentication needed. Please call Connect-MgGraph.",
            fqid=cls_name,
            category="AuthenticationError",
            exception_types=("System.Security.Authentication.AuthenticationException",),
            command=cls_name.rsplit(".", 1)[-1],
            terminating=True,
        )
    return found


def set_connection(inv: Invocation, conn: MgConnection | None) -> None:
    """Remember (or forget, with ``None``) the pool's sign-in."""
    if conn is None:
        inv.session.pop(_SESSION_KEY, None)
    else:
        inv.session[_SESSION_KEY] = conn


def _token(inv: Invocation, conn: MgConnection) -> str:
    # The SDK caches its token and renews it before expiry; so does this.
    if not conn.token or conn.expires - time.monotonic() < 300:
        conn.token = inv.host.emulator.access_token(conn.client_id, lifetime=_TOKEN_LIFETIME)  # type: ignore[attr-defined]
        conn.expires = time.monotonic() + _TOKEN_LIFETIME
    return conn.token


@attrs.frozen
class GraphReply:
    """A Graph response as the cmdlets see it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


def path_segment(value: str) -> str:
    """A key for a URL path: a value that would change the path's shape is refused as Graph would answer it.

    The SDK percent-encodes keys, so ``a/b`` is one (unknown) key to Graph; the emulated Graph routes
    decoded paths, so such a key is answered here with the 404 Graph gives for a key that does not exist.
    """
    if any(c in value for c in "/\\?#") or not value.strip():
        raise graph_problem(404, "ResourceNotFound", f"Resource '{value}' does not exist.")
    return value


class GraphCallError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str]) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def graph_problem(status: int, code: str, message: str) -> GraphCallError:
    return GraphCallError(status, code, message, {})


def call(
    inv: Invocation,
    conn: MgConnection,
    method: str,
    target: str,
    *,
    query: Mapping[str, str] | None = None,
    body: Any = None,
    raw_body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> GraphReply:
    """One Graph request in-process, as the connected app.

    Args:
        inv: the running cmdlet (its host's emulator answers).
        conn: the sign-in.
        method: HTTP method.
        target: ``/v1.0/...`` or ``/beta/...`` (may carry a query), or an absolute URL on the connected cloud.
        query: further query parameters (decoded values).
        body: a JSON body (serialized here), or ``None``.
        raw_body: a body sent as is (wins over ``body``).
        headers: further request headers.

    Returns:
        The reply, whatever its status.
    """
    from pinreset.emulator._http import Request

    split = urlsplit(target)
    pairs = parse_qsl(split.query, keep_blank_values=True)
    pairs.extend((query or {}).items())
    raw_query = split.query if not query else "&".join(filter(None, [split.query, urlencode(query, quote_via=quote)]))
    graph_host = urlsplit(conn.graph_root).netloc
    ps_version = getattr(inv.host, "ps_version", "7.4.6")
    sdk_version = getattr(inv.host, "modules", {}).get("Microsoft.Graph.Authentication", "2.25.0")
    sent = {
        "host": graph_host,
        "x-emulator-scheme": "https",
        "authorization": f"Bearer {_token(inv, conn)}",
        "user-agent": f"Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.20348; en-US) PowerShell/{ps_version}",
        "sdkversion": f"graph-powershell/{sdk_version}",
    }
    if raw_body is None and body is not None:
        raw_body = json.dumps(body).encode()
    if raw_body:
        sent["content-type"] = "application/json"
    for name, value in (headers or {}).items():
        sent[str(name).lower()] = str(value)
    request = Request(
        method=method.upper(),
        path=unquote(split.path),
        query=dict(pairs),
        headers=sent,
        body=raw_body or b"",
        raw_query=raw_query,
    )
    response = inv.host.emulator.app.handle(request)  # type: ignore[attr-defined]
    if response.fault is not None:
        raise GraphCallError(0, "", "An error occurred while sending the request.", {})
    return GraphReply(status=response.status, headers=dict(response.headers), body=response.body)


def _failure_of(reply: GraphReply) -> GraphCallError:
    code, message = "UnknownError", ""
    try:
        error = (reply.json() or {}).get("error") or {}
        code = str(error.get("code") or code)
        message = str(error.get("message") or "")
    except (ValueError, AttributeError):
        message = reply.body.decode("utf-8", "replace")
    return GraphCallError(reply.status, code, message, reply.headers)


def checked(reply: GraphReply) -> GraphReply:
    """``reply`` when it succeeded.

    Raises:
        GraphCallError: for a 4xx/5xx answer (turned into the SDK's error by :func:`mg_cmdlet`).
    """
    if reply.status >= 400:
        raise _failure_of(reply)
    return reply


def sdk_message(status: int, code: str, message: str, headers: Mapping[str, str]) -> str:
    """The SDK's error text: message, status line, error code, date, then the response headers."""
    if not status:
        return message
    try:
        reason = HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        reason = str(status)
    shown = {
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
        "Strict-Transport-Security": "max-age=31536000",
        "request-id": headers.get("request-id", ""),
        "client-request-id": headers.get("client-request-id", headers.get("request-id", "")),
        "x-ms-ags-diagnostic": '{"ServerInfo":{"DataCenter":"West Europe","Slice":"E","Ring":"5",'
        '"ScaleUnit":"000","RoleInstance":"AM1PEPF0000000"}}',
    }
    if headers.get("Retry-After"):
        shown["Retry-After"] = headers["Retry-After"]
    shown["Date"] = formatdate(usegmt=True)
    lines = "\n".join(f"{name:<30}: {value}" for name, value in shown.items())
    date = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    return f"{message}\n\nStatus: {status} ({reason})\nErrorCode: {code}\nDate: {date}\n\nHeaders:\n{lines}\n"


def sdk_error(failure: GraphCallError, cls_name: str) -> PSError:
    """The terminating ErrorRecord the SDK writes for a failed Graph call of cmdlet class ``cls_name``."""
    short = cls_name.rsplit(".", 1)[-1]
    return PSError(
        sdk_message(failure.status, failure.code, failure.message, failure.headers),
        fqid=f"{failure.code},{cls_name}" if failure.code else cls_name,
        category="InvalidOperation",
        exception_types=("System.Exception",),
        command=short,
        terminating=True,
    )


def get_all(
    inv: Invocation,
    conn: MgConnection,
    path: str,
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    follow: bool = True,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The items of a collection, page by page, following ``@odata.nextLink`` when ``follow`` (``-All``)."""
    reply = checked(call(inv, conn, "GET", path, query=query, headers=headers))
    produced = 0
    while True:
        page = reply.json() or {}
        for item in page.get("value") or []:
            if limit is not None and produced >= limit:
                return
            produced += 1
            yield item
        link = page.get("@odata.nextLink")
        if not link or not follow or (limit is not None and produced >= limit):
            return
        reply = checked(call(inv, conn, "GET", str(link), headers=headers))


def _namespace(module: str) -> str:
    if module == "Microsoft.Graph.Authentication":
        return "Microsoft.Graph.PowerShell.Authentication.Cmdlets"
    if module.startswith("Microsoft.Graph.Beta."):
        return "Microsoft.Graph.Beta.PowerShell.Cmdlets"
    return "Microsoft.Graph.PowerShell.Cmdlets"


def cmdlet_class(name: str, module: str, variant: str | None) -> str:
    """``Microsoft.Graph.PowerShell.Cmdlets.GetMgServicePrincipal_List`` for name, module and variant."""
    base = f"{_namespace(module)}.{name.replace('-', '')}"
    return f"{base}_{variant}" if variant else base


Runner = Callable[[Invocation, Callable[[str], str]], Iterable[Any]]


def mg_cmdlet(
    name: str,
    module: str,
    params: tuple[Param, ...],
    run: Runner,
    *,
    should_process: bool = False,
    exclusive: tuple[str, ...] = (),
    binary: bool = False,
) -> CmdletSpec:
    """Register a Microsoft Graph PowerShell cmdlet answered only by admin hosts.

    Args:
        name: the cmdlet name.
        module: the module exporting it (a host without it says "not recognized").
        params: its parameters (the engine adds the common ones).
        run: the implementation; it receives the invocation and a function that names the cmdlet class of a
            variant (``"List"`` -> ``…GetMgGroup_List``) for errors. Graph failures it raises through
            :func:`checked` become the SDK's errors.
        should_process: whether ``-WhatIf``/``-Confirm`` exist.
        exclusive: a key parameter (``-GroupId``) that selects the Get parameter set; the list parameters
            cannot be combined with it.
        binary: a compiled cmdlet (the Authentication module) rather than a generated proxy function: its
            binding errors name the cmdlet class instead of the function.

    Returns:
        The registered spec.
    """

    def runner(inv: Invocation) -> Iterator[Any]:
        variant_of: dict[str, str] = {}

        def class_of(variant: str) -> str:
            variant_of["last"] = variant
            return cmdlet_class(name, module, variant)

        if not hasattr(inv.host, "emulator"):
            # Only the admin host has the Microsoft Graph modules.
            raise command_not_found(name)
        # Using a command auto-imports its module (what Get-Module without -ListAvailable lists).
        inv.session.setdefault("modules.imported", set()).add(module)
        if exclusive and any(inv.has(p) for p in exclusive):
            clash = sorted(p for p in inv.args if p in _LIST_ONLY)
            if clash:
                raise PSError(
                    "Parameter set cannot be resolved using the specified named parameters. One or more "
                    "parameters issued cannot be used together or an insufficient number of parameters were "
                    "provided.",
                    fqid=f"AmbiguousParameterSet,{name}",
                    category="InvalidArgument",
                    exception_types=("System.Management.Automation.ParameterBindingException",),
                    command=name,
                    terminating=True,
                )
        try:
            yield from run(inv, class_of)
        except GraphCallError as failure:
            raise sdk_error(failure, cmdlet_class(name, module, variant_of.get("last"))) from None

    type_name = cmdlet_class(name, module, None) if binary else name
    return register(
        CmdletSpec(
            name=name,
            type_name=type_name,
            params=params,
            run=runner,
            should_process=should_process,
            module=module,
        )
    )
