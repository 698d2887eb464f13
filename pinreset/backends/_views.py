"""Graph JSON -> models, shared by every backend (pure: no I/O, no HTTP library).

The Graph backend reads these objects from HTTP answers; the PowerShell backend turns the SDK's objects into the
same Graph JSON first (:mod:`pinreset.backends._ps_shapes`) and then reads them here, so both backends build
identical models from identical tenants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from pinreset._converter import parse_datetime, structure, structure_target, unstructure_target
from pinreset.exceptions import ConfigurationError, ParseError
from pinreset.graph._odata import odata_any_eq, odata_eq, odata_quote
from pinreset.models import (
    ActionOutcome,
    AssignmentTarget,
    DeviceAction,
    DeviceActionResult,
    DeviceFilter,
    DevicePolicyStatus,
    ManagedDevice,
    Policy,
    PolicyDeviceState,
    PolicyKind,
    PolicyRef,
    TenantInfo,
)
from pinreset.policy_body import read_policy

__all__ = [
    "ASSIGNMENT_TYPES",
    "DEVICE_SELECT",
    "EXECUTE_ACTION_CHUNK",
    "FILTER_CHUNK",
    "REPORT_PAGE",
    "action_result",
    "assigned_targets",
    "assignment_body",
    "device_filter_clauses",
    "device_matches",
    "legacy_status",
    "path_segment",
    "read_bulk_result",
    "read_report",
    "read_targets",
    "report_body",
    "report_statuses",
    "to_device",
    "to_policy",
    "to_tenant",
    "when",
]

#: Devices per ``executeAction`` call. The maximum is not documented; 100 matches what the Intune admin center
#: sends in one bulk action, so pinreset never relies on more.
EXECUTE_ACTION_CHUNK = 100
#: ``or`` clauses per ``$filter``: longer id lists are split over several queries.
FILTER_CHUNK = 15
#: The properties :class:`ManagedDevice` reads (``joinType`` exists only on the beta resource).
DEVICE_SELECT = (
    "id,deviceName,userPrincipalName,userId,operatingSystem,osVersion,azureADDeviceId,joinType,"
    "deviceEnrollmentType,lastSyncDateTime,complianceState,managementAgent"
)
_LIST_PROPERTIES = (("device_names", "deviceName"), ("device_ids", "id"), ("user_ids", "userId"))

ASSIGNMENT_TYPES = {
    PolicyKind.SETTINGS_CATALOG: "#microsoft.graph.deviceManagementConfigurationPolicyAssignment",
    PolicyKind.IDENTITY_PROTECTION: "#microsoft.graph.deviceConfigurationAssignment",
    PolicyKind.CUSTOM_OMA_URI: "#microsoft.graph.deviceConfigurationAssignment",
}
REPORT_PAGE = 50
_REPORT_COLUMNS = ("DeviceName", "UPN", "ReportStatus", "PspdpuLastModifiedTimeUtc", "IntuneDeviceId")
_LEGACY_STATES = {
    "compliant": PolicyDeviceState.SUCCEEDED,
    "remediated": PolicyDeviceState.SUCCEEDED,
    "unknown": PolicyDeviceState.PENDING,
    "error": PolicyDeviceState.ERROR,
    "noncompliant": PolicyDeviceState.ERROR,
    "conflict": PolicyDeviceState.CONFLICT,
    "notapplicable": PolicyDeviceState.NOT_APPLICABLE,
    "notassigned": PolicyDeviceState.NOT_APPLICABLE,
}
_REPORT_STATES = {
    "succeeded": PolicyDeviceState.SUCCEEDED,
    "success": PolicyDeviceState.SUCCEEDED,
    "pending": PolicyDeviceState.PENDING,
    "error": PolicyDeviceState.ERROR,
    "failed": PolicyDeviceState.ERROR,
    "conflict": PolicyDeviceState.CONFLICT,
    "not applicable": PolicyDeviceState.NOT_APPLICABLE,
    "notapplicable": PolicyDeviceState.NOT_APPLICABLE,
}
_BULK_LISTS = (
    ("successfulDeviceIds", ActionOutcome.SUCCEEDED),
    ("notFoundDeviceIds", ActionOutcome.NOT_FOUND),
    ("notSupportedDeviceIds", ActionOutcome.NOT_SUPPORTED),
    ("failedDeviceIds", ActionOutcome.FAILED),
)


def path_segment(value: str) -> str:
    """One URL path segment: an id from a caller can never add path or query parts.

    Raises:
        ConfigurationError: for an empty id (the URL would name the collection itself).
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"an object id is required, got {value!r}")
    segment = quote(value, safe="")
    # "." and ".." survive quoting, and URL normalisation would then climb out of the collection.
    return segment.replace(".", "%2E") if segment in (".", "..") else segment


def when(value: Any) -> Any:
    """A Graph timestamp as an aware datetime; ``None`` for anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def to_tenant(org: Mapping[str, Any], domains: Sequence[Mapping[str, Any]] | None) -> TenantInfo:
    """The organization, its verified domains and which are federated.

    Args:
        org: one ``organization`` object.
        domains: the ``domains`` collection, or ``None`` when it could not be read (then the verified domains'
            ``type`` says which are federated).
    """
    verified = [d for d in org.get("verifiedDomains") or [] if isinstance(d, Mapping) and d.get("name")]
    if domains is None:
        federated = tuple(str(d["name"]) for d in verified if str(d.get("type") or "").lower() == "federated")
    else:
        federated = tuple(
            str(d["id"]) for d in domains
            if d.get("id") and str(d.get("authenticationType") or "").lower() == "federated"
        )
    return TenantInfo(
        id=str(org["id"]),
        display_name=org.get("displayName"),
        verified_domains=tuple(str(d["name"]) for d in verified),
        default_domain=next((str(d["name"]) for d in verified if d.get("isDefault")), None),
        federated_domains=federated,
    )


# -- policies -------------------------------------------------------------------------------------------------------


def read_targets(raw: Mapping[str, Any]) -> tuple[AssignmentTarget, ...]:
    """The targets of ``raw["assignments"]`` (each ``{"target": {...}}``).

    Raises:
        ParseError: when the assignments are not a list.
    """
    assignments = raw.get("assignments") or []
    if not isinstance(assignments, list):
        raise ParseError("a policy's assignments are not a list")
    return tuple(structure_target(a.get("target") or {}) for a in assignments if isinstance(a, Mapping))


def to_policy(kind: PolicyKind, raw: Mapping[str, Any], settings: Sequence[Mapping[str, Any]] | None,
              tenant_id: str | None) -> Policy:
    """Build the :class:`Policy` view of one Graph object.

    Args:
        kind: the policy's kind.
        raw: the Graph object, with ``assignments`` expanded.
        settings: a settings catalog policy's settings (``None`` for profiles).
        tenant_id: the tenant id (OMA-URI nodes name it).

    Raises:
        ParseError: when the object has no id.
    """
    if "id" not in raw:
        raise ParseError("Graph returned a policy without an id")
    template = raw.get("templateReference") or {}
    template_id = str(template.get("templateId") or "") if isinstance(template, Mapping) else ""
    catalog = kind is PolicyKind.SETTINGS_CATALOG
    return Policy(
        ref=PolicyRef(kind=kind, id=str(raw["id"])),
        name=str((raw.get("name") if catalog else raw.get("displayName")) or ""),
        description=str(raw.get("description") or ""),
        odata_type="" if catalog else str(raw.get("@odata.type") or ""),
        platform=(str(raw.get("platforms") or "") or None) if catalog else "windows10",
        settings=read_policy(kind, raw, settings, tenant_id=tenant_id),
        assignments=read_targets(raw),
        created=when(raw.get("createdDateTime")),
        modified=when(raw.get("lastModifiedDateTime")),
        template_id=template_id or None,
        raw=dict(raw),
    )


def assignment_body(kind: PolicyKind, targets: Sequence[AssignmentTarget]) -> dict[str, Any]:
    """The body of ``assign``: the complete list, which replaces the policy's whole assignment set.

    Raises:
        ConfigurationError: for a kind pinreset does not assign.
    """
    assignment_type = ASSIGNMENT_TYPES.get(kind)
    if assignment_type is None:
        raise ConfigurationError(f"pinreset does not assign {kind.value} policies")
    return {"assignments": [{"@odata.type": assignment_type, "target": unstructure_target(t)} for t in targets]}


def assigned_targets(answer: Any, targets: Sequence[AssignmentTarget]) -> tuple[AssignmentTarget, ...]:
    """The targets in force after ``assign``: those the answer lists, else the ones sent."""
    if isinstance(answer, Mapping) and isinstance(answer.get("value"), list):
        return read_targets({"assignments": answer["value"]})
    return tuple(targets)


def legacy_status(row: Mapping[str, Any]) -> DevicePolicyStatus:
    """One ``deviceStatuses`` entry of a profile."""
    raw_state = str(row.get("status") or "unknown")
    return DevicePolicyStatus(
        device_name=str(row.get("deviceDisplayName") or ""),
        state=_LEGACY_STATES.get(raw_state.lower(), PolicyDeviceState.UNKNOWN),
        raw_state=raw_state,
        user_principal_name=row.get("userPrincipalName") or None,
        last_reported=when(row.get("lastReportedDateTime")),
    )


def report_body(policy_id: str, skip: int) -> dict[str, Any]:
    """The body of one ``getConfigurationPolicyDevicesReport`` page (the policy id quoted)."""
    return {
        "select": list(_REPORT_COLUMNS),
        "filter": f"(PolicyId eq {odata_quote(policy_id)})",
        "skip": skip,
        "top": REPORT_PAGE,
        "orderBy": [],
    }


def report_statuses(answer: Any) -> tuple[list[DevicePolicyStatus], bool]:
    """The rows of one report page, and whether more pages follow.

    Raises:
        ParseError: when the answer has no ``Values`` list.
    """
    if not isinstance(answer, Mapping) or not isinstance(answer.get("Values"), list):
        raise ParseError("the configuration policy devices report has no Values")
    columns = [str(c.get("Column")) if isinstance(c, Mapping) else str(c) for c in answer.get("Schema") or []]
    rows = answer["Values"]
    statuses = []
    for values in rows:
        record = dict(zip(columns, values, strict=False))
        raw_state = str(record.get("ReportStatus") or "")
        statuses.append(
            DevicePolicyStatus(
                device_name=str(record.get("DeviceName") or ""),
                device_id=str(record.get("IntuneDeviceId") or "") or None,
                user_principal_name=str(record.get("UPN") or "") or None,
                state=_REPORT_STATES.get(raw_state.lower(), PolicyDeviceState.UNKNOWN),
                raw_state=raw_state,
                last_reported=when(record.get("PspdpuLastModifiedTimeUtc")),
            )
        )
    return statuses, len(rows) >= REPORT_PAGE


def read_report(policy_id: str, post: Callable[[dict[str, Any]], Any]) -> Iterator[DevicePolicyStatus]:
    """Every row of the devices report of one settings catalog policy, page by page.

    Args:
        policy_id: the policy.
        post: sends one page's body (:func:`report_body`) and returns the answer.

    Raises:
        ParseError: when a page has no ``Values`` list.
    """
    skip = 0
    while True:
        answer = post(report_body(policy_id, skip))
        statuses, more = report_statuses(answer)
        yield from statuses
        skip += len(statuses)
        total = answer.get("TotalRowCount")
        if not more or (isinstance(total, int) and skip >= total):
            return


# -- devices --------------------------------------------------------------------------------------------------------


def to_device(raw: Any) -> ManagedDevice:
    """One managed device from its Graph JSON."""
    return structure(raw, ManagedDevice)


def device_matches(device: ManagedDevice, device_filter: DeviceFilter) -> bool:
    """The filter applied on our side too, so a server that ignores part of ``$filter`` cannot widen the set."""
    wanted_os = (device_filter.operating_system or "").lower()
    if wanted_os and (device.operating_system or "").lower() != wanted_os:
        return False
    if device_filter.device_names is not None and device.device_name.lower() not in {
        n.lower() for n in device_filter.device_names
    }:
        return False
    if device_filter.device_ids is not None and device.id not in device_filter.device_ids:
        return False
    return device_filter.user_ids is None or device.user_id in device_filter.user_ids


def device_filter_clauses(device_filter: DeviceFilter) -> list[str]:
    """The ``$filter`` expressions (one query each) that together select ``device_filter``'s devices.

    The longest list criterion is split into chunks of :data:`FILTER_CHUNK`; other lists longer than that are
    left to the client-side check. Every value is quoted with :func:`~pinreset.graph.odata_quote`.

    Returns:
        One expression per query, or ``[""]`` for an unfiltered listing; ``[]`` when a list is empty (no
        device can match).
    """
    base: list[str] = []
    if device_filter.operating_system:
        base.append(odata_eq("operatingSystem", device_filter.operating_system))
    lists = [(prop, tuple(getattr(device_filter, attr))) for attr, prop in _LIST_PROPERTIES
             if getattr(device_filter, attr) is not None]
    if any(not values for _, values in lists):
        return []
    lists.sort(key=lambda item: len(item[1]), reverse=True)
    chunked: tuple[str, tuple[str, ...]] | None = lists[0] if lists else None
    for prop, values in lists[1:]:
        if len(values) <= FILTER_CHUNK:
            base.append(odata_any_eq(prop, values))
    if chunked is None:
        return [" and ".join(base)]
    prop, values = chunked
    return [
        " and ".join([*base, odata_any_eq(prop, values[i : i + FILTER_CHUNK])])
        for i in range(0, len(values), FILTER_CHUNK)
    ]


def action_result(
    device_id: str, action: DeviceAction, outcome: ActionOutcome, error: str | None = None
) -> DeviceActionResult:
    """One device's action result."""
    return DeviceActionResult(device_id=device_id, action=action, outcome=outcome, error=error)


def read_bulk_result(body: Any, chunk: Sequence[str], action: DeviceAction) -> list[DeviceActionResult]:
    """One result per id of ``chunk`` from an ``executeAction`` answer; an id it does not mention has failed."""
    data = body.get("value", body) if isinstance(body, dict) else {}
    data = data if isinstance(data, dict) else {}
    outcome_of: dict[str, ActionOutcome] = {}
    for key, outcome in _BULK_LISTS:
        for device_id in data.get(key) or []:
            outcome_of.setdefault(str(device_id), outcome)
    results = []
    for device_id in chunk:
        reported = outcome_of.get(device_id)
        if reported is None:
            results.append(
                action_result(device_id, action, ActionOutcome.FAILED, "executeAction did not report this device")
            )
        else:
            error = None if reported is ActionOutcome.SUCCEEDED else f"executeAction: {reported.value}"
            results.append(action_result(device_id, action, reported, error))
    return results
