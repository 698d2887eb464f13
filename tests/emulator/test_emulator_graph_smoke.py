"""Smoke tests: a generated tenant answers ``GET /organization`` through the Graph application."""

from __future__ import annotations

from pinreset.emulator._clock import SimClock
from pinreset.emulator._graph import GraphApp
from pinreset.emulator._http import Principal, Request
from pinreset.emulator._tenant import Tenant


class StaticAuthenticator:
    """Accepts every request as one app with fixed roles."""

    def __init__(self, tenant_id: str, *roles: str) -> None:
        self.principal = Principal(app_id="11111111-1111-1111-1111-111111111111", tenant_id=tenant_id,
                                   roles=frozenset(roles))

    def authenticate(self, request: Request) -> Principal:
        return self.principal


def test_organization_lists_the_tenant() -> None:
    """GET /v1.0/organization returns the generated tenant with its id and verified domains."""
    tenant = Tenant.generate(seed=3, devices=5)
    app = GraphApp(tenant, StaticAuthenticator(tenant.tenant_id, "Organization.Read.All"))
    response = app.handle(Request("GET", "/v1.0/organization", headers={"host": "graph.test"}))
    assert response.status == 200
    body = response.json()
    assert body["@odata.context"] == "https://graph.test/v1.0/$metadata#organization"
    [org] = body["value"]
    assert org["id"] == tenant.tenant_id
    assert org["displayName"] == tenant.display_name
    assert {d["name"] for d in org["verifiedDomains"]} >= {tenant.default_domain}
    assert response.headers["request-id"]


def test_clock_starts_from_seed_and_advances() -> None:
    """SimClock starts at a seed-derived instant and only moves when advanced."""
    first, again = SimClock(7), SimClock(7)
    assert first.now() == again.now()
    assert first.now().tzinfo is not None
    before = first.now()
    first.advance(90)
    assert (first.now() - before).total_seconds() == 90
