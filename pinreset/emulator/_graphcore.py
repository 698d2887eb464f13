"""Pieces shared by the Graph application and its route tables: the per-request context, the route record, and
helpers that shape Graph responses (single entities, collections with paging, errors)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import attrs

from pinreset.emulator._errors import GraphProblem
from pinreset.emulator._http import Principal, Request, Response
from pinreset.emulator._odata import (
    ADVANCED,
    FilterError,
    Lookup,
    ParsedFilter,
    parse_filter,
    parse_orderby,
    parse_search,
    parse_select,
    select_fields,
)

__all__ = [
    "Ctx", "Page", "Route", "collection", "count_matching", "dict_lookup", "entity", "no_content", "query_option",
]

T = TypeVar("T")


@attrs.frozen
class Ctx:
    """What a handler needs to know about the request it answers.

    Attributes:
        request: the request (for batch items: the synthesised inner request).
        version: ``"v1.0"`` or ``"beta"``.
        principal: the verified caller.
        base: scheme and host, e.g. ``https://127.0.0.1:8443`` (for ``@odata.context`` and ``nextLink``).
    """

    request: Request
    version: str
    principal: Principal
    base: str

    @property
    def beta(self) -> bool:
        """Whether the request came through ``/beta``."""
        return self.version == "beta"

    def context(self, fragment: str) -> str:
        """An ``@odata.context`` URL for ``fragment`` (``servicePrincipals``, ``servicePrincipals/$entity``...)."""
        return f"{self.base}/{self.version}/$metadata#{fragment}"

    def body(self) -> Any:
        """The JSON body; 400 when it is not JSON."""
        try:
            return self.request.json()
        except ValueError:
            raise GraphProblem(400, "BadRequest", "Unable to read JSON request payload. Please ensure "
                               "Content-Type header is set and payload is of valid JSON format.") from None


Handler = Callable[..., Response]


@attrs.frozen
class Route:
    """One emulated operation: method and path pattern (after the version), handler, permission and throttle family.

    Attributes:
        name: operation name for the coverage table.
        method: HTTP method.
        pattern: regular expression matched against the path after ``/v1.0`` or ``/beta`` (case-insensitive).
        handler: ``handler(app, ctx, *groups) -> Response``.
        permission: a key of :data:`~pinreset.emulator._permissions.PERMISSIONS`.
        family: throttling family.
        versions: the versions that have it.
    """

    name: str
    method: str
    pattern: str
    handler: Handler
    permission: str
    family: str
    versions: frozenset[str] = frozenset({"v1.0", "beta"})


def query_option(request: Request, name: str) -> str | None:
    """A system query option, with or without its ``$`` (Graph accepts both), case-insensitively."""
    query = request.query
    value = query.get("$" + name)
    if value is None:
        value = query.get(name)
    if value is None:
        wanted = {"$" + name.lower(), name.lower()}
        for key, candidate in query.items():
            if key.lower() in wanted:
                return candidate
    return value


def entity(ctx: Ctx, payload: dict[str, Any], context: str, *, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """One entity with ``@odata.context`` (``$select`` applied)."""
    select = query_option(ctx.request, "select")
    body = payload
    if select:
        try:
            body = select_fields(payload, parse_select(select))
        except FilterError as exc:
            raise GraphProblem(400, "BadRequest", str(exc)) from None
    return Response.json_body(status, {"@odata.context": ctx.context(context), **body}, headers)


def no_content() -> Response:
    """``204 No Content``."""
    return Response(status=204)


def dict_lookup(record: Any, path: tuple[str, ...]) -> Any:
    """Read a property path from JSON dictionaries, matching names without regard to case."""
    value = record
    for name in path:
        if not isinstance(value, dict):
            return None
        if name in value:
            value = value[name]
            continue
        lowered = name.lower()
        value = next((v for k, v in value.items() if k.lower() == lowered), None)
    return value


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"emu:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith("emu:") or not text[4:].isdigit():
        raise GraphProblem(400, "BadRequest", "The $skiptoken value is not valid.")
    return int(text[4:])


@attrs.frozen
class Page:
    """Paging sizes of a collection: default page, largest page, and whether a larger ``$top`` is an error."""

    default: int
    maximum: int
    strict: bool = False


def _bad(directory: bool, message: str, *, unsupported: bool = False) -> GraphProblem:
    if directory:
        return GraphProblem(400, "Request_UnsupportedQuery" if unsupported else "Request_BadRequest", message)
    return GraphProblem(400, "BadRequest", message)


def collection(
    ctx: Ctx,
    items: Sequence[T],
    *,
    to_json: Callable[[T], dict[str, Any]],
    entity_set: str,
    page: Page,
    lookup: Lookup = dict_lookup,
    known: Callable[[str], bool] | None = None,
    directory: bool = False,
    type_name: str = "entity",
) -> Response:
    """A Graph collection answer with ``$filter``, ``$search``, ``$orderby``, ``$count``, ``$select``, ``$top`` and
    ``$skiptoken`` paging (``@odata.nextLink`` as a full URL).

    Directory collections enforce Graph's advanced-query rules: ``$count``, ``$search`` and the ``ne``/``not``/
    ``endswith`` filters need ``ConsistencyLevel: eventual`` (filters also ``$count=true``).

    Raises:
        GraphProblem: 400 for a query Graph would refuse.
    """
    request = ctx.request
    eventual = request.headers.get("consistencylevel", "").lower() == "eventual"
    count_text = (query_option(request, "count") or "").lower()
    if count_text not in ("", "true", "false"):
        raise _bad(directory, f"Invalid $count value '{count_text}'.")
    want_count = count_text == "true"
    if directory and want_count and not eventual:
        raise _bad(directory, "$count is not currently supported.")
    keep = _row_test(ctx, lookup, known=known, directory=directory, type_name=type_name,
                     advanced_ok=eventual and want_count, eventual=eventual)
    size = _page_size(request, page, directory)
    token = query_option(request, "skiptoken")
    position = _decode_token(token) if token else 0
    orderby = query_option(request, "orderby")
    total: int | None = None
    next_position: int | None = None
    if orderby:
        try:
            keys = parse_orderby(orderby)
        except FilterError as exc:
            raise _bad(directory, str(exc)) from None
        selected = [item for item in items if keep(item)] if keep else list(items)
        for path, descending in reversed(keys):
            selected.sort(key=_sort_key(lookup, path), reverse=descending)
        total = len(selected)
        chunk = selected[position:position + size]
        if position + size < total:
            next_position = position + size
    else:
        # Without $orderby the skiptoken is a position in the unfiltered collection, so paging through a filtered
        # 100,000-device inventory tests each device once, not once per page.
        chunk = []
        index = position
        while index < len(items):
            item = items[index]
            if keep is None or keep(item):
                if len(chunk) == size:
                    next_position = index
                    break
                chunk.append(item)
            index += 1
        if want_count and position == 0:
            total = sum(1 for item in items if keep(item)) if keep else len(items)
    values = [to_json(item) for item in chunk]
    select = query_option(request, "select")
    fragment = entity_set
    if select:
        try:
            names = parse_select(select)
        except FilterError as exc:
            raise _bad(directory, str(exc)) from None
        values = [select_fields(v, names) for v in values]
        fragment = f"{entity_set}({','.join(names)})"
    payload: dict[str, Any] = {"@odata.context": ctx.context(fragment)}
    if want_count and position == 0 and total is not None:
        payload["@odata.count"] = total
    if next_position is not None:
        payload["@odata.nextLink"] = _next_link(ctx, next_position)
    payload["value"] = values
    return Response.json_body(200, payload)


def count_matching(
    ctx: Ctx,
    items: Sequence[T],
    *,
    lookup: Lookup = dict_lookup,
    known: Callable[[str], bool] | None = None,
    type_name: str = "entity",
) -> Response:
    """A directory ``/$count`` segment: ``text/plain`` count of the items ``$filter`` and ``$search`` keep.

    The segment is itself an advanced query, so it needs ``ConsistencyLevel: eventual``, and with it the
    advanced filter operators are allowed.

    Raises:
        GraphProblem: 400 without ``ConsistencyLevel: eventual`` or for a query Graph would refuse.
    """
    if ctx.request.headers.get("consistencylevel", "").lower() != "eventual":
        raise _bad(True, "$count is not currently supported.")
    keep = _row_test(ctx, lookup, known=known, directory=True, type_name=type_name, advanced_ok=True, eventual=True)
    total = sum(1 for item in items if keep(item)) if keep else len(items)
    return Response(status=200, headers={"Content-Type": "text/plain"}, body=str(total).encode())


def _page_size(request: Request, page: Page, directory: bool) -> int:
    size = page.default
    top_text = query_option(request, "top")
    if top_text is not None:
        if not top_text.isdigit() or int(top_text) < 1:
            raise _bad(directory, f"Invalid page size specified: '{top_text}'.")
        size = int(top_text)
        if size > page.maximum:
            if page.strict:
                raise _bad(directory, f"Invalid page size specified: '{top_text}'. Must be between 1 and "
                                      f"{page.maximum} inclusive.")
            size = page.maximum
    return size


def _row_test(
    ctx: Ctx,
    lookup: Lookup,
    *,
    known: Callable[[str], bool] | None,
    directory: bool,
    type_name: str,
    advanced_ok: bool,
    eventual: bool,
) -> Callable[[Any], bool] | None:
    """One predicate for ``$filter`` and ``$search`` together (None when neither is given)."""
    request = ctx.request
    tests: list[Callable[[Any], bool]] = []
    text = query_option(request, "filter")
    if text is not None:
        parsed = _parse_filter_leniently(text, lookup)
        if known is not None:
            for path in parsed.paths:
                if path[0] != "@odata.type" and not known(path[0]):
                    raise _bad(directory, f"Could not find a property named '{path[0]}' on type "
                                          f"'microsoft.graph.{type_name}'.")
        if directory and parsed.used & ADVANCED and not advanced_ok:
            raise _bad(directory, "Unsupported or invalid query filter clause specified: this operator needs "
                                  "advanced query parameters ('ConsistencyLevel: eventual' and $count=true).",
                       unsupported=True)
        tests.append(parsed.predicate)
    search = query_option(request, "search")
    if search is not None:
        if directory and not eventual:
            raise _bad(directory, "Request with $search query parameter only works through MSGraph with a special "
                                  "request header: 'ConsistencyLevel: eventual'", unsupported=True)
        try:
            terms = parse_search(search)
        except FilterError as exc:
            raise _bad(directory, str(exc)) from None
        tests.append(lambda item: all(term.lower() in str(lookup(item, (name,)) or "").lower()
                                      for name, term in terms))
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda item: all(test(item) for test in tests)


def _parse_filter_leniently(text: str, lookup: Lookup) -> ParsedFilter:
    """Parse ``$filter``; a value that is still percent-encoded (Graph documents that some clients double-encode)
    is decoded once more before giving up with 400."""
    try:
        return parse_filter(text, lookup)
    except FilterError as exc:
        if "%" in text:
            try:
                return parse_filter(unquote(text), lookup)
            except FilterError:
                pass
        raise GraphProblem(400, "BadRequest", str(exc)) from None


def _sort_key(lookup: Lookup, path: tuple[str, ...]) -> Callable[[Any], tuple[bool, str]]:
    def key(item: Any) -> tuple[bool, str]:
        value = lookup(item, path)
        return value is None, str(value if value is not None else "").lower()
    return key


def _next_link(ctx: Ctx, offset: int) -> str:
    request = ctx.request
    parts = [f"{quote(k, safe='$')}={quote(v, safe='$,()')}" for k, v in request.query.items()
             if k.lower() not in ("$skiptoken", "skiptoken")]
    parts.append(f"$skiptoken={_encode_token(offset)}")
    return f"{ctx.base}{quote(request.path, safe='/$(),=')}?{'&'.join(parts)}"
