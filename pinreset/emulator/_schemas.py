"""The documented shapes of the device configuration types the emulator knows by name.

Graph refuses unknown properties of a known type ("The property 'x' does not exist on type ..."), abstract types,
and types that exist only in beta when posted to v1.0. Types it does not know by name are stored intact (the
fallback), so a client can round-trip any ``@odata.type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinreset.emulator._errors import bad_request

__all__ = ["ASSIGNMENT_TARGET_TYPES", "BETA_ONLY_TYPES", "DEVICE_CONFIGURATION_BASE", "validate_device_configuration"]

ASSIGNMENT_TARGET_TYPES = frozenset({
    "#microsoft.graph.groupAssignmentTarget",
    "#microsoft.graph.exclusionGroupAssignmentTarget",
    "#microsoft.graph.allLicensedUsersAssignmentTarget",
    "#microsoft.graph.allDevicesAssignmentTarget",
    "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
})

# Inherited deviceConfiguration properties with their defaults (server-managed ones are filled elsewhere).
DEVICE_CONFIGURATION_BASE: dict[str, Any] = {
    "roleScopeTagIds": ["0"],
    "supportsScopeTags": True,
    "deviceManagementApplicabilityRuleOsEdition": None,
    "deviceManagementApplicabilityRuleOsVersion": None,
    "deviceManagementApplicabilityRuleDeviceMode": None,
    "description": None,
    "displayName": None,
}
_BASE_WRITABLE = frozenset(DEVICE_CONFIGURATION_BASE) | {"@odata.type"}

_USAGE = ("blocked", "required", "allowed", "notConfigured")
# property -> (kind, default, constraint); kinds: bool, int (with inclusive range), enum (with values), list.
_IDENTITY_PROTECTION: dict[str, tuple[str, Any, Any]] = {
    "useSecurityKeyForSignin": ("bool", False, None),
    "enhancedAntiSpoofingForFacialFeaturesEnabled": ("bool", False, None),
    "pinMinimumLength": ("int", None, (4, 127)),
    "pinMaximumLength": ("int", None, (4, 127)),
    "pinUppercaseCharactersUsage": ("enum", "notConfigured", _USAGE),
    "pinLowercaseCharactersUsage": ("enum", "notConfigured", _USAGE),
    "pinSpecialCharactersUsage": ("enum", "notConfigured", _USAGE),
    "pinExpirationInDays": ("int", None, (0, 730)),
    "pinPreviousBlockCount": ("int", None, (0, 50)),
    "pinRecoveryEnabled": ("bool", False, None),
    "securityDeviceRequired": ("bool", False, None),
    "unlockWithBiometricsEnabled": ("bool", False, None),
    "useCertificatesForOnPremisesAuthEnabled": ("bool", False, None),
    "windowsHelloForBusinessBlocked": ("bool", False, None),
}
_CUSTOM: dict[str, tuple[str, Any, Any]] = {"omaSettings": ("list", [], None)}
_OMA_TYPES = frozenset({
    "#microsoft.graph.omaSettingBoolean", "#microsoft.graph.omaSettingString", "#microsoft.graph.omaSettingInteger",
    "#microsoft.graph.omaSettingFloatingPoint", "#microsoft.graph.omaSettingDateTime",
    "#microsoft.graph.omaSettingBase64", "#microsoft.graph.omaSettingStringXml",
})

KNOWN_TYPES: dict[str, dict[str, tuple[str, Any, Any]]] = {
    "#microsoft.graph.windowsIdentityProtectionConfiguration": _IDENTITY_PROTECTION,
    "#microsoft.graph.windows10CustomConfiguration": _CUSTOM,
}
# Types that Graph v1.0 does not define (the identity protection template exists only in beta).
BETA_ONLY_TYPES = frozenset({"#microsoft.graph.windowsIdentityProtectionConfiguration"})
_ABSTRACT = frozenset({"#microsoft.graph.deviceConfiguration"})


def _check(name: str, value: Any, spec: tuple[str, Any, Any], type_name: str) -> None:
    kind, _, constraint = spec
    if value is None:
        return
    if kind == "bool" and not isinstance(value, bool):
        raise bad_request(f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean' ({name}).")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"Cannot convert the literal '{value}' to the expected type 'Edm.Int32' ({name}).")
        low, high = constraint
        if not low <= value <= high:
            raise bad_request(f"{name} must be between {low} and {high}.")
    if kind == "enum" and value not in constraint:
        raise bad_request(f"The value '{value}' is not valid for {name} of type {type_name}.")
    if kind == "list":
        if not isinstance(value, list):
            raise bad_request(f"{name} must be a collection.")
        for index, item in enumerate(value):
            if not isinstance(item, Mapping) or item.get("@odata.type") not in _OMA_TYPES or not item.get("omaUri"):
                raise bad_request(f"omaSettings[{index}] needs a known omaSetting @odata.type and an omaUri.")


def validate_device_configuration(
    data: Mapping[str, Any], *, beta: bool, defaults_only: bool = False
) -> dict[str, Any]:
    """Check a device configuration body against its type and return the type's defaulted properties.

    Args:
        data: the body (with ``@odata.type``).
        beta: whether the request came in through ``/beta``.
        defaults_only: skip the checks and only return the defaults (for serialising stored objects).

    Returns:
        The type-specific properties with their defaults (empty for fallback types).

    Raises:
        GraphProblem: 400 for a missing/abstract/beta-only type, an unknown property of a known type, a value of the
            wrong type or out of range, or a missing displayName.
    """
    type_name = str(data.get("@odata.type") or "")
    schema = KNOWN_TYPES.get(type_name, {})
    defaults = {name: (list(spec[1]) if isinstance(spec[1], list) else spec[1]) for name, spec in schema.items()}
    if defaults_only:
        return defaults
    if not type_name:
        raise bad_request("The @odata.type annotation is required: deviceConfiguration is abstract.")
    if type_name in _ABSTRACT:
        raise bad_request(f"Cannot create an instance of the abstract type '{type_name[1:]}'.")
    if not beta and type_name in BETA_ONLY_TYPES:
        raise bad_request(f"The type '{type_name[1:]}' is not defined in the v1.0 model; use /beta.")
    if not data.get("displayName"):
        raise bad_request("The 'displayName' property is required.")
    if schema:
        for name, value in data.items():
            if name in _BASE_WRITABLE:
                continue
            spec = schema.get(name)
            if spec is None:
                raise bad_request(f"The property '{name}' does not exist on type '{type_name[1:]}'. Make sure to "
                                  "only use property names that are defined by the type.")
            _check(name, value, spec, type_name)
    return defaults
