"""Intune configuration part of the emulated Graph: profiles (polymorphic), settings catalog policies,
assignments, assignment filters and the configuration policy devices report."""

from __future__ import annotations

from typing import Any

import pytest

CONFIGS = "/beta/deviceManagement/deviceConfigurations"
POLICIES = "/beta/deviceManagement/configurationPolicies"
IDENTITY = "#microsoft.graph.windowsIdentityProtectionConfiguration"
PFW = "device_vendor_msft_passportforwork_{tenantid}"


def identity_profile(**extra: Any) -> dict[str, Any]:
    return {"@odata.type": IDENTITY, "displayName": "WHfB - PIN recovery", "description": "",
            "windowsHelloForBusinessBlocked": False, "pinRecoveryEnabled": True, **extra}


def catalog_policy(value: str = "true", **extra: Any) -> dict[str, Any]:
    child = {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
             "settingDefinitionId": f"{PFW}_policies_enablepinrecovery",
             "choiceSettingValue": {"value": f"{PFW}_policies_enablepinrecovery_{value}", "children": []}}
    return {
        "name": "WHfB - Enable PIN recovery", "description": "", "platforms": "windows10", "technologies": "mdm",
        "roleScopeTagIds": ["0"],
        "settings": [{"@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
                      "settingInstance": {
                          "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
                          "settingDefinitionId": PFW,
                          "groupSettingCollectionValue": [{"children": [child]}]}}],
        **extra,
    }


def test_identity_protection_round_trip(make_app: Any, call: Any) -> None:
    """POST /beta identity protection returns 201 with @odata.type, documented defaults and the posted values."""
    _, app = make_app()
    created = call(app, "POST", CONFIGS, identity_profile(pinMinimumLength=6))
    assert created.status == 201
    body = created.json()
    assert body["@odata.type"] == IDENTITY
    assert body["pinRecoveryEnabled"] is True
    assert body["pinMinimumLength"] == 6
    assert body["pinUppercaseCharactersUsage"] == "notConfigured"
    assert body["version"] == 1
    got = call(app, "GET", f"{CONFIGS}/{body['id']}").json()
    assert got["@odata.type"] == IDENTITY
    assert got["@odata.context"].endswith("#deviceManagement/deviceConfigurations/$entity")
    listed = call(app, "GET", CONFIGS).json()["value"]
    assert [p["id"] for p in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("url", "body", "fragment"),
    [
        ("/v1.0/deviceManagement/deviceConfigurations", identity_profile(), "v1.0"),
        (CONFIGS, identity_profile(favouriteColour="red"), "favouriteColour"),
        (CONFIGS, identity_profile(pinMinimumLength=3), "pinMinimumLength"),
        (CONFIGS, identity_profile(pinRecoveryEnabled="yes"), "Boolean"),
        (CONFIGS, {"@odata.type": "#microsoft.graph.deviceConfiguration", "displayName": "x"}, "abstract"),
        (CONFIGS, {"displayName": "x"}, "@odata.type"),
        (CONFIGS, {"@odata.type": "#microsoft.graph.windows10CustomConfiguration",
                   "displayName": "x", "omaSettings": [{"omaUri": "./x"}]}, "omaSettings"),
    ],
)
def test_invalid_profiles_are_400(make_app: Any, call: Any, error_code: Any, url: str, body: Any,
                                  fragment: str) -> None:
    """Graph refuses beta-only types on v1.0, unknown properties, out-of-range or mistyped values, abstract types."""
    _, app = make_app()
    response = call(app, "POST", url, body)
    assert response.status == 400
    assert error_code(response) == "BadRequest"
    assert fragment in response.json()["error"]["message"]


def test_unknown_type_is_stored_intact(make_app: Any, call: Any) -> None:
    """A type the emulator does not know by name round-trips with every property."""
    _, app = make_app()
    body = {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": "General",
            "passwordRequired": True, "nested": {"a": [1, 2, {"b": None}]}}
    created = call(app, "POST", "/v1.0/deviceManagement/deviceConfigurations", body).json()
    got = call(app, "GET", f"/v1.0/deviceManagement/deviceConfigurations/{created['id']}").json()
    for key, value in body.items():
        assert got[key] == value


def test_custom_oma_profile(make_app: Any, call: Any) -> None:
    """windows10CustomConfiguration keeps its omaSettings (v1.0 and beta)."""
    tenant, app = make_app()
    oma = [{"@odata.type": "#microsoft.graph.omaSettingBoolean", "displayName": "PIN recovery",
            "omaUri": f"./Device/Vendor/MSFT/PassportForWork/{tenant.tenant_id}/Policies/EnablePinRecovery",
            "value": True}]
    created = call(app, "POST", "/v1.0/deviceManagement/deviceConfigurations",
                   {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "OMA",
                    "omaSettings": oma}).json()
    assert created["omaSettings"] == oma


def test_patch_bumps_version_and_delete(make_app: Any, call: Any, error_code: Any) -> None:
    """PATCH merges properties and bumps version; DELETE answers 204 and the profile is gone (404)."""
    _, app = make_app()
    profile = call(app, "POST", CONFIGS, identity_profile()).json()
    patched = call(app, "PATCH", f"{CONFIGS}/{profile['id']}", {"pinRecoveryEnabled": False})
    assert patched.status == 200
    assert patched.json()["pinRecoveryEnabled"] is False
    assert patched.json()["displayName"] == "WHfB - PIN recovery"
    assert patched.json()["version"] == 2
    assert call(app, "PATCH", f"{CONFIGS}/{profile['id']}", {"bogus": 1}).status == 400
    assert call(app, "DELETE", f"{CONFIGS}/{profile['id']}").status == 204
    gone = call(app, "GET", f"{CONFIGS}/{profile['id']}")
    assert gone.status == 404
    assert error_code(gone) == "ResourceNotFound"


def test_assign_replaces_the_set(make_app: Any, call: Any) -> None:
    """POST …/assign replaces every assignment; GET …/assignments shows the latest set."""
    tenant, app = make_app()
    groups = {g["displayName"]: g["id"] for g in call(app, "GET", "/v1.0/groups").json()["value"]}
    profile = call(app, "POST", CONFIGS, identity_profile()).json()
    url = f"{CONFIGS}/{profile['id']}"
    first = [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": groups["All Staff"]}},
             {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                         "groupId": groups["IT Admins"]}}]
    assigned = call(app, "POST", f"{url}/assign", {"assignments": first})
    assert assigned.status == 200
    assert len(assigned.json()["value"]) == 2
    second = [{"@odata.type": "#microsoft.graph.deviceConfigurationAssignment",
               "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}]
    call(app, "POST", f"{url}/assign", {"assignments": second})
    current = call(app, "GET", f"{url}/assignments").json()["value"]
    assert [a["target"]["@odata.type"] for a in current] == ["#microsoft.graph.allLicensedUsersAssignmentTarget"]
    assert current[0]["@odata.type"] == "#microsoft.graph.deviceConfigurationAssignment"
    call(app, "POST", f"{url}/assign", {"assignments": []})
    assert call(app, "GET", f"{url}/assignments").json()["value"] == []
    assert call(app, "POST", f"{url}/assign", {"assignments": "all"}).status == 400
    bad_target = {"assignments": [{"target": {"@odata.type": "#microsoft.graph.someTarget"}}]}
    assert call(app, "POST", f"{url}/assign", bad_target).status == 400
    assert tenant.profile_targets(profile["id"]) == set()


def test_add_single_assignment(make_app: Any, call: Any) -> None:
    """POST …/assignments adds one assignment; the same target again is 409."""
    _, app = make_app()
    profile = call(app, "POST", CONFIGS, identity_profile()).json()
    body = {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}
    url = f"{CONFIGS}/{profile['id']}/assignments"
    assert call(app, "POST", url, body).status == 201
    assert call(app, "POST", url, body).status == 409


def test_configuration_policy_lifecycle(make_app: Any, call: Any) -> None:
    """Settings catalog policies: create (201), get without settings, /settings, PATCH, PUT, assign, delete."""
    _, app = make_app()
    created = call(app, "POST", POLICIES, catalog_policy())
    assert created.status == 201
    policy = created.json()
    assert policy["settingCount"] == 1
    assert policy["templateReference"]["templateFamily"] == "none"
    assert "settings" not in policy
    settings = call(app, "GET", f"{POLICIES}/{policy['id']}/settings").json()["value"]
    assert settings[0]["settingInstance"]["settingDefinitionId"] == PFW
    expanded = call(app, "GET", f"{POLICIES}/{policy['id']}?$expand=settings").json()
    assert len(expanded["settings"]) == 1
    patched = call(app, "PATCH", f"{POLICIES}/{policy['id']}", {"description": "d"}).json()
    assert patched["description"] == "d"
    assert patched["name"] == "WHfB - Enable PIN recovery"
    replaced = call(app, "PUT", f"{POLICIES}/{policy['id']}", catalog_policy("false", name="Other")).json()
    assert replaced["name"] == "Other"
    assert replaced["description"] == ""
    target = {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}
    assigned = call(app, "POST", f"{POLICIES}/{policy['id']}/assign", {"assignments": [{"target": target}]})
    assert assigned.status == 200
    assert call(app, "GET", f"{POLICIES}/{policy['id']}").json()["isAssigned"] is True
    assert len(call(app, "GET", f"{POLICIES}/{policy['id']}/assignments").json()["value"]) == 1
    assert call(app, "DELETE", f"{POLICIES}/{policy['id']}").status == 204
    assert call(app, "GET", f"{POLICIES}/{policy['id']}").status == 404


def test_account_protection_template_reference(make_app: Any, call: Any) -> None:
    """A policy on the Account protection template reports its template family."""
    _, app = make_app()
    body = catalog_policy(templateReference={"templateId": "fcef01f2-439d-4c3f-9184-823fd6e97646_1"})
    policy = call(app, "POST", POLICIES, body).json()
    assert policy["templateReference"]["templateFamily"] == "endpointSecurityAccountProtection"
    family = "templateReference/templateFamily eq 'endpointSecurityAccountProtection'"
    found = call(app, "GET", f"{POLICIES}?$filter={family}").json()["value"]
    assert [p["id"] for p in found] == [policy["id"]]


def test_configuration_policies_are_beta_only(make_app: Any, call: Any) -> None:
    """configurationPolicies on v1.0 is an unknown segment (400)."""
    _, app = make_app()
    response = call(app, "GET", "/v1.0/deviceManagement/configurationPolicies")
    assert response.status == 400
    assert "configurationPolicies" in response.json()["error"]["message"]


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x", "settings": [{"settingInstance": {}}]},
                                  {"name": "x", "settings": {}}])
def test_invalid_policies_are_400(make_app: Any, call: Any, error_code: Any, body: Any) -> None:
    """A policy without a name or with malformed settings is refused with Intune's 400 and nothing is stored."""
    _, app = make_app()
    response = call(app, "POST", POLICIES, body)
    assert response.status == 400
    assert error_code(response) == "BadRequest"
    assert call(app, "GET", POLICIES).json()["value"] == []


def test_assignment_filters(make_app: Any, call: Any) -> None:
    """Assignment filters: create with a readable rule, refuse a bad one, use in an assignment, refuse delete."""
    _, app = make_app()
    url = "/beta/deviceManagement/assignmentFilters"
    bad = call(app, "POST", url, {"displayName": "f", "platform": "windows10AndLater", "rule": "device.x -eq"})
    assert bad.status == 400
    created = call(app, "POST", url, {"displayName": "Win11", "platform": "windows10AndLater",
                                      "rule": '(device.osVersion -startsWith "10.0.22")'})
    assert created.status == 201
    filter_id = created.json()["id"]
    assert call(app, "GET", f"{url}/{filter_id}").json()["displayName"] == "Win11"
    patched = call(app, "PATCH", f"{url}/{filter_id}", {"description": "d"})
    assert patched.status == 200  # Intune documents 200 with the updated filter
    assert (patched.json()["id"], patched.json()["description"]) == (filter_id, "d")
    assert call(app, "GET", f"{url}/{filter_id}").json()["description"] == "d"
    profile = call(app, "POST", CONFIGS, identity_profile()).json()
    target = {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
              "deviceAndAppManagementAssignmentFilterId": filter_id,
              "deviceAndAppManagementAssignmentFilterType": "include"}
    assert call(app, "POST", f"{CONFIGS}/{profile['id']}/assign", {"assignments": [{"target": target}]}).status == 200
    assert call(app, "DELETE", f"{url}/{filter_id}").status == 400
    missing = {**target, "deviceAndAppManagementAssignmentFilterId": "nope"}
    assert call(app, "POST", f"{CONFIGS}/{profile['id']}/assign", {"assignments": [{"target": missing}]}).status == 400
    assert len(call(app, "GET", url).json()["value"]) == 1


def test_policy_devices_report(make_app: Any, call: Any) -> None:
    """getConfigurationPolicyDevicesReport pages rows by skip/top with Schema columns; the filter is required."""
    _, app = make_app(devices=12)
    policy = call(app, "POST", POLICIES, catalog_policy()).json()
    target = {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}
    call(app, "POST", f"{POLICIES}/{policy['id']}/assign", {"assignments": [{"target": target}]})
    url = "/beta/deviceManagement/reports/getConfigurationPolicyDevicesReport"
    body = {"select": ["DeviceName", "ReportStatus", "IntuneDeviceId"], "filter": f"(PolicyId eq '{policy['id']}')",
            "skip": 0, "top": 5, "orderBy": []}
    page = call(app, "POST", url, body).json()
    assert [c["Column"] for c in page["Schema"]] == ["DeviceName", "ReportStatus", "IntuneDeviceId"]
    assert page["TotalRowCount"] == 12
    assert len(page["Values"]) == 5
    assert {row[1] for row in page["Values"]} == {"Pending"}
    rest = call(app, "POST", url, {**body, "skip": 10}).json()
    assert len(rest["Values"]) == 2
    assert call(app, "POST", url, {"select": []}).status == 400
    assert call(app, "POST", url, {**body, "select": ["Nope"]}).status == 400
    assert call(app, "POST", "/v1.0/deviceManagement/reports/getConfigurationPolicyDevicesReport", body).status == 400


def test_unused_assignment_filter_deletes(make_app: Any, call: Any) -> None:
    """An assignment filter no assignment uses is deleted (204, then 404)."""
    _, app = make_app()
    url = "/beta/deviceManagement/assignmentFilters"
    created = call(app, "POST", url, {"displayName": "f", "platform": "windows10AndLater",
                                      "rule": '(device.manufacturer -in ["Dell Inc.", "HP"])'}).json()
    assert call(app, "DELETE", f"{url}/{created['id']}").status == 204
    assert call(app, "GET", f"{url}/{created['id']}").status == 404


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"templateReference": [1]}, "templateReference"),
        ({"technologies": 5}, "technologies"),
        ({"roleScopeTagIds": [0]}, "roleScopeTagIds"),
        ({"favouriteColour": "blue"}, "favouriteColour"),
    ],
)
def test_policy_properties_of_the_wrong_type_or_unknown_are_400(
    make_app: Any, call: Any, error_code: Any, extra: dict[str, Any], fragment: str
) -> None:
    """Creating or patching a policy with an unknown property or a value of the wrong type is 400, and the
    collection stays readable afterwards."""
    _, app = make_app()
    created = call(app, "POST", POLICIES, catalog_policy(**extra))
    assert created.status == 400
    assert error_code(created) == "BadRequest"
    assert fragment in created.json()["error"]["message"]
    policy_id = call(app, "POST", POLICIES, catalog_policy()).json()["id"]
    patched = call(app, "PATCH", f"{POLICIES}/{policy_id}", extra)
    assert patched.status == 400
    assert call(app, "GET", POLICIES).status == 200
    assert call(app, "GET", f"{POLICIES}/{policy_id}").json()["templateReference"]["templateId"] == ""


def test_assignment_filter_rule_nested_too_deeply_is_400(make_app: Any, call: Any, error_code: Any) -> None:
    """A rule with thousands of nested parentheses is refused with 400, not a RecursionError 500."""
    _, app = make_app()
    rule = "(" * 5000 + 'device.osVersion -eq "1"' + ")" * 5000
    response = call(app, "POST", "/beta/deviceManagement/assignmentFilters",
                    {"displayName": "f", "platform": "windows10AndLater", "rule": rule})
    assert response.status == 400
    assert error_code(response) == "BadRequest"
    assert "nested too deeply" in response.json()["error"]["message"]
