"""Pure interpretation of host answers: OS facts, policy precedence, events, interactive users, dsregcmd."""

from __future__ import annotations

import pytest

from pinreset.exceptions import ParseError
from pinreset.remote import PolicySetting, PolicySource
from pinreset.remote._probes import (
    effective_policy,
    interactive_users,
    mdm_policy_keys,
    os_facts,
    parse_dsreg,
    policy_setting,
    recovery_events,
)

TENANT = "8d3f1a2b-0c4d-4e5f-9a6b-7c8d9e0f1a2b"
USER = "S-1-12-1-1111-2222-3333-4444"
OTHER = "S-1-5-21-1-2-3-1001"


def _setting(source: PolicySource, value: bool, sid: str | None = None) -> PolicySetting:
    return PolicySetting(source=source, value=value, registry_path="HKLM:\\x", user_sid=sid)


def test_gpo_wins_over_mdm_even_when_it_disables() -> None:
    """A GPO value of 0 blocks recovery although Intune enables it; MDM does not win."""
    policy = effective_policy(
        [_setting(PolicySource.MDM_DEVICE, True), _setting(PolicySource.GPO, False)], user_sid=USER
    )
    assert policy.enabled is False
    assert policy.source is PolicySource.GPO
    assert policy.mdm_wins is False
    assert policy.conflict is True
    assert policy.settings[0].source is PolicySource.GPO


def test_mdm_user_wins_over_mdm_device_for_that_user_only() -> None:
    """The signed-in user's MDM value beats the device value; another user's value never applies."""
    settings = [
        _setting(PolicySource.MDM_DEVICE, False),
        _setting(PolicySource.MDM_USER, True, USER),
        _setting(PolicySource.MDM_USER, False, OTHER),
    ]
    mine = effective_policy(settings, user_sid=USER)
    assert (mine.enabled, mine.source, mine.mdm_wins) == (True, PolicySource.MDM_USER, True)
    assert mine.conflict is True
    device_only = effective_policy(settings)
    assert (device_only.enabled, device_only.source) == (False, PolicySource.MDM_DEVICE)
    assert len(device_only.settings) == 3


def test_nothing_configured_is_unknown_not_false() -> None:
    """No value anywhere means not configured (enabled None), not disabled."""
    policy = effective_policy([])
    assert policy.enabled is None
    assert policy.source is PolicySource.NOT_CONFIGURED
    assert policy.mdm_wins is False


def test_agreeing_sources_are_no_conflict() -> None:
    """GPO and MDM both on: GPO wins, no conflict."""
    policy = effective_policy([_setting(PolicySource.GPO, True), _setting(PolicySource.MDM_DEVICE, True)])
    assert (policy.enabled, policy.source, policy.conflict) == (True, PolicySource.GPO, False)


def test_mdm_policy_keys_classify_device_and_user_nodes() -> None:
    """Only ...\\<tenant>\\Device|<SID>\\Policies keys holding EnablePinRecovery are read."""
    root = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Policies\\PassportForWork"
    keys = [
        {"Name": f"{root}\\{TENANT}", "Property": []},
        {"Name": f"{root}\\{TENANT}\\Device\\Policies", "Property": ["UsePassportForWork", "EnablePinRecovery"]},
        {"Name": f"{root}\\{TENANT}\\{USER}\\Policies", "Property": "EnablePinRecovery"},
        {"Name": f"{root}\\{TENANT}\\{OTHER}\\Policies", "Property": ["UsePassportForWork"]},
        {"Name": f"{root}\\not-a-guid\\Device\\Policies", "Property": ["EnablePinRecovery"]},
        {"Name": f"{root}\\{TENANT}\\S-1-12-1-\u0661\u0662\\Policies", "Property": ["EnablePinRecovery"]},
    ]
    found = mdm_policy_keys(keys)
    base = f"HKLM:\\SOFTWARE\\Microsoft\\Policies\\PassportForWork\\{TENANT}"
    assert found == [
        (f"{base}\\Device\\Policies", PolicySource.MDM_DEVICE, None),
        (f"{base}\\{USER}\\Policies", PolicySource.MDM_USER, USER),
    ]
    assert mdm_policy_keys(None) == []


def test_policy_setting_reads_dwords() -> None:
    """EnablePinRecovery DWORD -> bool; absent -> None; a string is unparseable."""
    assert policy_setting({"EnablePinRecovery": 1, "PSPath": "x"}, source=PolicySource.GPO, registry_path="k") == (
        PolicySetting(source=PolicySource.GPO, value=True, registry_path="k")
    )
    assert policy_setting({"Enabled": 1}, source=PolicySource.GPO, registry_path="k") is None
    assert policy_setting(None, source=PolicySource.GPO, registry_path="k") is None
    with pytest.raises(ParseError):
        policy_setting({"EnablePinRecovery": "yes"}, source=PolicySource.GPO, registry_path="k")


def test_os_facts_from_win32_operating_system() -> None:
    """Caption, version and numeric build; two objects or a non-numeric build are unparseable."""
    facts = os_facts({"Caption": "Microsoft Windows 11 Enterprise", "Version": "10.0.22631", "BuildNumber": "22631"})
    assert facts == ("Microsoft Windows 11 Enterprise", "10.0.22631", 22631)
    assert os_facts([{"Version": "10.0.19045"}])[2] == 19045
    with pytest.raises(ParseError):
        os_facts([{}, {}])
    with pytest.raises(ParseError):
        os_facts({"BuildNumber": "x"})


def test_recovery_events_parse_ps51_dates_and_sids() -> None:
    """PS 5.1 /Date(ms)/ becomes ISO 8601 UTC; SID objects and strings are both read; other ids dropped."""
    events = recovery_events(
        [
            {"Id": 8060, "TimeCreated": "/Date(1700000000000)/", "Message": "created", "UserId": USER.lower()},
            {"Id": 7060, "TimeCreated": "\\/Date(1690000000000)\\/", "UserId": {"Value": OTHER}},
            {"Id": 1234, "UserId": USER},
        ]
    )
    assert [e.event_id for e in events] == [8060, 7060]
    assert events[0].time_created == "2023-11-14T22:13:20Z"
    assert events[0].user_sid == USER
    assert events[0].shows_key
    assert not events[1].shows_key
    assert events[1].user_sid == OTHER
    with pytest.raises(ParseError):
        recovery_events([{"Id": "8060"}])


def test_interactive_users_by_sid_with_names() -> None:
    """Owners are keyed by SID, deduplicated, failed lookups and non-SIDs skipped, names attached by position."""
    sids = [
        {"Sid": USER, "ReturnValue": 0},
        {"Sid": USER, "ReturnValue": 0},
        {"Sid": None, "ReturnValue": 2},
        {"Sid": "S-1-5-21-1-2-3-1001; calc", "ReturnValue": 0},
    ]
    owners = [
        {"Domain": "AzureAD", "User": "alice", "ReturnValue": 0},
        {"Domain": "AzureAD", "User": "alice", "ReturnValue": 0},
        {"ReturnValue": 2},
        {"Domain": "X", "User": "y", "ReturnValue": 0},
    ]
    assert interactive_users(sids, owners) == [(USER, "AzureAD\\alice")]
    assert interactive_users({"Sid": USER, "ReturnValue": 0}, None) == [(USER, None)]
    assert interactive_users(None, None) == []


SAMPLE = """
+----------------------------------------------------------------------+
| Device State                                                         |
+----------------------------------------------------------------------+

             AzureAdJoined : YES
          EnterpriseJoined : NO
              DomainJoined : YES
                DomainName : CONTOSO
               Device Name : PC-01.contoso.com

+----------------------------------------------------------------------+
| User State                                                           |
+----------------------------------------------------------------------+

                    NgcSet : YES
                  CanReset : DestructiveAndNonDestructive
           WorkplaceJoined : NO
"""


def test_parse_dsreg_reads_join_and_user_fields() -> None:
    """Join flags, NgcSet and CanReset are read from text or from PowerShell's list of lines."""
    view = parse_dsreg(SAMPLE)
    assert view.join_type == "hybrid_joined"
    assert view.verdict == "ready"
    assert view.ngc_set is True
    assert view.can_reset == "DestructiveAndNonDestructive"
    assert view.non_destructive is True
    assert view.device_name == "PC-01.contoso.com"
    assert parse_dsreg(SAMPLE.splitlines()) == view


@pytest.mark.parametrize("text", ["", "<html>502 Bad Gateway</html>", SAMPLE[: SAMPLE.index("User State")]])
def test_parse_dsreg_refuses_garbage_and_truncation(text: str) -> None:
    """Garbage and output cut before the User State raise ParseError (reported as unparseable)."""
    with pytest.raises(ParseError):
        parse_dsreg(text)


def test_answers_are_sorted_by_shape_not_position() -> None:
    """Statements that wrote nothing leave no gap: every value is recognised by its properties."""
    from pinreset.remote._probes import sort_answers

    answers = sort_answers(
        [
            {"Caption": "Windows", "Version": "10.0.22631", "BuildNumber": "22631"},
            ["+----+", "| Device State |", "AzureAdJoined : YES"],
            [{"Sid": USER, "ReturnValue": 0}],
            {"Domain": "AzureAD", "User": "alice", "ReturnValue": 0},
            {"Id": 8060, "TimeCreated": "/Date(0)/", "UserId": USER},
            [{"Name": "HKEY_LOCAL_MACHINE\\SOFTWARE\\x", "Property": []}],
        ]
    )
    assert len(answers.os) == 1
    assert answers.dsreg_lines[2] == "AzureAdJoined : YES"
    assert answers.owner_sids == [{"Sid": USER, "ReturnValue": 0}]
    assert len(answers.owners) == 1
    assert len(answers.events) == 1
    assert len(answers.registry_keys) == 1
    assert answers.item_properties == []
    with pytest.raises(ParseError, match="unexpected object"):
        sort_answers([{"Surprise": 1}])


def test_item_properties_are_keyed_by_registry_path() -> None:
    """PSPath with the registry provider prefix maps back to the HKLM: path that was asked for."""
    from pinreset.remote._probes import item_properties_by_key

    path = "Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork"
    found = item_properties_by_key({"EnablePinRecovery": 0, "PSPath": path})
    assert found["hklm:\\software\\policies\\microsoft\\passportforwork"]["EnablePinRecovery"] == 0
    assert item_properties_by_key(None) == {}
    with pytest.raises(ParseError):
        item_properties_by_key([{"PSPath": "C:\\Windows"}])
