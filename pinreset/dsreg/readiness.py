"""Judge from one ``dsregcmd /status`` output whether the user can do a non-destructive PIN reset.

:func:`assess` applies the decision table documented in ``docs/readiness.md``: the first matching row sets the
verdict and its reason; caveats about how the output was captured are added after it. Every reason is a
plain sentence meant for an admin.
"""

from __future__ import annotations

import enum

import attrs

from pinreset.dsreg._values import CanReset, JoinState, PreReqResult
from pinreset.dsreg.status import DsregStatus

__all__ = ["Readiness", "Verdict", "assess"]


class Verdict(str, enum.Enum):
    """The outcome of :func:`assess`."""

    READY = "ready"
    """The container supports non-destructive PIN reset (CanReset DestructiveAndNonDestructive/NonDestructiveOnly)."""
    DESTRUCTIVE_ONLY = "destructive_only"
    """The user has a container, but resetting the PIN would delete it (CanReset DestructiveOnly)."""
    NO_WINDOWS_HELLO = "no_windows_hello"
    """The user has no Windows Hello for Business container (NgcSet NO): there is no PIN to reset."""
    NOT_ELIGIBLE = "not_eligible"
    """The device cannot do it: not Entra (hybrid) joined, rejected by Entra ID, or not eligible for Hello."""
    UNKNOWN = "unknown"
    """The output does not say: sections missing, CanReset missing or Unknown, or captured as SYSTEM."""


@attrs.frozen
class Readiness:
    """What :func:`assess` concluded about one ``dsregcmd /status`` output, and why (``pinreset.Readiness``).

    Not to be confused with ``pinreset.remote.Readiness``, the three-valued enum (ready, not ready, unknown) that
    sums up a fleet check of one host; that one is exported from :mod:`pinreset.remote` only.

    Attributes:
        verdict: the outcome.
        reasons: plain sentences, the deciding one first, then caveats about how the output was captured.
    """

    verdict: Verdict
    reasons: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """True only for :attr:`Verdict.READY`."""
        return self.verdict is Verdict.READY

    def __repr__(self) -> str:
        return f"Readiness(verdict={self.verdict.value!r}, reasons={len(self.reasons)})"

    def __str__(self) -> str:
        return f"{self.verdict.value}: {self.reasons[0]}" if self.reasons else self.verdict.value

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the verdict and its reasons."""
        from pinreset.reports._html import readiness_html

        return readiness_html(self)


# The sentences, named so that docs/readiness.md and the tests refer to the same text.
NO_SECTIONS = "The output has neither a Device State nor a User State section, so readiness cannot be judged from it."
AS_SYSTEM = (
    "The output was captured as SYSTEM ({account}); its User State describes no signed-in user, so run "
    "dsregcmd /status as the user."
)
REGISTERED = (
    "The device is only registered with Entra ID (WorkplaceJoined YES), not joined; non-destructive PIN reset "
    "needs an Entra joined or Entra hybrid joined device."
)
NOT_JOINED = (
    "The device is not joined (AzureAdJoined, EnterpriseJoined and DomainJoined are NO); non-destructive PIN "
    "reset needs an Entra joined or Entra hybrid joined device."
)
DOMAIN_ONLY = (
    "The device is joined to an on-premises domain only (AzureAdJoined NO); non-destructive PIN reset needs "
    "Entra hybrid join, so check the hybrid join set-up and run dsregcmd /status again."
)
ON_PREM_DRS = (
    "The device is joined to an on-premises device registration service (EnterpriseJoined YES), which the PIN "
    "reset service does not support; it needs an Entra joined or Entra hybrid joined device."
)
AUTH_FAILED = (
    "Entra ID does not accept the device (DeviceAuthStatus is {status!r}): the device object is disabled or "
    "deleted, so re-enable or re-join it."
)
NO_USER_STATE = (
    "The output has no User State section, which dsregcmd prints only in a user context; run dsregcmd /status "
    "as the signed-in user."
)
NOT_HELLO_ELIGIBLE = (
    "The device does not meet the Windows Hello for Business requirements (DeviceEligible NO), so no container "
    "can be created for any user."
)
NO_CONTAINER = "NgcSet is NO: this user has no Windows Hello for Business container, so there is no PIN to reset."
POLICY_NOT_APPLIED = (
    "Windows Hello for Business is not enabled by policy here yet (PolicyEnabled NO): if the policy was assigned "
    "recently, sync the device from Intune, restart it and check again."
)
WILL_NOT_PROVISION = (
    "The prerequisite check says WillNotProvision: Windows will not create a container at sign-in until the "
    "prerequisites marked NO are met."
)
WILL_PROVISION = (
    "The prerequisites are met (WillProvision): the user is offered Windows Hello set-up at the next sign-in."
)
NO_POST_LOGON = (
    "Provisioning after sign-in is turned off (PostLogonEnabled NO), so the user is not prompted to set up "
    "Windows Hello."
)
READY = "CanReset is {value}: the user's Windows Hello container supports non-destructive PIN reset."
DESTRUCTIVE = (
    "CanReset is DestructiveOnly: PIN recovery is not in effect for this container, so resetting the PIN would "
    "delete it and its keys."
)
DESTRUCTIVE_NEXT_STEP = (
    "If the PIN recovery policy was assigned recently, it has not been applied yet: sync the device, restart "
    "it, have the user sign in with their PIN, then run dsregcmd /status again."
)
CAN_RESET_UNKNOWN = "CanReset is Unknown, which dsregcmd prints when it could not read the container's state."
CAN_RESET_UNSEEN = "CanReset is {value!r}, a value this version of pinreset does not know."
CAN_RESET_MISSING = (
    "NgcSet is YES but CanReset is not printed (older Windows builds do not print it), so the reset type "
    "cannot be read from this output."
)
NGC_SET_MISSING = "User State does not say whether the user has a Windows Hello container (NgcSet is missing)."
REMOTE_SESSION = (
    "The output was captured in a remote session (SessionIsNotRemote NO), so User State may describe the "
    "account that connected rather than the device's user."
)
ELEVATED_SESSION = (
    "The output was captured in an elevated session ({evidence}), so User State may describe the wrong "
    "account; run dsregcmd /status as the signed-in user without elevation."
)
NO_DEVICE_STATE = "The output has no Device State section, so the join type was not checked."


def _system_account(status: DsregStatus) -> str | None:
    diagnostic = status.diagnostic_data
    if diagnostic is None:
        return None
    for text in (diagnostic.executing_account_name, diagnostic.user_context):
        if text and ("NT AUTHORITY\\SYSTEM" in text.upper() or text.strip().upper() == "SYSTEM"):
            return text
    return None


def _caveats(status: DsregStatus) -> list[str]:
    caveats: list[str] = []
    ngc = status.ngc_prerequisite_check
    if ngc is not None and ngc.session_is_not_remote is False:
        caveats.append(REMOTE_SESSION)
    evidence: list[str] = []
    if status.diagnostic_data is not None and status.diagnostic_data.elevated:
        evidence.append(f"User Context is {status.diagnostic_data.user_context!r}")
    if status.user_state is not None and status.user_state.raw.get("wam_default_set", "").upper() == "ERROR":
        evidence.append("WamDefaultSet is ERROR")
    if evidence:
        caveats.append(ELEVATED_SESSION.format(evidence=", ".join(evidence)))
    if status.device_state is None and status.user_state is not None:
        caveats.append(NO_DEVICE_STATE)
    return caveats


_JOIN_REASONS = {
    JoinState.REGISTERED: REGISTERED,
    JoinState.NOT_JOINED: NOT_JOINED,
    JoinState.DOMAIN_JOINED: DOMAIN_ONLY,
    JoinState.ON_PREM_DRS_JOINED: ON_PREM_DRS,
}


def _decide(status: DsregStatus) -> tuple[Verdict, list[str]]:
    if status.device_state is None and status.user_state is None:
        return Verdict.UNKNOWN, [NO_SECTIONS]
    system = _system_account(status)
    if system is not None:
        return Verdict.UNKNOWN, [AS_SYSTEM.format(account=system)]
    join_reason = _JOIN_REASONS.get(status.join_type)
    if join_reason is not None:
        return Verdict.NOT_ELIGIBLE, [join_reason]
    details = status.device_details
    if details is not None and details.device_auth_status and details.device_auth_status.upper().startswith("FAIL"):
        return Verdict.NOT_ELIGIBLE, [AUTH_FAILED.format(status=details.device_auth_status)]
    user = status.user_state
    if user is None:
        return Verdict.UNKNOWN, [NO_USER_STATE]
    ngc = status.ngc_prerequisite_check
    if user.ngc_set is False:
        if ngc is not None and ngc.device_eligible is False:
            return Verdict.NOT_ELIGIBLE, [NOT_HELLO_ELIGIBLE, *_prerequisite_reasons(status)]
        return Verdict.NO_WINDOWS_HELLO, [NO_CONTAINER, *_prerequisite_reasons(status)]
    can_reset = user.can_reset
    if can_reset is not None:
        if can_reset.non_destructive:
            return Verdict.READY, [READY.format(value=can_reset.value)]
        if can_reset is CanReset.DESTRUCTIVE_ONLY:
            return Verdict.DESTRUCTIVE_ONLY, [DESTRUCTIVE, DESTRUCTIVE_NEXT_STEP]
        if can_reset is CanReset.UNKNOWN:
            return Verdict.UNKNOWN, [CAN_RESET_UNKNOWN]
        return Verdict.UNKNOWN, [CAN_RESET_UNSEEN.format(value=can_reset.value)]
    if user.ngc_set:
        return Verdict.UNKNOWN, [CAN_RESET_MISSING]
    return Verdict.UNKNOWN, [NGC_SET_MISSING]


def _prerequisite_reasons(status: DsregStatus) -> list[str]:
    ngc = status.ngc_prerequisite_check
    if ngc is None:
        return []
    reasons: list[str] = []
    if ngc.policy_enabled is False:
        reasons.append(POLICY_NOT_APPLIED)
    if ngc.post_logon_enabled is False:
        reasons.append(NO_POST_LOGON)
    if ngc.pre_req_result is PreReqResult.WILL_NOT_PROVISION:
        reasons.append(WILL_NOT_PROVISION)
    elif ngc.pre_req_result is PreReqResult.WILL_PROVISION:
        reasons.append(WILL_PROVISION)
    return reasons


def assess(status: DsregStatus) -> Readiness:
    """Judge non-destructive PIN reset readiness from one parsed output.

    Args:
        status: a parsed ``dsregcmd /status`` output.

    Returns:
        The verdict and the reasons for it (see ``docs/readiness.md`` for the decision table).

    Raises:
        TypeError: ``status`` is not a :class:`DsregStatus`.
    """
    if not isinstance(status, DsregStatus):
        raise TypeError(f"assess() needs a DsregStatus, got {type(status).__name__}")
    verdict, reasons = _decide(status)
    return Readiness(verdict, tuple(reasons + _caveats(status)))
