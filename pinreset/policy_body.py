"""Build and read the Intune objects that carry PIN recovery — pure functions, no I/O.

Shared by every backend (Graph over httpx, PowerShell over ``Invoke-MgGraphRequest``), so both send the same
bodies and read tenants the same way. Facts (docs/architecture.md has the sources):

- Settings catalog (``configurationPolicies``): the ``device_vendor_msft_passportforwork_{tenantid}`` group
  collection with the ``…_policies_enablepinrecovery`` and ``…_policies_usepassportforwork`` choices. The
  ``{tenantid}`` token is written literally; Intune substitutes the tenant on the device.
- Identity protection template (beta ``windowsIdentityProtectionConfiguration``): ``pinRecoveryEnabled`` and the
  inverted ``windowsHelloForBusinessBlocked``. ``pinRecoveryEnabled: false`` is read as "PIN recovery off".
- Custom OMA-URI (``windows10CustomConfiguration``): ``./Device/Vendor/MSFT/PassportForWork/<tenant>/Policies/…``
  booleans, and ``./Device/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls`` (``;`` list).
  Microsoft's PIN reset article prints ``./Vendor/MSFT/Policy/PassportForWork/…`` instead, which is not a node of
  the CSP: such a setting is reported by :func:`policy_findings` and never counted as effective.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pinreset.exceptions import ConfigurationError
from pinreset.models import PolicyKind, PolicySettings, PolicySpec

__all__ = [
    "ACCOUNT_PROTECTION_TEMPLATE_ID",
    "CUSTOM_CONFIGURATION_TYPE",
    "IDENTITY_PROTECTION_TYPE",
    "PFW_DEVICE_GROUP",
    "WEB_SIGN_IN_DEFINITION",
    "build_policy_body",
    "kind_of_device_configuration",
    "oma_uri",
    "policy_findings",
    "read_policy",
    "supports_web_sign_in",
]

IDENTITY_PROTECTION_TYPE = "#microsoft.graph.windowsIdentityProtectionConfiguration"
CUSTOM_CONFIGURATION_TYPE = "#microsoft.graph.windows10CustomConfiguration"
ACCOUNT_PROTECTION_TEMPLATE_ID = "fcef01f2-439d-4c3f-9184-823fd6e97646_1"

PFW_DEVICE_GROUP = "device_vendor_msft_passportforwork_{tenantid}"
_ENABLE_PIN_RECOVERY = f"{PFW_DEVICE_GROUP}_policies_enablepinrecovery"
_USE_PASSPORT = f"{PFW_DEVICE_GROUP}_policies_usepassportforwork"
#: Settings catalog id of Authentication/ConfigureWebSignInAllowedUrls (follows the catalog's naming rule).
WEB_SIGN_IN_DEFINITION = "device_vendor_msft_policy_config_authentication_configurewebsigninallowedurls"
_WEB_SIGN_IN_URI = "./Device/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls"

_T_SETTING = "#microsoft.graph.deviceManagementConfigurationSetting"
_T_GROUP_COLLECTION = "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance"
_T_CHOICE = "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance"
_T_SIMPLE_COLLECTION = "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance"
_T_STRING_VALUE = "#microsoft.graph.deviceManagementConfigurationStringSettingValue"

_CATALOG_PFW = re.compile(
    r"^(device|user)_vendor_msft_passportforwork_.+_policies_(enablepinrecovery|usepassportforwork)$"
)
_OMA_PFW = re.compile(r"^\./(device|user)/vendor/msft/passportforwork/([^/]+)/policies/([a-z]+)$", re.IGNORECASE)
_OMA_POLICY_VARIANT = re.compile(r"^\./(?:device/|user/)?vendor/msft/policy/passportforwork/", re.IGNORECASE)


def supports_web_sign_in(kind: PolicyKind) -> bool:
    """Whether a policy of ``kind`` can carry ConfigureWebSignInAllowedUrls (the identity template cannot)."""
    return kind in (PolicyKind.SETTINGS_CATALOG, PolicyKind.CUSTOM_OMA_URI)


def oma_uri(node: str, tenant_id: str, *, scope: str = "Device") -> str:
    """The PassportForWork OMA-URI of ``node`` (e.g. ``EnablePinRecovery``) for this tenant (GUID without braces)."""
    return f"./{scope}/Vendor/MSFT/PassportForWork/{tenant_id.strip('{}')}/Policies/{node}"


def _choice(definition: str, value: bool) -> dict[str, Any]:
    return {
        "@odata.type": _T_CHOICE,
        "settingDefinitionId": definition,
        "choiceSettingValue": {"value": f"{definition}_{str(value).lower()}", "children": []},
    }


def _catalog_body(spec: PolicySpec) -> dict[str, Any]:
    settings: list[dict[str, Any]] = [
        {
            "@odata.type": _T_SETTING,
            "settingInstance": {
                "@odata.type": _T_GROUP_COLLECTION,
                "settingDefinitionId": PFW_DEVICE_GROUP,
                "groupSettingCollectionValue": [
                    {
                        "children": [
                            _choice(_ENABLE_PIN_RECOVERY, spec.pin_recovery),
                            _choice(_USE_PASSPORT, spec.windows_hello),
                        ]
                    }
                ],
            },
        }
    ]
    if spec.web_sign_in_allowed_urls:
        settings.append(
            {
                "@odata.type": _T_SETTING,
                "settingInstance": {
                    "@odata.type": _T_SIMPLE_COLLECTION,
                    "settingDefinitionId": WEB_SIGN_IN_DEFINITION,
                    "simpleSettingCollectionValue": [
                        {"@odata.type": _T_STRING_VALUE, "value": url} for url in spec.web_sign_in_allowed_urls
                    ],
                },
            }
        )
    return {
        "name": spec.name,
        "description": spec.description,
        "platforms": "windows10",
        "technologies": "mdm",
        "roleScopeTagIds": ["0"],
        "settings": settings,
    }


def _oma_body(spec: PolicySpec, tenant_id: str) -> dict[str, Any]:
    oma_settings: list[dict[str, Any]] = [
        {
            "@odata.type": "#microsoft.graph.omaSettingBoolean",
            "displayName": "Enable PIN recovery",
            "omaUri": oma_uri("EnablePinRecovery", tenant_id),
            "value": spec.pin_recovery,
        },
        {
            "@odata.type": "#microsoft.graph.omaSettingBoolean",
            "displayName": "Use Windows Hello for Business",
            "omaUri": oma_uri("UsePassportForWork", tenant_id),
            "value": spec.windows_hello,
        },
    ]
    if spec.web_sign_in_allowed_urls:
        oma_settings.append(
            {
                "@odata.type": "#microsoft.graph.omaSettingString",
                "displayName": "Web sign-in allowed URLs",
                "omaUri": _WEB_SIGN_IN_URI,
                "value": ";".join(spec.web_sign_in_allowed_urls),
            }
        )
    return {
        "@odata.type": CUSTOM_CONFIGURATION_TYPE,
        "displayName": spec.name,
        "description": spec.description,
        "omaSettings": oma_settings,
    }


def build_policy_body(spec: PolicySpec, tenant_id: str) -> dict[str, Any]:
    """The Graph JSON body that creates (or, sent whole, updates) the policy ``spec`` describes.

    Args:
        spec: what the policy must be.
        tenant_id: the tenant's GUID (OMA-URI nodes name it).

    Returns:
        A JSON-ready dict for ``configurationPolicies`` (settings catalog) or ``deviceConfigurations``.

    Raises:
        ConfigurationError: for ``PolicyKind.OTHER``, an empty name, or web sign-in URLs on the identity
            protection template (which has no such setting: use a settings catalog or OMA-URI policy).
    """
    if not spec.name.strip():
        raise ConfigurationError("a policy needs a non-empty name")
    if spec.kind is PolicyKind.SETTINGS_CATALOG:
        return _catalog_body(spec)
    if spec.kind is PolicyKind.CUSTOM_OMA_URI:
        if not tenant_id.strip("{}"):
            raise ConfigurationError("a custom OMA-URI policy needs the tenant id")
        return _oma_body(spec, tenant_id)
    if spec.kind is PolicyKind.IDENTITY_PROTECTION:
        if spec.web_sign_in_allowed_urls:
            raise ConfigurationError(
                "the identity protection template cannot set web sign-in allowed URLs; "
                "use the settings catalog or custom OMA-URI method"
            )
        return {
            "@odata.type": IDENTITY_PROTECTION_TYPE,
            "displayName": spec.name,
            "description": spec.description,
            "windowsHelloForBusinessBlocked": not spec.windows_hello,
            "pinRecoveryEnabled": spec.pin_recovery,
        }
    raise ConfigurationError(f"pinreset cannot write a policy of kind {spec.kind.value!r}")


def kind_of_device_configuration(raw: Mapping[str, Any]) -> PolicyKind:
    """The kind of a ``deviceConfigurations`` object, from its ``@odata.type``."""
    odata_type = str(raw.get("@odata.type", ""))
    if odata_type == IDENTITY_PROTECTION_TYPE:
        return PolicyKind.IDENTITY_PROTECTION
    if odata_type == CUSTOM_CONFIGURATION_TYPE:
        return PolicyKind.CUSTOM_OMA_URI
    return PolicyKind.OTHER


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int):
        return value != 0
    return None


def _walk_instances(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every setting instance (an object with ``settingDefinitionId``) anywhere below ``node``."""
    if isinstance(node, Mapping):
        if "settingDefinitionId" in node:
            yield node
        for value in node.values():
            if isinstance(value, (Mapping, list)):
                yield from _walk_instances(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_instances(item)


def _split_urls(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(";") if part.strip())


def _merge(current: bool | None, new: bool) -> bool:
    # Two values for one setting in one policy: the restrictive one (False) is what matters for conflicts.
    return new if current is None else current and new


def _read_catalog(settings: Any) -> PolicySettings:
    pin: bool | None = None
    pin_user: bool | None = None
    hello: bool | None = None
    urls: list[str] | None = None
    for instance in _walk_instances(settings):
        definition = str(instance.get("settingDefinitionId", "")).lower()
        if definition == WEB_SIGN_IN_DEFINITION:
            urls = urls or []
            simple = instance.get("simpleSettingValue")
            if isinstance(simple, Mapping) and isinstance(simple.get("value"), str):
                urls.append(simple["value"])
            for item in instance.get("simpleSettingCollectionValue") or []:
                if isinstance(item, Mapping) and isinstance(item.get("value"), str):
                    urls.append(item["value"])
            continue
        match = _CATALOG_PFW.match(definition)
        choice = instance.get("choiceSettingValue")
        if match is None or not isinstance(choice, Mapping):
            continue
        value = str(choice.get("value") or "").lower()
        flag = True if value.endswith("_true") else False if value.endswith("_false") else None
        if flag is None:
            continue
        scope, node = match.groups()
        if node == "enablepinrecovery" and scope == "device":
            pin = _merge(pin, flag)
        elif node == "enablepinrecovery":
            pin_user = _merge(pin_user, flag)
        else:
            hello = _merge(hello, flag)
    return PolicySettings(
        pin_recovery=pin,
        pin_recovery_user=pin_user,
        windows_hello=hello,
        web_sign_in_allowed_urls=_split_urls(urls) if urls is not None else None,
    )


def _read_oma(raw: Mapping[str, Any], tenant_id: str | None) -> PolicySettings:
    pin: bool | None = None
    pin_user: bool | None = None
    hello: bool | None = None
    urls: tuple[str, ...] | None = None
    for setting in raw.get("omaSettings") or []:
        if not isinstance(setting, Mapping):
            continue
        uri = str(setting.get("omaUri") or "").strip()
        value = setting.get("value")
        if uri.lower() == _WEB_SIGN_IN_URI.lower() and isinstance(value, str):
            urls = _split_urls([value])
            continue
        match = _OMA_PFW.match(uri)
        flag = _as_bool(value)
        if match is None or flag is None:
            continue  # the wrong "Policy/PassportForWork" variant lands here: it has no effect on a device
        scope, node_tenant, node = match.group(1).lower(), match.group(2).strip("{}"), match.group(3).lower()
        if tenant_id and node_tenant.lower() != tenant_id.strip("{}").lower():
            continue  # another tenant's node does nothing for this tenant's users
        if node == "enablepinrecovery" and scope == "device":
            pin = _merge(pin, flag)
        elif node == "enablepinrecovery":
            pin_user = _merge(pin_user, flag)
        elif node == "usepassportforwork":
            hello = _merge(hello, flag)
    return PolicySettings(
        pin_recovery=pin, pin_recovery_user=pin_user, windows_hello=hello, web_sign_in_allowed_urls=urls
    )


def read_policy(
    kind: PolicyKind,
    raw: Mapping[str, Any],
    settings: Sequence[Mapping[str, Any]] | None = None,
    *,
    tenant_id: str | None = None,
) -> PolicySettings:
    """What a policy found in a tenant sets for Windows Hello for Business and PIN recovery.

    Recognises every route, whoever created the policy: settings catalog (device and user scope, Account
    protection template policies), identity protection profiles and custom OMA-URI profiles.

    Args:
        kind: the policy's kind.
        raw: the policy object as Graph returned it.
        settings: a settings catalog policy's ``settings`` when fetched separately (else ``raw["settings"]``).
        tenant_id: when given, OMA-URI nodes naming another tenant are ignored.

    Returns:
        The settings; fields the policy does not configure (or configures ineffectively) are ``None``.
    """
    if kind is PolicyKind.SETTINGS_CATALOG:
        return _read_catalog(settings if settings is not None else raw.get("settings") or [])
    if kind is PolicyKind.IDENTITY_PROTECTION:
        blocked = _as_bool(raw.get("windowsHelloForBusinessBlocked"))
        return PolicySettings(
            pin_recovery=_as_bool(raw.get("pinRecoveryEnabled")),
            windows_hello=None if blocked is None else not blocked,
        )
    if kind is PolicyKind.CUSTOM_OMA_URI or raw.get("omaSettings"):
        return _read_oma(raw, tenant_id)
    return PolicySettings()


def policy_findings(kind: PolicyKind, raw: Mapping[str, Any]) -> tuple[str, ...]:
    """Problems in a policy that make a PIN setting ineffective (e.g. the wrong OMA-URI variant).

    Args:
        kind: the policy's kind.
        raw: the policy object as Graph returned it.

    Returns:
        One human sentence per problem; empty when there is none.
    """
    findings: list[str] = []
    if kind in (PolicyKind.CUSTOM_OMA_URI, PolicyKind.OTHER):
        for setting in raw.get("omaSettings") or []:
            uri = str(setting.get("omaUri") or "") if isinstance(setting, Mapping) else ""
            if _OMA_POLICY_VARIANT.match(uri):
                findings.append(
                    f"OMA-URI {uri} is not a node of the PassportForWork CSP and has no effect; "
                    f"use ./Device/Vendor/MSFT/PassportForWork/<tenant id>/Policies/EnablePinRecovery"
                )
    return tuple(findings)
