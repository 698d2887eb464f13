"""NTLM_USER_FILE: listeners with different passwords coexist, and os.environ never changes size under readers."""

from __future__ import annotations

import os
import threading

from pypsrp.client import Client

from pinreset.emulator._tenant import Tenant
from pinreset.emulator.winrm import WinRMHosts, joined_devices


def _dsregcmd(hosts: WinRMHosts) -> str:
    host = hosts.hosts[0]
    with Client(host.address, port=host.https_port, username=hosts.username, password=hosts.password,
                auth="ntlm", cert_validation=hosts.ca_bundle, no_proxy=True) as client:
        stdout, _, rc = client.execute_cmd("dsregcmd /status")
    assert rc == 0
    return stdout


def test_environment_keeps_its_keys_while_listeners_authenticate() -> None:
    """Two live listeners with different passwords both accept NTLM while other threads copy os.environ."""
    before = os.environ.get("NTLM_USER_FILE")
    tenant = Tenant.generate(seed=3, devices=6)
    names = joined_devices(tenant, 1)
    errors: list[BaseException] = []
    stop = threading.Event()

    def copy_environment() -> None:
        while not stop.is_set():
            try:
                dict(os.environ)
            except RuntimeError as exc:  # "dictionary changed size during iteration"
                errors.append(exc)
                return

    first = WinRMHosts(tenant, names, password="first-Pa55")
    second = WinRMHosts(tenant, names, password="second-Pa55")
    with first as one, second as two:
        assert "NTLM_USER_FILE" in os.environ
        reader = threading.Thread(target=copy_environment)
        reader.start()
        try:
            for _ in range(3):
                assert "Device State" in _dsregcmd(one)
                assert "Device State" in _dsregcmd(two)
        finally:
            stop.set()
            reader.join()
    assert errors == []
    assert os.environ.get("NTLM_USER_FILE") == before
