"""Intune managed devices, remote actions on them, and their per-policy status."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs


class JoinType(enum.Enum):
    """How a device is joined to Entra ID (beta ``managedDevice.joinType``, or derived)."""

    ENTRA_JOINED = "azureADJoined"
    HYBRID_JOINED = "hybridAzureADJoined"
    REGISTERED = "azureADRegistered"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True)
class ManagedDevice:
    """One Intune managed device.

    Attributes:
        id: Intune managed device id.
        device_name: the device's name.
        user_principal_name: primary user's UPN, if any.
        user_id: primary user's object id, if any.
        operating_system: e.g. ``Windows``.
        os_version: e.g. ``10.0.22631.4460``.
        azure_ad_device_id: the Entra device id (``DeviceId`` in dsregcmd).
        join_type: Entra join type.
        enrollment_type: ``deviceEnrollmentType`` as Graph says it.
        last_sync: last check-in with Intune (aware UTC).
        compliance_state: as Graph says it.
        management_agent: as Graph says it, e.g. ``mdm`` or ``configurationManagerClientMdm``.
    """

    id: str
    device_name: str
    user_principal_name: str | None = None
    user_id: str | None = None
    operating_system: str | None = None
    os_version: str | None = None
    azure_ad_device_id: str | None = None
    join_type: JoinType = JoinType.UNKNOWN
    enrollment_type: str | None = None
    last_sync: datetime | None = None
    compliance_state: str | None = None
    management_agent: str | None = None

    @property
    def os_build(self) -> int | None:
        """The Windows build number (third part of ``os_version``), if it can be read."""
        parts = (self.os_version or "").split(".")
        if len(parts) >= 3 and parts[2].isdigit():
            return int(parts[2])
        return None


@attrs.frozen(kw_only=True)
class DeviceFilter:
    """Which managed devices to list; every field narrows the set, ``None`` means no restriction.

    Attributes:
        operating_system: e.g. ``Windows`` (pinreset's default: only Windows devices can do this).
        device_names: exact device names.
        device_ids: exact Intune managed device ids.
        user_ids: primary users' object ids.
    """

    operating_system: str | None = "Windows"
    device_names: tuple[str, ...] | None = None
    device_ids: tuple[str, ...] | None = None
    user_ids: tuple[str, ...] | None = None


class DeviceAction(enum.Enum):
    """Remote actions pinreset sends (``managedDeviceRemoteAction`` names)."""

    SYNC = "syncDevice"
    RESTART = "rebootNow"


class ActionOutcome(enum.Enum):
    """What happened to one device's action request."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_FOUND = "not_found"
    NOT_SUPPORTED = "not_supported"


@attrs.frozen(kw_only=True)
class DeviceActionResult:
    """The result of one remote action on one device: every requested device gets exactly one.

    Attributes:
        device_id: Intune managed device id.
        action: the action requested.
        outcome: what Intune answered.
        error: the error text when it failed (Graph code and message), else ``None``.
    """

    device_id: str
    action: DeviceAction
    outcome: ActionOutcome
    error: str | None = None


class PolicyDeviceState(enum.Enum):
    """Intune's per-device state of one policy, normalised across legacy profiles and settings catalog."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    ERROR = "error"
    CONFLICT = "conflict"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True)
class DevicePolicyStatus:
    """One device's status for one policy.

    Attributes:
        device_name: the device's name.
        device_id: Intune managed device id, when the source reports it.
        user_principal_name: the user the status was reported for, if any.
        state: normalised state.
        raw_state: the state exactly as Graph reported it.
        last_reported: when the device last reported (aware UTC).
    """

    device_name: str
    state: PolicyDeviceState
    raw_state: str
    device_id: str | None = None
    user_principal_name: str | None = None
    last_reported: datetime | None = None
