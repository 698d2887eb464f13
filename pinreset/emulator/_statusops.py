"""Status reporting of Intune configuration: per-device statuses and their overview for device configuration
profiles, and the configuration policy devices report for settings catalog policies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pinreset.emulator._entities import ManagedDevice, Profile, iso
from pinreset.emulator._errors import bad_request
from pinreset.emulator._intune import KIND_CONFIGURATION, KIND_POLICY, IntuneOps

__all__ = ["StatusOps"]

_REPORT_STATUS = {
    # status -> (ReportStatus as shown by Intune, PolicyStatus code). The numeric codes are this emulator's choice.
    "unknown": ("Pending", 1),
    "compliant": ("Succeeded", 2),
    "remediated": ("Succeeded", 2),
    "notApplicable": ("Not applicable", 3),
    "error": ("Error", 5),
    "nonCompliant": ("Error", 5),
    "conflict": ("Conflict", 6),
}
_REPORT_COLUMNS = ("DeviceName", "UPN", "ReportStatus", "AssignmentFilterIds", "PspdpuLastModifiedTimeUtc",
                   "IntuneDeviceId", "UnifiedPolicyPlatformType", "UserId", "PolicyStatus", "PolicyBaseTypeName")
_POLICY_FILTER = re.compile(r"^\(?\s*PolicyId\s+eq\s+'([^']*)'\s*\)?$", re.IGNORECASE)
_NEVER = "0001-01-01T00:00:00Z"


class StatusOps(IntuneOps):
    """deviceStatuses, deviceStatusOverview and getConfigurationPolicyDevicesReport."""

    # --- status reporting ----------------------------------------------------------------------------------------

    def _status_of(self, profile: Profile, device: ManagedDevice) -> tuple[str, str]:
        report = device.reports.get(profile.id)
        if report is None or report.version != profile.version:
            return "unknown", _NEVER
        return report.status, iso(report.reported) or _NEVER

    def device_statuses(self, profile_id: str) -> list[dict[str, Any]]:
        """``GET …/deviceConfigurations/{id}/deviceStatuses``: one row per targeted device.

        ``unknown`` is pending (no check-in since the profile or its assignment changed); ``compliant`` is success.
        """
        with self.lock:
            profile = self._profile(KIND_CONFIGURATION, profile_id)
            rows = []
            for device_id in sorted(self.profile_targets(profile_id)):
                device = self.devices[device_id]
                status, reported = self._status_of(profile, device)
                user = self.users.get(device.user_id or "")
                rows.append({
                    "@odata.type": "#microsoft.graph.deviceConfigurationDeviceStatus",
                    "id": f"{profile.id}_{device.id}",
                    "deviceDisplayName": device.device_name,
                    "userName": user.display_name if user else None,
                    "deviceModel": device.model,
                    "platform": 0,
                    "complianceGracePeriodExpirationDateTime": "9999-12-31T23:59:59Z",
                    "status": status,
                    "lastReportedDateTime": reported,
                    "userPrincipalName": user.user_principal_name if user else None,
                })
            return rows

    def device_status_overview(self, profile_id: str) -> dict[str, Any]:
        """``GET …/deviceConfigurations/{id}/deviceStatusOverview``: the counts of :meth:`device_statuses`."""
        with self.lock:
            profile = self._profile(KIND_CONFIGURATION, profile_id)
            counts = dict.fromkeys(("unknown", "notApplicable", "compliant", "remediated", "error", "nonCompliant",
                                    "conflict"), 0)
            for device_id in self.profile_targets(profile_id):
                counts[self._status_of(profile, self.devices[device_id])[0]] += 1
            return {
                "@odata.type": "#microsoft.graph.deviceConfigurationDeviceOverview",
                "id": f"{profile.id}_DeviceStatusOverview",
                "pendingCount": counts["unknown"],
                "notApplicableCount": counts["notApplicable"],
                "notApplicablePlatformCount": 0,
                "successCount": counts["compliant"] + counts["remediated"],
                "errorCount": counts["error"],
                "failedCount": counts["nonCompliant"],
                "conflictCount": counts["conflict"],
                "lastUpdateDateTime": iso(self.now()),
                "configurationVersion": profile.version,
            }

    def policy_devices_report(self, body: Any) -> dict[str, Any]:
        """``POST /beta/deviceManagement/reports/getConfigurationPolicyDevicesReport``.

        Body: ``filter`` (``(PolicyId eq '<id>')``, required), optional ``select`` (column names), ``skip``, ``top``.
        Answer: ``TotalRowCount``, ``Schema`` (``Column``/``PropertyType``) and ``Values`` (rows in schema order).

        Raises:
            GraphProblem: 400 for a missing or unreadable filter, unknown column or bad skip/top.
        """
        if not isinstance(body, Mapping):
            raise bad_request("The request body must be a JSON object.")
        match = _POLICY_FILTER.match(str(body.get("filter") or "").strip())
        if not match:
            raise bad_request("The report needs filter \"(PolicyId eq '<policy id>')\".")
        columns = list(body.get("select") or _REPORT_COLUMNS)
        unknown = [c for c in columns if c not in _REPORT_COLUMNS]
        if unknown:
            raise bad_request(f"Unknown report column(s): {', '.join(map(str, unknown))}.")
        skip, top = body.get("skip", 0), body.get("top", 50)
        if not isinstance(skip, int) or not isinstance(top, int) or skip < 0 or not 0 < top <= 1000:
            raise bad_request("skip must be >= 0 and top between 1 and 1000.")
        with self.lock:
            profile = self.profiles.get(match.group(1))
            rows: list[list[Any]] = []
            if profile is not None:
                base_type = ("DeviceManagementConfigurationPolicy" if profile.kind == KIND_POLICY
                             else "Microsoft.Management.Services.Api.DeviceConfiguration")
                filter_ids = sorted({str(a["target"].get("deviceAndAppManagementAssignmentFilterId"))
                                     for a in profile.assignments
                                     if a["target"].get("deviceAndAppManagementAssignmentFilterId")})
                for device_id in sorted(self.profile_targets(profile.id)):
                    device = self.devices[device_id]
                    status, reported = self._status_of(profile, device)
                    label, code = _REPORT_STATUS[status]
                    user = self.users.get(device.user_id or "")
                    record = {
                        "DeviceName": device.device_name,
                        "UPN": user.user_principal_name if user else "",
                        "ReportStatus": label,
                        "AssignmentFilterIds": ",".join(filter_ids),
                        "PspdpuLastModifiedTimeUtc": reported,
                        "IntuneDeviceId": device.id,
                        "UnifiedPolicyPlatformType": "Windows10",
                        "UserId": device.user_id or "",
                        "PolicyStatus": code,
                        "PolicyBaseTypeName": base_type,
                    }
                    rows.append([record[c] for c in columns])
            return {
                "TotalRowCount": len(rows),
                "Schema": [{"Column": c, "PropertyType": "Int32" if c == "PolicyStatus" else
                            "DateTime" if c == "PspdpuLastModifiedTimeUtc" else "String"} for c in columns],
                "Values": rows[skip:skip + top],
                "SessionId": "",
            }
