"""Results of remote device checks, each fact labelled with whose state it describes.

A device check gathers facts of two different scopes, and mixing them up is the classic mistake of remote
``dsregcmd`` checks:

- **device scope** (:class:`DeviceFacts`): join state, OS build, the PIN recovery policy Windows recorded and
  which source wins, and the per-user Windows Hello events in the device's event log;
- **user scope** (:class:`UserState`): ``dsregcmd /status`` as *the signed-in user* sees it, collected inside
  their interactive session, labelled with their SID.

The ``dsregcmd /status`` run directly over WinRM is kept too, as :class:`ConnectingAccountView`: it describes
the account that connected (the admin's network logon), never the device's user.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

__all__ = [
    "RECORD_COLUMNS",
    "ConnectingAccountView",
    "DeviceCheck",
    "DeviceFacts",
    "DsregView",
    "EffectivePolicy",
    "Outcome",
    "PolicySetting",
    "PolicySource",
    "Readiness",
    "RecoveryKeyEvent",
    "UserState",
]


class Outcome(enum.Enum):
    """How the check of one host ended; every host ends in exactly one."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth_failed"
    TIMEOUT = "timeout"
    COMMAND_FAILED = "command_failed"
    UNPARSEABLE = "unparseable"
    NO_INTERACTIVE_USER = "no_interactive_user"


class Readiness(enum.Enum):
    """Whether non-destructive PIN reset is confirmed for the device's signed-in user(s)."""

    READY = "ready"
    NOT_READY = "not_ready"
    UNKNOWN = "unknown"


class PolicySource(enum.Enum):
    """Where a PassportForWork ``EnablePinRecovery`` value was recorded on the device."""

    GPO = "gpo"
    MDM_USER = "mdm_user"
    MDM_DEVICE = "mdm_device"
    NOT_CONFIGURED = "not_configured"


@attrs.frozen(kw_only=True)
class PolicySetting:
    """One recorded ``EnablePinRecovery`` value.

    Attributes:
        source: group policy, MDM for one user, or MDM for the device.
        value: the DWORD as a boolean (non-zero is true).
        registry_path: the key it was read from.
        user_sid: the SID the MDM user node belongs to (``MDM_USER`` only).
    """

    source: PolicySource
    value: bool
    registry_path: str
    user_sid: str | None = None


@attrs.frozen(kw_only=True)
class EffectivePolicy:
    """The ``EnablePinRecovery`` that Windows applies, by the documented precedence GPO > MDM user > MDM device.

    Attributes:
        enabled: the winning value, or ``None`` when no source sets it (Windows' default is off).
        source: the source that wins (``NOT_CONFIGURED`` when none does).
        settings: every value found, winner first.
        mdm_wins: whether an MDM (Intune) value is the one in force; false when group policy shadows it.
        conflict: true when the sources present disagree.
    """

    enabled: bool | None
    source: PolicySource
    settings: tuple[PolicySetting, ...] = ()
    mdm_wins: bool = False
    conflict: bool = False


@attrs.frozen(kw_only=True)
class RecoveryKeyEvent:
    """A Windows Hello for Business event about a user's PIN recovery key (evidence, not proof of absence).

    Attributes:
        event_id: 8060 created, 5062 found, 7060 failed to create.
        user_sid: whose key the event is about.
        time_created: when Windows logged it (ISO 8601, UTC), if it could be read.
        message: the event text.
    """

    event_id: int
    user_sid: str | None
    time_created: str | None = None
    message: str = ""

    @property
    def shows_key(self) -> bool:
        """Whether the event shows a recovery key exists (created or found)."""
        return self.event_id in (8060, 5062)


@attrs.frozen(kw_only=True)
class DsregView:
    """The fields of one ``dsregcmd /status`` output that a PIN reset check needs.

    Attributes:
        join_type: the join state (``pinreset.JoinState`` value, e.g. ``hybrid_joined``).
        azure_ad_joined: ``AzureAdJoined``.
        domain_joined: ``DomainJoined``.
        workplace_joined: ``WorkplaceJoined`` (User State).
        ngc_set: ``NgcSet`` of the account that ran it.
        can_reset: ``CanReset`` as printed, e.g. ``DestructiveAndNonDestructive``.
        tenant_id: ``TenantId``, if shown.
        device_id: ``DeviceId``, if shown.
        device_name: ``Device Name``, if shown.
        verdict: :func:`pinreset.assess` of this output (e.g. ``ready``, ``destructive_only``), for the account
            that ran it.
        reasons: the sentences behind the verdict.
        raw_text: the whole output (kept out of reprs and records).
    """

    join_type: str = "unknown"
    azure_ad_joined: bool | None = None
    domain_joined: bool | None = None
    workplace_joined: bool | None = None
    ngc_set: bool | None = None
    can_reset: str | None = None
    tenant_id: str | None = None
    device_id: str | None = None
    device_name: str | None = None
    verdict: str | None = None
    reasons: tuple[str, ...] = ()
    raw_text: str = attrs.field(default="", repr=False, eq=False)

    @property
    def non_destructive(self) -> bool | None:
        """Whether ``CanReset`` allows a non-destructive reset (``None`` when it is not shown)."""
        if self.can_reset is None:
            return None
        return "nondestructive" in self.can_reset.lower()


@attrs.frozen(kw_only=True)
class DeviceFacts:
    """Facts about the device itself, true whoever signs in.

    Attributes:
        computer_name: ``Win32_ComputerSystem.Name``, if read.
        os_caption: e.g. ``Microsoft Windows 11 Enterprise``.
        os_version: e.g. ``10.0.22631``.
        os_build: the build number, e.g. ``22631``.
        join_type: from the device section of ``dsregcmd`` (the same for every account), e.g. ``hybrid_joined``.
        azure_ad_joined: ``AzureAdJoined``.
        domain_joined: ``DomainJoined``.
        tenant_id: the Entra tenant id shown by ``dsregcmd``.
        policy: effective ``EnablePinRecovery`` with its source.
        recovery_key_events: Hello for Business recovery-key events, newest first.
    """

    computer_name: str | None = None
    os_caption: str | None = None
    os_version: str | None = None
    os_build: int | None = None
    join_type: str | None = None
    azure_ad_joined: bool | None = None
    domain_joined: bool | None = None
    tenant_id: str | None = None
    policy: EffectivePolicy = EffectivePolicy(enabled=None, source=PolicySource.NOT_CONFIGURED)
    recovery_key_events: tuple[RecoveryKeyEvent, ...] = ()


@attrs.frozen(kw_only=True)
class UserState:
    """One signed-in user's own Windows Hello state, read inside their interactive session.

    Attributes:
        sid: the user's SID (the key; names are for display only).
        name: ``DOMAIN\\user`` from the explorer.exe owner, if known.
        session_id: the Windows session the user's explorer.exe runs in.
        dsreg: their ``dsregcmd /status`` (run by a non-elevated interactive scheduled task), or ``None``.
        error: why their state could not be read, if it could not.
        recovery_key_event: the newest recovery-key event for this SID, if any (``None`` = unknown).
    """

    sid: str
    name: str | None = None
    session_id: int | None = None
    dsreg: DsregView | None = None
    error: str | None = None
    recovery_key_event: RecoveryKeyEvent | None = None

    @property
    def can_reset(self) -> str | None:
        """This user's ``CanReset`` as printed, if it was read."""
        return self.dsreg.can_reset if self.dsreg else None

    @property
    def ngc_set(self) -> bool | None:
        """Whether this user has a Windows Hello container (``NgcSet``), if it was read."""
        return self.dsreg.ngc_set if self.dsreg else None


@attrs.frozen(kw_only=True)
class ConnectingAccountView:
    """``dsregcmd /status`` run in the WinRM session: the *connecting account's* view, not the user's.

    Its device section is valid for the device; its User State, ``NgcSet`` and ``CanReset`` describe the admin
    account's network logon and say nothing about the person who uses the device.

    Attributes:
        dsreg: the parsed output, or ``None`` when it was not read.
    """

    dsreg: DsregView | None = None


@attrs.frozen(kw_only=True)
class DeviceCheck:
    """The result of checking one host.

    Attributes:
        host: the host as given (``name``, ``name:port`` or ``[v6]:port``).
        outcome: how the check ended.
        error: the error text, for every outcome but ``OK``.
        elapsed: seconds spent on this host.
        device: device-scope facts, as far as they were read.
        users: user-scope facts, one per signed-in user (empty: nobody signed in or not read).
        connecting_account: the admin session's own ``dsregcmd`` view, kept and labelled as such.
    """

    host: str
    outcome: Outcome
    error: str | None = None
    elapsed: float = 0.0
    device: DeviceFacts | None = None
    users: tuple[UserState, ...] = ()
    connecting_account: ConnectingAccountView = ConnectingAccountView()

    @property
    def readiness(self) -> Readiness:
        """``READY`` when every signed-in user's own ``CanReset`` allows it and no policy in force turns it off.

        ``NOT_READY`` when the effective policy is off or a user's own ``CanReset`` is destructive only;
        ``UNKNOWN`` when the check did not finish or no user state could be read.
        """
        if self.outcome not in (Outcome.OK, Outcome.NO_INTERACTIVE_USER) or self.device is None:
            return Readiness.UNKNOWN
        if self.device.policy.enabled is False:
            return Readiness.NOT_READY
        states = [u.dsreg.non_destructive for u in self.users if u.dsreg is not None]
        if any(s is False for s in states):
            return Readiness.NOT_READY
        # The users' own CanReset is the proof; a policy value that was not found (the MDM registry location is
        # not documented by Microsoft) does not veto it, an explicit "off" does (handled above).
        if states and all(s is True for s in states):
            return Readiness.READY
        return Readiness.UNKNOWN

    def __repr__(self) -> str:
        return (f"DeviceCheck(host={self.host!r}, outcome={self.outcome.value!r}, "
                f"readiness={self.readiness.value!r}, users={len(self.users)})")

    def __str__(self) -> str:
        text = f"{self.host}: {self.outcome.value}, {self.readiness.value}"
        return f"{text} ({self.error})" if self.error else text

    def _repr_html_(self) -> str:
        """Jupyter's rich display: outcome, readiness, device facts and each signed-in user's own state."""
        from pinreset.reports._html import device_check_html

        return device_check_html(self)

    def to_record(self) -> dict[str, Any]:
        """One flat row with the stable keys in :data:`RECORD_COLUMNS` (see ``docs/remote-verification.md``)."""
        device = self.device or DeviceFacts()
        user = self.users[0] if self.users else None
        admin = self.connecting_account.dsreg
        newest = device.recovery_key_events[0] if device.recovery_key_events else None
        if user is not None:
            user_scope = "signed_in_user"
        elif self.outcome is Outcome.NO_INTERACTIVE_USER:
            user_scope = "no user signed in"
        else:
            user_scope = "not read"
        record: dict[str, Any] = {
            "host": self.host,
            "outcome": self.outcome.value,
            "readiness": self.readiness.value,
            "error": self.error,
            "elapsed_s": round(self.elapsed, 3),
            "device_computer_name": device.computer_name,
            "device_os_version": device.os_version,
            "device_os_build": device.os_build,
            "device_join_type": device.join_type,
            "device_policy_enabled": device.policy.enabled,
            # A host that failed before its policy was read has no policy facts, not "not configured".
            "device_policy_source": device.policy.source.value if self.device else None,
            "device_policy_mdm_wins": device.policy.mdm_wins if self.device else None,
            "device_policy_conflict": device.policy.conflict if self.device else None,
            "device_recovery_key_event_id": newest.event_id if newest else None,
            "device_recovery_key_event_sid": newest.user_sid if newest else None,
            "device_recovery_key_event_time": newest.time_created if newest else None,
            "user_scope": user_scope,
            "user_count": len(self.users),
            "user_sid": user.sid if user else None,
            "user_name": user.name if user else None,
            "user_can_reset": user.can_reset if user else None,
            "user_ngc_set": user.ngc_set if user else None,
            "user_verdict": user.dsreg.verdict if user and user.dsreg else None,
            "user_recovery_key_event_id": (
                user.recovery_key_event.event_id if user and user.recovery_key_event else None
            ),
            "user_error": user.error if user else None,
            "connecting_account_can_reset": admin.can_reset if admin else None,
            "connecting_account_ngc_set": admin.ngc_set if admin else None,
        }
        return record


#: The keys of :meth:`DeviceCheck.to_record`, in column order. Stable: new keys are only ever appended.
RECORD_COLUMNS: tuple[str, ...] = tuple(DeviceCheck(host="", outcome=Outcome.OK).to_record())


def records(checks: Iterable[DeviceCheck]) -> Iterator[Mapping[str, Any]]:
    """Flat records of ``checks``, in order."""
    for check in checks:
        yield check.to_record()
