"""Graph JSON as the Microsoft Graph PowerShell SDK hands it out: model objects with PascalCase properties.

An SDK model declares the properties of its Graph type; every declared property is present (``$null`` when Graph
did not send it), ``…DateTime`` values are ``DateTime``, and whatever the model does not declare -- notably
``@odata.type`` and the properties of derived types, such as a ``windowsIdentityProtectionConfiguration``'s
``pinRecoveryEnabled`` on a ``deviceConfiguration`` model -- lands in ``AdditionalProperties``, a hashtable
with Graph's own camelCase keys and raw JSON values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from pinreset.emulator.winrm._objects import PSObj

__all__ = ["MODELS", "Model", "pascal", "to_sdk"]

_V1 = "Microsoft.Graph.PowerShell.Models."
_BETA = "Microsoft.Graph.Beta.PowerShell.Models."
# The SDK's generator writes "AD" inside a name as "Ad" (azureADDeviceId -> AzureAdDeviceId).
_SPECIAL = {"azureADDeviceId": "AzureAdDeviceId", "azureADRegistered": "AzureAdRegistered"}


def pascal(name: str) -> str:
    """The SDK's property name for Graph's camelCase ``name``."""
    return _SPECIAL.get(name) or (name[:1].upper() + name[1:])


@attrs.frozen
class Model:
    """An SDK model: its class name (without namespace), declared properties, and models of complex ones."""

    name: str
    props: tuple[str, ...]
    nested: Mapping[str, str] = attrs.field(factory=dict)


def _m(name: str, props: str, **nested: str) -> Model:
    return Model(name, tuple(props.split()), nested)


_TARGET = "deviceAndAppManagementAssignmentFilterId deviceAndAppManagementAssignmentFilterType"

MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        _m(
            "MicrosoftGraphServicePrincipal",
            "id deletedDateTime accountEnabled alternativeNames appDescription appDisplayName appId "
            "appOwnerOrganizationId appRoleAssignmentRequired appRoles applicationTemplateId description "
            "disabledByMicrosoftStatus displayName homepage loginUrl logoutUrl notes notificationEmailAddresses "
            "oauth2PermissionScopes preferredSingleSignOnMode replyUrls servicePrincipalNames "
            "servicePrincipalType signInAudience tags tokenEncryptionKeyId",
        ),
        _m(
            "MicrosoftGraphOrganization",
            "id deletedDateTime businessPhones city country countryLetterCode createdDateTime displayName "
            "marketingNotificationEmails onPremisesLastSyncDateTime onPremisesSyncEnabled postalCode "
            "preferredLanguage state street technicalNotificationMails tenantType verifiedDomains",
            verifiedDomains="MicrosoftGraphVerifiedDomain",
        ),
        _m("MicrosoftGraphVerifiedDomain", "capabilities isDefault isInitial name type"),
        _m(
            "MicrosoftGraphDomain",
            "id authenticationType availabilityStatus isAdminManaged isDefault isInitial isRoot isVerified "
            "passwordNotificationWindowInDays passwordValidityPeriodInDays supportedServices",
        ),
        _m(
            "MicrosoftGraphGroup",
            "id deletedDateTime classification createdDateTime description displayName groupTypes mail "
            "mailEnabled mailNickname membershipRule membershipRuleProcessingState securityEnabled "
            "securityIdentifier visibility",
        ),
        _m("MicrosoftGraphDirectoryObject", "id deletedDateTime"),
        _m(
            "MicrosoftGraphDeviceConfiguration",
            "id createdDateTime description deviceManagementApplicabilityRuleDeviceMode "
            "deviceManagementApplicabilityRuleOsEdition deviceManagementApplicabilityRuleOsVersion displayName "
            "lastModifiedDateTime roleScopeTagIds supportsScopeTags version",
        ),
        _m(
            "MicrosoftGraphDeviceConfigurationAssignment",
            "id intent source sourceId target",
            target="MicrosoftGraphDeviceAndAppManagementAssignmentTarget",
        ),
        _m("MicrosoftGraphDeviceAndAppManagementAssignmentTarget", _TARGET),
        _m(
            "MicrosoftGraphDeviceConfigurationDeviceStatus",
            "id complianceGracePeriodExpirationDateTime deviceDisplayName deviceModel lastReportedDateTime "
            "platform status userName userPrincipalName",
        ),
        _m(
            "MicrosoftGraphDeviceManagementConfigurationPolicy",
            "id createdDateTime creationSource description isAssigned lastModifiedDateTime name platforms "
            "priorityMetaData roleScopeTagIds settingCount technologies templateReference",
            templateReference="MicrosoftGraphDeviceManagementConfigurationPolicyTemplateReference",
        ),
        _m(
            "MicrosoftGraphDeviceManagementConfigurationPolicyTemplateReference",
            "templateDisplayName templateDisplayVersion templateFamily templateId",
        ),
        _m(
            "MicrosoftGraphDeviceManagementConfigurationSetting",
            "id settingInstance",
            settingInstance="MicrosoftGraphDeviceManagementConfigurationSettingInstance",
        ),
        _m(
            "MicrosoftGraphDeviceManagementConfigurationSettingInstance",
            "settingDefinitionId settingInstanceTemplateReference",
        ),
        _m(
            "MicrosoftGraphDeviceManagementConfigurationPolicyAssignment",
            "id source sourceId target",
            target="MicrosoftGraphDeviceAndAppManagementAssignmentTarget",
        ),
        _m(
            "MicrosoftGraphManagedDevice",
            "id azureADDeviceId azureADRegistered complianceState deviceEnrollmentType deviceName "
            "deviceRegistrationState emailAddress enrolledDateTime isEncrypted joinType lastSyncDateTime "
            "managedDeviceName managedDeviceOwnerType managementAgent managementState manufacturer model "
            "operatingSystem osVersion serialNumber userDisplayName userId userPrincipalName",
        ),
        _m(
            "MicrosoftGraphBulkManagedDeviceActionResult",
            "failedDeviceIds notFoundDeviceIds notSupportedDeviceIds successfulDeviceIds",
        ),
    )
}


class _PaddedDateTime(datetime):
    """A datetime whose ``%Y`` keeps four digits (glibc writes year 1 as ``1``), for DateTime.MinValue on the wire."""

    def strftime(self, fmt: str) -> str:
        return super().strftime(fmt.replace("%Y", f"{self.year:04d}"))


def _value(name: str, value: Any, nested: str | None, beta: bool) -> Any:
    if nested is not None:
        if isinstance(value, list):
            return [to_sdk(v, nested, beta=beta) if isinstance(v, Mapping) else v for v in value]
        if isinstance(value, Mapping):
            return to_sdk(value, nested, beta=beta)
        return value
    if name.endswith("DateTime") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.year < 1000:
            return _PaddedDateTime.fromisoformat(moment.isoformat())
        return moment
    return value


def to_sdk(item: Mapping[str, Any], model: str, *, beta: bool = False) -> PSObj:
    """The SDK object for one Graph JSON object.

    Args:
        item: the Graph JSON object.
        model: a :data:`MODELS` key (``MicrosoftGraphServicePrincipal``).
        beta: a Microsoft.Graph.Beta model (its namespace differs).

    Returns:
        An object with every declared property in PascalCase and ``AdditionalProperties``.
    """
    spec = MODELS[model]
    props: dict[str, Any] = {}
    for name in spec.props:
        props[pascal(name)] = _value(name, item.get(name), spec.nested.get(name), beta)
    declared = set(spec.props)
    props["AdditionalProperties"] = {k: v for k, v in item.items() if k not in declared}
    full = f"{_BETA if beta else _V1}{model}"
    return PSObj(type_names=[full, "System.Object"], props=props, text=full)
