"""The one converter: camelCase with acronyms, Graph timestamps, tolerant enums, tagged assignment targets."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pinreset._converter import (
    format_datetime,
    graph_name,
    parse_datetime,
    structure,
    structure_target,
    unstructure,
    unstructure_target,
)
from pinreset.exceptions import ParseError
from pinreset.models import (
    AllDevicesTarget,
    AllUsersTarget,
    ExclusionGroupTarget,
    GroupTarget,
    JoinType,
    ManagedDevice,
    ServicePrincipal,
    UnknownTarget,
)


def test_graph_names_use_the_rename_table() -> None:
    """Acronyms and OData annotations come from the table, everything else is plain camelCase."""
    assert graph_name("azure_ad_device_id") == "azureADDeviceId"
    assert graph_name("odata_type") == "@odata.type"
    assert graph_name("user_principal_name") == "userPrincipalName"
    assert graph_name("last_sync", ManagedDevice) == "lastSyncDateTime"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:11:12Z", datetime(2024, 5, 1, 10, 11, 12, tzinfo=timezone.utc)),
        ("2024-05-01T10:11:12.1234567Z", datetime(2024, 5, 1, 10, 11, 12, 123456, tzinfo=timezone.utc)),
        ("2024-05-01T10:11:12.5+02:00", datetime(2024, 5, 1, 8, 11, 12, 500000, tzinfo=timezone.utc)),
        ("2024-05-01T10:11:12", datetime(2024, 5, 1, 10, 11, 12, tzinfo=timezone.utc)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=timezone.utc)),
    ],
)
def test_parse_graph_timestamps(text: str, expected: datetime) -> None:
    """Graph's timestamp spellings all become aware UTC datetimes."""
    assert parse_datetime(text) == expected


def test_format_datetime_writes_z() -> None:
    """Timestamps are written in UTC with a Z suffix."""
    assert format_datetime(datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)) == "2024-05-01T10:00:00Z"


def test_managed_device_round_trip() -> None:
    """A managed device reads from Graph JSON and writes back with the same names."""
    raw = {
        "id": "d1",
        "deviceName": "PC-1",
        "azureADDeviceId": "aad-1",
        "joinType": "hybridAzureADJoined",
        "deviceEnrollmentType": "windowsCoManagement",
        "lastSyncDateTime": "2024-05-01T10:11:12Z",
        "operatingSystem": "Windows",
        "osVersion": "10.0.22631.4460",
        "unmodelledProperty": 1,
    }
    device = structure(raw, ManagedDevice)
    assert device.azure_ad_device_id == "aad-1"
    assert device.join_type is JoinType.HYBRID_JOINED
    assert device.enrollment_type == "windowsCoManagement"
    assert device.os_build == 22631
    back = unstructure(device)
    assert {k: v for k, v in raw.items() if k != "unmodelledProperty"} == back


def test_unknown_enum_value_becomes_unknown() -> None:
    """A join type Microsoft adds later does not break reading."""
    device = structure({"id": "d", "deviceName": "n", "joinType": "somethingNew"}, ManagedDevice)
    assert device.join_type is JoinType.UNKNOWN


def test_structure_error_is_parse_error_with_path() -> None:
    """A missing required property raises ParseError naming the field, not a cattrs exception."""
    with pytest.raises(ParseError, match=r"required field missing @ \$\.id"):
        structure({"appId": "x"}, ServicePrincipal)
    with pytest.raises(ParseError, match=r"lastSyncDateTime|last_sync"):
        structure({"id": "d", "deviceName": "n", "lastSyncDateTime": "yesterday"}, ManagedDevice)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}, AllUsersTarget()),
        ({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}, AllDevicesTarget()),
        (
            {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "groupId": "g1",
                "deviceAndAppManagementAssignmentFilterId": None,
                "deviceAndAppManagementAssignmentFilterType": "none",
            },
            GroupTarget(group_id="g1"),
        ),
        (
            {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "groupId": "g1",
                "deviceAndAppManagementAssignmentFilterId": "f1",
                "deviceAndAppManagementAssignmentFilterType": "include",
            },
            GroupTarget(group_id="g1", filter_id="f1", filter_type="include"),
        ),
        (
            {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g2"},
            ExclusionGroupTarget(group_id="g2"),
        ),
    ],
)
def test_targets_read_by_odata_type(raw: dict[str, object], expected: object) -> None:
    """Each documented target type reads into its model; a 'none' filter reads as no filter."""
    assert structure_target(raw) == expected


def test_target_round_trip_writes_odata_type() -> None:
    """Written targets carry their @odata.type and omit unset filters."""
    assert unstructure_target(GroupTarget(group_id="g")) == {
        "@odata.type": "#microsoft.graph.groupAssignmentTarget",
        "groupId": "g",
    }
    target = GroupTarget(group_id="g", filter_id="f", filter_type="exclude")
    assert structure_target(unstructure_target(target)) == target


def test_unknown_target_type_is_kept_whole() -> None:
    """An unmodelled target type survives a read-modify-write unchanged."""
    raw = {
        "@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
        "collectionId": "SMS00001",
    }
    target = structure_target(raw)
    assert isinstance(target, UnknownTarget)
    assert target.odata_type == raw["@odata.type"]
    assert unstructure_target(target) == raw


def test_target_without_required_field_is_parse_error() -> None:
    """A group target without groupId is a ParseError."""
    with pytest.raises(ParseError, match=r"group_id|groupId"):
        structure_target({"@odata.type": "#microsoft.graph.groupAssignmentTarget"})
