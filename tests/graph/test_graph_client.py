"""GraphClient: retries, Retry-After, deadline, idempotency, paging, create-with-lookup, error mapping.

Exact fault sequences are scripted through httpx's transport seam (``httpx.MockTransport``): the client is
the real one, only the network answers are chosen. Sleep and clock are injected, so nothing waits.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pinreset._version import __version__
from pinreset.auth import AccessToken
from pinreset.exceptions import (
    AuthenticationError,
    ConflictError,
    DeadlineExceededError,
    GraphError,
    NotFoundError,
    ParseError,
    PermissionDeniedError,
    ThrottledError,
    TransportError,
)
from pinreset.graph import FamilyLimit, GraphClient, Pacer

ROOT = "https://graph.example.test"


class StaticToken:
    """A credential returning a fixed token and counting calls."""

    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.calls += 1
        return AccessToken(f"token-{self.calls}", int(time.time()) + 3600)


class Clock:
    """Injected monotonic clock; sleeping advances it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Script = list[Callable[[httpx.Request], httpx.Response]]


def scripted(script: Script, seen: list[httpx.Request]) -> httpx.MockTransport:
    """A transport answering each request with the next scripted handler (the last one repeats)."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = script[min(len(seen) - 1, len(script) - 1)]
        return step(request)

    return httpx.MockTransport(handler)


def ok(payload: Any = None, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _r: httpx.Response(status, json=payload if payload is not None else {"value": []})


Step = Callable[[httpx.Request], httpx.Response]


def err(status: int, code: str = "Err", headers: dict[str, str] | None = None) -> Step:
    body = {"error": {"code": code, "message": f"{code} happened", "innerError": {"request-id": "rid-1"}}}
    return lambda _r: httpx.Response(status, json=body, headers=headers or {})


def raise_(exc: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def step(request: httpx.Request) -> httpx.Response:
        raise exc("connection dropped", request=request)  # type: ignore[call-arg]

    return step


def truncated(_r: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b'{"value": [{"id": "1"', headers={"Content-Type": "application/json"})


def make_client(script: Script, **kwargs: Any) -> tuple[GraphClient, list[httpx.Request], Clock]:
    seen: list[httpx.Request] = []
    clock = Clock()
    kwargs.setdefault("pacing", False)
    client = GraphClient(
        StaticToken(), graph_url=ROOT, transport=scripted(script, seen), clock=clock, sleep=clock.sleep, **kwargs
    )
    return client, seen, clock


def test_headers_on_every_request() -> None:
    """Bearer token, User-Agent and a fresh uuid4 client-request-id go with each request."""
    client, seen, _ = make_client([ok()])
    client.get("/v1.0/organization")
    client.get("/v1.0/organization")
    assert [r.headers["Authorization"] for r in seen] == ["Bearer token-1", "Bearer token-1"]
    assert seen[0].headers["User-Agent"] == f"pinreset/{__version__}"
    ids = [r.headers["client-request-id"] for r in seen]
    assert len(set(ids)) == 2
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_429_honours_retry_after_seconds() -> None:
    """A 429 with Retry-After waits exactly that long, then succeeds."""
    client, seen, clock = make_client([err(429, "TooManyRequests", {"Retry-After": "7"}), ok({"id": "x"})])
    assert client.get("/v1.0/organization") == {"id": "x"}
    assert clock.sleeps == [7.0]
    assert len(seen) == 2


def test_503_without_retry_after_backs_off_exponentially() -> None:
    """Without Retry-After the waits grow (with jitter) up to success."""
    client, _, clock = make_client([err(503), err(503), err(503), ok()])
    client.get("/v1.0/organization")
    assert len(clock.sleeps) == 3
    assert 0.5 <= clock.sleeps[0] <= 1.0
    assert 1.0 <= clock.sleeps[1] <= 2.0
    assert 2.0 <= clock.sleeps[2] <= 4.0


def test_throttled_after_all_retries() -> None:
    """A 429 that never ends raises ThrottledError with retry_after and Graph's request id."""
    client, seen, _ = make_client([err(429, "TooManyRequests", {"Retry-After": "2"})], max_retries=3)
    with pytest.raises(ThrottledError) as raised:
        client.get("/v1.0/organization")
    assert len(seen) == 4
    assert raised.value.retry_after == 2.0
    assert raised.value.request_id == "rid-1"
    assert raised.value.client_request_id == seen[-1].headers["client-request-id"]


def test_deadline_stops_long_waits() -> None:
    """A Retry-After longer than the remaining deadline raises DeadlineExceededError without waiting."""
    client, seen, clock = make_client([err(429, "TooManyRequests", {"Retry-After": "50"})], deadline=10.0)
    with pytest.raises(DeadlineExceededError):
        client.get("/v1.0/organization")
    assert clock.sleeps == []
    assert len(seen) == 1


def test_pacing_wait_counts_against_the_deadline() -> None:
    """A request the pacer would hold beyond the deadline fails at once instead of sleeping past it."""
    seen: list[httpx.Request] = []
    clock = Clock()
    pacer = Pacer({"devices": FamilyLimit(writes=1, total=1, window=20.0)}, clock=clock, sleep=clock.sleep)
    client = GraphClient(
        StaticToken(), graph_url=ROOT, transport=scripted([ok()], seen), clock=clock, sleep=clock.sleep,
        pacing=pacer, deadline=10.0,
    )  # fmt: skip
    client.get("/beta/deviceManagement/managedDevices")
    with pytest.raises(DeadlineExceededError, match="request limits"):
        client.get("/beta/deviceManagement/managedDevices")
    assert clock.sleeps == []
    assert len(seen) == 1


def test_post_is_not_blindly_retried_after_504_or_drop() -> None:
    """A POST that may have been carried out is not repeated; a GET is."""
    client, seen, _ = make_client([err(504), ok()])
    with pytest.raises(GraphError) as raised:
        client.request("POST", "/v1.0/servicePrincipals", json_body={"appId": "a"})
    assert raised.value.status_code == 504
    assert len(seen) == 1
    client, seen, _ = make_client([raise_(httpx.RemoteProtocolError), ok()])
    with pytest.raises(TransportError):
        client.request("POST", "/v1.0/servicePrincipals", json_body={"appId": "a"})
    assert len(seen) == 1
    client, seen, _ = make_client([raise_(httpx.RemoteProtocolError), err(504), ok({"id": "g"})])
    assert client.get("/v1.0/groups/g") == {"id": "g"}
    assert len(seen) == 3


def test_post_429_is_retried() -> None:
    """A throttled POST was not carried out, so it is sent again."""
    client, seen, _ = make_client([err(429, headers={"Retry-After": "1"}), ok({"id": "n"}, 201)])
    assert client.request("POST", "/v1.0/x", json_body={}).status == 201
    assert len(seen) == 2


def test_truncated_json_on_success_is_retried_for_get() -> None:
    """A 200 whose JSON is cut short counts as a network failure and is retried."""
    client, seen, _ = make_client([truncated, ok({"value": [{"id": "1"}]})])
    assert client.get("/v1.0/groups") == {"value": [{"id": "1"}]}
    assert len(seen) == 2
    client, _, _ = make_client([truncated], max_retries=1)
    with pytest.raises(TransportError, match="unreadable JSON"):
        client.get("/v1.0/groups")


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, PermissionDeniedError), (404, NotFoundError), (409, ConflictError), (400, GraphError)],
)
def test_error_mapping(status: int, error: type[GraphError]) -> None:
    """Statuses map to the typed errors with Graph's code and request id kept."""
    client, _, _ = make_client([err(status, "SomeCode")])
    with pytest.raises(error) as raised:
        client.get("/v1.0/things")
    assert raised.value.status_code == status
    assert raised.value.code == "SomeCode"
    assert raised.value.request_id == "rid-1"
    assert "rid-1" in str(raised.value)


def test_401_refetches_token_once_then_authentication_error() -> None:
    """A refused token is fetched again once; a second 401 is AuthenticationError."""
    sent: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])  # the request object is reused; keep the header now
        return err(401, "InvalidAuthenticationToken")(request)

    client, _, _ = make_client([record])
    with pytest.raises(AuthenticationError) as raised:
        client.get("/v1.0/organization")
    assert raised.value.error_code == "InvalidAuthenticationToken"
    assert sent == ["Bearer token-1", "Bearer token-2"]
    assert "request-id rid-1" in str(raised.value)
    assert "client-request-id " in str(raised.value)
    assert "token-2" not in str(raised.value)


def test_token_refreshed_before_expiry() -> None:
    """A token within five minutes of expiry is replaced before the request."""

    class Expiring:
        calls = 0

        def get_token(self, *scopes: str, **_: Any) -> AccessToken:
            Expiring.calls += 1
            return AccessToken(f"t{Expiring.calls}", int(time.time()) + 120)

    seen: list[httpx.Request] = []
    client = GraphClient(Expiring(), graph_url=ROOT, transport=scripted([ok()], seen), pacing=False)
    client.get("/v1.0/a")
    client.get("/v1.0/a")
    assert [r.headers["Authorization"] for r in seen] == ["Bearer t1", "Bearer t2"]
    assert client.scopes == (f"{ROOT}/.default",)


def test_paging_follows_next_link_and_resends_headers() -> None:
    """Every page is fetched from the full nextLink with ConsistencyLevel sent again."""
    pages = [
        {"value": [{"id": "1"}], "@odata.nextLink": f"{ROOT}/v1.0/users?$skiptoken=abc"},
        {"value": [], "@odata.nextLink": f"{ROOT}/v1.0/users?$skiptoken=def"},
        {"value": [{"id": "2"}, {"id": "3"}]},
    ]
    client, seen, _ = make_client([ok(p) for p in pages])
    items = list(client.paginate("/v1.0/users", params={"$count": "true"}, headers={"ConsistencyLevel": "eventual"}))
    assert [i["id"] for i in items] == ["1", "2", "3"]
    assert [str(r.url) for r in seen[1:]] == [p["@odata.nextLink"] for p in pages[:2]]
    assert all(r.headers["ConsistencyLevel"] == "eventual" for r in seen)


def test_next_link_to_another_host_is_refused() -> None:
    """The bearer token is never sent to a host outside the Graph root."""
    client, seen, _ = make_client([ok({"value": [], "@odata.nextLink": "https://evil.example/v1.0/users"})])
    with pytest.raises(ParseError, match="outside"):
        list(client.paginate("/v1.0/users"))
    assert len(seen) == 1


def test_next_link_to_the_same_page_is_refused() -> None:
    """A page whose nextLink names itself ends the paging with ParseError instead of looping forever."""
    link = f"{ROOT}/v1.0/users?$skiptoken=same"
    client, seen, _ = make_client([ok({"value": [{"id": "1"}], "@odata.nextLink": link})])
    items: list[dict[str, Any]] = []
    with pytest.raises(ParseError, match="same page"):
        items.extend(client.paginate("/v1.0/users"))
    assert [i["id"] for i in items] == ["1", "1"]
    assert len(seen) == 2


def test_create_looks_up_before_posting_again() -> None:
    """A create whose answer was lost is resolved by the lookup, not by a second POST."""
    client, seen, _ = make_client([raise_(httpx.ReadError)])
    found = client.create("/v1.0/servicePrincipals", {"appId": "a"}, lookup=lambda: {"id": "sp1", "appId": "a"})
    assert found == {"id": "sp1", "appId": "a"}
    assert [r.method for r in seen] == ["POST"]


def test_create_posts_again_when_lookup_finds_nothing() -> None:
    """When the lookup proves the object absent, the create is sent again (after a backoff)."""
    client, seen, clock = make_client([raise_(httpx.ReadError), ok({"id": "sp1"}, 201)])
    assert client.create("/v1.0/servicePrincipals", {"appId": "a"}, lookup=lambda: None) == {"id": "sp1"}
    assert [r.method for r in seen] == ["POST", "POST"]
    assert json.loads(seen[1].content) == {"appId": "a"}
    assert len(clock.sleeps) == 1


def test_create_retries_stop_at_the_deadline() -> None:
    """Repeated unknown outcomes end in DeadlineExceededError once the next backoff would pass the deadline."""
    client, seen, clock = make_client([raise_(httpx.ReadError)], deadline=5.0)
    with pytest.raises(DeadlineExceededError):
        client.create("/v1.0/servicePrincipals", {"appId": "a"}, lookup=lambda: None)
    assert clock.now < 5.0
    assert 3 <= len(seen) <= 4  # backoffs of 0.5-1, 1-2, 2-4, 4-8 s: the third or fourth no longer fits


def test_create_conflict_returns_existing() -> None:
    """A 409 on create returns what the lookup finds."""
    client, _, _ = make_client([err(409, "Conflict")])
    assert client.create("/v1.0/x", {"name": "n"}, lookup=lambda: {"id": "e"}) == {"id": "e"}
    client, _, _ = make_client([err(409, "Conflict")])
    with pytest.raises(ConflictError):
        client.create("/v1.0/x", {"name": "n"}, lookup=lambda: None)


def test_filter_values_are_sent_percent_encoded() -> None:
    """A quoted filter value reaches the server intact after percent-decoding."""
    from pinreset.graph import odata_eq

    client, seen, _ = make_client([ok()])
    client.get("/v1.0/groups", params={"$filter": odata_eq("displayName", "O'Brien' or 1 eq 1&x=y")})
    assert seen[0].url.params["$filter"] == "displayName eq 'O''Brien'' or 1 eq 1&x=y'"
    assert "%27" in str(seen[0].url) or "'" not in str(seen[0].url.query)


def test_per_request_timeout_is_passed_to_transport() -> None:
    """The per-attempt timeout is the smaller of the request timeout and the time left."""
    client, seen, _ = make_client([ok()], timeout=12.0, deadline=5.0)
    client.get("/v1.0/organization")
    assert seen[0].extensions["timeout"]["read"] == pytest.approx(5.0)
    client, seen, _ = make_client([ok()], timeout=3.0, deadline=None)
    client.request("GET", "/v1.0/organization", timeout=1.5)
    assert seen[0].extensions["timeout"]["read"] == pytest.approx(1.5)


def test_post_is_retried_when_the_connection_never_opened() -> None:
    """A refused connection means the POST was never sent, so it is safe to send it again."""
    client, seen, _ = make_client([raise_(httpx.ConnectError), ok({"id": "n"}, 201)])
    assert client.request("POST", "/v1.0/x", json_body={}).body == {"id": "n"}
    assert len(seen) == 2


def test_server_errors_retried_only_when_repeating_is_harmless() -> None:
    """500 and 502 are retried for a GET but end a POST, whose outcome is unknown."""
    client, seen, _ = make_client([err(500), err(502), ok({"id": "g"})])
    assert client.get("/v1.0/groups/g") == {"id": "g"}
    assert len(seen) == 3
    client, seen, _ = make_client([err(500), ok()])
    with pytest.raises(GraphError) as raised:
        client.request("POST", "/v1.0/x", json_body={})
    assert raised.value.status_code == 500
    assert len(seen) == 1


def test_prefetching_pages_keeps_order_and_errors() -> None:
    """With prefetch the items arrive in order, and a failing next page raises its typed error to the reader."""
    pages = [
        {"value": [{"id": "1"}], "@odata.nextLink": f"{ROOT}/v1.0/d?p=2"},
        {"value": [{"id": "2"}], "@odata.nextLink": f"{ROOT}/v1.0/d?p=3"},
        {"value": [{"id": "3"}]},
    ]
    client, seen, _ = make_client([ok(p) for p in pages])
    assert [i["id"] for i in client.paginate("/v1.0/d", prefetch=True)] == ["1", "2", "3"]
    assert len(seen) == 3
    client, _, _ = make_client([ok(pages[0]), err(403, "Forbidden")])
    reader = client.paginate("/v1.0/d", prefetch=True)
    assert next(reader) == {"id": "1"}
    with pytest.raises(PermissionDeniedError):
        next(reader)
