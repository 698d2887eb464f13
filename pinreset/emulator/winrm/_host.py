"""One simulated Windows host: what it knows (from the tenant's device state) and what it keeps (files, tasks).

Facts that belong to the tenant -- join state, OS build, the recorded PIN recovery policy, the signed-in user,
whether the recovery key was created -- are read from the tenant on every request, so a host reflects a policy
sync or a restart the moment it happens. What only the machine keeps (a tiny file system under ``C:\\``,
scheduled tasks, optional Group Policy values) lives here. A host can be told to misbehave (see
:data:`MISBEHAVIOURS`), per host, at run time.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Protocol

import attrs

__all__ = ["MISBEHAVIOURS", "DeviceSource", "HostTask", "SignedInUser", "SimulatedHost"]

#: What a host can be told to do wrong: ``refuse`` (nothing listens), ``reject_credentials`` (401 for everyone),
#: ``hang`` (accept, never answer), ``garbage`` / ``truncate`` (dsregcmd prints other text / stops mid-way),
#: ``drop`` (the connection closes in the middle of the answer to a Receive), ``slow`` (latency per request),
#: ``no_user`` (nobody is signed in).
MISBEHAVIOURS = ("refuse", "reject_credentials", "hang", "garbage", "truncate", "drop", "slow", "no_user")

_GARBAGE = (
    "\x1b[2J\x1b[H#### ERR 0xC000012F: bad image ####\r\n"
    "\x00\x01\x02 ?? \u00ff\u00fe\u00fd ~~~ this is not dsregcmd output ~~~\r\n"
    "<html><body>502 Bad Gateway</body></html>\r\n"
)
_MDM_ROOT = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Policies\\PassportForWork"
_GPO_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\PassportForWork"


class DeviceSource(Protocol):
    """The tenant emulator seen from a host: one device's facts and its ``dsregcmd /status`` text."""

    def device_facts(self, name: str) -> Any:
        """A ``DeviceFacts``-shaped snapshot of device ``name``."""
        ...

    def render_dsregcmd(self, name: str, *, account: str = "user", admin_account: str | None = None) -> str:
        """``dsregcmd /status`` on device ``name`` as ``account`` (``"user"`` or ``"admin"``) sees it."""
        ...


@attrs.frozen
class SignedInUser:
    """An interactive user of a host: SID, ``DOMAIN\\name`` parts, session and explorer process.

    ``dsregcmd`` is the text that user's own ``dsregcmd /status`` prints; ``None`` uses the tenant's view of the
    device's signed-in user (right for the console user, an approximation for added sessions).
    """

    sid: str
    domain: str
    name: str
    session_id: int = 1
    explorer_pid: int = 4712
    dsregcmd: str | None = None


@attrs.define
class HostTask:
    """A registered scheduled task and its run state (LastTaskResult semantics of the Task Scheduler)."""

    name: str
    xml: str
    principal: str
    logon_type: str
    run_level: str
    command: str
    arguments: str
    last_result: int = 267011  # SCHED_S_TASK_HAS_NOT_RUN
    last_run: datetime | None = None
    polls_left: int = 0
    running_as: str | None = None

    @property
    def state(self) -> str:
        """``Running`` while the simulated run lasts, else ``Ready``."""
        return "Running" if self.last_result == 267009 else "Ready"


def _nickname(upn: str | None) -> str:
    return (upn or "user").split("@", 1)[0]


class SimulatedHost:
    """A Windows device reachable over WinRM.

    Args:
        device_name: the computer name (the tenant's device name).
        source: the tenant (``device_facts`` / ``render_dsregcmd``).
        tenant_id: the tenant id used in the MDM registry path.
        codepage: the OEM code page WinRS output is encoded in.
        address: the loopback address it listens on.
    """

    def __init__(
        self,
        device_name: str,
        source: DeviceSource,
        *,
        tenant_id: str,
        codepage: int = 437,
        address: str = "127.0.0.1",
    ) -> None:
        self.device_name = device_name
        self.source = source
        self.tenant_id = tenant_id
        self.codepage = codepage
        self.address = address
        #: ``DOMAIN\\name`` of the administrator that connects over WinRM (shown by dsregcmd and whoami).
        self.admin_account = f"{device_name}\\Administrator"
        self.https_port = 0
        self.http_port = 0
        self.faults: set[str] = set()
        self.latency = 0.0
        #: HTTP requests this host's listener has read (authentication legs included); benchmarks count with it.
        self.requests_seen = 0
        #: Group Policy values under HKLM\SOFTWARE\Policies\Microsoft\PassportForWork (e.g. EnablePinRecovery=0).
        self.gpo: dict[str, int] = {}
        #: User-scope MDM values for the console user, under ``...\\PassportForWork\\<TenantId>\\<UserSid>\\Policies``.
        self.user_mdm: dict[str, int] = {}
        #: How many Get-ScheduledTaskInfo polls a started task reports "running" before it completes.
        self.task_polls = 1
        self.lock = threading.RLock()
        self.files: dict[str, tuple[str, str]] = {}
        self.directories: set[str] = {"c:\\", "c:\\programdata", "c:\\windows", "c:\\windows\\temp", "c:\\users"}
        self.tasks: dict[str, HostTask] = {}
        #: The last commands run with their literal bound parameters (newest last).
        self.calls: deque[tuple[str, dict[str, Any]]] = deque(maxlen=256)
        self.on_change: list[Any] = []
        #: Further interactive sessions beside the tenant's signed-in user (see :meth:`add_session`).
        self.extra_sessions: list[SignedInUser] = []
        #: PowerShell modules (lower-case names) this host lacks: their cmdlets are "not recognized".
        self.missing_modules: set[str] = set()
        #: Open WSMan shells (WinRS and PSRP) by upper-case ShellId.
        self.shells: dict[str, Any] = {}

    # -- misbehaviour -------------------------------------------------------------------------------------------
    def misbehave(self, mode: str, on: bool = True, *, latency: float | None = None) -> None:
        """Switch misbehaviour ``mode`` (one of :data:`MISBEHAVIOURS`) on or off.

        Args:
            mode: the misbehaviour.
            on: switch it on (True) or off.
            latency: for ``slow``, the added seconds per request (default 0.05).

        Raises:
            ValueError: for an unknown mode.
        """
        if mode not in MISBEHAVIOURS:
            raise ValueError(f"unknown misbehaviour {mode!r}; expected one of {', '.join(MISBEHAVIOURS)}")
        with self.lock:
            if on:
                self.faults.add(mode)
            else:
                self.faults.discard(mode)
            if mode == "slow":
                self.latency = (0.05 if latency is None else latency) if on else 0.0
        for listener in list(self.on_change):
            listener(self)

    def has(self, mode: str) -> bool:
        """True when misbehaviour ``mode`` is on."""
        return mode in self.faults

    def record(self, command: str, args: Mapping[str, Any]) -> None:
        """Remember a command and its literal parameters (tests check that hostile values arrived as data)."""
        self.calls.append((command, dict(args)))

    # -- facts ------------------------------------------------------------------------------------------------
    def facts(self) -> Any:
        """The tenant's current snapshot of this device."""
        return self.source.device_facts(self.device_name)

    def os_version(self) -> str:
        """``10.0.<build>`` as Win32_OperatingSystem.Version reports it."""
        parts = str(self.facts().os_version).split(".")
        return ".".join(parts[:3])

    def machine_domain(self) -> str:
        """The AD domain for hybrid joined devices, else ``WORKGROUP``."""
        return self.facts().domain_name or "WORKGROUP"

    def user(self) -> SignedInUser | None:
        """The interactive user, or ``None`` (nobody signed in, or the ``no_user`` misbehaviour)."""
        if self.has("no_user"):
            return None
        facts = self.facts()
        if not facts.signed_in_user_sid:
            return None
        domain = facts.domain_name if facts.domain_name and facts.join_type == "hybridAzureADJoined" else "AzureAD"
        return SignedInUser(sid=facts.signed_in_user_sid, domain=domain, name=_nickname(facts.signed_in_user_upn))

    def users(self) -> list[SignedInUser]:
        """Every interactive session's user, the console user first (empty with ``no_user``)."""
        if self.has("no_user"):
            return []
        console = self.user()
        return ([console] if console else []) + list(self.extra_sessions)

    def add_session(self, sid: str, domain: str, name: str, *, dsregcmd: str | None = None) -> SignedInUser:
        """Sign a further user in (fast user switching or RDP): another session with its own explorer.exe.

        Args:
            sid: the user's SID.
            domain: the ``DOMAIN`` part of the account name (``AzureAD`` for Entra users).
            name: the account name.
            dsregcmd: what that user's ``dsregcmd /status`` prints (default: the tenant's user view).

        Returns:
            The session's user.
        """
        number = len(self.extra_sessions) + 2
        user = SignedInUser(
            sid=sid, domain=domain, name=name, session_id=number, explorer_pid=4712 + 1000 * number, dsregcmd=dsregcmd
        )
        self.extra_sessions.append(user)
        return user

    def _session_user(self, account: str) -> SignedInUser | None:
        """The user an account string names: ``"user"`` (the console user) or ``"user:<SID>"``."""
        if account == "user":
            return self.user()
        if account.startswith("user:"):
            sid = account[5:].lower()
            return next((u for u in self.users() if u.sid.lower() == sid), None)
        return None

    def account_name(self, account: str) -> str:
        """``DOMAIN\\name`` of the admin account (``"admin"``) or of an interactive user (``"user[:<SID>]"``)."""
        user = self._session_user(account)
        if user is not None:
            return f"{user.domain}\\{user.name}"
        return self.admin_account

    def dsregcmd(self, account: str) -> str:
        """``dsregcmd /status`` as ``account`` (``"admin"``, ``"user"``, ``"user:<SID>"``) sees it.

        The ``garbage``/``truncate`` misbehaviours apply.
        """
        if self.has("garbage"):
            return _GARBAGE
        user = self._session_user(account)
        if account == "admin":
            text = self.source.render_dsregcmd(self.device_name, account="admin", admin_account=self.admin_account)
        elif user is not None and user.dsregcmd is not None:
            text = user.dsregcmd
        else:
            text = self.source.render_dsregcmd(self.device_name, account="user")
        if self.has("truncate"):
            return text[: max(1, len(text) // 2)]
        return text

    # -- registry ---------------------------------------------------------------------------------------------
    def registry(self) -> dict[str, dict[str, Any]]:
        """Every emulated registry key (``HKEY_LOCAL_MACHINE\\...``) with its values, parents included."""
        facts = self.facts()
        keys: dict[str, dict[str, Any]] = {}
        if facts.pin_recovery_policy is not None or facts.whfb_blocked:
            policies = f"{_MDM_ROOT}\\{self.tenant_id}\\Device\\Policies"
            values: dict[str, Any] = {"UsePassportForWork": 0 if facts.whfb_blocked else 1}
            if facts.pin_recovery_policy is not None:
                values["EnablePinRecovery"] = 1 if facts.pin_recovery_policy else 0
            keys[policies] = values
        user = self.user()
        if self.user_mdm and user is not None:
            keys[f"{_MDM_ROOT}\\{self.tenant_id}\\{user.sid}\\Policies"] = dict(self.user_mdm)
        if self.gpo:
            keys[_GPO_KEY] = dict(self.gpo)
        for path in list(keys):
            parts = path.split("\\")
            for end in range(2, len(parts)):
                keys.setdefault("\\".join(parts[:end]), {})
        keys.setdefault(_MDM_ROOT, {})
        return keys

    # -- events -----------------------------------------------------------------------------------------------
    def hello_events(self) -> list[dict[str, Any]]:
        """HelloForBusiness/Operational events, newest first (8060 when the recovery key was created)."""
        facts = self.facts()
        if not (facts.pin_recovery_key_created and facts.signed_in_user_sid):
            return []
        when = facts.last_sync if isinstance(facts.last_sync, datetime) else datetime.now(timezone.utc)
        sid = facts.signed_in_user_sid
        return [
            {
                "Id": 8060,
                "TimeCreated": when,
                "Message": f"Windows Hello successfully created a PIN recovery key for user {sid}.",
                "UserId": sid,
            }
        ]

    # -- file system ------------------------------------------------------------------------------------------
    @staticmethod
    def _norm(path: str) -> str:
        return path.replace("/", "\\").rstrip("\\").lower() or "c:\\"

    def make_directory(self, path: str) -> bool:
        """Create ``path`` and its parents; returns False when it existed already."""
        norm = self._norm(path)
        with self.lock:
            existed = norm in self.directories
            parts = norm.split("\\")
            for end in range(1, len(parts) + 1):
                self.directories.add("\\".join(parts[:end]) or "c:\\")
            return not existed

    def write_file(self, path: str, text: str, *, append: bool = False) -> bool:
        """Write a text file; False when its directory does not exist."""
        norm = self._norm(path)
        parent = norm.rsplit("\\", 1)[0]
        with self.lock:
            if parent not in self.directories and parent + "\\" not in self.directories:
                return False
            old = self.files.get(norm, (path, ""))[1] if append else ""
            self.files[norm] = (path, old + text)
            return True

    def read_file(self, path: str) -> str | None:
        """A file's text, or ``None`` when it does not exist."""
        with self.lock:
            entry = self.files.get(self._norm(path))
            return entry[1] if entry else None

    def remove(self, path: str) -> bool:
        """Delete a file or a directory tree; False when nothing was there."""
        norm = self._norm(path)
        with self.lock:
            if self.files.pop(norm, None) is not None:
                return True
            if norm not in self.directories:
                return False
            prefix = norm + "\\"
            self.directories = {d for d in self.directories if d != norm and not d.startswith(prefix)}
            self.files = {k: v for k, v in self.files.items() if not k.startswith(prefix)}
            return True

    def exists(self, path: str) -> str | None:
        """``"file"``, ``"directory"`` or ``None``."""
        norm = self._norm(path)
        with self.lock:
            if norm in self.files:
                return "file"
            return "directory" if norm in self.directories else None

    def __repr__(self) -> str:
        return f"SimulatedHost({self.device_name!r}, address={self.address!r}, https_port={self.https_port})"
