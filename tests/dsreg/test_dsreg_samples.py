"""Every published output in ../shared/dsregcmd-samples reads as its expected.json says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pinreset import DsregStatus, parse_dsregcmd_bytes

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "dsregcmd-samples"
EXPECTED: dict[str, dict[str, Any]] = (
    json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8")) if (SAMPLES / "expected.json").is_file() else {}
)

pytestmark = pytest.mark.skipif(not EXPECTED, reason="../shared/dsregcmd-samples is not present")


def _tenant_id_present(status: DsregStatus) -> bool:
    return any(items.get("TenantId") for items in status.sections.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_matches_expected(name: str) -> None:
    """Join flags, NgcSet order, CanReset, PreReqResult, TenantId and the section count match."""
    expected = EXPECTED[name]
    status = parse_dsregcmd_bytes((SAMPLES / name).read_bytes())
    assert len(status.sections) == expected["sections"]
    assert _tenant_id_present(status) is expected["tenant_id_present"]
    device = status.device_state
    for flag in ("azure_ad_joined", "enterprise_joined", "domain_joined"):
        if flag in expected:
            assert device is not None
            assert getattr(device, flag) is expected[flag], flag
    if "workplace_joined" in expected:
        assert status.user_state is not None
        assert status.user_state.workplace_joined is expected["workplace_joined"]
    if "ngc_set" in expected:
        assert status.user_state is not None
        found = [status.user_state.ngc_set] + [account.ngc_set for account in status.work_accounts]
        assert found == expected["ngc_set"]
    if "can_reset" in expected:
        assert status.user_state is not None
        assert status.user_state.can_reset == expected["can_reset"]
        assert status.user_state.can_reset is not None
        assert status.user_state.can_reset.is_known
    if "pre_req_result" in expected:
        assert status.ngc_prerequisite_check is not None
        assert status.ngc_prerequisite_check.pre_req_result == expected["pre_req_result"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_typed_attributes_and_round_trip(name: str) -> None:
    """Every sample types its ids and times, assesses, and survives a JSON round trip."""
    status = parse_dsregcmd_bytes((SAMPLES / name).read_bytes())
    details = status.device_details
    if details is not None and details.device_id is not None:
        assert str(details.device_id).count("-") == 4
    sso = status.sso_state
    if sso is not None and sso.azure_ad_prt_update_time is not None:
        assert sso.azure_ad_prt_update_time.utcoffset() is not None
    assert status.assess().reasons
    assert DsregStatus.from_json(status.to_json()) == status
