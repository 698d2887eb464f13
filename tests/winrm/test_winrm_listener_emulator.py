"""The WinRM hosts wired into the Emulator facade and ``pinreset emulator serve --winrm-hosts``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

import pinreset
from pinreset.emulator import Emulator
from pinreset.exceptions import EmulatorError


def test_emulator_serves_winrm_hosts_for_joined_devices() -> None:
    """Emulator(winrm_hosts=N) starts N hosts, publishes their credentials in env and follows the tenant."""
    from pypsrp.client import Client

    with Emulator(devices=8, seed=3, winrm_hosts=2) as emu:
        assert emu.winrm is not None
        env = emu.env
        assert env["PINRESET_WINRM_USERNAME"] == emu.winrm.username
        assert env["PINRESET_WINRM_PASSWORD"] == emu.winrm.password
        assert env["PINRESET_WINRM_CA_BUNDLE"] == emu.winrm.ca_bundle
        assert emu.winrm.password not in repr(emu.winrm)
        joined = [d.device_name for d in emu.tenant.devices.values() if d.join_type.endswith("ADJoined")][:2]
        assert [h.device_name for h in emu.winrm.hosts] == joined
        host = emu.winrm.hosts[1]
        client = Client(
            host.address,
            port=host.https_port,
            username=env["PINRESET_WINRM_USERNAME"],
            password=env["PINRESET_WINRM_PASSWORD"],
            cert_validation=env["PINRESET_WINRM_CA_BUNDLE"],
            auth="negotiate",
            no_proxy=True,
        )
        stdout, _, rc = client.execute_cmd("dsregcmd /status")
        assert rc == 0
        status = pinreset.parse_dsregcmd(stdout)
        assert status.device_state is not None
        assert status.device_state.device_name is not None
        assert status.device_state.device_name.split(".")[0] == host.device_name
        described = emu.describe()["winrm"]
        assert described["hosts"][1] == {
            "device_name": host.device_name,
            "address": host.address,
            "https_port": host.https_port,
            "http_port": host.http_port,
        }
    assert not emu.winrm.running


def test_too_many_winrm_hosts_is_an_emulator_error() -> None:
    """Asking for more hosts than joined devices is refused with a clear message."""
    with pytest.raises(EmulatorError, match="joined devices"):
        Emulator(devices=2, winrm_hosts=50)


def test_cli_serve_prints_the_winrm_object() -> None:
    """`emulator serve --winrm-hosts 2` prints hosts, user name, password and CA; --winrm-misbehave applies."""
    command = ["emulator", "serve", "--devices", "6", "--winrm-hosts", "2", "--winrm-misbehave", "1=refuse"]
    with subprocess.Popen(
        [sys.executable, "-m", "pinreset", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    ) as process:
        try:
            assert process.stdout is not None
            line = json.loads(process.stdout.readline())
            refused = line["winrm"]["hosts"][1]
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((refused["address"], refused["https_port"]), timeout=5).close()
            served = line["winrm"]["hosts"][0]
            socket.create_connection((served["address"], served["https_port"]), timeout=5).close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    winrm = line["winrm"]
    assert len(winrm["hosts"]) == 2
    assert set(winrm["hosts"][0]) == {"device_name", "address", "https_port", "http_port"}
    assert winrm["ca_bundle"] == line["env"]["PINRESET_WINRM_CA_BUNDLE"]
    assert line["env"]["PINRESET_WINRM_USERNAME"] == winrm["username"]
    assert line["env"]["PINRESET_WINRM_PASSWORD"] == winrm["password"]
    assert process.returncode == 0


def test_failed_start_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port already taken makes start() fail, leaving no NTLM user file, TLS files, socket or poller behind."""
    import threading
    from pathlib import Path

    from pinreset.emulator._tenant import Tenant
    from pinreset.emulator.winrm import WinRMHosts, _auth, joined_devices

    user_files: list[Path] = []
    register = _auth.register_user

    def recording(creds: _auth.Credentials) -> _auth._UserFile:
        made = register(creds)
        user_files.append(made.path)
        return made

    monkeypatch.setattr(_auth, "register_user", recording)
    pollers = sum(t.name == "winrm-poller" for t in threading.enumerate())
    tenant = Tenant.generate(seed=7, devices=6)
    served = WinRMHosts(tenant, joined_devices(tenant, 2), workers=2)
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        taken.bind((served.hosts[1].address, 0))
        taken.listen(1)
        served.hosts[1].https_port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"), served:
            pass
    finally:
        taken.close()
    assert served.ca_bundle is None
    assert user_files
    assert not any(path.exists() or path.parent.exists() for path in user_files)
    assert sum(t.name == "winrm-poller" for t in threading.enumerate()) == pollers
