"""Domains, the tenant's default domain and group transitive members in the emulated Graph."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pinreset.emulator import Emulator
from pinreset.emulator._apps import ADMIN_PERMISSIONS
from pinreset.emulator._http import Request

DOMAIN_ROLES = ("Domain.Read.All",)
MEMBER_ROLES = ("GroupMember.ReadBasic.All",)


def test_domains_match_verified_domains(make_app: Any, call: Any) -> None:
    """GET /domains lists every verified domain with the organization's default, initial and type flags."""
    tenant, app = make_app(roles=(*DOMAIN_ROLES, "Organization.Read.All"))
    for version in ("v1.0", "beta"):
        body = call(app, "GET", f"/{version}/domains").json()
        assert body["@odata.context"].endswith("$metadata#domains")
        [org] = call(app, "GET", f"/{version}/organization").json()["value"]
        verified = {d["name"]: d for d in org["verifiedDomains"]}
        domains = {d["id"]: d for d in body["value"]}
        assert set(domains) == set(verified) == {tenant.initial_domain, tenant.custom_domain}
        for name, domain in domains.items():
            assert domain["isDefault"] is verified[name]["isDefault"]
            assert domain["isInitial"] is verified[name]["isInitial"]
            assert domain["authenticationType"] == verified[name]["type"] == "Managed"
            assert domain["isVerified"] is True
            assert domain["supportedServices"] == ["Email", "OfficeCommunicationsOnline"]


def test_one_default_domain_agrees_everywhere(make_app: Any, call: Any) -> None:
    """Exactly one domain is default — the custom one, which is Tenant.default_domain — and the initial one is
    the *.onmicrosoft.com domain."""
    tenant, app = make_app()
    [org] = call(app, "GET", "/v1.0/organization").json()["value"]
    [default] = [d["name"] for d in org["verifiedDomains"] if d["isDefault"]]
    [initial] = [d["name"] for d in org["verifiedDomains"] if d["isInitial"]]
    assert default == tenant.default_domain == tenant.custom_domain
    assert initial == tenant.initial_domain
    assert initial.endswith(".onmicrosoft.com")
    assert default != initial


def test_user_upns_use_verified_domains(make_app: Any) -> None:
    """Users get the default domain; only the built-in administrator keeps the initial domain."""
    tenant, _ = make_app()
    suffixes = {u.user_principal_name.split("@", 1)[1] for u in tenant.users.values()}
    assert suffixes == {tenant.default_domain, tenant.initial_domain}
    admins = [u for u in tenant.users.values() if u.user_principal_name.endswith(tenant.initial_domain)]
    assert [u.user_principal_name for u in admins] == [f"admin@{tenant.initial_domain}"]


def test_federated_domain_listed_as_federated(make_app: Any, call: Any) -> None:
    """In a federated tenant the custom domain's authenticationType is Federated, the initial one Managed."""
    tenant, app = make_app(federated=True, roles=DOMAIN_ROLES)
    types = {d["id"]: d["authenticationType"]
             for d in call(app, "GET", "/v1.0/domains?$select=id,authenticationType").json()["value"]}
    assert types == {tenant.custom_domain: "Federated", tenant.initial_domain: "Managed"}


def test_get_domain_by_name_and_missing(make_app: Any, call: Any, error_code: Any) -> None:
    """GET /domains/{name} answers regardless of case; an unknown name is a directory 404."""
    tenant, app = make_app(roles=DOMAIN_ROLES)
    response = call(app, "GET", f"/v1.0/domains/{tenant.default_domain.upper()}")
    assert response.status == 200
    body = response.json()
    assert body["@odata.context"].endswith("#domains/$entity")
    assert body["id"] == tenant.default_domain
    assert body["isDefault"] is True
    missing = call(app, "GET", "/beta/domains/nowhere.example.org")
    assert missing.status == 404
    assert error_code(missing) == "Request_ResourceNotFound"


@pytest.mark.parametrize("roles", [("Domain.ReadWrite.All",), ("Directory.Read.All",)])
def test_domains_accept_documented_permissions(make_app: Any, call: Any, roles: tuple[str, ...]) -> None:
    """Higher-privileged documented permissions read domains too."""
    _, app = make_app(roles=roles)
    assert call(app, "GET", "/v1.0/domains").status == 200


def test_domains_refused_without_domain_permission(make_app: Any, call: Any, error_code: Any) -> None:
    """Organization.Read.All alone is not enough for /domains (403)."""
    _, app = make_app(roles=("Organization.Read.All", "Group.Read.All"))
    response = call(app, "GET", "/v1.0/domains")
    assert response.status == 403
    assert error_code(response) == "Authorization_RequestDenied"


def test_admin_app_can_read_domains() -> None:
    """The emulator's default admin app carries Domain.Read.All, the least-privileged permission for /domains."""
    assert "Domain.Read.All" in ADMIN_PERMISSIONS


def _nested(tenant: Any) -> tuple[str, str, str, str]:
    """IT Admins nested in PIN Reset Pilot, and a fresh user only in IT Admins; returns the ids."""
    pilot = tenant.group_by_name("PIN Reset Pilot")["id"]
    admins = tenant.group_by_name("IT Admins")["id"]
    tenant.add_group_member(pilot, admins)
    pilot_users = tenant.groups[pilot].members
    extra = next(u for u in tenant.groups[admins].members if u not in pilot_users)
    return pilot, admins, extra, next(iter(pilot_users))


def _seed_for_nesting(make_app: Any, **kwargs: Any) -> tuple[Any, Any]:
    for seed in range(1, 40):
        tenant, app = make_app(seed=seed, **kwargs)
        pilot = tenant.groups[tenant.group_by_name("PIN Reset Pilot")["id"]].members
        admins = tenant.groups[tenant.group_by_name("IT Admins")["id"]].members
        if pilot and set(admins) - set(pilot):
            return tenant, app
    raise AssertionError("no seed gives distinct pilot and admin members")


def test_transitive_members_include_nested_groups(make_app: Any, call: Any) -> None:
    """transitiveMembers lists direct users, the nested group and the nested group's users, each once, typed."""
    tenant, app = _seed_for_nesting(make_app, roles=("GroupMember.Read.All",))
    pilot, admins, extra, direct = _nested(tenant)
    direct_ids = [m["id"] for m in call(app, "GET", f"/v1.0/groups/{pilot}/members?$top=999").json()["value"]]
    assert extra not in direct_ids
    assert admins in direct_ids
    listed = call(app, "GET", f"/v1.0/groups/{pilot}/transitiveMembers?$top=999").json()["value"]
    ids = [m["id"] for m in listed]
    assert len(ids) == len(set(ids))
    assert {direct, admins, extra} <= set(ids)
    types = {m["id"]: m["@odata.type"] for m in listed}
    assert types[admins] == "#microsoft.graph.group"
    assert types[extra] == types[direct] == "#microsoft.graph.user"
    expected_users = set(tenant.groups[pilot].members) | set(tenant.groups[admins].members)
    assert {i for i, t in types.items() if t.endswith("user")} == expected_users


def test_transitive_members_cast_to_users(make_app: Any, call: Any) -> None:
    """The microsoft.graph.user cast keeps only users (with $select) and is described as the users set."""
    tenant, app = _seed_for_nesting(make_app, roles=MEMBER_ROLES)
    pilot, admins, extra, _ = _nested(tenant)
    body = call(app, "GET", f"/beta/groups/{pilot}/transitiveMembers/microsoft.graph.user?$select=id&$top=999").json()
    assert body["@odata.context"].endswith("$metadata#users(id)")
    ids = [m["id"] for m in body["value"]]
    assert admins not in ids
    assert extra in ids
    assert all(set(m) - {"@odata.type"} == {"id"} for m in body["value"])
    assert set(ids) == set(tenant.groups[pilot].members) | set(tenant.groups[admins].members)
    groups = call(app, "GET", f"/v1.0/groups/{pilot}/transitiveMembers/microsoft.graph.group").json()["value"]
    assert [g["id"] for g in groups] == [admins]


def test_transitive_members_paging_and_count(make_app: Any, call: Any, error_code: Any) -> None:
    """$top pages through nextLink without repeats; $count needs ConsistencyLevel: eventual."""
    tenant, app = make_app(roles=MEMBER_ROLES)
    group = tenant.group_by_name("All Staff")["id"]
    url = f"/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user?$top=3"
    seen: list[str] = []
    pages = 0
    while url:
        body = call(app, "GET", url).json()
        seen.extend(m["id"] for m in body["value"])
        pages += 1
        url = body.get("@odata.nextLink", "").removeprefix("https://graph.test")
    assert pages > 1
    assert sorted(seen) == sorted(tenant.groups[group].members)
    refused = call(app, "GET", f"/v1.0/groups/{group}/transitiveMembers?$count=true")
    assert refused.status == 400
    assert error_code(refused) == "Request_BadRequest"
    eventual = {"ConsistencyLevel": "eventual"}
    counted = call(app, "GET", f"/v1.0/groups/{group}/transitiveMembers?$count=true&$top=1", headers=eventual)
    assert counted.json()["@odata.count"] == len(tenant.groups[group].members)
    segment = call(app, "GET", f"/v1.0/groups/{group}/transitiveMembers/$count", headers=eventual)
    assert segment.body.decode() == str(len(tenant.groups[group].members))
    assert call(app, "GET", f"/v1.0/groups/{group}/transitiveMembers/$count").status == 400


def test_transitive_members_nesting_cycle_ends(make_app: Any, call: Any) -> None:
    """Groups nested in each other list each member once and do not loop."""
    tenant, app = make_app(roles=MEMBER_ROLES)
    a = tenant.group_by_name("IT Admins")["id"]
    b = tenant.group_by_name("Kiosk Exclusions")["id"]
    tenant.add_group_member(a, b)
    tenant.add_group_member(b, a)
    listed = call(app, "GET", f"/v1.0/groups/{a}/transitiveMembers?$top=999").json()["value"]
    ids = [m["id"] for m in listed]
    assert len(ids) == len(set(ids))
    assert a not in ids
    assert b in ids


def test_transitive_members_errors_and_permissions(make_app: Any, call: Any, error_code: Any) -> None:
    """A malformed id is 400, an unknown one 404; a token without group permissions is 403."""
    tenant, app = make_app(roles=MEMBER_ROLES)
    bad = call(app, "GET", "/v1.0/groups/not-a-guid/transitiveMembers")
    assert (bad.status, error_code(bad)) == (400, "Request_BadRequest")
    missing = call(app, "GET", f"/v1.0/groups/{uuid.uuid4()}/transitiveMembers/microsoft.graph.user")
    assert (missing.status, error_code(missing)) == (404, "Request_ResourceNotFound")
    _, denied_app = make_app(roles=("User.Read.All",))
    group = tenant.group_by_name("All Staff")["id"]
    denied = call(denied_app, "GET", f"/v1.0/groups/{group}/transitiveMembers")
    assert (denied.status, error_code(denied)) == (403, "Authorization_RequestDenied")


def test_emulator_identity_accepts_both_domains() -> None:
    """The emulator's sign-in side takes the default (custom) and the initial domain in place of the tenant id."""
    emulator = Emulator(devices=2, seed=3)
    assert emulator.tenant.default_domain == emulator.tenant.custom_domain
    router = emulator._router
    for name in (emulator.tenant.default_domain, emulator.tenant.initial_domain):
        assert router._target(f"/{name}/v2.0/.well-known/openid-configuration")[0] == "identity"
        response = router.handle(Request("GET", f"/{name}/v2.0/.well-known/openid-configuration",
                                         headers={"host": "login.test"}))
        assert response.status == 200
        assert emulator.tenant_id in response.json()["issuer"]
