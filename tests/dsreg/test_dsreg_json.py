"""JSON form of a status: stable keys, plain values, exact round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pinreset import DsregStatus, ParseError, parse_dsregcmd

DATA = Path(__file__).resolve().parents[1] / "data" / "dsregcmd"
TOP_KEYS = [
    "device_state",
    "device_details",
    "tenant_details",
    "user_state",
    "sso_state",
    "diagnostic_data",
    "ie_proxy_config",
    "winhttp_proxy_config",
    "ngc_prerequisite_check",
    "work_accounts",
    "join_type",
    "legacy_layout",
    "sections",
    "other_lines",
]


@pytest.mark.parametrize("path", sorted(DATA.glob("*.txt")), ids=lambda p: p.name)
def test_json_round_trip_is_exact(path: Path) -> None:
    """to_json then from_json gives an equal status with equal typed sections."""
    status = parse_dsregcmd(path.read_text(encoding="utf-8"))
    again = DsregStatus.from_json(status.to_json())
    assert again == status
    assert again.to_dict() == status.to_dict()
    assert again.user_state == status.user_state
    assert again.work_accounts == status.work_accounts


def test_json_shape_and_values() -> None:
    """Keys are stable and in order; GUIDs, times and enums become plain strings."""
    status = parse_dsregcmd((DATA / "win11-entra-joined-ready.txt").read_text(encoding="utf-8"))
    data = json.loads(status.to_json())
    assert list(data) == TOP_KEYS
    assert data["join_type"] == "entra_joined"
    assert data["device_details"]["device_id"] == "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
    assert data["sso_state"]["azure_ad_prt_update_time"] == "2026-11-23T16:05:41+00:00"
    assert data["user_state"]["can_reset"] == "DestructiveAndNonDestructive"
    assert data["user_state"]["ngc_set"] is True
    assert data["ngc_prerequisite_check"]["pre_req_result"] == "WillProvision"
    assert data["device_state"]["extra"] == {}
    assert data["sections"]["User State"]["CanReset"] == "DestructiveAndNonDestructive"
    # The field list of a model does not depend on what was printed: absent values are null.
    assert data["device_state"]["domain_name"] is None
    assert list(data["user_state"])[:3] == ["ngc_set", "ngc_key_id", "can_reset"]


def test_work_accounts_in_json() -> None:
    """Work accounts appear as a list with their number."""
    status = parse_dsregcmd((DATA / "win11-registered-work-accounts.txt").read_text(encoding="utf-8"))
    data = status.to_dict()
    assert [account["number"] for account in data["work_accounts"]] == [1, 2]
    assert data["join_type"] == "registered"


@pytest.mark.parametrize(
    "bad",
    [
        "[1, 2]",
        '{"sections": []}',
        '{"sections": {"User State": {"NgcSet": true}}}',
        '{"sections": {}, "other_lines": "x"}',
        '{"sections": {}, "legacy_layout": "no"}',
        "not json",
    ],
)
def test_bad_json_is_a_parse_error(bad: str) -> None:
    """JSON of the wrong shape raises ParseError naming the place."""
    with pytest.raises(ParseError, match="dsregcmd JSON"):
        DsregStatus.from_json(bad)
