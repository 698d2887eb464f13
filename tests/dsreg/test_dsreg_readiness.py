"""assess(): every row of the decision table in docs/readiness.md, and its caveats."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinreset import Readiness, Verdict, assess, parse_dsregcmd
from pinreset.dsreg import readiness as table

DATA = Path(__file__).resolve().parents[1] / "data" / "dsregcmd"


def _assess(name: str) -> Readiness:
    return assess(parse_dsregcmd((DATA / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("name", "verdict", "first_reason"),
    [
        ("win11-entra-joined-ready.txt", Verdict.READY, table.READY.format(value="DestructiveAndNonDestructive")),
        ("can-reset-nondestructive-only.txt", Verdict.READY, table.READY.format(value="NonDestructiveOnly")),
        ("win11-hybrid-destructive-only.txt", Verdict.DESTRUCTIVE_ONLY, table.DESTRUCTIVE),
        ("can-reset-unknown.txt", Verdict.UNKNOWN, table.CAN_RESET_UNKNOWN),
        (
            "can-reset-unseen-value.txt",
            Verdict.UNKNOWN,
            table.CAN_RESET_UNSEEN.format(value="DestructiveAndNonDestructivePlus"),
        ),
        ("win11-registered-work-accounts.txt", Verdict.NOT_ELIGIBLE, table.REGISTERED),
        ("win10-domain-joined-only.txt", Verdict.NOT_ELIGIBLE, table.DOMAIN_ONLY),
        (
            "win11-device-auth-failed.txt",
            Verdict.NOT_ELIGIBLE,
            table.AUTH_FAILED.format(status="FAILED. Device is either disabled or deleted"),
        ),
        ("win11-remote-no-container-policy-missing.txt", Verdict.NO_WINDOWS_HELLO, table.NO_CONTAINER),
        ("win11-as-system.txt", Verdict.UNKNOWN, table.AS_SYSTEM.format(account="NT AUTHORITY\\SYSTEM")),
        ("win10-1607-legacy.txt", Verdict.NO_WINDOWS_HELLO, table.NO_CONTAINER),
        ("console-wrap-80.txt", Verdict.UNKNOWN, table.NO_SECTIONS),
    ],
)
def test_fixture_verdicts(name: str, verdict: Verdict, first_reason: str) -> None:
    """Each fixture lands on its row of the decision table, deciding reason first."""
    readiness = _assess(name)
    assert readiness.verdict is verdict
    assert readiness.reasons[0] == first_reason
    assert readiness.ready is (verdict is Verdict.READY)


def test_destructive_only_says_how_to_apply_the_policy() -> None:
    """DestructiveOnly comes with the sync, restart and sign-in advice."""
    assert table.DESTRUCTIVE_NEXT_STEP in _assess("win11-hybrid-destructive-only.txt").reasons


def test_no_container_lists_the_failed_prerequisites_and_the_remote_caveat() -> None:
    """PolicyEnabled NO and WillNotProvision explain NgcSet NO; SessionIsNotRemote NO adds the caveat."""
    reasons = _assess("win11-remote-no-container-policy-missing.txt").reasons
    assert reasons == (table.NO_CONTAINER, table.POLICY_NOT_APPLIED, table.WILL_NOT_PROVISION, table.REMOTE_SESSION)


def test_elevated_session_keeps_the_verdict_and_adds_a_caveat() -> None:
    """An elevated capture still reads CanReset but warns that User State may be the wrong account."""
    readiness = _assess("win11-elevated-session.txt")
    assert readiness.verdict is Verdict.READY
    caveat = readiness.reasons[-1]
    assert caveat.startswith("The output was captured in an elevated session")
    assert "User Context is 'ELEVATED User'" in caveat
    assert "WamDefaultSet is ERROR" in caveat


def test_device_not_eligible_for_hello() -> None:
    """NgcSet NO on a device that fails DeviceEligible is NOT_ELIGIBLE, not just no container."""
    status = parse_dsregcmd(
        "| Device State |\n AzureAdJoined : YES\n EnterpriseJoined : NO\n DomainJoined : NO\n"
        "| User State |\n NgcSet : NO\n| Ngc Prerequisite Check |\n DeviceEligible : NO\n PolicyEnabled : YES\n"
        " PreReqResult : WillNotProvision\n"
    )
    readiness = assess(status)
    assert readiness.verdict is Verdict.NOT_ELIGIBLE
    assert readiness.reasons == (table.NOT_HELLO_ELIGIBLE, table.WILL_NOT_PROVISION)


@pytest.mark.parametrize(
    ("text", "verdict", "reason"),
    [
        (
            "| Device State |\n AzureAdJoined : NO\n EnterpriseJoined : NO\n DomainJoined : NO\n",
            Verdict.NOT_ELIGIBLE,
            table.NOT_JOINED,
        ),
        (
            "| Device State |\n AzureAdJoined : NO\n EnterpriseJoined : YES\n DomainJoined : YES\n",
            Verdict.NOT_ELIGIBLE,
            table.ON_PREM_DRS,
        ),
        (
            "| Device State |\n AzureAdJoined : YES\n EnterpriseJoined : NO\n DomainJoined : NO\n",
            Verdict.UNKNOWN,
            table.NO_USER_STATE,
        ),
        ("| User State |\n NgcSet : YES\n", Verdict.UNKNOWN, table.CAN_RESET_MISSING),
        ("| User State |\n WorkplaceJoined : NO\n", Verdict.UNKNOWN, table.NGC_SET_MISSING),
        (
            "| User State |\n NgcSet : NO\n| Ngc Prerequisite Check |\n PostLogonEnabled : NO\n"
            " PreReqResult : WillProvision\n",
            Verdict.NO_WINDOWS_HELLO,
            table.NO_CONTAINER,
        ),
    ],
)
def test_decision_table_rows(text: str, verdict: Verdict, reason: str) -> None:
    """The remaining rows, from minimal outputs."""
    readiness = assess(parse_dsregcmd(text))
    assert readiness.verdict is verdict
    assert readiness.reasons[0] == reason


def test_partial_output_without_device_state_is_flagged() -> None:
    """A User State paste alone can be ready, with the caveat that the join type was not checked."""
    readiness = assess(parse_dsregcmd("| User State |\n NgcSet : YES\n CanReset : DestructiveAndNonDestructive\n"))
    assert readiness.verdict is Verdict.READY
    assert readiness.reasons[-1] == table.NO_DEVICE_STATE


def test_post_logon_and_will_provision_reasons() -> None:
    """PostLogonEnabled NO and WillProvision each add their sentence."""
    readiness = assess(
        parse_dsregcmd(
            "| User State |\n NgcSet : NO\n| Ngc Prerequisite Check |\n PostLogonEnabled : NO\n"
            " PreReqResult : WillProvision\n"
        )
    )
    assert table.NO_POST_LOGON in readiness.reasons
    assert table.WILL_PROVISION in readiness.reasons


def test_verdict_values_are_stable_strings() -> None:
    """The JSON values of the verdicts do not change."""
    assert [v.value for v in Verdict] == ["ready", "destructive_only", "no_windows_hello", "not_eligible", "unknown"]


def test_assess_rejects_other_types() -> None:
    """assess() takes a DsregStatus only."""
    with pytest.raises(TypeError, match="DsregStatus"):
        assess("NgcSet : YES")  # type: ignore[arg-type]
