"""What a profile means for a device: its PIN recovery intent, and which devices it targets.

Three documented routes set PIN recovery (``windowsIdentityProtectionConfiguration.pinRecoveryEnabled``, the
settings catalog ``..._policies_enablepinrecovery`` choice, and the PassportForWork ``EnablePinRecovery`` OMA-URI);
the same three routes can block Windows Hello for Business. This module reads them; it never changes state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from pinreset.emulator._entities import Group, ManagedDevice, Profile

__all__ = [
    "ACCOUNT_PROTECTION_TEMPLATE_ID",
    "IDENTITY_PROTECTION_TYPE",
    "MIN_PIN_RECOVERY_BUILD",
    "PinIntent",
    "compile_filter_rule",
    "intent_of",
    "targeted_devices",
]

IDENTITY_PROTECTION_TYPE = "#microsoft.graph.windowsIdentityProtectionConfiguration"
CUSTOM_CONFIGURATION_TYPE = "#microsoft.graph.windows10CustomConfiguration"
ACCOUNT_PROTECTION_TEMPLATE_ID = "fcef01f2-439d-4c3f-9184-823fd6e97646_1"
# PassportForWork/{TenantId}/Policies/EnablePinRecovery exists from Windows 10 1703 (CSP reference); the setting
# definition's minimumSupportedVersion says the same. Older builds report the profile as notApplicable.
MIN_PIN_RECOVERY_BUILD = 15063

_OMA_PFW = re.compile(r"^\./(device|user)/vendor/msft/passportforwork/([^/]+)/policies/([a-z]+)$", re.IGNORECASE)
# The variant printed in the 2023/2024 PIN reset article; it is not a node of the CSP, so a device answers
# the profile with an error.
# ConfigureWebSignInAllowedUrls (Policy CSP, Authentication area); the settings catalog id follows the catalog's
# naming of Policy CSP nodes.
_WEB_SIGN_IN_OMA = "./device/vendor/msft/policy/config/authentication/configurewebsigninallowedurls"
_WEB_SIGN_IN_DEFINITION = "device_vendor_msft_policy_config_authentication_configurewebsigninallowedurls"
_OMA_POLICY_VARIANT = re.compile(r"^\./(device/|user/)?vendor/msft/policy/passportforwork/", re.IGNORECASE)


@attrs.frozen
class PinIntent:
    """What one profile says about Windows Hello for Business.

    Attributes:
        pin_recovery: True/False when the profile sets EnablePinRecovery, None when it does not.
        whfb_blocked: True when it blocks Windows Hello for Business, False when it enables it, else None.
        invalid: why a device would reject the profile (an OMA-URI that is not a CSP node), else None.
        web_sign_in_urls: the ``ConfigureWebSignInAllowedUrls`` value it sets (federated tenants need it for
            PIN reset above the lock screen), else None.
    """

    pin_recovery: bool | None = None
    whfb_blocked: bool | None = None
    invalid: str | None = None
    web_sign_in_urls: str | None = None

    @property
    def relevant(self) -> bool:
        """Whether the profile touches Windows Hello for Business at all."""
        return self.pin_recovery is not None or self.whfb_blocked is not None or self.invalid is not None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def _walk_settings(node: Any) -> Iterable[Mapping[str, Any]]:
    """Every setting instance (dict with ``settingDefinitionId``) anywhere below ``node``."""
    if isinstance(node, Mapping):
        if "settingDefinitionId" in node:
            yield node
        for value in node.values():
            if isinstance(value, (Mapping, list)):
                yield from _walk_settings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_settings(item)


def _catalog_intent(settings: Any) -> PinIntent:
    pin: bool | None = None
    blocked: bool | None = None
    urls: str | None = None
    for instance in _walk_settings(settings):
        definition = str(instance.get("settingDefinitionId", "")).lower()
        choice = instance.get("choiceSettingValue")
        value = str(choice.get("value", "")).lower() if isinstance(choice, Mapping) else ""
        if definition == _WEB_SIGN_IN_DEFINITION:
            simple = instance.get("simpleSettingValue")
            if isinstance(simple, Mapping) and simple.get("value") is not None:
                urls = str(simple["value"])
            continue
        if not definition.startswith(("device_vendor_msft_passportforwork_", "user_vendor_msft_passportforwork_")):
            continue
        flag = True if value.endswith("_true") else False if value.endswith("_false") else None
        if definition.endswith("_policies_enablepinrecovery") and flag is not None:
            pin = flag if pin is None else pin and flag
        elif definition.endswith("_policies_usepassportforwork") and flag is not None:
            blocked = (not flag) if blocked is None else blocked or not flag
    return PinIntent(pin_recovery=pin, whfb_blocked=blocked, web_sign_in_urls=urls)


def _oma_intent(settings: Any, tenant_id: str) -> PinIntent:
    pin: bool | None = None
    blocked: bool | None = None
    invalid: str | None = None
    urls: str | None = None
    for setting in settings if isinstance(settings, list) else []:
        if not isinstance(setting, Mapping):
            continue
        uri = str(setting.get("omaUri", "")).strip()
        if uri.lower() == _WEB_SIGN_IN_OMA:
            urls = None if setting.get("value") is None else str(setting["value"])
            continue
        if _OMA_POLICY_VARIANT.match(uri):
            invalid = f"OMA-URI {uri} is not a node of the PassportForWork CSP"
            continue
        match = _OMA_PFW.match(uri)
        if not match or match.group(2).strip("{}").lower() != tenant_id.lower():
            continue  # another tenant's node, or another CSP: nothing PIN-related for this tenant
        value = _as_bool(setting.get("value"))
        node = match.group(3).lower()
        if node == "enablepinrecovery" and value is not None:
            pin = value
        elif node == "usepassportforwork" and value is not None:
            blocked = not value
    return PinIntent(pin_recovery=pin, whfb_blocked=blocked, invalid=invalid, web_sign_in_urls=urls)


def intent_of(profile: Profile, tenant_id: str) -> PinIntent:
    """Read a profile's Windows Hello for Business intent.

    On an identity protection profile the two booleans follow the portal's "Enable / Not configured" choices:
    ``pinRecoveryEnabled: false`` means "not configured" (it cannot switch recovery off, so it never conflicts),
    ``windowsHelloForBusinessBlocked: true`` blocks Windows Hello. The settings catalog ``_false`` option and an
    OMA-URI ``false`` do switch PIN recovery off.

    Args:
        profile: the profile or settings catalog policy.
        tenant_id: this tenant's id (OMA-URI nodes name it).

    Returns:
        The intent; ``PinIntent()`` for profiles that do not touch Windows Hello.
    """
    data = profile.data
    if profile.kind == "configurationPolicy":
        return _catalog_intent(data.get("settings", []))
    odata_type = str(data.get("@odata.type", ""))
    if odata_type == IDENTITY_PROTECTION_TYPE:
        return PinIntent(
            pin_recovery=True if data.get("pinRecoveryEnabled") is True else None,
            whfb_blocked=True if data.get("windowsHelloForBusinessBlocked") is True else None,
        )
    if odata_type == CUSTOM_CONFIGURATION_TYPE:
        return _oma_intent(data.get("omaSettings"), tenant_id)
    return PinIntent()


# --- assignment filters -------------------------------------------------------------------------------------------

_FILTER_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<lb>\[)|(?P<rb>\])|(?P<comma>,)|"(?P<str>[^"]*)"'
    r"|(?P<op>-[A-Za-z]+)|(?P<word>[A-Za-z_.]+))"
)
_FILTER_PROPERTIES: dict[str, Callable[[ManagedDevice], str]] = {
    "devicename": lambda d: d.device_name,
    "manufacturer": lambda d: d.manufacturer,
    "model": lambda d: d.model,
    "osversion": lambda d: d.os_version,
    "deviceownership": lambda d: "Personal" if d.join_type == "azureADRegistered" else "Corporate",
    "devicetrusttype": lambda d: {
        "azureADJoined": "Azure AD joined",
        "hybridAzureADJoined": "Hybrid Azure AD joined",
        "azureADRegistered": "Azure AD registered",
    }.get(d.join_type, "Unknown"),
    "enrollmentprofilename": lambda d: "",
    "operatingsystemsku": lambda d: "Enterprise",
}
_FILTER_OPS: dict[str, Callable[[str, Any], bool]] = {
    "-eq": lambda a, b: a.lower() == str(b).lower(),
    "-ne": lambda a, b: a.lower() != str(b).lower(),
    "-startswith": lambda a, b: a.lower().startswith(str(b).lower()),
    "-notstartswith": lambda a, b: not a.lower().startswith(str(b).lower()),
    "-endswith": lambda a, b: a.lower().endswith(str(b).lower()),
    "-notendswith": lambda a, b: not a.lower().endswith(str(b).lower()),
    "-contains": lambda a, b: str(b).lower() in a.lower(),
    "-notcontains": lambda a, b: str(b).lower() not in a.lower(),
    "-in": lambda a, b: a.lower() in [str(x).lower() for x in b],
    "-notin": lambda a, b: a.lower() not in [str(x).lower() for x in b],
}

DeviceRule = Callable[[ManagedDevice], bool]


def compile_filter_rule(rule: str) -> DeviceRule:
    """Compile an Intune assignment filter rule such as ``(device.osVersion -startsWith "10.0.22")``.

    Supports ``and``/``or``, parentheses, the ``-eq -ne -startsWith -endsWith -contains -in`` family (and their
    ``-not`` forms) on ``device.deviceName/manufacturer/model/osVersion/deviceOwnership/deviceTrustType``.

    Raises:
        ValueError: when the rule cannot be read.
    """
    tokens: list[tuple[str, str]] = []
    position = 0
    text = rule.strip()
    while position < len(text):
        match = _FILTER_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read the filter rule at position {position}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    parser = _RuleParser(tokens)
    try:
        compiled = parser.parse_or()
    except RecursionError:  # parentheses nested beyond the recursive parser: a rule nobody can read
        raise ValueError("the filter rule is nested too deeply") from None
    if parser.index != len(tokens):
        raise ValueError("unexpected text after the end of the filter rule")
    return compiled


class _RuleParser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def _take(self, kind: str) -> str:
        token = self._peek()
        if token[0] != kind:
            raise ValueError(f"expected {kind}, found {token[1] or 'the end'}")
        self.index += 1
        return token[1]

    def parse_or(self) -> DeviceRule:
        parts = [self.parse_and()]
        while self._peek() == ("word", "or"):
            self.index += 1
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else (lambda d: any(p(d) for p in parts))

    def parse_and(self) -> DeviceRule:
        parts = [self.parse_atom()]
        while self._peek() == ("word", "and"):
            self.index += 1
            parts.append(self.parse_atom())
        return parts[0] if len(parts) == 1 else (lambda d: all(p(d) for p in parts))

    def parse_atom(self) -> DeviceRule:
        if self._peek()[0] == "lp":
            self.index += 1
            inner = self.parse_or()
            self._take("rp")
            return inner
        name = self._take("word")
        if not name.lower().startswith("device."):
            raise ValueError(f"unknown property {name}")
        getter = _FILTER_PROPERTIES.get(name[7:].lower())
        if getter is None:
            raise ValueError(f"unsupported property {name}")
        op = _FILTER_OPS.get(self._take("op").lower())
        if op is None:
            raise ValueError("unsupported operator")
        value: Any
        if self._peek()[0] == "lb":
            self.index += 1
            value = [self._take("str")]
            while self._peek()[0] == "comma":
                self.index += 1
                value.append(self._take("str"))
            self._take("rb")
        else:
            value = self._take("str")
        return lambda d: op(getter(d), value)


def _filter_ok(target: Mapping[str, Any], device: ManagedDevice, filters: Mapping[str, DeviceRule]) -> bool:
    mode = str(target.get("deviceAndAppManagementAssignmentFilterType") or "none").lower()
    filter_id = target.get("deviceAndAppManagementAssignmentFilterId")
    if mode == "none" or not filter_id or filter_id not in filters:
        return True
    matched = filters[filter_id](device)
    return matched if mode == "include" else not matched


def targeted_devices(
    profile: Profile,
    groups: Mapping[str, Group],
    devices: Mapping[str, ManagedDevice],
    filters: Mapping[str, DeviceRule],
) -> set[str]:
    """Ids of the devices a profile's assignments reach: included targets minus exclusion groups.

    Group targets reach the devices whose primary user is a member; ``allLicensedUsers`` reaches every device
    with a primary user; ``allDevices`` every device. Assignment filters (include/exclude) apply per target.
    """
    included: set[str] = set()
    excluded_users: set[str] = set()
    for assignment in profile.assignments:
        target = assignment.get("target") or {}
        kind = str(target.get("@odata.type", ""))
        if kind.endswith("exclusionGroupAssignmentTarget"):
            group = groups.get(str(target.get("groupId")))
            if group:
                excluded_users.update(group.members)
            continue
        if kind.endswith("allDevicesAssignmentTarget"):
            candidates: Iterable[ManagedDevice] = devices.values()
        elif kind.endswith("allLicensedUsersAssignmentTarget"):
            candidates = (d for d in devices.values() if d.user_id)
        elif kind.endswith("groupAssignmentTarget"):
            group = groups.get(str(target.get("groupId")))
            members = group.members if group else {}
            candidates = (d for d in devices.values() if d.user_id in members)
        else:
            continue
        included.update(d.id for d in candidates if _filter_ok(target, d, filters))
    if excluded_users:
        included = {i for i in included if devices[i].user_id not in excluded_users}
    return included
