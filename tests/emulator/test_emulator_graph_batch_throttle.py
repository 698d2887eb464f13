"""$batch and Intune throttling of the emulated Graph."""

from __future__ import annotations

from typing import Any

import pytest

from pinreset.emulator._throttle import Limits, ThrottleConfig

GRAPH = "00000003-0000-0000-c000-000000000000"


class FakeMonotonic:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_batch_answers_each_request(make_app: Any, call: Any) -> None:
    """A batch answers every inner request in order with its own status, headers and body; relative URLs work."""
    tenant, app = make_app()
    requests = [
        {"id": "1", "method": "GET", "url": "/organization?$select=id"},
        {"id": "2", "method": "GET", "url": f"servicePrincipals?$filter=appId eq '{GRAPH}'"},
        {"id": "3", "method": "GET", "url": "/users/nobody@nowhere"},
        {"id": "4", "method": "POST", "url": "/servicePrincipals", "body": {"appId": GRAPH},
         "headers": {"Content-Type": "application/json"}},
    ]
    response = call(app, "POST", "/v1.0/$batch", {"requests": requests})
    assert response.status == 200
    answers = response.json()["responses"]
    assert [a["id"] for a in answers] == ["1", "2", "3", "4"]
    assert [a["status"] for a in answers] == [200, 200, 404, 409]
    assert answers[0]["body"]["value"][0] == {"id": tenant.tenant_id}
    assert answers[1]["body"]["value"][0]["appId"] == GRAPH
    assert answers[2]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert answers[3]["headers"]["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("requests", "fragment"),
    [
        ([{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)], "20"),
        ([{"id": "1", "method": "GET", "url": "/organization"}] * 2, "unique"),
        ([{"id": "1", "method": "GET", "url": "/organization", "dependsOn": ["9"]}], "unknown"),
        ([{"id": "1", "method": "POST", "url": "/servicePrincipals", "body": {"appId": GRAPH}}], "Content-Type"),
        ([{"id": "1", "url": "/organization"}], "method"),
        ([], "requests"),
        ([{"id": "1", "method": "GET", "url": "/organization", "headers": ["ConsistencyLevel"]}], "headers"),
        ([{"id": "1", "method": "GET", "url": {"path": "/organization"}}], "url"),
        ([{"id": "1", "method": 7, "url": "/organization"}], "method"),
    ],
)
def test_batch_validation(make_app: Any, call: Any, error_code: Any, requests: Any, fragment: str) -> None:
    """More than 20 requests, duplicate ids, unknown dependencies, bodies without Content-Type and items of the
    wrong JSON types are 400."""
    _, app = make_app()
    response = call(app, "POST", "/beta/$batch", {"requests": requests})
    assert response.status == 400
    assert error_code(response) == "BadRequest"
    assert fragment in response.json()["error"]["message"]


def test_batch_item_with_an_unparsable_url_fails_alone(make_app: Any, call: Any) -> None:
    """A URL that cannot be parsed is that request's 400; the other requests are still answered."""
    _, app = make_app()
    requests = [{"id": "1", "method": "GET", "url": "http://[::1/organization"},
                {"id": "2", "method": "GET", "url": "/organization"}]
    response = call(app, "POST", "/v1.0/$batch", {"requests": requests})
    assert response.status == 200
    assert [(a["id"], a["status"]) for a in response.json()["responses"]] == [("1", 400), ("2", 200)]


def test_batch_depends_on_sequencing_and_424(make_app: Any, call: Any) -> None:
    """dependsOn runs a request after its dependency; a failed dependency answers 424 without running."""
    tenant, app = make_app()
    service = "b8456c59-1230-44c7-a4a2-99b085333e84"
    requests = [
        {"id": "read", "method": "GET", "url": f"/servicePrincipals(appId='{service}')", "dependsOn": ["create"]},
        {"id": "create", "method": "POST", "url": "/servicePrincipals", "body": {"appId": service},
         "headers": {"Content-Type": "application/json"}},
        {"id": "bad", "method": "GET", "url": "/groups/00000000-0000-0000-0000-000000000000"},
        {"id": "after-bad", "method": "DELETE", "url": f"/servicePrincipals(appId='{service}')",
         "dependsOn": ["bad"]},
    ]
    answers = {a["id"]: a for a in call(app, "POST", "/v1.0/$batch", {"requests": requests}).json()["responses"]}
    assert answers["create"]["status"] == 201
    assert answers["read"]["status"] == 200
    assert answers["bad"]["status"] == 404
    assert answers["after-bad"]["status"] == 424
    assert answers["after-bad"]["body"]["error"]["code"] == "FailedDependency"
    assert tenant.service_principal_by_app_id(service)["appId"] == service


def test_batch_inner_permissions(make_app: Any, call: Any) -> None:
    """Inner requests are authorised one by one: a missing permission is an inner 403."""
    _, app = make_app(roles=("Organization.Read.All",))
    requests = [{"id": "1", "method": "GET", "url": "/organization"},
                {"id": "2", "method": "GET", "url": "/users"}]
    statuses = [a["status"] for a in call(app, "POST", "/v1.0/$batch", {"requests": requests}).json()["responses"]]
    assert statuses == [200, 403]


def test_batch_inner_throttling(make_app: Any, call: Any) -> None:
    """Inner requests are throttled individually: beyond the limit they answer 429 with Retry-After."""
    clock = FakeMonotonic()
    limits = {"devices": Limits(tenant_writes=400, app_writes=3, tenant_all=4000, app_all=2000)}
    tenant, app = make_app(throttle=ThrottleConfig(limits=limits, clock=clock))
    ids = list(tenant.devices)[:5]
    requests = [{"id": str(n), "method": "POST", "url": f"/deviceManagement/managedDevices/{i}/syncDevice"}
                for n, i in enumerate(ids)]
    answers = call(app, "POST", "/v1.0/$batch", {"requests": requests}).json()["responses"]
    assert [a["status"] for a in answers] == [204, 204, 204, 429, 429]
    assert int(answers[3]["headers"]["Retry-After"]) >= 1
    assert answers[3]["body"]["error"]["code"] == "TooManyRequests"


def test_throttling_429_and_recovery(make_app: Any, call: Any, error_code: Any) -> None:
    """Over the per-app limit: 429 TooManyRequests with Retry-After to the window's end; after it, requests pass."""
    clock = FakeMonotonic()
    _, app = make_app(throttle=ThrottleConfig(scale=0.002, clock=clock))
    url = "/v1.0/deviceManagement/managedDevices?$top=1"
    limit = 4  # 2000 requests per app per 20 s for devices, scaled by 0.002
    for _ in range(limit):
        assert call(app, "GET", url).status == 200
        clock.now += 1
    refused = call(app, "GET", url)
    assert refused.status == 429
    assert error_code(refused) == "TooManyRequests"
    assert refused.headers["Retry-After"] == "16"
    clock.now += 15.5
    assert call(app, "GET", url).status == 429
    clock.now += 0.6
    assert call(app, "GET", url).status == 200


def test_throttling_is_per_app_and_per_tenant(make_app: Any, call: Any) -> None:
    """A second app has its own per-app window; the per-tenant window catches both together."""
    clock = FakeMonotonic()
    limits = {"deviceConfiguration": Limits(tenant_writes=200, app_writes=100, tenant_all=3, app_all=2)}
    _, app = make_app(throttle=ThrottleConfig(limits=limits, clock=clock))
    url = "/beta/deviceManagement/deviceConfigurations"
    assert [call(app, "GET", url, caller="a").status for _ in range(3)] == [200, 200, 429]
    assert call(app, "GET", url, caller="b").status == 200
    assert call(app, "GET", url, caller="c").status == 429
    assert call(app, "GET", "/v1.0/organization", caller="a").status == 200


def test_write_limit_counts_only_writes(make_app: Any, call: Any) -> None:
    """The write limit refuses POSTs while reads of the same family still pass."""
    clock = FakeMonotonic()
    limits = {"deviceConfiguration": Limits(tenant_writes=2, app_writes=2, tenant_all=100, app_all=100)}
    _, app = make_app(throttle=ThrottleConfig(limits=limits, clock=clock))
    url = "/beta/deviceManagement/deviceConfigurations"
    body = {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "p"}
    assert [call(app, "POST", url, body).status for _ in range(3)] == [201, 201, 429]
    assert call(app, "GET", url).status == 200
    assert len(call(app, "GET", url).json()["value"]) == 2


def test_throttling_disabled(make_app: Any, call: Any) -> None:
    """ThrottleConfig(enabled=False) never answers 429."""
    _, app = make_app(throttle=ThrottleConfig(enabled=False, scale=0.0001))
    assert all(call(app, "GET", "/v1.0/deviceManagement/managedDevices?$top=1").status == 200 for _ in range(20))
