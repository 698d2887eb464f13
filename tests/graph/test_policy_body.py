"""Policy bodies pinreset sends and how it reads PIN settings from any policy in a tenant."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pinreset.exceptions import ConfigurationError
from pinreset.models import PolicyKind, PolicySettings, PolicySpec
from pinreset.policy_body import (
    ACCOUNT_PROTECTION_TEMPLATE_ID,
    build_policy_body,
    kind_of_device_configuration,
    policy_findings,
    read_policy,
)

TENANT = "11111111-2222-3333-4444-555555555555"


def _spec(kind: PolicyKind, **kwargs: Any) -> PolicySpec:
    return PolicySpec(kind=kind, name="WHfB - PIN recovery", description="managed by pinreset", **kwargs)


def test_settings_catalog_body_matches_documented_shape() -> None:
    """The catalog body carries the PassportForWork group with both choices, for windows10/mdm."""
    body = build_policy_body(_spec(PolicyKind.SETTINGS_CATALOG), TENANT)
    assert body["platforms"] == "windows10"
    assert body["technologies"] == "mdm"
    assert body["name"] == "WHfB - PIN recovery"
    group = body["settings"][0]["settingInstance"]
    assert group["settingDefinitionId"] == "device_vendor_msft_passportforwork_{tenantid}"
    children = group["groupSettingCollectionValue"][0]["children"]
    values = {c["settingDefinitionId"]: c["choiceSettingValue"]["value"] for c in children}
    assert values == {
        "device_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery": (
            "device_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery_true"
        ),
        "device_vendor_msft_passportforwork_{tenantid}_policies_usepassportforwork": (
            "device_vendor_msft_passportforwork_{tenantid}_policies_usepassportforwork_true"
        ),
    }
    assert len(body["settings"]) == 1


def test_identity_protection_body() -> None:
    """The identity protection body sets pinRecoveryEnabled and leaves WHfB unblocked."""
    body = build_policy_body(_spec(PolicyKind.IDENTITY_PROTECTION), TENANT)
    assert body == {
        "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
        "displayName": "WHfB - PIN recovery",
        "description": "managed by pinreset",
        "windowsHelloForBusinessBlocked": False,
        "pinRecoveryEnabled": True,
    }


def test_custom_oma_body_uses_csp_reference_path() -> None:
    """The OMA-URI body names this tenant's PassportForWork node and the web sign-in policy."""
    spec = _spec(PolicyKind.CUSTOM_OMA_URI, web_sign_in_allowed_urls=("a.example", "b.example"))
    body = build_policy_body(spec, TENANT)
    assert body["@odata.type"] == "#microsoft.graph.windows10CustomConfiguration"
    by_uri = {s["omaUri"]: s for s in body["omaSettings"]}
    pin = by_uri[f"./Device/Vendor/MSFT/PassportForWork/{TENANT}/Policies/EnablePinRecovery"]
    assert pin["@odata.type"] == "#microsoft.graph.omaSettingBoolean"
    assert pin["value"] is True
    urls = by_uri["./Device/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls"]
    assert urls == {
        "@odata.type": "#microsoft.graph.omaSettingString",
        "displayName": "Web sign-in allowed URLs",
        "omaUri": "./Device/Vendor/MSFT/Policy/Config/Authentication/ConfigureWebSignInAllowedUrls",
        "value": "a.example;b.example",
    }


@pytest.mark.parametrize(
    "kind", [PolicyKind.SETTINGS_CATALOG, PolicyKind.IDENTITY_PROTECTION, PolicyKind.CUSTOM_OMA_URI]
)
def test_every_body_reads_back_as_its_spec(kind: PolicyKind) -> None:
    """What pinreset writes, it reads back as the same settings."""
    urls = () if kind is PolicyKind.IDENTITY_PROTECTION else ("login.example.com",)
    spec = _spec(kind, web_sign_in_allowed_urls=urls)
    settings = read_policy(kind, build_policy_body(spec, TENANT), tenant_id=TENANT)
    assert settings.pin_recovery is True
    assert settings.windows_hello is True
    assert settings.web_sign_in_allowed_urls == (urls or None)


def test_bad_specs_are_configuration_errors() -> None:
    """OTHER, empty names and web sign-in URLs on the identity template are refused with a reason."""
    with pytest.raises(ConfigurationError, match="cannot write"):
        build_policy_body(_spec(PolicyKind.OTHER), TENANT)
    with pytest.raises(ConfigurationError, match="name"):
        build_policy_body(PolicySpec(kind=PolicyKind.SETTINGS_CATALOG, name="  "), TENANT)
    with pytest.raises(ConfigurationError, match="web sign-in"):
        build_policy_body(_spec(PolicyKind.IDENTITY_PROTECTION, web_sign_in_allowed_urls=("x",)), TENANT)


_CHOICE = "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance"
_USER_PIN = "user_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery"


def test_user_scope_catalog_setting_is_recognised() -> None:
    """A user-scope EnablePinRecovery=false (e.g. from Account protection) reads as user-scope off."""
    raw = {
        "name": "Account protection",
        "templateReference": {"templateId": ACCOUNT_PROTECTION_TEMPLATE_ID},
        "settings": [
            {
                "settingInstance": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
                    "settingDefinitionId": "user_vendor_msft_passportforwork_{tenantid}",
                    "settingInstanceTemplateReference": {"settingInstanceTemplateId": "x"},
                    "groupSettingCollectionValue": [
                        {
                            "children": [
                                {
                                    "@odata.type": _CHOICE,
                                    "settingDefinitionId": _USER_PIN,
                                    "choiceSettingValue": {"value": f"{_USER_PIN}_false", "children": []},
                                }
                            ]
                        }
                    ],
                }
            }
        ],
    }
    settings = read_policy(PolicyKind.SETTINGS_CATALOG, raw)
    assert settings == PolicySettings(pin_recovery_user=False)
    assert settings.disables_pin_recovery


def test_catalog_settings_given_separately_and_blocking_whfb() -> None:
    """Settings fetched apart from the policy are read, and UsePassportForWork=false blocks WHfB."""
    body = build_policy_body(_spec(PolicyKind.SETTINGS_CATALOG, windows_hello=False), TENANT)
    settings = read_policy(PolicyKind.SETTINGS_CATALOG, {"name": "x"}, body["settings"])
    assert settings.blocks_windows_hello
    assert settings.pin_recovery is True


def test_wrong_oma_uri_variant_is_not_effective() -> None:
    """The article's ./Vendor/MSFT/Policy/PassportForWork path sets nothing and is reported."""
    raw = {
        "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
        "omaSettings": [
            {
                "@odata.type": "#microsoft.graph.omaSettingBoolean",
                "omaUri": f"./Vendor/MSFT/Policy/PassportForWork/{TENANT}/Policies/EnablePinRecovery",
                "value": True,
            }
        ],
    }
    kind = kind_of_device_configuration(raw)
    assert kind is PolicyKind.CUSTOM_OMA_URI
    assert read_policy(kind, raw, tenant_id=TENANT).pin_recovery is None
    findings = policy_findings(kind, raw)
    assert len(findings) == 1
    assert "no effect" in findings[0]


def test_oma_node_of_another_tenant_is_ignored() -> None:
    """An OMA-URI naming another tenant's node does not count for this tenant."""
    body = build_policy_body(_spec(PolicyKind.CUSTOM_OMA_URI), "99999999-0000-0000-0000-000000000000")
    assert read_policy(PolicyKind.CUSTOM_OMA_URI, body, tenant_id=TENANT).pin_recovery is None


def test_identity_protection_false_means_off() -> None:
    """pinRecoveryEnabled false reads as PIN recovery off and a blocked WHfB as blocked."""
    raw = {
        "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
        "pinRecoveryEnabled": False,
        "windowsHelloForBusinessBlocked": True,
    }
    settings = read_policy(PolicyKind.IDENTITY_PROTECTION, raw)
    assert settings.disables_pin_recovery
    assert settings.blocks_windows_hello


def test_build_does_not_share_state_between_calls() -> None:
    """Each call returns a fresh body, so a caller may modify it."""
    first = build_policy_body(_spec(PolicyKind.SETTINGS_CATALOG), TENANT)
    snapshot = copy.deepcopy(first)
    first["settings"].clear()
    assert build_policy_body(_spec(PolicyKind.SETTINGS_CATALOG), TENANT) == snapshot


def test_other_device_configuration_kinds() -> None:
    """Unrelated deviceConfiguration types are OTHER and set nothing."""
    raw = {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration"}
    assert kind_of_device_configuration(raw) is PolicyKind.OTHER
    assert read_policy(PolicyKind.OTHER, raw) == PolicySettings()
