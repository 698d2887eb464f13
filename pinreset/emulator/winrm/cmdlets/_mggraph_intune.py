"""Intune cmdlets of the Microsoft Graph PowerShell SDK (Beta.DeviceManagement[.Actions], DeviceManagement.Actions).

Device configuration profiles (``deviceConfigurations``: get, new, update, remove, assign, assignments, device
statuses), settings catalog policies (``configurationPolicies``: get, settings, assignments, new, remove),
managed devices (list, v1.0 and beta) and the device actions (sync, reboot, bulk ``executeAction``). Objects
are SDK models: a ``windowsIdentityProtectionConfiguration`` arrives as a ``deviceConfiguration`` whose derived
properties sit in ``AdditionalProperties``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pinreset.emulator.winrm._engine import Param
from pinreset.emulator.winrm.cmdlets._mggraph_crud import (
    define_action,
    define_get,
    define_new,
    define_remove,
    define_update,
)
from pinreset.emulator.winrm.cmdlets._mggraph_models import to_sdk

__all__: list[str] = []

_BETA_DM = "Microsoft.Graph.Beta.DeviceManagement"
_BETA_ACTIONS = "Microsoft.Graph.Beta.DeviceManagement.Actions"
_V1_DM = "Microsoft.Graph.DeviceManagement"
_V1_ACTIONS = "Microsoft.Graph.DeviceManagement.Actions"

_CONFIGS = "/beta/deviceManagement/deviceConfigurations"
_POLICIES = "/beta/deviceManagement/configurationPolicies"
_CONFIG_ID = "DeviceConfigurationId"
_POLICY_ID = "DeviceManagementConfigurationPolicyId"

# -- deviceConfigurations ----------------------------------------------------------------------------------------
define_get(
    "Get-MgBetaDeviceManagementDeviceConfiguration",
    _BETA_DM,
    _CONFIGS,
    "MicrosoftGraphDeviceConfiguration",
    key=_CONFIG_ID,
)
define_new("New-MgBetaDeviceManagementDeviceConfiguration", _BETA_DM, _CONFIGS, "MicrosoftGraphDeviceConfiguration")
define_update("Update-MgBetaDeviceManagementDeviceConfiguration", _BETA_DM, _CONFIGS, _CONFIG_ID)
define_remove("Remove-MgBetaDeviceManagementDeviceConfiguration", _BETA_DM, _CONFIGS, _CONFIG_ID)
define_get(
    "Get-MgBetaDeviceManagementDeviceConfigurationAssignment",
    _BETA_DM,
    _CONFIGS + "/{DeviceConfigurationId}/assignments",
    "MicrosoftGraphDeviceConfigurationAssignment",
    parents=(_CONFIG_ID,),
    key="DeviceConfigurationAssignmentId",
)
define_get(
    "Get-MgBetaDeviceManagementDeviceConfigurationDeviceStatus",
    _BETA_DM,
    _CONFIGS + "/{DeviceConfigurationId}/deviceStatuses",
    "MicrosoftGraphDeviceConfigurationDeviceStatus",
    parents=(_CONFIG_ID,),
    key="DeviceConfigurationDeviceStatusId",
)


def _assignments(model: str) -> Any:
    def shape(payload: Any) -> Iterator[Any]:
        for item in (payload or {}).get("value") or []:
            yield to_sdk(item, model, beta=True)

    return shape


define_action(
    "Set-MgBetaDeviceManagementDeviceConfiguration",
    _BETA_ACTIONS,
    _CONFIGS + "/{DeviceConfigurationId}/assign",
    "AssignExpanded",
    keys=(_CONFIG_ID,),
    body=(Param("Assignments", "hashtables"), Param("AdditionalProperties", "hashtable")),
    result=_assignments("MicrosoftGraphDeviceConfigurationAssignment"),
)

# -- configurationPolicies (settings catalog) -------------------------------------------------------------------
define_get(
    "Get-MgBetaDeviceManagementConfigurationPolicy",
    _BETA_DM,
    _POLICIES,
    "MicrosoftGraphDeviceManagementConfigurationPolicy",
    key=_POLICY_ID,
)
define_get(
    "Get-MgBetaDeviceManagementConfigurationPolicySetting",
    _BETA_DM,
    _POLICIES + "/{DeviceManagementConfigurationPolicyId}/settings",
    "MicrosoftGraphDeviceManagementConfigurationSetting",
    parents=(_POLICY_ID,),
    key="DeviceManagementConfigurationSettingId",
)
define_get(
    "Get-MgBetaDeviceManagementConfigurationPolicyAssignment",
    _BETA_DM,
    _POLICIES + "/{DeviceManagementConfigurationPolicyId}/assignments",
    "MicrosoftGraphDeviceManagementConfigurationPolicyAssignment",
    parents=(_POLICY_ID,),
    key="DeviceManagementConfigurationPolicyAssignmentId",
)
define_new(
    "New-MgBetaDeviceManagementConfigurationPolicy",
    _BETA_DM,
    _POLICIES,
    "MicrosoftGraphDeviceManagementConfigurationPolicy",
    expanded=(
        Param("Name"),
        Param("Description"),
        Param("Platforms"),
        Param("Technologies"),
        Param("Settings", "hashtables"),
        Param("TemplateReference", "hashtable"),
        Param("RoleScopeTagIds", "strings"),
    ),
)
define_remove("Remove-MgBetaDeviceManagementConfigurationPolicy", _BETA_DM, _POLICIES, _POLICY_ID)

# -- managed devices --------------------------------------------------------------------------------------------
define_get(
    "Get-MgBetaDeviceManagementManagedDevice",
    _BETA_DM,
    "/beta/deviceManagement/managedDevices",
    "MicrosoftGraphManagedDevice",
    key="ManagedDeviceId",
)
define_get(
    "Get-MgDeviceManagementManagedDevice",
    _V1_DM,
    "/v1.0/deviceManagement/managedDevices",
    "MicrosoftGraphManagedDevice",
    key="ManagedDeviceId",
)
define_action(
    "Sync-MgDeviceManagementManagedDevice",
    _V1_ACTIONS,
    "/v1.0/deviceManagement/managedDevices/{ManagedDeviceId}/syncDevice",
    "Sync",
    keys=("ManagedDeviceId",),
)
define_action(
    "Restart-MgDeviceManagementManagedDeviceNow",
    _V1_ACTIONS,
    "/v1.0/deviceManagement/managedDevices/{ManagedDeviceId}/rebootNow",
    "Reboot",
    keys=("ManagedDeviceId",),
)


def _bulk_result(payload: Any) -> Iterator[Any]:
    # Graph wraps an action's complex return value in "value"; the SDK hands out the value itself.
    result = (payload or {}).get("value")
    yield to_sdk(
        result if isinstance(result, dict) else payload or {}, "MicrosoftGraphBulkManagedDeviceActionResult", beta=True
    )


define_action(
    "Invoke-MgBetaExecuteDeviceManagementManagedDeviceAction",
    _BETA_ACTIONS,
    "/beta/deviceManagement/managedDevices/executeAction",
    "ExecuteExpanded",
    body=(
        Param("ActionName"),
        Param("DeviceIds", "strings"),
        Param("KeepEnrollmentData", "bool"),
        Param("KeepUserData", "bool"),
        Param("NotificationTitle"),
        Param("NotificationBody"),
        Param("DeviceName"),
        Param("CarrierUrl"),
        Param("DeprovisionReason"),
        Param("PersistEsimDataPlan", "bool"),
        Param("Platform"),
        Param("OrganizationalUnitPath"),
        Param("RealAction"),
        Param("ActionOptions", "hashtable"),
        Param("AdditionalProperties", "hashtable"),
    ),
    result=_bulk_result,
)
