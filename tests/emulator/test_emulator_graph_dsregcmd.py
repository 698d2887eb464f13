"""The simulated devices' ``dsregcmd /status`` text reads back exactly through ``pinreset.parse_dsregcmd``."""

from __future__ import annotations

import re

import attrs
import pytest

from pinreset.emulator._tenant import Tenant

dsreg = pytest.importorskip("pinreset.dsreg")

_FIELD = re.compile(r"^ *(\S.*?) : ?(.*)$")


def _printed(text: str) -> dict[str, dict[str, str]]:
    """Section title -> key -> value, straight from the rendered lines (the renderer's own account)."""
    sections: dict[str, dict[str, str]] = {}
    title = ""
    for line in text.splitlines():
        if line.startswith("| "):
            title = line.strip("| ").strip()
            sections[title] = {}
        elif title and (match := _FIELD.match(line)) and not line.startswith("+"):
            sections[title][match.group(1)] = match.group(2)
    return sections


def _no_unknown_keys(status: object) -> None:
    for name in ("device_state", "device_details", "tenant_details", "user_state", "sso_state", "diagnostic_data",
                 "ngc_prerequisite_check"):
        section = getattr(status, name)
        if section is not None:
            assert dict(section.extra) == {}, name
            assert dict(section.raw) == {}, name


@pytest.mark.parametrize("account", ["user", "admin"])
def test_every_device_round_trips(account: str) -> None:
    """Every device's output parses with all printed keys known, the same sections, and values matching facts."""
    tenant = Tenant.generate(seed=4, devices=60)
    for device_id in tenant.devices:
        facts = tenant.device_facts(device_id)
        text = tenant.render_dsregcmd(device_id, account=account)
        status = dsreg.parse_dsregcmd(text)
        assert {t: dict(v) for t, v in status.sections.items()} == _printed(text)
        _no_unknown_keys(status)
        assert status.device_state.device_name.split(".")[0] == facts.device_name
        assert status.device_state.azure_ad_joined is (facts.join_type in ("azureADJoined", "hybridAzureADJoined"))
        assert status.device_state.domain_joined is (facts.join_type == "hybridAzureADJoined")
        user_view = account == "user" and facts.signed_in_user_upn is not None
        assert status.user_state.ngc_set is (user_view and facts.ngc_set)
        expected_reset = facts.can_reset if user_view else None
        printed_reset = status.user_state.can_reset
        assert (printed_reset.value if printed_reset is not None else None) == expected_reset
        if status.tenant_details is not None:
            assert str(status.tenant_details.tenant_id) == tenant.tenant_id
        assert status.ngc_prerequisite_check.session_is_not_remote is (account == "user")


def test_ready_device_reads_as_non_destructive() -> None:
    """After policy, sync and restart, the parser reads CanReset DestructiveAndNonDestructive for the user."""
    tenant = Tenant.generate(seed=4, devices=20)
    device = next(d for d in tenant.devices.values() if d.join_type == "azureADJoined")
    tenant.set_device_state(device.id, signed_in_user_id=device.user_id, ngc_set=True, os_version="10.0.26100.1")
    profile = tenant.create_profile("deviceConfiguration", {
        "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration", "displayName": "p",
        "pinRecoveryEnabled": True})
    tenant.assign("deviceConfiguration", profile.id,
                  {"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]})
    tenant.sync_device(device.id)
    tenant.restart_device(device.id)
    status = dsreg.parse_dsregcmd(tenant.render_dsregcmd(device.device_name))
    assert status.user_state.can_reset == dsreg.CanReset.DESTRUCTIVE_AND_NON_DESTRUCTIVE
    assert attrs.has(type(status.user_state))
