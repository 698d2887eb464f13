"""Directory part of the emulated Graph: organization, users, groups, service principals, grants, errors."""

from __future__ import annotations

from typing import Any

import pytest

SERVICE = "b8456c59-1230-44c7-a4a2-99b085333e84"
CLIENT = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"
GRAPH = "00000003-0000-0000-c000-000000000000"


def test_organization_get_by_id_and_missing(make_app: Any, call: Any, error_code: Any) -> None:
    """GET /organization/{id} answers the tenant; another id is a directory 404."""
    tenant, app = make_app()
    ok = call(app, "GET", f"/v1.0/organization/{tenant.tenant_id}")
    assert ok.status == 200
    assert ok.json()["@odata.context"].endswith("#organization/$entity")
    missing = call(app, "GET", "/v1.0/organization/00000000-0000-0000-0000-000000000000")
    assert missing.status == 404
    assert error_code(missing) == "Request_ResourceNotFound"


def test_federated_tenant_marks_custom_domain(make_app: Any, call: Any) -> None:
    """A federated tenant's default custom domain has type Federated."""
    _, app = make_app(federated=True)
    [org] = call(app, "GET", "/v1.0/organization").json()["value"]
    assert {d["type"] for d in org["verifiedDomains"]} == {"Managed", "Federated"}


def test_users_groups_and_membership(make_app: Any, call: Any) -> None:
    """Users resolve by id and UPN; the seeded groups exist and list their members; memberOf is consistent."""
    tenant, app = make_app()
    users = call(app, "GET", "/v1.0/users?$top=999").json()["value"]
    assert len(users) == len(tenant.users)
    first = users[0]
    by_upn = call(app, "GET", f"/v1.0/users/{first['userPrincipalName']}").json()
    assert by_upn["id"] == first["id"]
    groups = {g["displayName"]: g for g in call(app, "GET", "/v1.0/groups").json()["value"]}
    assert {"All Staff", "PIN Reset Pilot", "IT Admins"} <= set(groups)
    members = call(app, "GET", f"/v1.0/groups/{groups['All Staff']['id']}/members?$top=999").json()["value"]
    assert len(members) == len(users)
    assert members[0]["@odata.type"] == "#microsoft.graph.user"
    member_of = call(app, "GET", f"/v1.0/users/{first['id']}/memberOf").json()["value"]
    assert "All Staff" in {g["displayName"] for g in member_of}


def test_pin_reset_apps_absent_then_created(make_app: Any, call: Any, error_code: Any) -> None:
    """A fresh tenant lacks both PIN reset apps; POST with the appId creates each once, a second POST is 409."""
    _, app = make_app()
    for app_id in (SERVICE, CLIENT):
        found = call(app, "GET", f"/v1.0/servicePrincipals?$filter=appId eq '{app_id}'").json()["value"]
        assert found == []
    created = call(app, "POST", "/v1.0/servicePrincipals", {"appId": SERVICE})
    assert created.status == 201
    assert created.json()["displayName"] == "Microsoft Pin Reset Service Production"
    client = call(app, "POST", "/beta/servicePrincipals", {"appId": CLIENT}).json()
    assert client["displayName"] == "Microsoft Pin Reset Client Production"
    again = call(app, "POST", "/v1.0/servicePrincipals", {"appId": SERVICE})
    assert again.status == 409
    assert error_code(again) == "Request_MultipleObjectsWithSameKeyValue"
    listed = call(app, "GET", f"/v1.0/servicePrincipals?$filter=appId eq '{SERVICE}'").json()["value"]
    assert [sp["id"] for sp in listed] == [created.json()["id"]]


def test_preinstalled_pin_reset_app_option(make_app: Any, call: Any) -> None:
    """pin_reset_apps=("service",) pre-installs only the service app."""
    _, app = make_app(pin_reset_apps=("service",))
    assert call(app, "GET", f"/v1.0/servicePrincipals(appId='{SERVICE}')").status == 200
    assert call(app, "GET", f"/v1.0/servicePrincipals(appId='{CLIENT}')").status == 404


@pytest.mark.parametrize("body", [{}, {"appId": "not-a-guid"}, {"appId": "12345678-1234-1234-1234-123456789abc"}])
def test_create_service_principal_bad_app_id(make_app: Any, call: Any, error_code: Any, body: Any) -> None:
    """A missing, malformed or unknown appId is refused with 400."""
    _, app = make_app()
    response = call(app, "POST", "/v1.0/servicePrincipals", body)
    assert response.status == 400
    assert error_code(response) == "Request_BadRequest"


def test_upsert_created_existing_and_missing(make_app: Any, call: Any, error_code: Any) -> None:
    """PATCH servicePrincipals(appId=…) with Prefer: create-if-missing: 201 then 204; without the header 404."""
    _, app = make_app()
    url = f"/v1.0/servicePrincipals(appId='{CLIENT}')"
    missing = call(app, "PATCH", url, {"displayName": "x"})
    assert missing.status == 404
    assert error_code(missing) == "Request_ResourceNotFound"
    created = call(app, "PATCH", url, {}, headers={"Prefer": "create-if-missing"})
    assert created.status == 201
    assert created.json()["appId"] == CLIENT
    existed = call(app, "PATCH", url, {"tags": ["x"]}, headers={"Prefer": "create-if-missing"})
    assert existed.status == 204
    assert existed.body == b""
    assert call(app, "GET", url).json()["tags"] == ["x"]


def test_service_principal_get_patch_delete(make_app: Any, call: Any) -> None:
    """A service principal can be read by id, updated (204) and deleted (204, then 404)."""
    _, app = make_app()
    sp = call(app, "GET", f"/v1.0/servicePrincipals(appId='{GRAPH}')").json()
    assert sp["displayName"] == "Microsoft Graph"
    assert call(app, "PATCH", f"/v1.0/servicePrincipals/{sp['id']}", {"notes": "n"}).status == 204
    assert call(app, "GET", f"/v1.0/servicePrincipals/{sp['id']}").json()["notes"] == "n"
    assert call(app, "DELETE", f"/v1.0/servicePrincipals/{sp['id']}").status == 204
    assert call(app, "GET", f"/v1.0/servicePrincipals/{sp['id']}").status == 404


def test_oauth2_permission_grants(make_app: Any, call: Any, error_code: Any) -> None:
    """Grants need existing SP object ids; duplicates are 409; they list, update and delete."""
    _, app = make_app(pin_reset_apps=("service", "client"))
    client = call(app, "GET", f"/v1.0/servicePrincipals(appId='{CLIENT}')").json()
    graph = call(app, "GET", f"/v1.0/servicePrincipals(appId='{GRAPH}')").json()
    body = {"clientId": client["id"], "consentType": "AllPrincipals", "resourceId": graph["id"], "scope": "User.Read"}
    created = call(app, "POST", "/v1.0/oauth2PermissionGrants", body)
    assert created.status == 201
    grant = created.json()
    assert grant["principalId"] is None
    assert call(app, "POST", "/v1.0/oauth2PermissionGrants", body).status == 409
    bad = call(app, "POST", "/v1.0/oauth2PermissionGrants", {**body, "clientId": CLIENT})
    assert bad.status == 400
    assert error_code(bad) == "Request_BadRequest"
    listed = call(app, "GET", f"/v1.0/oauth2PermissionGrants?$filter=clientId eq '{client['id']}'").json()["value"]
    assert [g["id"] for g in listed] == [grant["id"]]
    assert call(app, "PATCH", f"/v1.0/oauth2PermissionGrants/{grant['id']}", {"scope": "a b"}).status == 204
    assert call(app, "GET", f"/v1.0/oauth2PermissionGrants/{grant['id']}").json()["scope"] == "a b"
    assert call(app, "DELETE", f"/v1.0/oauth2PermissionGrants/{grant['id']}").status == 204
    assert call(app, "GET", "/v1.0/oauth2PermissionGrants").json()["value"] == []


def test_unauthenticated_is_401_with_graph_body(make_app: Any, error_code: Any) -> None:
    """No bearer token: 401 InvalidAuthenticationToken in Graph's error shape, with WWW-Authenticate."""
    from pinreset.emulator._http import Request

    _, app = make_app()
    response = app.handle(Request("GET", "/v1.0/organization", headers={"client-request-id": "abc"}))
    assert response.status == 401
    assert error_code(response) == "InvalidAuthenticationToken"
    assert response.json()["error"]["innerError"]["client-request-id"] == "abc"
    assert response.headers["client-request-id"] == "abc"
    assert "WWW-Authenticate" in response.headers


def test_unknown_segment_version_and_method(make_app: Any, call: Any, error_code: Any) -> None:
    """Unknown segments and versions are 400 BadRequest; a wrong method on a known resource is 405."""
    _, app = make_app()
    unknown = call(app, "GET", "/v1.0/nothingHere")
    assert unknown.status == 400
    assert "nothingHere" in unknown.json()["error"]["message"]
    assert call(app, "GET", "/v2.0/organization").status == 400
    wrong = call(app, "DELETE", "/v1.0/users")
    assert wrong.status == 405
    assert error_code(wrong) == "Request_BadRequest"


@pytest.mark.parametrize(
    ("method", "url", "body", "granted"),
    [
        ("GET", "/v1.0/organization", None, "Organization.Read.All"),
        ("GET", "/v1.0/users", None, "User.Read.All"),
        ("GET", "/v1.0/groups", None, "Group.Read.All"),
        ("GET", "/v1.0/servicePrincipals", None, "Application.Read.All"),
        ("POST", "/v1.0/servicePrincipals", {"appId": SERVICE}, "Application.ReadWrite.All"),
        ("GET", "/v1.0/oauth2PermissionGrants", None, "DelegatedPermissionGrant.ReadWrite.All"),
        ("GET", "/beta/deviceManagement/deviceConfigurations", None, "DeviceManagementConfiguration.Read.All"),
        ("POST", "/beta/deviceManagement/deviceConfigurations",
         {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "p"},
         "DeviceManagementConfiguration.ReadWrite.All"),
        ("GET", "/beta/deviceManagement/configurationPolicies", None, "DeviceManagementConfiguration.Read.All"),
        ("GET", "/v1.0/deviceManagement/managedDevices", None, "DeviceManagementManagedDevices.Read.All"),
        ("POST", "/beta/deviceManagement/managedDevices/executeAction",
         {"actionName": "syncDevice", "deviceIds": ["x"]}, "DeviceManagementManagedDevices.PrivilegedOperations.All"),
    ],
)
def test_each_permission_family_is_enforced(make_app: Any, call: Any, error_code: Any, method: str, url: str,
                                            body: Any, granted: str) -> None:
    """Without the documented permission the call is 403 Authorization_RequestDenied; with it, it passes."""
    _, denied_app = make_app(roles=("User.Read.All",) if granted != "User.Read.All" else ("Group.Read.All",))
    denied = call(denied_app, method, url, body)
    assert denied.status == 403
    assert error_code(denied) == "Authorization_RequestDenied"
    assert denied.json()["error"]["message"] == "Insufficient privileges to complete the operation."
    _, allowed_app = make_app(roles=(granted,))
    assert call(allowed_app, method, url, body).status < 400


def test_read_permission_does_not_allow_writes(make_app: Any, call: Any) -> None:
    """DeviceManagementConfiguration.Read.All reads profiles but cannot create one."""
    _, app = make_app(roles=("DeviceManagementConfiguration.Read.All",))
    body = {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "p"}
    assert call(app, "GET", "/beta/deviceManagement/deviceConfigurations").status == 200
    assert call(app, "POST", "/beta/deviceManagement/deviceConfigurations", body).status == 403


def test_object_id_must_be_a_guid(make_app: Any, call: Any, error_code: Any) -> None:
    """A group or service principal id that is not a GUID is 400 Request_BadRequest."""
    _, app = make_app()
    for url in ("/v1.0/groups/not-a-guid", "/v1.0/servicePrincipals/not-a-guid"):
        response = call(app, "GET", url)
        assert response.status == 400
        assert error_code(response) == "Request_BadRequest"


def test_delete_by_app_id_and_counts(make_app: Any, call: Any) -> None:
    """DELETE servicePrincipals(appId=…) removes it; /groups/$count and /servicePrincipals/$count count."""
    tenant, app = make_app(pin_reset_apps=("client",))
    eventual = {"ConsistencyLevel": "eventual"}
    before = int(call(app, "GET", "/v1.0/servicePrincipals/$count", headers=eventual).body)
    assert call(app, "DELETE", f"/v1.0/servicePrincipals(appId='{CLIENT}')").status == 204
    assert call(app, "GET", f"/v1.0/servicePrincipals(appId='{CLIENT}')").status == 404
    assert int(call(app, "GET", "/v1.0/servicePrincipals/$count", headers=eventual).body) == before - 1
    assert int(call(app, "GET", "/v1.0/groups/$count", headers=eventual).body) == len(tenant.groups)
    assert call(app, "GET", "/v1.0/groups/$count").status == 400
