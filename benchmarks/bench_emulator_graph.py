"""What the emulator's Graph application costs per request, without any network.

Measured in one run, calling ``GraphApp.handle`` directly (the code both front ends share):

1. ``GET /v1.0/organization`` — the cost of one simple GET (routing, token check, permission, throttling,
   serialisation), against a baseline in the same run: ``json.dumps`` of the same payload plus building a
   ``Response`` (the least any application must do). Target: well under 0.3 ms per request;
2. paging every device of a large fleet with ``$top=1000`` and ``@odata.nextLink`` (ms per 1,000 devices);
3. syncing 5,000 devices that a PIN recovery profile targets, through 50 ``executeAction`` calls of 100.

Exit status 1 when the simple GET misses its target.

    .venv/bin/python benchmarks/bench_emulator_graph.py [--requests 5000] [--devices 20000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from urllib.parse import parse_qsl, urlsplit

from pinreset.emulator._graph import GraphApp
from pinreset.emulator._http import Principal, Request, Response
from pinreset.emulator._tenant import Tenant
from pinreset.emulator._throttle import ThrottleConfig

TARGET_MS = 0.3
ROLES = frozenset({"Organization.Read.All", "DeviceManagementConfiguration.ReadWrite.All",
                   "DeviceManagementManagedDevices.Read.All",
                   "DeviceManagementManagedDevices.PrivilegedOperations.All"})


class Static:
    """Accepts every request as one app holding ROLES."""

    def __init__(self, tenant_id: str) -> None:
        self.principal = Principal(app_id="bench", tenant_id=tenant_id, roles=ROLES)

    def authenticate(self, request: Request) -> Principal:
        return self.principal


def _app(devices: int) -> tuple[Tenant, GraphApp]:
    tenant = Tenant.generate(seed=1, devices=devices)
    return tenant, GraphApp(tenant, Static(tenant.tenant_id), throttle=ThrottleConfig())


def bench_simple_get(requests: int) -> tuple[float, float]:
    """Milliseconds per GET /organization, and per baseline serialisation of the same payload."""
    tenant, app = _app(25)
    request = Request("GET", "/v1.0/organization", headers={"host": "graph.bench", "authorization": "Bearer x"})
    app.handle(request)
    start = time.perf_counter()
    for _ in range(requests):
        app.handle(request)
    per_request = (time.perf_counter() - start) / requests * 1000
    payload = {"@odata.context": "https://graph.bench/v1.0/$metadata#organization",
               "value": [tenant.organization()]}
    start = time.perf_counter()
    for _ in range(requests):
        Response.json_body(200, payload, {"request-id": "x"})
    baseline = (time.perf_counter() - start) / requests * 1000
    return per_request, baseline


def bench_paging(devices: int) -> float:
    """Milliseconds per 1,000 devices when paging the whole fleet."""
    _, app = _app(devices)
    url, query = "/v1.0/deviceManagement/managedDevices", {"$top": "1000"}
    seen = 0
    start = time.perf_counter()
    while True:
        body = app.handle(Request("GET", url, query=query, headers={"host": "graph.bench"})).json()
        seen += len(body["value"])
        link = body.get("@odata.nextLink")
        if not link:
            break
        parts = urlsplit(link)
        url, query = parts.path, dict(parse_qsl(parts.query))
    assert seen == devices
    return (time.perf_counter() - start) / devices * 1000 * 1000


def bench_sync(devices: int = 5000) -> float:
    """Seconds to sync ``devices`` targeted devices through executeAction calls of 100."""
    tenant, app = _app(devices)
    headers = {"host": "graph.bench"}
    created = tenant.create_profile("deviceConfiguration", {
        "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration", "displayName": "bench",
        "pinRecoveryEnabled": True})
    tenant.assign("deviceConfiguration", created.id,
                  {"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]})
    ids = list(tenant.devices)
    start = time.perf_counter()
    for index in range(0, len(ids), 100):
        body = json.dumps({"actionName": "syncDevice", "deviceIds": ids[index:index + 100]}).encode()
        response = app.handle(Request("POST", "/beta/deviceManagement/managedDevices/executeAction",
                                      headers=headers, body=body))
        assert response.status == 200
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=20000)
    args = parser.parse_args()
    per_request, baseline = bench_simple_get(args.requests)
    paging = bench_paging(args.devices)
    sync = bench_sync()
    print(f"GET /v1.0/organization: {per_request:.3f} ms/request (baseline serialisation {baseline:.3f} ms, "
          f"ratio {per_request / baseline:.1f}x); target < {TARGET_MS} ms: "
          f"{'met' if per_request < TARGET_MS else 'MISSED'} ({per_request / TARGET_MS:.2f} of the target)")
    print(f"paging {args.devices} devices at $top=1000: {paging:.1f} ms per 1,000 devices")
    print(f"syncing 5,000 targeted devices with 50 executeAction calls: {sync * 1000:.0f} ms")
    return 0 if per_request < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
