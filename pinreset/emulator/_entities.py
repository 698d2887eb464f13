"""Plain in-memory entities of the emulated tenant (moto's "models"): no HTTP, no locking.

Directory objects and Intune objects that need behaviour (users, groups, profiles, devices) are slotted attrs
classes with a ``to_graph()`` method producing Graph's JSON shape. Objects without behaviour of their own
(service principals, grants, assignment filters) are kept as JSON dictionaries, exactly as Graph would return them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = ["Group", "ManagedDevice", "Profile", "ProfileReport", "User", "iso"]


def iso(moment: datetime | None) -> str | None:
    """Graph's ``DateTimeOffset`` spelling: ``2026-01-05T09:00:00Z`` (``None`` stays ``None``)."""
    if moment is None:
        return None
    text = moment.isoformat()
    return text.replace("+00:00", "Z")


@attrs.define
class User:
    """A member of the directory. ``on_premises_sid`` is set for users synchronised from Active Directory."""

    id: str
    user_principal_name: str
    display_name: str
    given_name: str
    surname: str
    department: str
    job_title: str
    created: datetime
    on_premises_sid: str | None = None
    account_enabled: bool = True

    @property
    def mail_nickname(self) -> str:
        """The part of the UPN before the ``@``."""
        return self.user_principal_name.split("@", 1)[0]

    def to_graph(self) -> dict[str, Any]:
        """The v1.0 ``user`` shape (default property set plus the few we filter on)."""
        return {
            "id": self.id,
            "businessPhones": [],
            "displayName": self.display_name,
            "givenName": self.given_name,
            "surname": self.surname,
            "jobTitle": self.job_title,
            "department": self.department,
            "mail": self.user_principal_name,
            "mailNickname": self.mail_nickname,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": "en-US",
            "userPrincipalName": self.user_principal_name,
            "accountEnabled": self.account_enabled,
            "createdDateTime": iso(self.created),
            "onPremisesSyncEnabled": True if self.on_premises_sid else None,
            "onPremisesSecurityIdentifier": self.on_premises_sid,
        }


@attrs.define
class Group:
    """A security group whose members are users and nested groups (by object id, in insertion order)."""

    id: str
    display_name: str
    description: str
    created: datetime
    members: dict[str, None] = attrs.field(factory=dict)
    member_groups: dict[str, None] = attrs.field(factory=dict)

    def to_graph(self) -> dict[str, Any]:
        """The v1.0 ``group`` shape of a cloud security group."""
        nickname = "".join(ch for ch in self.display_name.lower() if ch.isalnum())
        return {
            "@odata.type": "#microsoft.graph.group",
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
            "mailEnabled": False,
            "mailNickname": nickname,
            "securityEnabled": True,
            "groupTypes": [],
            "mail": None,
            "visibility": None,
            "createdDateTime": iso(self.created),
            "membershipRule": None,
            "onPremisesSyncEnabled": None,
        }


@attrs.define
class Profile:
    """A device configuration profile or a settings catalog policy.

    Attributes:
        kind: ``"deviceConfiguration"`` or ``"configurationPolicy"``.
        data: the object's properties as the client sent them (``@odata.type`` included), minus the
            server-managed ones below; unknown types are kept intact here.
        assignments: the current assignment set (Graph JSON, ids filled in).
        version: bumped on every change, so device reports of an older version read as pending.
    """

    kind: str
    id: str
    data: dict[str, Any]
    created: datetime
    modified: datetime
    assignments: list[dict[str, Any]] = attrs.field(factory=list)
    version: int = 1


@attrs.frozen
class ProfileReport:
    """What a device last reported for one profile: Graph ``complianceStatus`` and when, for which version."""

    status: str
    version: int
    reported: datetime


@attrs.define
class ManagedDevice:
    """One simulated Windows device, its Intune record and the state of its Windows Hello container.

    The inventory fields follow Graph's ``managedDevice``; the rest is what the device itself would know and
    what ``dsregcmd /status`` would print.
    """

    id: str
    device_name: str
    azure_ad_device_id: str
    user_id: str | None
    join_type: str
    enrollment_type: str
    management_agent: str
    os_version: str
    serial_number: str
    model: str
    manufacturer: str
    enrolled: datetime
    last_sync: datetime
    next_checkin: datetime
    compliance_state: str
    # Who is signed in at the console (usually the primary user); None when nobody is.
    signed_in_user_id: str | None
    ngc_set: bool
    ngc_key_id: str
    device_cert_thumbprint: str
    key_container_id: str
    tpm_protected: bool
    # Simulated MDM channel failure: every PIN-related profile reports "error" on this device.
    policy_error: bool = False
    # What the device last recorded from MDM: True/False/None (not configured or conflicting).
    pin_recovery_policy: bool | None = None
    whfb_blocked: bool = False
    pin_recovery_key_created: bool = False
    restarted_since_policy: bool = False
    policy_conflict: bool = False
    web_sign_in_allowed_urls: str | None = None
    restarts: int = 0
    reports: dict[str, ProfileReport] = attrs.field(factory=dict)

    @property
    def build(self) -> int:
        """The Windows build number (third part of ``osVersion``)."""
        parts = self.os_version.split(".")
        return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
