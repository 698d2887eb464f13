"""OData query options of the emulated Graph: $filter grammar, $select, $top and nextLink paging, $count."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from pinreset.emulator._odata import FilterError, parse_filter

GRAPH = "00000003-0000-0000-c000-000000000000"


def _lookup(record: Any, path: tuple[str, ...]) -> Any:
    return record.get(path[0])


@pytest.mark.parametrize(
    ("expression", "record", "expected"),
    [
        ("name eq 'a'", {"name": "A"}, True),
        ("name ne 'a'", {"name": "b"}, True),
        ("name eq 'it''s'", {"name": "It's"}, True),
        ("startswith(name,'Win')", {"name": "window"}, True),
        ("endswith(name, 'OW')", {"name": "window"}, True),
        ("n eq 1 and (m eq 2 or m eq 3)", {"n": 1, "m": 3}, True),
        ("n eq 1 and m eq 2 or m eq 3", {"n": 0, "m": 3}, True),
        ("not (n eq 1)", {"n": 1}, False),
        ("flag eq true and other eq null", {"flag": True}, True),
        ("id eq 5bd1a7e0-7c2d-4f4e-9a40-2f5f4f9b2a11", {"id": "5BD1A7E0-7c2d-4f4e-9a40-2f5f4f9b2a11"}, True),
        ("size gt 1.5", {"size": 2}, True),
        ("name in ('x', 'y')", {"name": "Y"}, True),
        ("when ge 2026-01-01T00:00:00Z", {"when": "2026-02-01T00:00:00Z"}, True),
    ],
)
def test_filter_grammar(expression: str, record: dict[str, Any], expected: bool) -> None:
    """The $filter evaluator handles comparisons, functions, precedence, quotes, literals and parentheses."""
    assert parse_filter(expression, _lookup).predicate(record) is expected


@pytest.mark.parametrize("expression", ["", "name eq", "name eq 'x", "(name eq 'x'", "name eq 'x' extra",
                                        "bogus(name,'x')", "name eq 'x' and", "eq 'x'"])
def test_filter_syntax_errors(expression: str) -> None:
    """Malformed expressions raise FilterError with a message."""
    with pytest.raises(FilterError, match="filter clause"):
        parse_filter(expression, _lookup)


@pytest.mark.parametrize(
    "expression",
    ["(" * 3000 + "displayName eq 'a'" + ")" * 3000, "not " * 3000 + "displayName eq 'a'",
     "tolower(" * 3000 + "displayName" + ")" * 3000 + " eq 'a'"],
)
def test_deeply_nested_filter_is_400_not_500(make_app: Any, call: Any, error_code: Any, expression: str) -> None:
    """Nesting deeper than the parser allows answers 400 BadRequest instead of exhausting the stack."""
    _, app = make_app()
    response = call(app, "GET", f"/v1.0/deviceManagement/deviceConfigurations?$filter={expression}")
    assert response.status == 400
    assert error_code(response) == "BadRequest"
    assert "nesting" in response.json()["error"]["message"]


def test_nesting_within_the_limit_still_parses() -> None:
    """Forty levels of parentheses are an ordinary filter."""
    assert parse_filter("(" * 40 + "name eq 'a'" + ")" * 40, _lookup).predicate({"name": "a"}) is True


def test_bad_filter_is_400(make_app: Any, call: Any, error_code: Any) -> None:
    """A malformed $filter or an unknown property answers 400 with a message."""
    _, app = make_app()
    syntax = call(app, "GET", "/v1.0/servicePrincipals?$filter=appId eq 'x")
    assert syntax.status == 400
    assert error_code(syntax) == "BadRequest"
    unknown = call(app, "GET", "/v1.0/deviceManagement/managedDevices?$filter=favouriteColour eq 'x'")
    assert unknown.status == 400
    assert "favouriteColour" in unknown.json()["error"]["message"]


def test_filter_by_app_id_and_quote_escaping(make_app: Any, call: Any) -> None:
    """appId eq '…' finds one service principal; a doubled quote in a literal matches a real apostrophe."""
    tenant, app = make_app()
    found = call(app, "GET", f"/v1.0/servicePrincipals?$filter=appId eq '{GRAPH}'").json()["value"]
    assert [sp["displayName"] for sp in found] == ["Microsoft Graph"]
    tenant.register_application("Bob's tool")
    named = call(app, "GET", "/v1.0/servicePrincipals?$filter=displayName eq 'Bob''s tool'").json()["value"]
    assert [sp["displayName"] for sp in named] == ["Bob's tool"]
    dollarless = call(app, "GET", f"/v1.0/servicePrincipals?filter=appId eq '{GRAPH}'").json()["value"]
    assert len(dollarless) == 1


def test_device_filters(make_app: Any, call: Any) -> None:
    """managedDevices filter on deviceName, operatingSystem and startswith like Graph."""
    tenant, app = make_app(devices=30)
    device = next(iter(tenant.devices.values()))
    exact = call(app, "GET", f"/v1.0/deviceManagement/managedDevices?$filter=deviceName eq '{device.device_name}'")
    assert [d["id"] for d in exact.json()["value"]] == [device.id]
    windows = call(app, "GET", "/v1.0/deviceManagement/managedDevices?$filter=operatingSystem eq 'Windows'")
    assert len(windows.json()["value"]) == 30
    laptops = call(app, "GET", "/v1.0/deviceManagement/managedDevices?$filter=startswith(deviceName,'LAPTOP')")
    expected = sum(1 for d in tenant.devices.values() if d.device_name.startswith("LAPTOP"))
    assert len(laptops.json()["value"]) == expected > 0


def test_select_keeps_only_named_properties(make_app: Any, call: Any) -> None:
    """$select returns only the named properties and says so in @odata.context."""
    _, app = make_app()
    body = call(app, "GET", "/v1.0/organization?$select=id").json()
    assert body["@odata.context"].endswith("#organization(id)")
    assert list(body["value"][0]) == ["id"]
    devices = call(app, "GET", "/beta/deviceManagement/managedDevices?$select=deviceName,joinType&$top=2").json()
    assert all(set(d) - {"@odata.type"} == {"deviceName", "joinType"} for d in devices["value"])


def test_top_and_next_link_paging_to_the_end(make_app: Any, call: Any) -> None:
    """Following @odata.nextLink (a full URL keeping the query) visits every device exactly once."""
    tenant, app = make_app(devices=23)
    url: str | None = "/v1.0/deviceManagement/managedDevices?$top=5&$select=id"
    seen: list[str] = []
    pages = 0
    while url:
        body = call(app, "GET", url, headers={"x-emulator-scheme": "http"}).json()
        seen += [d["id"] for d in body["value"]]
        pages += 1
        link = body.get("@odata.nextLink")
        if link:
            parts = urlsplit(link)
            assert parts.scheme == "http"
            assert parts.netloc == "graph.test"
            assert "%24top=5" in link or "$top=5" in link
            url = f"{parts.path}?{parts.query}"
        else:
            url = None
    assert pages == 5
    assert seen == list(tenant.devices)


def test_configured_page_size_pages_directory(make_app: Any, call: Any) -> None:
    """GraphApp(page_size=N) makes every collection page at N by default."""
    _, app = make_app(page_size=4)
    body = call(app, "GET", "/v1.0/users").json()
    assert len(body["value"]) == 4
    assert "@odata.nextLink" in body


def test_top_limits(make_app: Any, call: Any, error_code: Any) -> None:
    """Directory $top above 999 is 400; Intune caps $top at its page size; a bad $skiptoken is 400."""
    _, app = make_app()
    too_big = call(app, "GET", "/v1.0/users?$top=1000")
    assert too_big.status == 400
    assert error_code(too_big) == "Request_BadRequest"
    assert call(app, "GET", "/v1.0/deviceManagement/managedDevices?$top=5000").status == 200
    assert call(app, "GET", "/v1.0/users?$top=abc").status == 400
    assert call(app, "GET", "/v1.0/deviceManagement/managedDevices?$skiptoken=garbage").status == 400


def test_count_needs_consistency_level_on_directory(make_app: Any, call: Any, error_code: Any) -> None:
    """$count=true on directory objects needs ConsistencyLevel: eventual; then @odata.count is on page one only."""
    tenant, app = make_app(page_size=5)
    refused = call(app, "GET", "/v1.0/users?$count=true")
    assert refused.status == 400
    assert error_code(refused) == "Request_BadRequest"
    first = call(app, "GET", "/v1.0/users?$count=true", headers={"ConsistencyLevel": "eventual"}).json()
    assert first["@odata.count"] == len(tenant.users)
    link = urlsplit(first["@odata.nextLink"])
    second = call(app, "GET", f"{link.path}?{link.query}", headers={"ConsistencyLevel": "eventual"}).json()
    assert "@odata.count" not in second
    raw = call(app, "GET", "/v1.0/users/$count", headers={"ConsistencyLevel": "eventual"})
    assert raw.body == str(len(tenant.users)).encode()


def test_count_segment_applies_filter_and_search(make_app: Any, call: Any, error_code: Any) -> None:
    """/users/$count counts what $filter or $search keep (advanced operators allowed), and refuses a bad filter."""
    tenant, app = make_app()
    eventual = {"ConsistencyLevel": "eventual"}
    first = sorted(u.user_principal_name for u in tenant.users.values())[0]
    prefix = first[:3]
    expected = sum(1 for u in tenant.users.values() if u.user_principal_name.lower().startswith(prefix.lower()))
    assert 0 < expected < len(tenant.users)
    counted = call(app, "GET", f"/v1.0/users/$count?$filter=startswith(userPrincipalName,'{prefix}')",
                   headers=eventual)
    assert (counted.status, counted.body) == (200, str(expected).encode())
    not_first = call(app, "GET", f"/v1.0/users/$count?$filter=userPrincipalName ne '{first}'", headers=eventual)
    assert not_first.body == str(len(tenant.users) - 1).encode()
    searched = call(app, "GET", f'/v1.0/users/$count?$search="userPrincipalName:{first}"', headers=eventual)
    assert searched.body == b"1"
    unknown = call(app, "GET", "/v1.0/users/$count?$filter=favouriteColour eq 'x'", headers=eventual)
    assert unknown.status == 400
    assert error_code(unknown) == "Request_BadRequest"


def test_advanced_filter_operators_need_advanced_query(make_app: Any, call: Any, error_code: Any) -> None:
    """ne/not/endswith on directory objects need ConsistencyLevel: eventual plus $count=true."""
    _, app = make_app()
    url = f"/v1.0/servicePrincipals?$filter=appId ne '{GRAPH}'"
    refused = call(app, "GET", url)
    assert refused.status == 400
    assert error_code(refused) == "Request_UnsupportedQuery"
    allowed = call(app, "GET", url + "&$count=true", headers={"ConsistencyLevel": "eventual"}).json()
    assert GRAPH not in {sp["appId"] for sp in allowed["value"]}
    assert allowed["@odata.count"] == len(allowed["value"])


def test_intune_count_without_header(make_app: Any, call: Any) -> None:
    """Intune collections answer $count=true without ConsistencyLevel."""
    _, app = make_app(devices=7)
    assert call(app, "GET", "/v1.0/deviceManagement/managedDevices?$count=true").json()["@odata.count"] == 7


def test_search_display_name(make_app: Any, call: Any) -> None:
    """$search="displayName:…" needs ConsistencyLevel: eventual and matches by substring."""
    _, app = make_app(pin_reset_apps=("service", "client"))
    url = '/v1.0/servicePrincipals?$search="displayName:Microsoft Pin Reset"'
    assert call(app, "GET", url).status == 400
    found = call(app, "GET", url, headers={"ConsistencyLevel": "eventual"}).json()["value"]
    assert len(found) == 2


def test_orderby(make_app: Any, call: Any) -> None:
    """$orderby sorts by a property, descending when asked."""
    _, app = make_app(devices=10)
    names = [d["deviceName"] for d in
             call(app, "GET", "/v1.0/deviceManagement/managedDevices?$orderby=deviceName desc").json()["value"]]
    unordered = [d["deviceName"] for d in call(app, "GET", "/v1.0/deviceManagement/managedDevices").json()["value"]]
    assert len(names) == 10
    assert names == sorted(unordered, key=str.lower, reverse=True)
    ascending = call(app, "GET", "/v1.0/deviceManagement/managedDevices?$orderby=deviceName").json()["value"]
    assert [d["deviceName"] for d in ascending] == names[::-1]


def test_isof_filters_by_odata_type(make_app: Any, call: Any) -> None:
    """isof('microsoft.graph.…') keeps the profiles of that derived type."""
    _, app = make_app()
    url = "/beta/deviceManagement/deviceConfigurations"
    call(app, "POST", url, {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "a"})
    call(app, "POST", url, {"@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
                            "displayName": "b"})
    found = call(app, "GET", f"{url}?$filter=isof('microsoft.graph.windows10CustomConfiguration')").json()["value"]
    assert [p["displayName"] for p in found] == ["a"]


def test_double_encoded_filter_is_decoded_once_more(make_app: Any, call: Any) -> None:
    """A $filter that still carries percent-encoding after the front end decoded it is read once decoded."""
    from pinreset.emulator._http import Request

    _, app = make_app()
    request = Request("GET", "/v1.0/servicePrincipals", query={"$filter": f"appId%20eq%20%27{GRAPH}%27"},
                      headers={"host": "graph.test", "authorization": "Bearer app-1"})
    assert [sp["appId"] for sp in app.handle(request).json()["value"]] == [GRAPH]


def _follow(app: Any, call: Any, url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        body = call(app, "GET", next_url).json()
        rows += body["value"]
        link = body.get("@odata.nextLink")
        next_url = f"{urlsplit(link).path}?{urlsplit(link).query}" if link else None
    return rows


def test_filtered_and_ordered_paging_visit_each_match_once(make_app: Any, call: Any) -> None:
    """Paging a filtered or ordered collection returns every match exactly once, in order."""
    tenant, app = make_app(devices=40)
    base = "/v1.0/deviceManagement/managedDevices?$top=4&$select=id,deviceName"
    filtered = _follow(app, call, base + "&$filter=startswith(deviceName,'WIN')")
    expected = [d.id for d in tenant.devices.values() if d.device_name.startswith("WIN")]
    assert [d["id"] for d in filtered] == expected
    ordered = _follow(app, call, base + "&$orderby=deviceName")
    assert [d["deviceName"] for d in ordered] == sorted((d.device_name for d in tenant.devices.values()),
                                                         key=str.lower)
    none = call(app, "GET", base + "&$filter=deviceName eq 'nothing'&$count=true").json()
    assert none["value"] == []
    assert none["@odata.count"] == 0
    assert "@odata.nextLink" not in none
