"""JSON $batch: 20 per request, only failed inner requests retried, dependsOn kept together, one result each."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from pinreset.auth import AccessToken
from pinreset.exceptions import ConfigurationError, ThrottledError
from pinreset.graph import BatchRequest, FamilyLimit, GraphClient, Pacer, run_batch

ROOT = "https://graph.example.test"


class Token:
    """A static credential."""

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        return AccessToken("t", int(time.time()) + 3600)


class BatchServer:
    """Answers $batch POSTs; ``plan[id]`` lists the statuses to give on successive sends of that id."""

    def __init__(self, plan: dict[str, list[int]] | None = None, retry_after: dict[str, str] | None = None) -> None:
        self.plan = plan or {}
        self.retry_after = retry_after or {}
        self.sends: dict[str, int] = {}
        self.batches: list[list[dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1.0/$batch"
        inner = json.loads(request.content)["requests"]
        assert len(inner) <= 20
        self.batches.append(inner)
        responses = []
        status_of: dict[str, int] = {}
        for item in inner:
            rid = item["id"]
            if any(status_of.get(dep, 200) >= 400 for dep in item.get("dependsOn", [])):
                status_of[rid] = 424
            else:
                n = self.sends.get(rid, 0)
                statuses = self.plan.get(rid, [200])
                status_of[rid] = statuses[min(n, len(statuses) - 1)]
                self.sends[rid] = n + 1
            status = status_of[rid]
            headers = {"Retry-After": self.retry_after[rid]} if rid in self.retry_after and status == 429 else {}
            body: Any = {"id": rid} if status < 400 else {"error": {"code": f"E{status}", "message": "no"}}
            responses.append({"id": rid, "status": status_of[rid], "headers": headers, "body": body})
        return httpx.Response(200, json={"responses": list(reversed(responses))})  # order is not guaranteed


def client_for(server: BatchServer, **kwargs: Any) -> tuple[GraphClient, list[float]]:
    sleeps: list[float] = []
    client = GraphClient(
        Token(), graph_url=ROOT, transport=httpx.MockTransport(server), pacing=False, sleep=sleeps.append, **kwargs
    )
    return client, sleeps


def gets(n: int) -> list[BatchRequest]:
    return [BatchRequest(id=str(i), method="GET", url=f"/groups/{i}") for i in range(n)]


def test_chunks_of_twenty_and_results_in_order() -> None:
    """45 requests go out in 3 batches and come back one result each, in request order."""
    server = BatchServer()
    client, sleeps = client_for(server)
    results = run_batch(client, gets(45))
    assert [len(b) for b in server.batches] == [20, 20, 5]
    assert [r.id for r in results] == [str(i) for i in range(45)]
    assert all(r.ok and r.body == {"id": r.id} for r in results)
    assert sleeps == []


def test_only_throttled_inner_requests_are_retried() -> None:
    """Inner 429s are resent alone, after the longest Retry-After among them."""
    server = BatchServer(plan={"3": [429, 200], "7": [429, 200]}, retry_after={"3": "4", "7": "2"})
    client, sleeps = client_for(server)
    results = run_batch(client, gets(10))
    assert [len(b) for b in server.batches] == [10, 2]
    assert sorted(i["id"] for i in server.batches[1]) == ["3", "7"]
    assert sleeps == [4.0]
    assert all(r.ok for r in results)
    assert {r.id: r.attempts for r in results}["3"] == 2


def test_failed_dependency_is_resent_with_its_dependent() -> None:
    """A 503 on a dependency and the resulting 424 are retried together, keeping dependsOn."""
    server = BatchServer(plan={"a": [503, 200]})
    client, _ = client_for(server)
    requests = [
        BatchRequest(id="a", method="GET", url="/a"),
        BatchRequest(id="b", method="GET", url="/b", depends_on=("a",)),
        BatchRequest(id="c", method="GET", url="/c"),
    ]
    results = run_batch(client, requests)
    assert [r.status for r in results] == [200, 200, 200]
    retried = {i["id"]: i for i in server.batches[1]}
    assert set(retried) == {"a", "b"}
    assert retried["b"]["dependsOn"] == ["a"]


def test_dependant_of_a_request_not_retried_is_not_resent_alone() -> None:
    """A 424 whose dependency failed for good (a POST answered 504) keeps its 424 instead of running unguarded."""
    server = BatchServer(plan={"p": [504, 200]})
    client, _ = client_for(server)
    requests = [
        BatchRequest(id="p", method="POST", url="/things", body={"n": 1}),
        BatchRequest(id="q", method="GET", url="/things/n1", depends_on=("p",)),
    ]
    results = run_batch(client, requests)
    assert [r.status for r in results] == [504, 424]
    assert len(server.batches) == 1
    assert server.sends.get("q") is None


def test_dependent_requests_never_split_across_batches() -> None:
    """A dependency chain starting at position 19 moves whole into the next batch."""
    requests = [
        *gets(19),
        BatchRequest(id="x", method="GET", url="/x"),
        BatchRequest(id="y", method="GET", url="/y", depends_on=("x",)),
    ]
    server = BatchServer()
    client, _ = client_for(server)
    run_batch(client, requests)
    assert [len(b) for b in server.batches] == [19, 2]


def test_retries_run_out_and_the_status_is_kept() -> None:
    """An inner request that stays throttled ends with its 429 and a ThrottledError."""
    server = BatchServer(plan={"0": [429]}, retry_after={"0": "1"})
    client, sleeps = client_for(server, max_retries=2)
    result = run_batch(client, gets(2))[0]
    assert result.status == 429
    assert result.attempts == 3
    assert isinstance(result.error(), ThrottledError)
    assert sleeps == [1.0, 1.0]


def test_retry_waits_stop_at_the_deadline() -> None:
    """A Retry-After that would pass the client's deadline ends the retries; every request still has a result."""
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    server = BatchServer(plan={"0": [429]}, retry_after={"0": "50"})
    client = GraphClient(Token(), graph_url=ROOT, transport=httpx.MockTransport(server), pacing=False,
                         sleep=sleep, clock=lambda: now[0], deadline=60.0)  # fmt: skip
    results = run_batch(client, gets(2))
    assert sleeps == [50.0]
    assert [(r.status, r.attempts) for r in results] == [(429, 2), (200, 1)]
    assert isinstance(results[0].error(), ThrottledError)


def test_non_idempotent_inner_504_is_not_retried() -> None:
    """An inner POST answered 504 may have been carried out, so it is not sent again."""
    server = BatchServer(plan={"p": [504, 200]})
    client, _ = client_for(server)
    results = run_batch(client, [BatchRequest(id="p", method="POST", url="/things", body={"n": 1})])
    assert results[0].status == 504
    assert len(server.batches) == 1
    assert server.batches[0][0]["headers"]["Content-Type"] == "application/json"


def test_inner_answer_without_a_usable_status_is_no_answer() -> None:
    """An inner answer whose status is not a number ends as "no answer" (status 0), not a ValueError."""

    def handler(request: httpx.Request) -> httpx.Response:
        inner = json.loads(request.content)["requests"]
        return httpx.Response(200, json={"responses": [{"id": i["id"], "status": "OK"} for i in inner]})

    client = GraphClient(Token(), graph_url=ROOT, transport=httpx.MockTransport(handler), pacing=False,
                         sleep=lambda _s: None, max_retries=1)  # fmt: skip
    results = run_batch(client, gets(2))
    assert [r.status for r in results] == [0, 0]
    assert [r.attempts for r in results] == [2, 2]
    assert "without this request" in str(results[0].error())


def test_linked_requests_are_paced_as_one_arrival() -> None:
    """A dependsOn pair that does not fit the pacer's window starts a new batch instead of waiting mid-batch."""
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    pacer = Pacer({"devices": FamilyLimit(writes=2, total=100)}, clock=lambda: now[0], sleep=sleep)
    server = BatchServer()
    client = GraphClient(Token(), graph_url=ROOT, transport=httpx.MockTransport(server), pacing=pacer, sleep=sleep)
    sync = "/deviceManagement/managedDevices/{}/syncDevice"
    requests = [
        BatchRequest(id="a", method="POST", url=sync.format("a")),
        BatchRequest(id="b", method="POST", url=sync.format("b")),
        BatchRequest(id="c", method="POST", url=sync.format("c"), depends_on=("b",)),
        BatchRequest(id="d", method="POST", url=sync.format("d")),
    ]
    results = run_batch(client, requests)
    assert all(r.ok for r in results)
    assert [[i["id"] for i in b] for b in server.batches] == [["a"], ["b", "c"], ["d"]]
    assert sleeps == [20.25, 20.25]


def test_bad_batch_input_is_refused() -> None:
    """Duplicate ids and dependencies on unknown ids are ConfigurationErrors, sent nowhere."""
    server = BatchServer()
    client, _ = client_for(server)
    with pytest.raises(ConfigurationError, match="duplicate"):
        run_batch(client, [BatchRequest(id="1", method="GET", url="/a")] * 2)
    with pytest.raises(ConfigurationError, match="depends"):
        run_batch(client, [BatchRequest(id="1", method="GET", url="/a", depends_on=("9",))])
    assert server.batches == []
