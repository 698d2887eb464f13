"""Intune policies that can carry the PIN recovery setting, their settings and their assignments.

Three documented routes set ``EnablePinRecovery`` (see docs/architecture.md): a settings catalog policy
(``configurationPolicies``, also what Endpoint security > Account protection creates), the legacy Identity
protection template (``windowsIdentityProtectionConfiguration``), and a custom OMA-URI profile
(``windows10CustomConfiguration``). :class:`Policy` is the one view pinreset takes of all of them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs


class PolicyKind(enum.Enum):
    """Which Intune object type a policy is."""

    SETTINGS_CATALOG = "settings_catalog"  # deviceManagement/configurationPolicies (incl. Account protection)
    IDENTITY_PROTECTION = "identity_protection"  # deviceConfigurations: windowsIdentityProtectionConfiguration
    CUSTOM_OMA_URI = "custom_oma_uri"  # deviceConfigurations: windows10CustomConfiguration
    OTHER = "other"  # any other deviceConfiguration type; read for conflicts, never written


@attrs.frozen(kw_only=True)
class PolicyRef:
    """Identifies one policy: its kind decides the Graph collection it lives in."""

    kind: PolicyKind
    id: str


@attrs.frozen(kw_only=True)
class PolicySettings:
    """The Windows Hello for Business settings pinreset cares about, as one policy sets them.

    ``None`` means the policy does not configure that setting.

    Attributes:
        pin_recovery: EnablePinRecovery (device scope).
        pin_recovery_user: EnablePinRecovery (user scope; settings catalog and OMA-URI only).
        windows_hello: UsePassportForWork; ``False`` means Windows Hello for Business is blocked.
        web_sign_in_allowed_urls: ConfigureWebSignInAllowedUrls domains (federated tenants need them).
    """

    pin_recovery: bool | None = None
    pin_recovery_user: bool | None = None
    windows_hello: bool | None = None
    web_sign_in_allowed_urls: tuple[str, ...] | None = None

    @property
    def disables_pin_recovery(self) -> bool:
        """True when the policy turns PIN recovery off at either scope."""
        return self.pin_recovery is False or self.pin_recovery_user is False

    @property
    def blocks_windows_hello(self) -> bool:
        """True when the policy blocks Windows Hello for Business."""
        return self.windows_hello is False


@attrs.frozen(kw_only=True)
class AllUsersTarget:
    """Assign to all licensed users (``allLicensedUsersAssignmentTarget``)."""

    filter_id: str | None = None
    filter_type: str | None = None  # "include" | "exclude"


@attrs.frozen(kw_only=True)
class AllDevicesTarget:
    """Assign to all devices (``allDevicesAssignmentTarget``)."""

    filter_id: str | None = None
    filter_type: str | None = None


@attrs.frozen(kw_only=True)
class GroupTarget:
    """Assign to one group (``groupAssignmentTarget``)."""

    group_id: str
    filter_id: str | None = None
    filter_type: str | None = None


@attrs.frozen(kw_only=True)
class ExclusionGroupTarget:
    """Exclude one group (``exclusionGroupAssignmentTarget``)."""

    group_id: str


@attrs.frozen(kw_only=True)
class UnknownTarget:
    """Any other target type, kept intact so a read-modify-write never loses it."""

    odata_type: str
    raw: Mapping[str, Any] = attrs.field(factory=dict)


AssignmentTarget = AllUsersTarget | AllDevicesTarget | GroupTarget | ExclusionGroupTarget | UnknownTarget


@attrs.frozen(kw_only=True)
class PolicySpec:
    """What pinreset wants a policy it owns to be: the input of create and update.

    Attributes:
        kind: which route to use (never ``OTHER``).
        name: display name.
        description: description; pinreset marks the objects it creates here (see ``pinreset.deploy``).
        pin_recovery: enable PIN recovery.
        windows_hello: enable (``True``) Windows Hello for Business.
        web_sign_in_allowed_urls: domains for ConfigureWebSignInAllowedUrls (federated tenants), or empty.
    """

    kind: PolicyKind
    name: str
    description: str = ""
    pin_recovery: bool = True
    windows_hello: bool = True
    web_sign_in_allowed_urls: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Policy:
    """One Intune policy as read from the tenant.

    Attributes:
        ref: kind and id.
        name: display name (``displayName`` or, for settings catalog, ``name``).
        description: description.
        odata_type: the Graph ``@odata.type`` (settings catalog policies have none; empty string then).
        platform: ``windows10`` when the policy targets Windows 10 and later, else what Graph says.
        settings: the PIN-reset-relevant settings this policy configures.
        assignments: its assignment targets (empty when unassigned).
        created: creation time (aware UTC), if known.
        modified: last modification time (aware UTC), if known.
        template_id: settings catalog template id (Account protection policies have one), else ``None``.
        raw: the object as Graph returned it, for anything not modelled.
    """

    ref: PolicyRef
    name: str
    description: str = ""
    odata_type: str = ""
    platform: str | None = None
    settings: PolicySettings = attrs.field(factory=PolicySettings)
    assignments: tuple[AssignmentTarget, ...] = ()
    created: datetime | None = None
    modified: datetime | None = None
    template_id: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def kind(self) -> PolicyKind:
        """Shortcut for ``ref.kind``."""
        return self.ref.kind

    @property
    def id(self) -> str:
        """Shortcut for ``ref.id``."""
        return self.ref.id
