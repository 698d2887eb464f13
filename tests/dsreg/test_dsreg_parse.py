"""Typed values read from the project's own dsregcmd fixtures, one real layout per file."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

import pinreset
from pinreset import CanReset, DsregParseError, JoinState, PreReqResult, parse_dsregcmd

DATA = Path(__file__).resolve().parents[1] / "data" / "dsregcmd"


def _parse(name: str) -> pinreset.DsregStatus:
    return parse_dsregcmd((DATA / name).read_text(encoding="utf-8"))


def test_entra_joined_windows_11_every_section_typed() -> None:
    """A whole Entra joined output gives every section model with typed values."""
    status = _parse("win11-entra-joined-ready.txt")
    device = status.device_state
    assert device is not None
    assert (device.azure_ad_joined, device.enterprise_joined, device.domain_joined) == (True, False, False)
    assert device.device_name == "FAB-LT-1138"
    assert device.virtual_desktop == "NOT SET"
    assert device.join_type is JoinState.ENTRA_JOINED
    details = status.device_details
    assert details is not None
    assert details.device_id == uuid.UUID("9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d")
    assert details.tpm_protected is True
    assert details.device_auth_status == "SUCCESS"
    assert details.certificate_valid_until == datetime(2034, 9, 17, 12, 31, 44, tzinfo=timezone.utc)
    tenant = status.tenant_details
    assert tenant is not None
    assert tenant.tenant_id == uuid.UUID("4c1d9e2f-7a3b-4d5c-8e6f-0a1b2c3d4e5f")
    assert tenant.tenant_name == "Fabrikam"
    assert tenant.mdm_url == "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"
    assert tenant.settings_url == ""  # printed empty, unlike a key that is not printed at all (None)
    assert tenant.web_auth_n_srv_version == "1.0"
    user = status.user_state
    assert user is not None
    assert user.ngc_set is True
    assert user.ngc_key_id == uuid.UUID("7c2e4a6b-8d0f-4b1c-9e3a-5d7f9b1c3e5a")
    assert user.can_reset is CanReset.DESTRUCTIVE_AND_NON_DESTRUCTIVE
    assert (user.workplace_joined, user.wam_default_set) == (False, True)
    sso = status.sso_state
    assert sso is not None
    assert sso.azure_ad_prt is True
    assert sso.azure_ad_prt_update_time == datetime(2026, 11, 23, 16, 5, 41, tzinfo=timezone.utc)
    assert sso.azure_ad_prt_update_time.utcoffset() is not None
    assert sso.cloud_tgt is True
    diagnostic = status.diagnostic_data
    assert diagnostic is not None
    assert diagnostic.key_sign_test == "PASSED"
    assert diagnostic.last_host_name_update == "NONE"
    ngc = status.ngc_prerequisite_check
    assert ngc is not None
    assert (ngc.is_device_joined, ngc.policy_enabled, ngc.session_is_not_remote) == (True, True, True)
    assert ngc.pre_req_result is PreReqResult.WILL_PROVISION
    assert ngc.on_prem_tgt is False
    assert status.ie_proxy_config is not None
    assert status.ie_proxy_config.auto_detect_settings is True
    assert status.winhttp_proxy_config is not None
    assert status.winhttp_proxy_config.access_type == "DIRECT"
    assert status.work_accounts == []
    assert status.other_lines == ("For more information, please visit https://www.microsoft.com/aadjerrors",)
    assert status.legacy_layout is False


def test_hybrid_joined_reads_domain_and_enterprise_prt() -> None:
    """Hybrid join: domain name, AD FS PRT times and the join matrix."""
    status = _parse("win11-hybrid-destructive-only.txt")
    assert status.join_type is JoinState.HYBRID_JOINED
    assert status.device_state is not None
    assert status.device_state.domain_name == "FABRIKAM"
    assert status.sso_state is not None
    assert status.sso_state.enterprise_prt is True
    assert status.sso_state.enterprise_prt_expiry_time == datetime(2026, 11, 24, 2, 5, 39, tzinfo=timezone.utc)
    assert status.user_state is not None
    assert status.user_state.can_reset is CanReset.DESTRUCTIVE_ONLY


def test_domain_only_has_no_device_details_and_uses_cloud_tgt() -> None:
    """Domain joined only: no Device Details section, CloudTGT (pre-23H2 name) still typed."""
    status = _parse("win10-domain-joined-only.txt")
    assert status.join_type is JoinState.DOMAIN_JOINED
    assert status.device_details is None
    assert status.tenant_details is None
    assert status.ngc_prerequisite_check is not None
    assert status.ngc_prerequisite_check.cloud_tgt is False
    assert status.ngc_prerequisite_check.pre_req_result is PreReqResult.WILL_NOT_PROVISION
    assert status.diagnostic_data is not None
    assert status.diagnostic_data.key_sign_test == "MUST Run elevated to test."


def test_registered_device_keeps_user_state_and_work_account_keys_apart() -> None:
    """NgcSet of User State and of each Work Account N stays in its own section."""
    status = _parse("win11-registered-work-accounts.txt")
    assert status.join_type is JoinState.REGISTERED
    assert status.user_state is not None
    assert status.user_state.ngc_set is False
    assert status.user_state.work_account_count == 2
    assert [account.number for account in status.work_accounts] == [1, 2]
    assert [account.ngc_set for account in status.work_accounts] == [True, False]
    assert status.work_accounts[1].workplace_tenant_name == "Northwind Traders"
    assert status.work_accounts[0].workplace_tenant_id == uuid.UUID("4c1d9e2f-7a3b-4d5c-8e6f-0a1b2c3d4e5f")
    assert status.sections["User State"]["NgcSet"] == "NO"
    assert status.sections["Work Account 1"]["NgcSet"] == "YES"


def test_legacy_1607_layout_builds_device_tenant_and_sso_models() -> None:
    """The 1607 `Key: value` layout: tenant and device keys under Device State still type their models."""
    status = _parse("win10-1607-legacy.txt")
    assert status.legacy_layout is True
    assert status.join_type is JoinState.HYBRID_JOINED
    assert status.device_details is not None
    assert status.device_details.device_id == uuid.UUID("2d4f6a8c-0e1b-4c3d-a5e7-f9a1b3c5d7e9")
    assert status.device_details.tpm_protected is False
    assert status.tenant_details is not None
    assert status.tenant_details.tenant_name == "Fabrikam"
    assert status.tenant_details.mdm_url == ""
    assert status.sso_state is not None
    assert status.sso_state.azure_ad_prt is True
    assert status.diagnostic_data is not None
    assert status.diagnostic_data.key_sign_test == "MUST Run elevated to test."
    # Printed content stays where it was printed.
    assert status.sections["Device State"]["TenantId"] == "4c1d9e2f-7a3b-4d5c-8e6f-0a1b2c3d4e5f"
    assert status.device_state is not None
    assert "TenantId" in status.device_state.extra


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("win11-entra-joined-ready.txt", CanReset.DESTRUCTIVE_AND_NON_DESTRUCTIVE),
        ("win11-hybrid-destructive-only.txt", CanReset.DESTRUCTIVE_ONLY),
        ("can-reset-nondestructive-only.txt", CanReset.NON_DESTRUCTIVE_ONLY),
        ("can-reset-unknown.txt", CanReset.UNKNOWN),
    ],
)
def test_each_can_reset_value(name: str, expected: CanReset) -> None:
    """Every documented CanReset value becomes its enum member."""
    status = _parse(name)
    assert status.user_state is not None
    assert status.user_state.can_reset is expected
    assert expected.is_known


def test_unseen_can_reset_value_is_kept_not_rejected() -> None:
    """A CanReset value Microsoft has not documented is kept with its text."""
    status = _parse("can-reset-unseen-value.txt")
    assert status.user_state is not None
    can_reset = status.user_state.can_reset
    assert isinstance(can_reset, CanReset)
    assert can_reset == "DestructiveAndNonDestructivePlus"
    assert can_reset.value == "DestructiveAndNonDestructivePlus"
    assert not can_reset.is_known
    assert not can_reset.non_destructive


def test_not_plain_yes_no_values_keep_their_text() -> None:
    """ERROR, NOT SET and YES ( StateReady ) never crash; what is known is typed and the text is kept."""
    elevated = _parse("win11-elevated-session.txt")
    assert elevated.user_state is not None
    assert elevated.user_state.wam_default_set is None
    assert elevated.user_state.raw == {"wam_default_set": "ERROR"}
    status = parse_dsregcmd(
        "| Ngc Prerequisite Check |\n LogonCertTemplateReady : YES ( StateReady )\n AdfsRaIsReady : NOT SET\n"
    )
    ngc = status.ngc_prerequisite_check
    assert ngc is not None
    assert ngc.logon_cert_template_ready is True
    assert ngc.adfs_ra_is_ready is None
    assert ngc.raw == {"logon_cert_template_ready": "YES ( StateReady )", "adfs_ra_is_ready": "NOT SET"}


def test_redacted_ids_stay_strings() -> None:
    """Redacted GUIDs (xxxx, [REDACTED_GUID]) are kept as text, real ones become UUIDs."""
    status = parse_dsregcmd(
        "| Device Details |\n DeviceId : 72b988bf-xxxx-xxxx-xxxx-2d7cd011xxxx\n"
        " KeyContainerId : [REDACTED_GUID]\n| Tenant Details |\n TenantId : {4C1D9E2F-7A3B-4D5C-8E6F-0A1B2C3D4E5F}\n"
    )
    assert status.device_details is not None
    assert status.device_details.device_id == "72b988bf-xxxx-xxxx-xxxx-2d7cd011xxxx"
    assert status.device_details.key_container_id == "[REDACTED_GUID]"
    assert status.tenant_details is not None
    assert status.tenant_details.tenant_id == uuid.UUID("4c1d9e2f-7a3b-4d5c-8e6f-0a1b2c3d4e5f")


def test_unknown_sections_and_keys_are_kept() -> None:
    """A newer build's unknown section and key survive in sections and in extra."""
    status = parse_dsregcmd(
        "| Device State |\n AzureAdJoined : YES\n ShinyNewFlag : maybe\n| Quantum Readiness |\n Qubits : 7\n"
    )
    assert status.sections["Quantum Readiness"] == {"Qubits": "7"}
    assert status.device_state is not None
    assert status.device_state.extra == {"ShinyNewFlag": "maybe"}
    assert status.sections["Device State"] == {"AzureAdJoined": "YES", "ShinyNewFlag": "maybe"}


def test_absent_sections_are_none() -> None:
    """Only the printed sections have models."""
    status = parse_dsregcmd("| User State |\n NgcSet : NO\n")
    assert status.user_state is not None
    for attr in ("device_state", "device_details", "tenant_details", "sso_state", "diagnostic_data"):
        assert getattr(status, attr) is None
    assert status.ngc_prerequisite_check is None
    assert status.join_type is JoinState.UNKNOWN


def test_text_without_structure_raises_with_line_number() -> None:
    """Plain text is rejected with the reason and the first line's number."""
    with pytest.raises(DsregParseError) as info:
        parse_dsregcmd("\n\nHello there\nnothing to see : here\n")
    assert info.value.line_number == 3
    assert "not dsregcmd /status output" in str(info.value)
    assert "Hello there" in str(info.value)


def test_empty_text_raises() -> None:
    """Empty or blank text is rejected."""
    with pytest.raises(DsregParseError, match="empty"):
        parse_dsregcmd("  \n\t\n")


def test_bytes_to_the_text_parser_raise_a_parse_error() -> None:
    """Passing bytes to parse_dsregcmd is a DsregParseError that points at parse_dsregcmd_bytes."""
    with pytest.raises(DsregParseError, match="parse_dsregcmd_bytes"):
        parse_dsregcmd(b"| User State |")  # type: ignore[arg-type]


def test_status_is_a_frozen_value() -> None:
    """Statuses compare by printed content and cannot be modified."""
    text = (DATA / "win11-entra-joined-ready.txt").read_text(encoding="utf-8")
    first, second = parse_dsregcmd(text), parse_dsregcmd(text)
    assert first == second
    assert first.user_state == second.user_state
    with pytest.raises(AttributeError):
        first.legacy_layout = True  # type: ignore[misc]
    assert first.user_state is not None
    with pytest.raises(AttributeError):
        first.user_state.ngc_set = False  # type: ignore[misc]
