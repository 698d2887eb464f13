"""Remote device checks over WinRM/PSRP: one host (:func:`check_device`) or a whole fleet (:func:`check_fleet`).

Every fact is labelled with whose state it is: device scope (join state, OS build, the PIN recovery policy and
its source, recovery-key events) or the signed-in user's own state (``dsregcmd /status`` run in their session).
The ``dsregcmd`` run over WinRM itself is kept as the *connecting account's* view. See
``docs/remote-verification.md`` for what each signal proves and what it cannot.
"""

from __future__ import annotations

from pinreset.remote._check import DEFAULT_DEADLINE, check_device
from pinreset.remote._connection import CredSSPDelegationWarning, WinRMConnection
from pinreset.remote._fleet import DEFAULT_CONCURRENCY, check_fleet
from pinreset.remote._hosts import HostSpec, hosts_from_csv, hosts_from_file, hosts_from_intune, parse_host, parse_hosts
from pinreset.remote._report import FleetReport, format_table
from pinreset.remote.models import (
    RECORD_COLUMNS,
    ConnectingAccountView,
    DeviceCheck,
    DeviceFacts,
    DsregView,
    EffectivePolicy,
    Outcome,
    PolicySetting,
    PolicySource,
    Readiness,
    RecoveryKeyEvent,
    UserState,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_DEADLINE",
    "RECORD_COLUMNS",
    "ConnectingAccountView",
    "CredSSPDelegationWarning",
    "DeviceCheck",
    "DeviceFacts",
    "DsregView",
    "EffectivePolicy",
    "FleetReport",
    "HostSpec",
    "Outcome",
    "PolicySetting",
    "PolicySource",
    "Readiness",
    "RecoveryKeyEvent",
    "UserState",
    "WinRMConnection",
    "check_device",
    "check_fleet",
    "format_table",
    "hosts_from_csv",
    "hosts_from_file",
    "hosts_from_intune",
    "parse_host",
    "parse_hosts",
]
