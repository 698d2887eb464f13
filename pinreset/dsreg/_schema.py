"""Which printed section title goes to which model, and which keys each model knows.

Tables are derived from the attrs fields of :mod:`pinreset.dsreg.models`, so adding a field is the only change
needed to teach the parser a new key.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from pinreset.dsreg._values import Converter
from pinreset.dsreg.models import (
    DeviceDetailsSection,
    DeviceStateSection,
    DiagnosticDataSection,
    IeProxyConfigSection,
    NgcPrerequisiteCheckSection,
    SsoStateSection,
    TenantDetailsSection,
    UserStateSection,
    WinHttpProxyConfigSection,
    WorkAccountSection,
)

__all__ = [
    "ATTRIBUTE_SECTION",
    "KNOWN_ATTRIBUTES",
    "SECTION_MODELS",
    "SECTION_TITLES",
    "WORK_ACCOUNT",
    "converters",
    "title_id",
]

# DsregStatus attribute -> (model class, title as Windows prints it). Order = order of printing.
SECTION_MODELS: dict[str, tuple[type[Any], str]] = {
    "device_state": (DeviceStateSection, "Device State"),
    "device_details": (DeviceDetailsSection, "Device Details"),
    "tenant_details": (TenantDetailsSection, "Tenant Details"),
    "user_state": (UserStateSection, "User State"),
    "sso_state": (SsoStateSection, "SSO State"),
    "diagnostic_data": (DiagnosticDataSection, "Diagnostic Data"),
    "ie_proxy_config": (IeProxyConfigSection, "IE Proxy Config for Current User"),
    "winhttp_proxy_config": (WinHttpProxyConfigSection, "WinHttp Default Proxy Config"),
    "ngc_prerequisite_check": (NgcPrerequisiteCheckSection, "Ngc Prerequisite Check"),
}
WORK_ACCOUNT = "work_accounts"

# Case-folded, whitespace-collapsed title -> DsregStatus attribute.
SECTION_TITLES: dict[str, str] = {title.casefold(): attr for attr, (_, title) in SECTION_MODELS.items()}
_WORK_ACCOUNT_TITLE = re.compile(r"work\s*account\s*(\d{1,6})", re.IGNORECASE)


_TITLE_IDS: dict[str, tuple[str | None, int | None]] = {}


def title_id(title: str) -> tuple[str | None, int | None]:
    """The DsregStatus attribute a printed title belongs to, and the N of ``Work Account N``.

    Returns:
        ``(attribute, number)``; ``(None, None)`` for a title this version does not know.
    """
    cached = _TITLE_IDS.get(title)
    if cached is not None:
        return cached
    attr = SECTION_TITLES.get(title.casefold())
    if attr is not None:
        result: tuple[str | None, int | None] = (attr, None)
    else:
        match = _WORK_ACCOUNT_TITLE.fullmatch(title)
        result = (WORK_ACCOUNT, int(match.group(1))) if match is not None else (None, None)
    if len(_TITLE_IDS) < 1024:  # titles repeat across outputs; arbitrary input must not grow the cache forever
        _TITLE_IDS[title] = result
    return result


_CONVERTERS: dict[type[Any], dict[str, Converter]] = {}


def converters(cls: type[Any]) -> dict[str, Converter]:
    """Attribute name -> converter for every typed field of a section model."""
    table = _CONVERTERS.get(cls)
    if table is None:
        table = {f.name: f.metadata["convert"] for f in attrs.fields(cls) if "convert" in f.metadata}
        _CONVERTERS[cls] = table
    return table


# Attribute name -> the section it normally sits in, for keys printed outside their section (the legacy
# layout) or before any title (a paste without the boxes). The first section listing a name wins, so the
# shared names (NgcSet, TpmProtected, OnPremTgt…) go to User State, Device Details and SSO State.
ATTRIBUTE_SECTION: dict[str, str] = {}
for _attr, (_cls, _) in SECTION_MODELS.items():
    for _name in converters(_cls):
        ATTRIBUTE_SECTION.setdefault(_name, _attr)
KNOWN_ATTRIBUTES: frozenset[str] = frozenset(ATTRIBUTE_SECTION) | frozenset(converters(WorkAccountSection))
