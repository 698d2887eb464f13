"""Managed devices of the emulated Graph and how the simulated devices change over time: check-ins record
policies, restarts create the PIN recovery key, statuses and dsregcmd follow."""

from __future__ import annotations

from typing import Any

import pytest

from pinreset.emulator._tenant import Tenant

DEVICES = "/v1.0/deviceManagement/managedDevices"
CONFIGS = "/beta/deviceManagement/deviceConfigurations"
IDENTITY = "#microsoft.graph.windowsIdentityProtectionConfiguration"
ALL_USERS = {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}


def eligible_device(tenant: Tenant) -> str:
    """Name of a device made eligible: Entra joined, Windows 11, signed-in user with a Hello container."""
    device = next(d for d in tenant.devices.values() if d.join_type == "azureADJoined")
    tenant.set_device_state(device.id, os_version="10.0.22631.4460", signed_in_user_id=device.user_id, ngc_set=True)
    return device.device_name


def assign_profile(app: Any, call: Any, body: dict[str, Any] | None = None, target: Any = None) -> str:
    profile = call(app, "POST", CONFIGS, body or {"@odata.type": IDENTITY, "displayName": "PIN recovery",
                                                  "pinRecoveryEnabled": True}).json()
    call(app, "POST", f"{CONFIGS}/{profile['id']}/assign", {"assignments": [{"target": target or ALL_USERS}]})
    return str(profile["id"])


def statuses(app: Any, call: Any, profile_id: str) -> dict[str, str]:
    rows = call(app, "GET", f"{CONFIGS}/{profile_id}/deviceStatuses").json()["value"]
    return {row["deviceDisplayName"]: row["status"] for row in rows}


def test_managed_devices_v1_and_beta_shapes(make_app: Any, call: Any) -> None:
    """v1.0 devices carry Graph's inventory fields; joinType appears only in beta."""
    tenant, app = make_app(devices=6)
    v1 = call(app, "GET", DEVICES).json()["value"]
    assert len(v1) == 6
    first = v1[0]
    for key in ("deviceName", "userPrincipalName", "userId", "userDisplayName", "operatingSystem", "osVersion",
                "azureADDeviceId", "deviceEnrollmentType", "managementAgent", "lastSyncDateTime",
                "enrolledDateTime", "complianceState", "serialNumber", "model", "manufacturer"):
        assert key in first
    assert "joinType" not in first
    beta = call(app, "GET", f"/beta/deviceManagement/managedDevices/{first['id']}").json()
    assert beta["joinType"] in ("azureADJoined", "hybridAzureADJoined", "azureADRegistered")
    assert beta["@odata.context"].endswith("#deviceManagement/managedDevices/$entity")
    assert call(app, "GET", f"{DEVICES}/00000000-0000-0000-0000-000000000000").status == 404
    del tenant


def test_generated_fleet_mixes_builds_and_join_types() -> None:
    """A larger fleet includes Entra, hybrid and registered devices and a few builds older than 10.0.15063."""
    tenant = Tenant.generate(seed=5, devices=300)
    joins = {d.join_type for d in tenant.devices.values()}
    assert joins == {"azureADJoined", "hybridAzureADJoined", "azureADRegistered"}
    assert any(d.build < 15063 for d in tenant.devices.values())
    hybrid = next(d for d in tenant.devices.values() if d.join_type == "hybridAzureADJoined" and d.signed_in_user_id)
    assert str(tenant.device_facts(hybrid.device_name).signed_in_user_sid).startswith("S-1-5-21-")
    cloud = next(d for d in tenant.devices.values() if d.join_type == "azureADJoined" and d.signed_in_user_id)
    assert str(tenant.device_facts(cloud.id).signed_in_user_sid).startswith("S-1-12-1-")


def test_same_seed_same_tenant_and_responses(make_app: Any, call: Any) -> None:
    """Two tenants from one seed agree on ids, devices and device listings; another seed differs."""
    one, app_one = make_app(seed=9, devices=10)
    two, app_two = make_app(seed=9, devices=10)
    assert one.tenant_id == two.tenant_id
    assert call(app_one, "GET", DEVICES).json()["value"] == call(app_two, "GET", DEVICES).json()["value"]
    assert one.render_dsregcmd(next(iter(one.devices))) == two.render_dsregcmd(next(iter(two.devices)))
    assert Tenant.generate(seed=10, devices=10).tenant_id != one.tenant_id


def test_sync_without_policy_changes_nothing(make_app: Any, call: Any) -> None:
    """syncDevice answers 204 and updates lastSyncDateTime, but without a profile nothing is recorded."""
    tenant, app = make_app()
    name = eligible_device(tenant)
    device_id = tenant.device_facts(name).managed_device_id
    tenant.advance(60)
    assert call(app, "POST", f"{DEVICES}/{device_id}/syncDevice").status == 204
    facts = tenant.device_facts(name)
    assert facts.last_sync == tenant.clock.now()
    assert facts.pin_recovery_policy is None
    assert facts.can_reset == "DestructiveOnly"
    assert facts.pending_reason == "no PIN recovery policy received"


def test_assign_sync_restart_makes_eligible_device_ready(make_app: Any, call: Any) -> None:
    """Assigned profile: pending -> compliant after sync; policy recorded; CanReset changes only after restart."""
    tenant, app = make_app()
    name = eligible_device(tenant)
    device_id = tenant.device_facts(name).managed_device_id
    profile_id = assign_profile(app, call)
    assert statuses(app, call, profile_id)[name] == "unknown"
    overview = call(app, "GET", f"{CONFIGS}/{profile_id}/deviceStatusOverview").json()
    assert overview["pendingCount"] == len(statuses(app, call, profile_id))
    call(app, "POST", f"{DEVICES}/{device_id}/syncDevice")
    assert statuses(app, call, profile_id)[name] == "compliant"
    facts = tenant.device_facts(name)
    assert facts.pin_recovery_policy is True
    assert facts.pin_recovery_policy_source == "mdm"
    assert not facts.restarted_since_policy
    assert "CanReset : DestructiveOnly" in tenant.render_dsregcmd(name)
    assert call(app, "POST", f"{DEVICES}/{device_id}/rebootNow").status == 204
    facts = tenant.device_facts(name)
    assert facts.pin_recovery_key_created
    assert facts.restarted_since_policy
    assert facts.can_reset == "DestructiveAndNonDestructive"
    assert "CanReset : DestructiveAndNonDestructive" in tenant.render_dsregcmd(name)
    admin_view = tenant.render_dsregcmd(name, account="admin")
    assert "CanReset" not in admin_view
    assert "SessionIsNotRemote : NO" in admin_view
    overview = call(app, "GET", f"{CONFIGS}/{profile_id}/deviceStatusOverview").json()
    assert overview["successCount"] >= 1
    assert overview["configurationVersion"] == 1


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({"os_version": "10.0.14393.7515"}, "notApplicable", "older than 10.0.15063"),
        ({"join_type": "azureADRegistered"}, "compliant", "registered"),
        ({"ngc_set": False}, "compliant", "no Windows Hello container"),
        ({"signed_in_user_id": None}, "compliant", "no user is signed in"),
        ({"policy_error": True}, "error", None),
    ],
)
def test_ineligible_devices_keep_destructive_only(make_app: Any, call: Any, changes: dict[str, Any], status: str,
                                                  reason: str | None) -> None:
    """Ineligible devices report notApplicable/error (or succeed) but never allow non-destructive reset."""
    tenant, app = make_app()
    name = eligible_device(tenant)
    tenant.set_device_state(name, **changes)
    profile_id = assign_profile(app, call, target={"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"})
    tenant.sync_device(name)
    tenant.restart_device(name)
    assert statuses(app, call, profile_id)[name] == status
    facts = tenant.device_facts(name)
    assert facts.can_reset in (None, "DestructiveOnly")
    assert not facts.pin_recovery_key_created
    if reason is not None:
        assert reason in (facts.ineligible_reason or "")
    text = tenant.render_dsregcmd(name)
    assert "DestructiveAndNonDestructive" not in text


def test_conflicting_policies_report_conflict(make_app: Any, call: Any) -> None:
    """Two assigned profiles setting EnablePinRecovery differently both report conflict; nothing is recorded."""
    tenant, app = make_app()
    name = eligible_device(tenant)
    oma = {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "Off",
           "omaSettings": [{"@odata.type": "#microsoft.graph.omaSettingBoolean", "displayName": "off",
                            "omaUri": f"./Device/Vendor/MSFT/PassportForWork/{tenant.tenant_id}/Policies/"
                                      "EnablePinRecovery", "value": False}]}
    on_id = assign_profile(app, call)
    off_id = assign_profile(app, call, oma)
    tenant.sync_device(name)
    assert statuses(app, call, on_id)[name] == "conflict"
    assert statuses(app, call, off_id)[name] == "conflict"
    facts = tenant.device_facts(name)
    assert facts.policy_conflict
    assert facts.pin_recovery_policy is None
    overview = call(app, "GET", f"{CONFIGS}/{on_id}/deviceStatusOverview").json()
    assert overview["conflictCount"] >= 1


def test_wrong_oma_uri_variant_reports_error(make_app: Any, call: Any) -> None:
    """The ./Vendor/MSFT/Policy/PassportForWork/... variant is not a CSP node: the profile reports error."""
    tenant, app = make_app()
    name = eligible_device(tenant)
    oma = {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "Wrong",
           "omaSettings": [{"@odata.type": "#microsoft.graph.omaSettingBoolean", "displayName": "on",
                            "omaUri": f"./Vendor/MSFT/Policy/PassportForWork/{tenant.tenant_id}/Policies/"
                                      "EnablePinRecovery", "value": True}]}
    profile_id = assign_profile(app, call, oma)
    tenant.sync_device(name)
    assert statuses(app, call, profile_id)[name] == "error"
    assert tenant.device_facts(name).pin_recovery_policy is None


def test_exclusion_group_and_group_targeting(make_app: Any, call: Any) -> None:
    """Group targets reach members' devices; exclusion groups remove their members' devices."""
    tenant, app = make_app(devices=40)
    groups = {g["displayName"]: g["id"] for g in call(app, "GET", "/v1.0/groups").json()["value"]}
    name = eligible_device(tenant)
    user_id = tenant.device_facts(name).signed_in_user_id
    tenant.add_group_member(groups["PIN Reset Pilot"], user_id)
    profile = call(app, "POST", CONFIGS, {"@odata.type": IDENTITY, "displayName": "p",
                                          "pinRecoveryEnabled": True}).json()
    pilot = groups["PIN Reset Pilot"]
    include = {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": pilot}}
    call(app, "POST", f"{CONFIGS}/{profile['id']}/assign", {"assignments": [include]})
    targeted = statuses(app, call, profile["id"])
    assert name in targeted
    pilot_members = tenant.groups[groups["PIN Reset Pilot"]].members
    assert all(tenant.devices[tenant.device_names[n.lower()]].user_id in pilot_members for n in targeted)
    tenant.add_group_member(groups["IT Admins"], user_id)
    exclude = {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                          "groupId": groups["IT Admins"]}}
    call(app, "POST", f"{CONFIGS}/{profile['id']}/assign", {"assignments": [include, exclude]})
    assert name not in statuses(app, call, profile["id"])


def test_assignment_filter_narrows_targets(make_app: Any, call: Any) -> None:
    """An include filter on osVersion keeps only matching devices."""
    tenant, app = make_app(devices=40)
    created = call(app, "POST", "/beta/deviceManagement/assignmentFilters",
                   {"displayName": "Win11 23H2", "platform": "windows10AndLater",
                    "rule": '(device.osVersion -startsWith "10.0.22631") and (device.deviceName -ne "none")'}).json()
    target = {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
              "deviceAndAppManagementAssignmentFilterId": created["id"],
              "deviceAndAppManagementAssignmentFilterType": "include"}
    profile_id = assign_profile(app, call, target=target)
    expected = {d.device_name for d in tenant.devices.values() if d.os_version.startswith("10.0.22631")}
    assert set(statuses(app, call, profile_id)) == expected


def test_periodic_checkin_on_clock_advance(make_app: Any, call: Any) -> None:
    """Advancing the simulated clock past the 8-hour interval makes every device check in."""
    tenant, app = make_app(devices=10)
    profile_id = assign_profile(app, call, target={"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"})
    assert set(statuses(app, call, profile_id).values()) == {"unknown"}
    tenant.advance(8 * 3600 + 1)
    assert "unknown" not in set(statuses(app, call, profile_id).values())


def test_profile_change_makes_statuses_pending_again(make_app: Any, call: Any) -> None:
    """After a PATCH the profile's version moves on and earlier reports read as pending until the next sync."""
    tenant, app = make_app()
    name = eligible_device(tenant)
    profile_id = assign_profile(app, call)
    tenant.sync_device(name)
    assert statuses(app, call, profile_id)[name] == "compliant"
    call(app, "PATCH", f"{CONFIGS}/{profile_id}", {"pinMinimumLength": 8})
    assert statuses(app, call, profile_id)[name] == "unknown"


def test_whfb_blocked_profile(make_app: Any, call: Any) -> None:
    """A profile blocking Windows Hello makes the device ineligible even with PIN recovery on."""
    tenant, app = make_app()
    name = eligible_device(tenant)
    assign_profile(app, call, {"@odata.type": IDENTITY, "displayName": "b", "pinRecoveryEnabled": True,
                               "windowsHelloForBusinessBlocked": True})
    tenant.sync_device(name)
    tenant.restart_device(name)
    facts = tenant.device_facts(name)
    assert facts.whfb_blocked
    assert facts.can_reset == "DestructiveOnly"
    assert "PolicyEnabled : NO" in tenant.render_dsregcmd(name)


def test_execute_action_bulk(make_app: Any, call: Any, error_code: Any) -> None:
    """executeAction syncs/reboots up to 100 devices, reports unknown ids and unemulated actions, refuses 101."""
    tenant, app = make_app(devices=120)
    ids = list(tenant.devices)
    url = "/beta/deviceManagement/managedDevices/executeAction"
    result = call(app, "POST", url, {"actionName": "syncDevice", "deviceIds": [*ids[:3], "missing"]})
    assert result.status == 200
    value = result.json()["value"]
    assert value["successfulDeviceIds"] == ids[:3]
    assert value["notFoundDeviceIds"] == ["missing"]
    assert all(tenant.devices[i].last_sync == tenant.clock.now() for i in ids[:3])
    other = call(app, "POST", url, {"actionName": "wipe", "deviceIds": ids[:2]}).json()["value"]
    assert other["notSupportedDeviceIds"] == ids[:2]
    too_many = call(app, "POST", url, {"actionName": "syncDevice", "deviceIds": ids[:101]})
    assert too_many.status == 400
    assert error_code(too_many) == "BadRequest"
    assert call(app, "POST", url, {"actionName": "dance", "deviceIds": ids[:1]}).status == 400
    reboot = call(app, "POST", url, {"actionName": "rebootNow", "deviceIds": ids[:1]}).json()["value"]
    assert reboot["successfulDeviceIds"] == ids[:1]
    assert tenant.devices[ids[0]].restarts == 1
    assert call(app, "POST", "/v1.0/deviceManagement/managedDevices/executeAction",
                {"actionName": "syncDevice", "deviceIds": ids[:1]}).status in (400, 405)


def test_device_facts_lookup_and_unknown(make_app: Any) -> None:
    """device_facts accepts name, managed device id or Entra device id; an unknown device raises."""
    from pinreset.emulator._errors import GraphProblem

    tenant, _ = make_app(devices=3)
    device = next(iter(tenant.devices.values()))
    by_name = tenant.device_facts(device.device_name)
    assert tenant.device_facts(device.id) == by_name
    assert tenant.device_facts(device.azure_ad_device_id) == by_name
    with pytest.raises(GraphProblem):
        tenant.device_facts("NOPE")


def test_device_json_matches_the_property_table(make_app: Any) -> None:
    """The spelled-out device serialisation agrees with the property table used by $filter."""
    from pinreset.emulator._deviceops import DEVICE_PROPERTIES

    tenant, _ = make_app(devices=8)
    for device in tenant.devices.values():
        for beta in (False, True):
            expected = {"@odata.type": "#microsoft.graph.managedDevice"}
            expected.update({name: tenant.device_property(device, name, beta=True)
                             for name, (_, beta_only) in DEVICE_PROPERTIES.items() if beta or not beta_only})
            assert tenant.device_json(device, beta=beta) == expected


def test_concurrent_requests_keep_state_consistent(make_app: Any, call: Any) -> None:
    """Threads syncing, restarting, assigning and listing at once never fail and leave consistent reports."""
    import threading

    tenant, app = make_app(devices=60)
    profile_id = assign_profile(app, call, target={"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"})
    ids = list(tenant.devices)
    failures: list[int] = []

    def worker(offset: int) -> None:
        for index in range(offset, len(ids), 4):
            for method, url in (("POST", f"{DEVICES}/{ids[index]}/syncDevice"),
                                ("POST", f"{DEVICES}/{ids[index]}/rebootNow"),
                                ("GET", f"{DEVICES}?$top=7"),
                                ("GET", f"{CONFIGS}/{profile_id}/deviceStatusOverview")):
                status = call(app, method, url).status
                if status >= 400:
                    failures.append(status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    overview = call(app, "GET", f"{CONFIGS}/{profile_id}/deviceStatusOverview").json()
    assert overview["pendingCount"] == 0
    assert sum(overview[k] for k in ("successCount", "notApplicableCount", "errorCount", "conflictCount")) == 60


def test_signed_in_user_snapshot(make_app: Any) -> None:
    """DeviceFacts.signed_in_user bundles UPN, object id and SID, or is None when nobody is signed in."""
    tenant, _ = make_app()
    name = eligible_device(tenant)
    user = tenant.device_facts(name).signed_in_user
    assert user is not None
    assert user.object_id in tenant.users
    assert user.upn == tenant.users[user.object_id].user_principal_name
    assert user.sid.startswith("S-1-")
    tenant.set_device_state(name, signed_in_user_id=None)
    assert tenant.device_facts(name).signed_in_user is None


def test_web_sign_in_allowed_urls_recorded(make_app: Any, call: Any) -> None:
    """ConfigureWebSignInAllowedUrls from a custom profile reaches the device at check-in."""
    tenant, app = make_app(federated=True)
    name = eligible_device(tenant)
    oma = {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "Web sign-in",
           "omaSettings": [{"@odata.type": "#microsoft.graph.omaSettingString", "displayName": "urls",
                            "omaUri": "./Device/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls",
                            "value": "signin.contoso.com;portal.contoso.com"}]}
    profile_id = assign_profile(app, call, oma)
    assert tenant.device_facts(name).web_sign_in_allowed_urls is None
    tenant.sync_device(name)
    assert tenant.device_facts(name).web_sign_in_allowed_urls == "signin.contoso.com;portal.contoso.com"
    assert statuses(app, call, profile_id)[name] == "compliant"


def test_catalog_intents() -> None:
    """Settings catalog policies: EnablePinRecovery, UsePassportForWork and web sign-in URLs are read."""
    from datetime import datetime, timezone

    from pinreset.emulator._entities import Profile
    from pinreset.emulator._policies import intent_of

    pfw = "device_vendor_msft_passportforwork_{tenantid}"
    settings = [{"settingInstance": {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
        "settingDefinitionId": pfw,
        "groupSettingCollectionValue": [{"children": [
            {"settingDefinitionId": f"{pfw}_policies_enablepinrecovery",
             "choiceSettingValue": {"value": f"{pfw}_policies_enablepinrecovery_true", "children": []}},
            {"settingDefinitionId": f"{pfw}_policies_usepassportforwork",
             "choiceSettingValue": {"value": f"{pfw}_policies_usepassportforwork_false", "children": []}},
        ]}]}}, {"settingInstance": {
            "settingDefinitionId": "device_vendor_msft_policy_config_authentication_configurewebsigninallowedurls",
            "simpleSettingValue": {"value": "login.example.com"}}}]
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    profile = Profile(kind="configurationPolicy", id="p", data={"name": "n", "settings": settings}, created=now,
                      modified=now)
    intent = intent_of(profile, "tenant")
    assert intent.pin_recovery is True
    assert intent.whfb_blocked is True
    assert intent.web_sign_in_urls == "login.example.com"
