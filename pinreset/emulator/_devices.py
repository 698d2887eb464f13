"""How a simulated Windows device reacts to MDM check-ins and restarts.

Rules (also in ``docs/emulator.md``):

- At a check-in (``syncDevice``, ``executeAction syncDevice`` or the periodic 8-hour check-in) the device reads every
  profile that targets it. Each profile's report becomes ``compliant`` (succeeded), ``notApplicable`` (Windows build
  older than 10.0.15063 for a Windows Hello profile), ``error`` (a broken MDM channel, or an OMA-URI that is not a
  PassportForWork node) or ``conflict`` (two profiles set EnablePinRecovery differently).
- The device records the effective EnablePinRecovery value (None when unset or conflicting) and whether Windows Hello
  is blocked. A changed value waits for a restart.
- At a restart the device creates its PIN recovery key (the 8060 event) when PIN recovery is on and it is eligible:
  Entra joined or hybrid joined, build >= 10.0.15063, Windows Hello not blocked, and a signed-in user with a Windows
  Hello container. ``dsregcmd`` then prints ``CanReset : DestructiveAndNonDestructive``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from pinreset.emulator._entities import ManagedDevice, Profile, ProfileReport
from pinreset.emulator._policies import MIN_PIN_RECOVERY_BUILD, PinIntent

__all__ = ["DeviceFacts", "DeviceUser", "apply_checkin", "apply_restart", "can_reset", "ineligible_reason"]


@attrs.frozen(kw_only=True)
class DeviceUser:
    """The user signed in at a device's console: UPN, Entra object id and Windows SID."""

    upn: str
    object_id: str
    sid: str


@attrs.frozen(kw_only=True)
class DeviceFacts:
    """A frozen snapshot of what a simulated Windows device knows about itself.

    Attributes:
        device_name: the computer name.
        managed_device_id: Intune's id of the device.
        azure_ad_device_id: the Entra device id (``DeviceId`` in dsregcmd).
        join_type: ``azureADJoined``, ``hybridAzureADJoined``, ``azureADRegistered`` or ``domainJoined``.
        domain_name: the NetBIOS domain name for hybrid joined devices, else None.
        os_version: e.g. ``10.0.22631.4460``.
        build: the build number (22631).
        signed_in_user_upn / signed_in_user_id / signed_in_user_sid: the console user, or None.
        ngc_set: whether that user has a Windows Hello container on the device.
        ngc_key_id: the container key id (``{GUID}``) when ``ngc_set``.
        pin_recovery_policy: EnablePinRecovery as recorded on the device (True/False/None).
        pin_recovery_policy_source: ``"mdm"`` when a value is recorded, else None.
        pin_recovery_key_created: whether the PIN recovery key exists (event 8060).
        restarted_since_policy: whether the device restarted after the last policy change it recorded.
        whfb_blocked: whether a policy blocks Windows Hello for Business.
        policy_conflict: whether profiles set EnablePinRecovery differently at the last check-in.
        web_sign_in_allowed_urls: ``ConfigureWebSignInAllowedUrls`` as recorded from MDM (``;``-separated
            domains), or None.
        can_reset: ``DestructiveAndNonDestructive``, ``DestructiveOnly`` or None (no container).
        ineligible_reason: why this device cannot use non-destructive PIN reset at all, else None.
        pending_reason: why an eligible device does not (yet) allow non-destructive reset, else None.
        last_sync: the last check-in.
    """

    device_name: str
    managed_device_id: str
    azure_ad_device_id: str
    join_type: str
    domain_name: str | None
    os_version: str
    build: int
    signed_in_user_upn: str | None
    signed_in_user_id: str | None
    signed_in_user_sid: str | None
    ngc_set: bool
    ngc_key_id: str | None
    pin_recovery_policy: bool | None
    pin_recovery_policy_source: str | None
    pin_recovery_key_created: bool
    restarted_since_policy: bool
    whfb_blocked: bool
    policy_conflict: bool
    web_sign_in_allowed_urls: str | None
    can_reset: str | None
    ineligible_reason: str | None
    pending_reason: str | None
    last_sync: datetime

    @property
    def signed_in_user(self) -> DeviceUser | None:
        """The console user as one value (None when nobody is signed in)."""
        if self.signed_in_user_upn is None or self.signed_in_user_id is None or self.signed_in_user_sid is None:
            return None
        return DeviceUser(upn=self.signed_in_user_upn, object_id=self.signed_in_user_id, sid=self.signed_in_user_sid)


def ineligible_reason(device: ManagedDevice) -> str | None:
    """Why the device can never reset a PIN non-destructively in its current shape (None when it can)."""
    if device.join_type == "azureADRegistered":
        return "device is Microsoft Entra registered, not Entra joined or hybrid joined"
    if device.join_type not in ("azureADJoined", "hybridAzureADJoined"):
        return "device is not joined to Microsoft Entra ID"
    if device.build < MIN_PIN_RECOVERY_BUILD:
        return f"Windows build {device.os_version} is older than 10.0.{MIN_PIN_RECOVERY_BUILD} (Windows 10 1703)"
    if device.whfb_blocked:
        return "Windows Hello for Business is blocked by policy"
    if device.signed_in_user_id is None:
        return "no user is signed in"
    if not device.ngc_set:
        return "the signed-in user has no Windows Hello container"
    return None


def pending_reason(device: ManagedDevice) -> str | None:
    """Why an eligible device does not yet allow non-destructive reset (None once it does)."""
    if device.pin_recovery_key_created:
        return None
    if device.policy_conflict:
        return "profiles set PIN recovery differently"
    if device.pin_recovery_policy is None:
        return "no PIN recovery policy received"
    if device.pin_recovery_policy is False:
        return "PIN recovery is disabled by policy"
    return "restart pending since the PIN recovery policy arrived"


def can_reset(device: ManagedDevice) -> str | None:
    """dsregcmd's ``CanReset`` for the signed-in user (None when there is no container)."""
    if device.signed_in_user_id is None or not device.ngc_set:
        return None
    if device.pin_recovery_key_created and ineligible_reason(device) is None:
        return "DestructiveAndNonDestructive"
    return "DestructiveOnly"


def apply_checkin(
    device: ManagedDevice, targeting: Sequence[tuple[Profile, PinIntent]], now: datetime
) -> None:
    """Act out one MDM check-in: report every targeting profile and record the effective policy."""
    device.last_sync = now
    applicable = device.build >= MIN_PIN_RECOVERY_BUILD
    values = {intent.pin_recovery for _, intent in targeting if intent.pin_recovery is not None and applicable}
    conflict = len(values) > 1
    reports: dict[str, ProfileReport] = {}
    blocked = False
    for profile, intent in targeting:
        if not intent.relevant:
            status = "compliant"
        elif device.policy_error or intent.invalid:
            status = "error"
        elif not applicable:
            status = "notApplicable"
        elif conflict and intent.pin_recovery is not None:
            status = "conflict"
        else:
            status = "compliant"
            blocked = blocked or bool(intent.whfb_blocked)
        reports[profile.id] = ProfileReport(status=status, version=profile.version, reported=now)
    device.reports = reports
    effective = None if conflict or not values or device.policy_error else next(iter(values))
    if effective != device.pin_recovery_policy or blocked != device.whfb_blocked:
        device.restarted_since_policy = False
    device.pin_recovery_policy = effective
    device.whfb_blocked = blocked
    device.policy_conflict = conflict
    device.web_sign_in_allowed_urls = next(
        (intent.web_sign_in_urls for _, intent in targeting if intent.web_sign_in_urls is not None), None)


def apply_restart(device: ManagedDevice) -> None:
    """Act out a restart: the recorded policy takes effect, creating (or dropping) the PIN recovery key."""
    device.restarts += 1
    device.restarted_since_policy = True
    device.pin_recovery_key_created = device.pin_recovery_policy is True and ineligible_reason(device) is None
