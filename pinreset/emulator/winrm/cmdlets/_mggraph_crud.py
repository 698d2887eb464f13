"""Factories for the generated Microsoft Graph PowerShell cmdlets: Get (list and get), New, Update, Remove, actions.

The SDK generates one cmdlet per Graph operation with a predictable surface: path keys become mandatory
``-<Entity>Id`` parameters, a list ``Get-`` has ``-Filter/-All/-Top/-PageSize/-Property…`` and a get ``Get-``
the entity key instead (the two parameter sets exclude each other), writes take ``-BodyParameter`` (a
hashtable in Graph's JSON shape). Each factory registers one such cmdlet over a URL template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pinreset.emulator.winrm._engine import Invocation, Param
from pinreset.emulator.winrm._objects import PSObj
from pinreset.emulator.winrm.cmdlets._mggraph import (
    COMMON_GET,
    LIST_PARAMS,
    call,
    checked,
    connection,
    get_all,
    mg_cmdlet,
    path_segment,
)
from pinreset.emulator.winrm.cmdlets._mggraph_models import to_sdk

__all__ = [
    "define_action",
    "define_get",
    "define_new",
    "define_remove",
    "define_update",
    "json_body",
    "list_query",
    "request_headers",
]

_WRITE_COMMON = (
    Param("Headers", "object"),
    Param("ResponseHeadersVariable", aliases=("RHV",)),
    Param("PassThru", "switch"),
)


def list_query(inv: Invocation) -> dict[str, str]:
    """OData query options of a list call: ``-Filter``, ``-Property``, ``-Top``/``-PageSize``, ``-Sort``, ..."""
    args = inv.args
    query: dict[str, str] = {}
    if args.get("Filter") is not None:
        query["$filter"] = str(args["Filter"])
    if args.get("Search") is not None:
        query["$search"] = str(args["Search"])
    if args.get("Property"):
        query["$select"] = ",".join(args["Property"])
    if args.get("ExpandProperty"):
        query["$expand"] = ",".join(args["ExpandProperty"])
    if args.get("Sort"):
        query["$orderby"] = ",".join(args["Sort"])
    if args.get("Skip") is not None:
        query["$skip"] = str(args["Skip"])
    page_size = args.get("PageSize") if args.get("All") else None
    top = args.get("Top")
    if page_size is not None:
        query["$top"] = str(page_size)
    elif top is not None:
        query["$top"] = str(min(int(top), 999))
    if args.get("CountVariable"):
        query["$count"] = "true"
    return query


def request_headers(inv: Invocation) -> dict[str, str]:
    """``-Headers`` and ``-ConsistencyLevel`` as request headers."""
    headers: dict[str, str] = {}
    extra = inv.args.get("Headers")
    if isinstance(extra, Mapping):
        headers.update({str(k): str(v) for k, v in extra.items()})
    if inv.args.get("ConsistencyLevel"):
        headers["ConsistencyLevel"] = str(inv.args["ConsistencyLevel"])
    return headers


def _path(template: str, inv: Invocation, keys: tuple[str, ...]) -> str:
    values = {key: path_segment(str(inv.args[key])) for key in keys}
    return template.format(**values)


def json_body(value: Any) -> Any:
    """A ``-BodyParameter`` hashtable (or SDK object) as the JSON the SDK sends."""
    if isinstance(value, PSObj):
        extra = value.props.get("AdditionalProperties") or {}
        props = {k[:1].lower() + k[1:]: json_body(v) for k, v in value.props.items() if k != "AdditionalProperties"}
        return {**{k: v for k, v in props.items() if v is not None}, **json_body(extra)}
    if isinstance(value, Mapping):
        return {str(k): json_body(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_body(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def define_get(
    name: str,
    module: str,
    template: str,
    model: str,
    *,
    parents: tuple[str, ...] = (),
    key: str | None = None,
    key_aliases: tuple[str, ...] = (),
) -> None:
    """A ``Get-Mg…`` cmdlet: the list set over ``template``, and with ``key`` the get set (``template/{key}``).

    Args:
        name: the cmdlet name.
        module: its module.
        template: the collection URL, ``/beta/deviceManagement/deviceConfigurations/{DeviceConfigurationId}/…``.
        model: the SDK model of the items.
        parents: mandatory key parameters the template names.
        key: the entity key parameter (``-GroupId``) selecting the get set.
        key_aliases: further names of ``key``.
    """
    beta = template.startswith("/beta/")

    def run(inv: Invocation, cls: Callable[[str], str]) -> Iterator[Any]:
        single = key is not None and inv.has(key)
        conn = connection(inv, cls("Get" if single else "List"))
        base = _path(template, inv, parents)
        headers = request_headers(inv)
        if single and key is not None:
            query = {k: v for k, v in list_query(inv).items() if k in ("$select", "$expand")}
            reply = checked(
                call(inv, conn, "GET", f"{base}/{path_segment(str(inv.args[key]))}", query=query, headers=headers)
            )
            yield to_sdk(reply.json() or {}, model, beta=beta)
            return
        top = inv.args.get("Top")
        follow = bool(inv.args.get("All")) or top is not None
        limit = None if inv.args.get("All") or top is None else int(top)
        for item in get_all(inv, conn, base, query=list_query(inv), headers=headers, follow=follow, limit=limit):
            yield to_sdk(item, model, beta=beta)

    params: list[Param] = [Param(p, mandatory=True) for p in parents]
    if key is not None:
        params.append(Param(key, aliases=key_aliases))
    params.extend(LIST_PARAMS)
    params.extend(COMMON_GET)
    mg_cmdlet(name, module, tuple(params), run, exclusive=(key,) if key else ())


def define_new(
    name: str,
    module: str,
    template: str,
    model: str,
    *,
    parents: tuple[str, ...] = (),
    expanded: tuple[Param, ...] = (),
) -> None:
    """A ``New-Mg…`` cmdlet: POST ``-BodyParameter`` (or the expanded parameters) and yield the created object."""
    beta = template.startswith("/beta/")

    def run(inv: Invocation, cls: Callable[[str], str]) -> Iterator[Any]:
        variant = "Create" if inv.has("BodyParameter") else "CreateExpanded"
        conn = connection(inv, cls(variant))
        if inv.has("BodyParameter"):
            body = json_body(inv.args["BodyParameter"])
        else:
            body = {p.name[:1].lower() + p.name[1:]: json_body(inv.args[p.name]) for p in expanded if inv.has(p.name)}
            body.update(json_body(inv.args.get("AdditionalProperties") or {}))
        reply = checked(call(inv, conn, "POST", _path(template, inv, parents), body=body, headers=request_headers(inv)))
        yield to_sdk(reply.json() or {}, model, beta=beta)

    params = (
        *(Param(p, mandatory=True) for p in parents),
        Param("BodyParameter", "hashtable"),
        *expanded,
        Param("AdditionalProperties", "hashtable"),
        *_WRITE_COMMON,
    )
    mg_cmdlet(name, module, params, run, should_process=True)


def define_update(name: str, module: str, template: str, key: str) -> None:
    """An ``Update-Mg…`` cmdlet: PATCH ``template/{key}`` with ``-BodyParameter``; no output (``-PassThru``: True)."""

    def run(inv: Invocation, cls: Callable[[str], str]) -> Iterator[Any]:
        conn = connection(inv, cls("Update"))
        body = json_body(inv.args.get("BodyParameter") or {})
        body.update(json_body(inv.args.get("AdditionalProperties") or {}))
        target = f"{template}/{path_segment(str(inv.args[key]))}"
        checked(call(inv, conn, "PATCH", target, body=body, headers=request_headers(inv)))
        if inv.args.get("PassThru"):
            yield True

    params = (
        Param(key, mandatory=True),
        Param("BodyParameter", "hashtable"),
        Param("AdditionalProperties", "hashtable"),
        *_WRITE_COMMON,
    )
    mg_cmdlet(name, module, params, run, should_process=True)


def define_remove(name: str, module: str, template: str, key: str) -> None:
    """A ``Remove-Mg…`` cmdlet: DELETE ``template/{key}``; no output (``-PassThru``: True)."""

    def run(inv: Invocation, cls: Callable[[str], str]) -> Iterator[Any]:
        conn = connection(inv, cls("Delete"))
        headers = request_headers(inv)
        if inv.args.get("IfMatch"):
            headers["If-Match"] = str(inv.args["IfMatch"])
        checked(call(inv, conn, "DELETE", f"{template}/{path_segment(str(inv.args[key]))}", headers=headers))
        if inv.args.get("PassThru"):
            yield True

    params = (Param(key, mandatory=True), Param("IfMatch"), *_WRITE_COMMON)
    mg_cmdlet(name, module, params, run, should_process=True)


def define_action(
    name: str,
    module: str,
    template: str,
    variant: str,
    *,
    keys: tuple[str, ...] = (),
    body: tuple[Param, ...] = (),
    result: Callable[[Any], Iterator[Any]] | None = None,
) -> None:
    """A Graph action cmdlet: POST ``template`` with the body parameters; ``result`` shapes the answer.

    Args:
        name: the cmdlet name.
        module: its module.
        template: the action URL with ``{Key}`` placeholders.
        variant: the expanded variant's name (``Sync``, ``Reboot``, ``ExecuteExpanded``...).
        keys: mandatory key parameters.
        body: the body's parameters (``-BodyParameter`` replaces them all).
        result: turns the response JSON into output objects (``None``: no output, ``-PassThru``: True).
    """

    def run(inv: Invocation, cls: Callable[[str], str]) -> Iterator[Any]:
        expanded = not inv.has("BodyParameter")
        conn = connection(inv, cls(variant if expanded or not body else variant.replace("Expanded", "")))
        payload: Any = None
        if inv.has("BodyParameter"):
            payload = json_body(inv.args["BodyParameter"])
        elif body:
            payload = {p.name[:1].lower() + p.name[1:]: json_body(inv.args[p.name]) for p in body if inv.has(p.name)}
        reply = checked(call(inv, conn, "POST", _path(template, inv, keys), body=payload, headers=request_headers(inv)))
        if result is not None:
            yield from result(reply.json())
        elif inv.args.get("PassThru"):
            yield True

    params = (
        *(Param(k, mandatory=True) for k in keys),
        *body,
        *((Param("BodyParameter", "hashtable"),) if body else ()),
        *_WRITE_COMMON,
    )
    mg_cmdlet(name, module, params, run, should_process=True)
