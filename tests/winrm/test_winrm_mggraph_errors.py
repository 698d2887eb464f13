"""Every Microsoft Graph PowerShell cmdlet of the admin host fails the SDK's way on a Graph error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pinreset.emulator import Emulator

from .mggraph_helpers import connect_certificate, emu, failure, open_pool, run

__all__ = ["emu"]

_M = "0b0b0b0b-1111-2222-3333-444444444444"
_V1 = "Microsoft.Graph.PowerShell.Cmdlets."
_BETA = "Microsoft.Graph.Beta.PowerShell.Cmdlets."

CASES = [
    ("Get-MgOrganization", [("OrganizationId", _M)], 404, f"{_V1}GetMgOrganization_Get"),
    ("Get-MgDomain", [("DomainId", "nope.example")], 404, f"{_V1}GetMgDomain_Get"),
    ("Get-MgGroup", [("GroupId", _M)], 404, f"{_V1}GetMgGroup_Get"),
    ("Get-MgGroupTransitiveMember", [("GroupId", _M)], 404, f"{_V1}GetMgGroupTransitiveMember_List"),
    ("New-MgServicePrincipal", [("AppId", "not-a-guid")], 400, f"{_V1}NewMgServicePrincipal_CreateExpanded"),
    (
        "New-MgBetaDeviceManagementDeviceConfiguration",
        [("BodyParameter", {"displayName": "no @odata.type"})],
        400,
        f"{_BETA}NewMgBetaDeviceManagementDeviceConfiguration_Create",
    ),
    (
        "Update-MgBetaDeviceManagementDeviceConfiguration",
        [("DeviceConfigurationId", _M), ("BodyParameter", {"displayName": "x"})],
        404,
        f"{_BETA}UpdateMgBetaDeviceManagementDeviceConfiguration_Update",
    ),
    (
        "Set-MgBetaDeviceManagementDeviceConfiguration",
        [("DeviceConfigurationId", _M), ("BodyParameter", {"assignments": []})],
        404,
        f"{_BETA}SetMgBetaDeviceManagementDeviceConfiguration_Assign",
    ),
    (
        "Get-MgBetaDeviceManagementDeviceConfigurationAssignment",
        [("DeviceConfigurationId", _M)],
        404,
        f"{_BETA}GetMgBetaDeviceManagementDeviceConfigurationAssignment_List",
    ),
    (
        "Get-MgBetaDeviceManagementDeviceConfigurationDeviceStatus",
        [("DeviceConfigurationId", _M)],
        404,
        f"{_BETA}GetMgBetaDeviceManagementDeviceConfigurationDeviceStatus_List",
    ),
    (
        "Get-MgBetaDeviceManagementConfigurationPolicy",
        [("DeviceManagementConfigurationPolicyId", _M)],
        404,
        f"{_BETA}GetMgBetaDeviceManagementConfigurationPolicy_Get",
    ),
    (
        "Get-MgBetaDeviceManagementConfigurationPolicySetting",
        [("DeviceManagementConfigurationPolicyId", _M)],
        404,
        f"{_BETA}GetMgBetaDeviceManagementConfigurationPolicySetting_List",
    ),
    (
        "Get-MgBetaDeviceManagementConfigurationPolicyAssignment",
        [("DeviceManagementConfigurationPolicyId", _M)],
        404,
        f"{_BETA}GetMgBetaDeviceManagementConfigurationPolicyAssignment_List",
    ),
    (
        "New-MgBetaDeviceManagementConfigurationPolicy",
        [("BodyParameter", {})],
        400,
        f"{_BETA}NewMgBetaDeviceManagementConfigurationPolicy_Create",
    ),
    (
        "Remove-MgBetaDeviceManagementConfigurationPolicy",
        [("DeviceManagementConfigurationPolicyId", _M)],
        404,
        f"{_BETA}RemoveMgBetaDeviceManagementConfigurationPolicy_Delete",
    ),
    (
        "Get-MgBetaDeviceManagementManagedDevice",
        [("ManagedDeviceId", _M)],
        404,
        f"{_BETA}GetMgBetaDeviceManagementManagedDevice_Get",
    ),
    (
        "Get-MgDeviceManagementManagedDevice",
        [("ManagedDeviceId", _M)],
        404,
        f"{_V1}GetMgDeviceManagementManagedDevice_Get",
    ),
    (
        "Restart-MgDeviceManagementManagedDeviceNow",
        [("ManagedDeviceId", _M)],
        404,
        f"{_V1}RestartMgDeviceManagementManagedDeviceNow_Reboot",
    ),
    (
        "Invoke-MgBetaExecuteDeviceManagementManagedDeviceAction",
        [("ActionName", "explode"), ("DeviceIds", [_M])],
        400,
        f"{_BETA}InvokeMgBetaExecuteDeviceManagementManagedDeviceAction_ExecuteExpanded",
    ),
]


@pytest.fixture(scope="module")
def signed_in(emu: Emulator) -> Iterator[Any]:
    """One runspace pool signed in with the certificate, shared by this module's tests."""
    pool = open_pool(emu)
    connect_certificate(pool, emu)
    yield pool
    pool.close()


@pytest.mark.parametrize(("name", "params", "status", "cmdlet_class"), CASES, ids=[c[0] for c in CASES])
def test_graph_error_in_sdk_format(
    signed_in: Any, name: str, params: list[Any], status: int, cmdlet_class: str
) -> None:
    """Graph's 4xx becomes a terminating error with the Status line, a request-id and <code>,<class>_<variant>."""
    output, ps = run(signed_in, (name, params))
    message, fqid = failure(ps)
    assert output == []
    assert any(line.startswith(f"Status: {status} (") for line in message.splitlines())
    assert any(line.startswith("request-id") for line in message.splitlines())
    code, _, where = fqid.partition(",")
    assert code
    assert where == cmdlet_class


def test_cmdlets_are_only_on_the_admin_host_module_list(emu: Emulator) -> None:
    """Every cmdlet of this table belongs to a module the admin host lists as installed."""
    from pinreset.emulator.winrm._engine import lookup

    admin = emu.admin_host
    assert admin is not None
    for name, *_ in CASES:
        spec = lookup(name)
        assert spec is not None
        assert spec.module in admin.host.modules, name
