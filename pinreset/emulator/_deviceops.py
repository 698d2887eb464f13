"""Managed device operations of the emulated tenant: inventory, remote actions, simulated check-ins and restarts,
and the device facts the simulated Windows hosts answer from."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pinreset.emulator._base import TenantBase
from pinreset.emulator._devices import (
    DeviceFacts,
    apply_checkin,
    apply_restart,
    can_reset,
    ineligible_reason,
    pending_reason,
)
from pinreset.emulator._entities import ManagedDevice, User, iso
from pinreset.emulator._errors import bad_request, not_found
from pinreset.emulator._seeddata import CHECKIN_INTERVAL

__all__ = ["DEVICE_PROPERTIES", "EXECUTE_ACTION_MAX_DEVICES", "DeviceOps", "user_sid"]

# executeAction's deviceIds limit is not documented; the emulator allows 100 per call and answers 400 beyond.
EXECUTE_ACTION_MAX_DEVICES = 100
# managedDeviceRemoteAction members (beta); only the two below are acted out, the others report notSupported.
_REMOTE_ACTIONS = frozenset({
    "retire", "delete", "fullScan", "quickScan", "signatureUpdate", "wipe", "customTextNotification", "rebootNow",
    "setDeviceName", "syncDevice", "deprovision", "disable", "reenable", "moveDeviceToOrganizationalUnit",
    "activateDeviceEsim", "collectDiagnostics", "initiateMobileDeviceManagementKeyRecovery",
    "initiateOnDemandProactiveRemediation", "unknownFutureValue", "initiateDeviceAttestation",
})
_NEVER = "0001-01-01T00:00:00Z"
_FOREVER = "9999-12-31T23:59:59Z"
_TOTAL_STORAGE = 255_369_887_744
_FREE_STORAGE = 118_111_600_640

Getter = Callable[[ManagedDevice, dict[str, User]], Any]


def _managed_device_name(device: ManagedDevice, user: User | None) -> str:
    nickname = user.mail_nickname if user else ""
    return f"{nickname}_Windows_{device.enrolled:%m/%d/%Y_%I:%M %p}"


def _user_attr(name: str) -> Getter:
    def get(device: ManagedDevice, users: dict[str, User]) -> Any:
        user = users.get(device.user_id or "")
        return getattr(user, name) if user else ""
    return get


# Graph name -> (getter, beta only). One table serves serialisation and $filter.
DEVICE_PROPERTIES: dict[str, tuple[Getter, bool]] = {
    "id": (lambda d, u: d.id, False),
    "userId": (lambda d, u: d.user_id or "", False),
    "deviceName": (lambda d, u: d.device_name, False),
    "managedDeviceOwnerType": (lambda d, u: "personal" if d.join_type == "azureADRegistered" else "company", False),
    "enrolledDateTime": (lambda d, u: iso(d.enrolled), False),
    "lastSyncDateTime": (lambda d, u: iso(d.last_sync), False),
    "operatingSystem": (lambda d, u: "Windows", False),
    "complianceState": (lambda d, u: d.compliance_state, False),
    "jailBroken": (lambda d, u: "Unknown", False),
    "managementAgent": (lambda d, u: d.management_agent, False),
    "osVersion": (lambda d, u: d.os_version, False),
    "easActivated": (lambda d, u: False, False),
    "easDeviceId": (lambda d, u: "", False),
    "easActivationDateTime": (lambda d, u: _NEVER, False),
    "azureADRegistered": (lambda d, u: True, False),
    "deviceEnrollmentType": (lambda d, u: d.enrollment_type, False),
    "emailAddress": (_user_attr("user_principal_name"), False),
    "azureADDeviceId": (lambda d, u: d.azure_ad_device_id, False),
    "deviceRegistrationState": (lambda d, u: "registered", False),
    "deviceCategoryDisplayName": (lambda d, u: "Unknown Category", False),
    "isSupervised": (lambda d, u: False, False),
    "exchangeLastSuccessfulSyncDateTime": (lambda d, u: _NEVER, False),
    "exchangeAccessState": (lambda d, u: "none", False),
    "exchangeAccessStateReason": (lambda d, u: "none", False),
    "isEncrypted": (lambda d, u: d.tpm_protected, False),
    "userPrincipalName": (_user_attr("user_principal_name"), False),
    "model": (lambda d, u: d.model, False),
    "manufacturer": (lambda d, u: d.manufacturer, False),
    "imei": (lambda d, u: "", False),
    "complianceGracePeriodExpirationDateTime": (lambda d, u: _FOREVER, False),
    "serialNumber": (lambda d, u: d.serial_number, False),
    "phoneNumber": (lambda d, u: "", False),
    "androidSecurityPatchLevel": (lambda d, u: "", False),
    "userDisplayName": (_user_attr("display_name"), False),
    "wiFiMacAddress": (lambda d, u: "", False),
    "subscriberCarrier": (lambda d, u: "", False),
    "meid": (lambda d, u: "", False),
    "totalStorageSpaceInBytes": (lambda d, u: _TOTAL_STORAGE, False),
    "freeStorageSpaceInBytes": (lambda d, u: _FREE_STORAGE, False),
    "managedDeviceName": (lambda d, u: _managed_device_name(d, u.get(d.user_id or "")), False),
    "partnerReportedThreatState": (lambda d, u: "unknown", False),
    "physicalMemoryInBytes": (lambda d, u: 0, False),
    "joinType": (lambda d, u: d.join_type, True),
    "skuFamily": (lambda d, u: "Enterprise", True),
    "lastSyncDateTimeUtc": (lambda d, u: iso(d.last_sync), True),
}
V1_DEVICE_PROPERTIES = {k: v for k, v in DEVICE_PROPERTIES.items() if not v[1]}


def user_sid(user: User) -> str:
    """The user's Windows SID: the on-premises SID when synchronised, else Entra's ``S-1-12-1-…`` form."""
    if user.on_premises_sid:
        return user.on_premises_sid
    parts = struct.unpack("<4I", uuid.UUID(user.id).bytes_le)
    return "S-1-12-1-" + "-".join(str(p) for p in parts)


class DeviceOps(TenantBase):
    """managedDevices, remote actions, check-ins, restarts and device facts."""

    def device_json(self, device: ManagedDevice, *, beta: bool) -> dict[str, Any]:
        """One managed device in Graph's shape (``joinType`` and friends only in beta).

        Spelled out rather than built from :data:`DEVICE_PROPERTIES` because paging 100,000 devices serialises
        every one of them; a test checks that both agree.
        """
        user = self.users.get(device.user_id or "")
        upn = user.user_principal_name if user else ""
        last_sync = iso(device.last_sync)
        enrolled = device.enrolled
        result = {
            "@odata.type": "#microsoft.graph.managedDevice",
            "id": device.id,
            "userId": device.user_id or "",
            "deviceName": device.device_name,
            "managedDeviceOwnerType": "personal" if device.join_type == "azureADRegistered" else "company",
            "enrolledDateTime": iso(enrolled),
            "lastSyncDateTime": last_sync,
            "operatingSystem": "Windows",
            "complianceState": device.compliance_state,
            "jailBroken": "Unknown",
            "managementAgent": device.management_agent,
            "osVersion": device.os_version,
            "easActivated": False,
            "easDeviceId": "",
            "easActivationDateTime": _NEVER,
            "azureADRegistered": True,
            "deviceEnrollmentType": device.enrollment_type,
            "emailAddress": upn,
            "azureADDeviceId": device.azure_ad_device_id,
            "deviceRegistrationState": "registered",
            "deviceCategoryDisplayName": "Unknown Category",
            "isSupervised": False,
            "exchangeLastSuccessfulSyncDateTime": _NEVER,
            "exchangeAccessState": "none",
            "exchangeAccessStateReason": "none",
            "isEncrypted": device.tpm_protected,
            "userPrincipalName": upn,
            "model": device.model,
            "manufacturer": device.manufacturer,
            "imei": "",
            "complianceGracePeriodExpirationDateTime": _FOREVER,
            "serialNumber": device.serial_number,
            "phoneNumber": "",
            "androidSecurityPatchLevel": "",
            "userDisplayName": user.display_name if user else "",
            "wiFiMacAddress": "",
            "subscriberCarrier": "",
            "meid": "",
            "totalStorageSpaceInBytes": _TOTAL_STORAGE,
            "freeStorageSpaceInBytes": _FREE_STORAGE,
            "managedDeviceName": _managed_device_name(device, user),
            "partnerReportedThreatState": "unknown",
            "physicalMemoryInBytes": 0,
        }
        if beta:
            result["joinType"] = device.join_type
            result["skuFamily"] = "Enterprise"
            result["lastSyncDateTimeUtc"] = last_sync
        return result

    def device_property(self, device: ManagedDevice, name: str, *, beta: bool) -> Any:
        """One Graph property of a device (for ``$filter``); KeyError for an unknown property."""
        getter, beta_only = DEVICE_PROPERTIES[name]
        if beta_only and not beta:
            raise KeyError(name)
        return getter(device, self.users)

    def list_managed_devices(self) -> list[ManagedDevice]:
        """Every managed device, in enrolment order (live objects: serialise under :attr:`lock`)."""
        with self.lock:
            return list(self.devices.values())

    def _device(self, key: str) -> ManagedDevice:
        device = self.devices.get(key)
        if device is None:
            device_id = self.device_names.get(key.lower())
            device = self.devices.get(device_id or "")
        if device is None:
            for candidate in self.devices.values():
                if candidate.azure_ad_device_id == key:
                    return candidate
            raise not_found(key)
        return device

    def get_managed_device(self, key: str) -> ManagedDevice:
        """A device by managed device id, Entra device id or name; 404 when absent."""
        with self.lock:
            return self._device(key)

    # --- actions -------------------------------------------------------------------------------------------------

    def sync_device(self, key: str) -> None:
        """``syncDevice``: the device checks in now."""
        with self.lock:
            device = self._device(key)
            apply_checkin(device, self.device_targeting(device.id), self.now())
            device.next_checkin = self.now() + CHECKIN_INTERVAL

    def restart_device(self, key: str) -> None:
        """``rebootNow`` (or a restart by the user): recorded policy takes effect."""
        with self.lock:
            apply_restart(self._device(key))

    def execute_action(self, body: Any) -> dict[str, Any]:
        """Beta ``managedDevices/executeAction``: one action on up to 100 devices.

        Returns:
            ``bulkManagedDeviceActionResult`` with successful/failed/notFound/notSupported device ids.

        Raises:
            GraphProblem: 400 for a missing or unknown actionName, missing deviceIds or more than 100 of them.
        """
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        action = body.get("actionName")
        device_ids = body.get("deviceIds")
        if not isinstance(action, str) or action not in _REMOTE_ACTIONS:
            raise bad_request(f"The value '{action}' is not a valid managedDeviceRemoteAction.")
        if not isinstance(device_ids, list) or not device_ids or not all(isinstance(i, str) for i in device_ids):
            raise bad_request("deviceIds must be a non-empty collection of strings.")
        if len(device_ids) > EXECUTE_ACTION_MAX_DEVICES:
            raise bad_request(f"At most {EXECUTE_ACTION_MAX_DEVICES} deviceIds are allowed per executeAction call.")
        result: dict[str, list[str]] = {"successfulDeviceIds": [], "failedDeviceIds": [], "notFoundDeviceIds": [],
                                        "notSupportedDeviceIds": []}
        with self.lock:
            for device_id in device_ids:
                if device_id not in self.devices:
                    result["notFoundDeviceIds"].append(device_id)
                elif action == "syncDevice":
                    self.sync_device(device_id)
                    result["successfulDeviceIds"].append(device_id)
                elif action == "rebootNow":
                    self.restart_device(device_id)
                    result["successfulDeviceIds"].append(device_id)
                else:
                    result["notSupportedDeviceIds"].append(device_id)
        return {"@odata.type": "microsoft.graph.bulkManagedDeviceActionResult", **result}

    def run_due_checkins(self, now: datetime) -> int:
        """Every device whose periodic check-in is due checks in (called when the clock advances).

        Returns:
            How many devices checked in.
        """
        with self.lock:
            due = [d for d in self.devices.values() if d.next_checkin <= now]
            for device in due:
                apply_checkin(device, self.device_targeting(device.id), now)
                device.next_checkin = now + CHECKIN_INTERVAL
            return len(due)

    def set_device_state(self, key: str, **changes: Any) -> None:
        """Change simulated facts of a device (test helper): e.g. ``ngc_set=False``, ``signed_in_user_id=None``,
        ``os_version="10.0.14393.0"``, ``policy_error=True``, ``join_type="azureADRegistered"``.

        Raises:
            AttributeError: for a name that is not a device attribute.
        """
        with self.lock:
            device = self._device(key)
            for name, value in changes.items():
                if not hasattr(device, name):
                    raise AttributeError(name)
                setattr(device, name, value)
            if "device_name" in changes:
                self.device_names = {d.device_name.lower(): d.id for d in self.devices.values()}
            if {"user_id", "join_type", "device_name", "os_version", "model", "manufacturer"} & set(changes):
                self.targeting_changed()

    # --- device facts --------------------------------------------------------------------------------------------

    def device_facts(self, key: str) -> DeviceFacts:
        """A frozen snapshot of a simulated device (by name, managed device id or Entra device id).

        Raises:
            GraphProblem: 404 for an unknown device.
        """
        with self.lock:
            device = self._device(key)
            user = self.users.get(device.signed_in_user_id or "")
            return DeviceFacts(
                device_name=device.device_name,
                managed_device_id=device.id,
                azure_ad_device_id=device.azure_ad_device_id,
                join_type=device.join_type,
                domain_name=self.netbios if device.join_type in ("hybridAzureADJoined", "domainJoined") else None,
                os_version=device.os_version,
                build=device.build,
                signed_in_user_upn=user.user_principal_name if user else None,
                signed_in_user_id=user.id if user else None,
                signed_in_user_sid=user_sid(user) if user else None,
                ngc_set=bool(user) and device.ngc_set,
                ngc_key_id=device.ngc_key_id if user and device.ngc_set else None,
                pin_recovery_policy=device.pin_recovery_policy,
                pin_recovery_policy_source="mdm" if device.pin_recovery_policy is not None else None,
                pin_recovery_key_created=device.pin_recovery_key_created,
                restarted_since_policy=device.restarted_since_policy,
                whfb_blocked=device.whfb_blocked,
                policy_conflict=device.policy_conflict,
                web_sign_in_allowed_urls=device.web_sign_in_allowed_urls,
                can_reset=can_reset(device),
                ineligible_reason=ineligible_reason(device),
                pending_reason=pending_reason(device) if ineligible_reason(device) is None else None,
                last_sync=device.last_sync,
            )

    def all_device_facts(self) -> Iterable[DeviceFacts]:
        """Facts of every device, in enrolment order."""
        with self.lock:
            return [self.device_facts(d) for d in list(self.devices)]
