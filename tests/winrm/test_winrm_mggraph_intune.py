"""Intune cmdlets of Microsoft Graph PowerShell on the admin host: profiles, settings catalog, devices, actions."""

from __future__ import annotations

import json
from typing import Any

from pinreset.emulator import Emulator

from .mggraph_helpers import connected, emu, failure, props, run

__all__ = ["connected", "emu"]

_PROFILE = {
    "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
    "displayName": "PIN recovery (admin host)",
    "description": "made through Microsoft Graph PowerShell",
    "pinRecoveryEnabled": True,
    "windowsHelloForBusinessBlocked": False,
}
_SETTING = "device_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery"
_POLICY = {
    "name": "PIN recovery (settings catalog)",
    "platforms": "windows10",
    "technologies": "mdm",
    "settings": [
        {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
            "settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                "settingDefinitionId": _SETTING,
                "choiceSettingValue": {"value": f"{_SETTING}_true", "children": []},
            },
        }
    ],
}
_JSON = ("ConvertTo-Json", [("Depth", 10), ("Compress", True)])
_MISSING = "0b0b0b0b-1111-2222-3333-444444444444"


def test_device_configuration_lifecycle(connected: Any, emu: Emulator) -> None:
    """New, get, update, assign, assignments, statuses, remove: derived properties are in AdditionalProperties."""
    (created,), ps = run(connected, ("New-MgBetaDeviceManagementDeviceConfiguration", [("BodyParameter", _PROFILE)]))
    assert not ps.had_errors
    shown = props(created)
    assert created.types[0] == "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphDeviceConfiguration"
    assert shown["DisplayName"] == _PROFILE["displayName"]
    assert shown["AdditionalProperties"]["@odata.type"] == _PROFILE["@odata.type"]
    assert shown["AdditionalProperties"]["pinRecoveryEnabled"] is True
    key = ("DeviceConfigurationId", shown["Id"])

    patch = {"@odata.type": _PROFILE["@odata.type"], "pinRecoveryEnabled": False}
    output, ps = run(connected, ("Update-MgBetaDeviceManagementDeviceConfiguration", [key, ("BodyParameter", patch)]))
    assert output == []
    assert not ps.had_errors
    (text,), _ = run(connected, ("Get-MgBetaDeviceManagementDeviceConfiguration", [key]), _JSON)
    fetched = json.loads(text)
    assert fetched["AdditionalProperties"]["pinRecoveryEnabled"] is False
    assert fetched["CreatedDateTime"].endswith("Z")

    group = props(run(connected, ("Get-MgGroup", [("Top", 1)]))[0][0])["Id"]
    target = {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}
    assigned, ps = run(
        connected,
        (
            "Set-MgBetaDeviceManagementDeviceConfiguration",
            [key, ("BodyParameter", {"assignments": [{"target": target}]})],
        ),
    )
    assert not ps.had_errors
    assert len(assigned) == 1
    (text,), _ = run(
        connected, ("Get-MgBetaDeviceManagementDeviceConfigurationAssignment", [key, ("All", True)]), _JSON
    )
    assignment = json.loads(text)
    assert assignment["Target"]["AdditionalProperties"] == target
    assert "DeviceAndAppManagementAssignmentFilterType" in assignment["Target"]

    statuses, _ = run(connected, ("Get-MgBetaDeviceManagementDeviceConfigurationDeviceStatus", [key, ("All", True)]))
    assert statuses
    assert {"DeviceDisplayName", "Status", "LastReportedDateTime"} <= set(props(statuses[0]))

    output, ps = run(connected, ("Remove-MgBetaDeviceManagementDeviceConfiguration", [key]))
    assert output == []
    assert not ps.had_errors
    _, ps = run(connected, ("Get-MgBetaDeviceManagementDeviceConfiguration", [key]))
    message, fqid = failure(ps)
    assert "Status: 404 (NotFound)" in message
    assert fqid.endswith(",Microsoft.Graph.Beta.PowerShell.Cmdlets.GetMgBetaDeviceManagementDeviceConfiguration_Get")


def test_settings_catalog_policy(connected: Any) -> None:
    """A settings catalog policy: created, listed with its template reference, its setting's derived JSON, removed."""
    (created,), ps = run(connected, ("New-MgBetaDeviceManagementConfigurationPolicy", [("BodyParameter", _POLICY)]))
    assert not ps.had_errors
    key = ("DeviceManagementConfigurationPolicyId", props(created)["Id"])
    assert props(created)["SettingCount"] == 1
    policies, _ = run(connected, ("Get-MgBetaDeviceManagementConfigurationPolicy", [("All", True)]))
    mine = [props(p) for p in policies if props(p)["Id"] == key[1]]
    assert mine
    assert "TemplateId" in props(mine[0]["TemplateReference"])
    (text,), _ = run(connected, ("Get-MgBetaDeviceManagementConfigurationPolicySetting", [key, ("All", True)]), _JSON)
    instance = json.loads(text)["SettingInstance"]
    assert instance["SettingDefinitionId"] == _SETTING
    assert instance["AdditionalProperties"]["choiceSettingValue"]["value"] == f"{_SETTING}_true"
    assignments, ps = run(connected, ("Get-MgBetaDeviceManagementConfigurationPolicyAssignment", [key, ("All", True)]))
    assert assignments == []
    assert not ps.had_errors
    output, ps = run(connected, ("Remove-MgBetaDeviceManagementConfigurationPolicy", [key]))
    assert output == []
    assert not ps.had_errors


def test_managed_devices_page_across_pages(connected: Any, emu: Emulator) -> None:
    """-All -PageSize 5 follows @odata.nextLink over several pages and streams one object per device."""
    before = len(emu.requests)
    devices, ps = run(connected, ("Get-MgBetaDeviceManagementManagedDevice", [("All", True), ("PageSize", 5)]))
    assert not ps.had_errors
    pages = [r for r in emu.requests[before:] if r.path == "/beta/deviceManagement/managedDevices"]
    assert len(devices) == len(emu.tenant.devices)
    assert len(pages) == -(-len(devices) // 5) > 1
    first = props(devices[0])
    assert devices[0].types[0] == "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphManagedDevice"
    assert {"DeviceName", "AzureAdDeviceId", "JoinType", "OsVersion", "LastSyncDateTime"} <= set(first)
    assert len({props(d)["Id"] for d in devices}) == len(devices)
    three, _ = run(connected, ("Get-MgDeviceManagementManagedDevice", [("Top", 3)]))
    assert len(three) == 3


def test_managed_devices_filter_and_property(connected: Any) -> None:
    """-Filter and -Property reach Graph as $filter/$select."""
    (one,), _ = run(connected, ("Get-MgBetaDeviceManagementManagedDevice", [("Top", 1)]))
    name = props(one)["DeviceName"]
    found, ps = run(
        connected,
        (
            "Get-MgBetaDeviceManagementManagedDevice",
            [("Filter", f"deviceName eq '{name}'"), ("Property", ["id", "deviceName"]), ("All", True)],
        ),
    )
    assert not ps.had_errors
    assert [props(d)["DeviceName"] for d in found] == [name]
    assert props(found[0])["OsVersion"] is None


def test_device_actions(connected: Any) -> None:
    """Sync and restart give no output; the bulk action reports successful and not-found ids."""
    devices, _ = run(connected, ("Get-MgBetaDeviceManagementManagedDevice", [("Top", 2)]))
    ids = [props(d)["Id"] for d in devices]
    for name in ("Sync-MgDeviceManagementManagedDevice", "Restart-MgDeviceManagementManagedDeviceNow"):
        output, ps = run(connected, (name, [("ManagedDeviceId", ids[0])]))
        assert output == []
        assert not ps.had_errors, name
    (result,), ps = run(
        connected,
        (
            "Invoke-MgBetaExecuteDeviceManagementManagedDeviceAction",
            [("ActionName", "syncDevice"), ("DeviceIds", [ids[1], _MISSING])],
        ),
    )
    assert not ps.had_errors
    shown = props(result)
    assert shown["SuccessfulDeviceIds"] == [ids[1]]
    assert shown["NotFoundDeviceIds"] == [_MISSING]
    _, ps = run(connected, ("Sync-MgDeviceManagementManagedDevice", [("ManagedDeviceId", _MISSING)]))
    assert "Status: 404 (NotFound)" in failure(ps)[0]


def test_hostile_key_stays_one_key(connected: Any) -> None:
    """A key with a slash cannot reach another Graph path: it is an unknown key (404), not a traversal."""
    _, ps = run(connected, ("Remove-MgBetaDeviceManagementDeviceConfiguration", [("DeviceConfigurationId", "x/../y")]))
    message, fqid = failure(ps)
    assert "Status: 404 (NotFound)" in message
    assert fqid.endswith("RemoveMgBetaDeviceManagementDeviceConfiguration_Delete")


def test_throttling_surfaces_as_429(connected: Any, emu: Emulator) -> None:
    """Beyond Intune's (scaled) limit a cmdlet fails with Status 429 and a Retry-After header line."""
    from pinreset.emulator import ThrottleConfig

    emu.set_throttling(ThrottleConfig(scale=0.001))
    try:
        message = ""
        for _ in range(5):
            _, ps = run(connected, ("Get-MgBetaDeviceManagementDeviceConfiguration", [("Top", 1)]))
            if ps.had_errors:
                message = failure(ps)[0]
                break
        assert "Status: 429 (TooManyRequests)" in message
        assert any(line.startswith("Retry-After") for line in message.splitlines())
    finally:
        emu.set_throttling(False)
