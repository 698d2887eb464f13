"""Simulated Windows hosts of the emulator's WinRM listener, shared by the end-to-end remote tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pinreset.remote import HostSpec, WinRMConnection

HOST_COUNT = 48


class Lab:
    """The running hosts plus helpers: each test takes fresh hosts so that state never leaks between tests."""

    def __init__(self, emulator: Any, hosts: Any) -> None:
        self.emulator = emulator
        self.tenant = emulator.tenant
        self.hosts = hosts
        self._free = list(hosts.infos())

    def take(self) -> tuple[HostSpec, Any]:
        """A host nobody used yet whose device has a signed-in user: its HTTPS address and its SimulatedHost."""
        for index, info in enumerate(self._free):
            host = self.hosts.host(info.device_name)
            if host.user() is not None:
                del self._free[index]
                return HostSpec(info.address, info.https_port), host
        raise RuntimeError("no unused host with a signed-in user left; raise HOST_COUNT")

    def http_spec(self, host: Any) -> HostSpec:
        """The plain-HTTP endpoint of ``host``."""
        return HostSpec(host.address, host.http_port)

    def connection(self, **overrides: Any) -> WinRMConnection:
        """NTLM over HTTPS with the hosts' CA, short timeouts, no proxies."""
        options: dict[str, Any] = {
            "username": self.hosts.username,
            "password": self.hosts.password,
            "ca_bundle": self.hosts.ca_bundle,
            "auth": "ntlm",
            "no_proxy": True,
            "connection_timeout": 3.0,
            "operation_timeout": 5,
            "read_timeout": 8.0,
        }
        options.update(overrides)
        return WinRMConnection(**options)

    def make_ready(self, host: Any) -> None:
        """Give the host's device the recorded policy, the restart and the user's recovery key."""
        self.tenant.set_device_state(
            host.device_name,
            pin_recovery_policy=True,
            pin_recovery_key_created=True,
            restarted_since_policy=True,
            ngc_set=True,
        )


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """An emulated tenant with WinRM hosts for its joined devices, listening on loopback."""
    from pinreset.emulator import Emulator
    from pinreset.emulator.winrm import WinRMHosts, joined_devices

    emulator = Emulator(devices=100, seed=11)
    names = joined_devices(emulator.tenant, HOST_COUNT)
    with WinRMHosts(emulator.tenant, names) as hosts:
        yield Lab(emulator, hosts)
