"""Check one host: device-scope facts, then each signed-in user's own state, ending in exactly one outcome."""

from __future__ import annotations

import threading

import attrs

from pinreset.remote._connection import WinRMConnection
from pinreset.remote._hosts import HostSpec, parse_host
from pinreset.remote._interactive import run_as_interactive_user
from pinreset.remote._probes import (
    GPO_KEY,
    MDM_ROOT,
    RECOVERY_EVENT_IDS,
    effective_policy,
    interactive_users,
    item_properties_by_key,
    mdm_policy_keys,
    newest_event_for,
    os_facts,
    parse_dsreg,
    policy_setting,
    recovery_events,
    sort_answers,
)
from pinreset.remote._session import (
    Budget,
    Cancelled,
    CheckFailure,
    Cmd,
    HostSession,
    check_durations,
    classify,
    cmd,
)
from pinreset.remote.models import (
    ConnectingAccountView,
    DeviceCheck,
    DeviceFacts,
    Outcome,
    PolicySetting,
    PolicySource,
    UserState,
)

__all__ = ["DEFAULT_DEADLINE", "check_device", "run_check"]

#: Seconds one host may take, unless the caller says otherwise.
DEFAULT_DEADLINE = 60.0
_HELLO_LOG = "Microsoft-Windows-HelloForBusiness/Operational"
_MAX_EVENTS = 50
_MAX_USERS = 4  # a terminal server may host many sessions; the first few users tell the story


@attrs.define
class _Gathered:
    """Facts read so far, so that a host failing halfway still reports what was learnt."""

    device: DeviceFacts | None = None
    admin: ConnectingAccountView = attrs.Factory(ConnectingAccountView)
    users: list[UserState] = attrs.Factory(list)


def _device_statements() -> list[tuple[Cmd, ...]]:
    """Everything device-scoped in one invocation; each answer is recognised by its shape, not its position."""
    explorer = cmd("Get-CimInstance", ClassName="Win32_Process", Filter="Name = 'explorer.exe'")
    return [
        (
            cmd("Get-CimInstance", ClassName="Win32_OperatingSystem"),
            cmd("Select-Object", Property=["Caption", "Version", "BuildNumber"]),
        ),
        # The device sections of this output are valid; its User State is the connecting account's.
        (cmd("dsregcmd.exe", "/status"),),
        (explorer, cmd("Invoke-CimMethod", MethodName="GetOwnerSid")),
        (explorer, cmd("Invoke-CimMethod", MethodName="GetOwner")),
        (cmd("Get-ItemProperty", Path=GPO_KEY, ErrorAction="SilentlyContinue"),),
        (
            cmd("Get-ChildItem", Path=MDM_ROOT, Recurse=True, ErrorAction="SilentlyContinue"),
            cmd("Select-Object", Property=["Name", "Property"]),
        ),
        (
            cmd(
                "Get-WinEvent",
                FilterHashtable={"LogName": _HELLO_LOG, "Id": list(RECOVERY_EVENT_IDS)},
                MaxEvents=_MAX_EVENTS,
                ErrorAction="SilentlyContinue",
            ),
            cmd("Select-Object", Property=["Id", "TimeCreated", "Message", "UserId"]),
        ),
    ]


def _read_device(session: HostSession, gathered: _Gathered) -> list[tuple[str, str | None]]:
    answers = sort_answers(session.run_statements(*_device_statements(), static=True))
    caption, version, build = os_facts(answers.os)
    device = DeviceFacts(os_caption=caption, os_version=version, os_build=build)
    gathered.device = device
    admin = parse_dsreg(answers.dsreg_lines)
    gathered.admin = ConnectingAccountView(dsreg=admin)
    device = attrs.evolve(
        device,
        computer_name=admin.device_name,
        join_type=admin.join_type,
        azure_ad_joined=admin.azure_ad_joined,
        domain_joined=admin.domain_joined,
        tenant_id=admin.tenant_id,
    )
    gathered.device = device
    users = interactive_users(answers.owner_sids, answers.owners)[:_MAX_USERS]
    signed_in = {sid for sid, _ in users}

    settings: list[PolicySetting] = []
    gpo = policy_setting(answers.item_properties, source=PolicySource.GPO, registry_path=GPO_KEY)
    if gpo is not None:
        settings.append(gpo)
    # Another user's MDM policy never applies to the people signed in now, so it is not even read.
    keys = [k for k in mdm_policy_keys(answers.registry_keys) if k[1] is PolicySource.MDM_DEVICE or k[2] in signed_in]
    if keys:
        values = item_properties_by_key(
            session.run(cmd("Get-ItemProperty", Path=[path for path, _, _ in keys], ErrorAction="SilentlyContinue"))
        )
        for path, source, sid in keys:
            found = values.get(path.lower())
            value = policy_setting(found, source=source, registry_path=path, user_sid=sid)
            if value is not None:
                settings.append(value)
    policy = effective_policy(settings, user_sid=users[0][0] if users else None)
    events = recovery_events(answers.events)
    gathered.device = attrs.evolve(device, policy=policy, recovery_key_events=events)
    return users


def _read_user(session: HostSession, sid: str, name: str | None, gathered: _Gathered) -> None:
    device = gathered.device or DeviceFacts()
    event = newest_event_for(device.recovery_key_events, sid)
    try:
        text = run_as_interactive_user(session, sid)
    except CheckFailure as failure:
        if failure.outcome is not Outcome.NO_INTERACTIVE_USER:
            raise
        gathered.users.append(UserState(sid=sid, name=name, error=str(failure), recovery_key_event=event))
        return
    gathered.users.append(UserState(sid=sid, name=name, dsreg=parse_dsreg(text), recovery_key_event=event))


def _check(
    spec: HostSpec, connection: WinRMConnection, budget: Budget, gathered: _Gathered, interactive: bool
) -> tuple[Outcome, str | None]:
    with HostSession(spec, connection, budget) as session:
        users = _read_device(session, gathered)
        if not users:
            return Outcome.NO_INTERACTIVE_USER, "no user signed in (no explorer.exe session)"
        if not interactive:
            gathered.users.extend(
                UserState(sid=sid, name=name, error="not read (interactive=False)") for sid, name in users
            )
            return Outcome.OK, None
        for sid, name in users:
            _read_user(session, sid, name, gathered)
    if all(u.dsreg is None for u in gathered.users):
        return Outcome.NO_INTERACTIVE_USER, "; ".join(u.error or "" for u in gathered.users)
    return Outcome.OK, None


def check_device(
    host: str | HostSpec,
    *,
    connection: WinRMConnection,
    deadline: float = DEFAULT_DEADLINE,
    interactive: bool = True,
    cleanup_grace: float = 5.0,
) -> DeviceCheck:
    """Check one Windows host over WinRM/PSRP.

    Reads device-scope facts (OS build, join state, effective ``EnablePinRecovery`` and its source, recovery-key
    events) and, for each signed-in user, their own ``dsregcmd /status`` through a one-shot scheduled task in
    their session. Never raises for a host problem: the result's ``outcome`` says what happened.

    Args:
        host: ``name``, ``name:port``, ``[IPv6]:port`` or a :class:`HostSpec`.
        connection: transport, authentication and timeouts.
        deadline: seconds this host may take (clean-up of a created task may add up to ``cleanup_grace``).
        interactive: read each signed-in user's own state (set ``False`` for device scope only).
        cleanup_grace: seconds allowed after the deadline to remove what the check created on the host.

    Returns:
        The host's :class:`DeviceCheck`, with exactly one outcome and the error text for failures.

    Raises:
        ConfigurationError: when ``host`` is not a valid host entry or ``deadline`` is not positive (checked
            before any connection).
    """
    check_durations(deadline, cleanup_grace)
    spec = host if isinstance(host, HostSpec) else parse_host(host)
    return run_check(spec, connection, deadline, interactive, threading.Event(), cleanup_grace)


def run_check(
    spec: HostSpec,
    connection: WinRMConnection,
    deadline: float,
    interactive: bool,
    cancel: threading.Event,
    cleanup_grace: float,
) -> DeviceCheck:
    """:func:`check_device` for the fleet: ``cancel`` stops the check at its next request.

    Raises:
        Cancelled: when ``cancel`` was set before the check finished (what it created is removed first).
    """
    budget = Budget(deadline, cancel=cancel, cleanup_grace=cleanup_grace)
    gathered = _Gathered()
    error: str | None
    try:
        outcome, error = _check(spec, connection, budget, gathered, interactive)
    except Cancelled:
        raise
    except Exception as exc:
        if budget.cancel.is_set() and not budget.expired:
            raise Cancelled("cancelled") from exc
        failure = classify(exc, budget)
        outcome, error = failure.outcome, str(failure)
    return DeviceCheck(
        host=str(spec),
        outcome=outcome,
        error=error,
        elapsed=budget.elapsed(),
        device=gathered.device,
        users=tuple(gathered.users),
        connecting_account=gathered.admin,
    )
