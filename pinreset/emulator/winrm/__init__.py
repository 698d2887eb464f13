"""Simulated Windows hosts that real WinRM clients (pypsrp, pywinrm) talk to, unmodified.

Each host answers WS-Management over HTTPS and HTTP: WinRS ``cmd`` shells (``execute_cmd("dsregcmd /status")``)
and PowerShell remoting runspace pools (psrpcore's server side) whose pipelines run a small cmdlet engine over
the emulated tenant's state of one device. Authentication is Basic (HTTPS) or NTLM/Negotiate with WinRM message
encryption (pyspnego as acceptor). See ``docs/emulator.md`` ("WinRM hosts")::

    from pinreset.emulator import Emulator

    with Emulator(devices=10, winrm_hosts=3) as emu:
        host = emu.winrm.hosts[0]
        Client(host.address, port=host.https_port, username=emu.winrm.username, password=emu.winrm.password,
               cert_validation=emu.winrm.ca_bundle, auth="ntlm", no_proxy=True).execute_cmd("dsregcmd /status")
"""

from __future__ import annotations

from pinreset.emulator.winrm._host import MISBEHAVIOURS, DeviceSource, SimulatedHost
from pinreset.emulator.winrm._hosts import (
    HostInfo,
    LiveTenant,
    WinRMHosts,
    host_address,
    hosts_for_emulator,
    joined_devices,
)

__all__ = [
    "MISBEHAVIOURS",
    "DeviceSource",
    "HostInfo",
    "LiveTenant",
    "SimulatedHost",
    "WinRMHosts",
    "host_address",
    "hosts_for_emulator",
    "joined_devices",
]
