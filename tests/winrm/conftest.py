"""Fixtures for the simulated WinRM hosts: a generated tenant and hosts serving some of its devices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pinreset.emulator._tenant import Tenant
from pinreset.emulator.winrm import SimulatedHost, WinRMHosts, joined_devices

PASSWORD = "Sw0rdfish-loopback"


@pytest.fixture(scope="module")
def tenant() -> Tenant:
    """A small deterministic tenant."""
    return Tenant.generate(seed=7, devices=12)


@pytest.fixture(scope="module")
def hosts(tenant: Tenant) -> Iterator[WinRMHosts]:
    """Four hosts (HTTPS + HTTP each) for the tenant's first joined devices."""
    with WinRMHosts(tenant, joined_devices(tenant, 4), password=PASSWORD, workers=16) as served:
        yield served


@pytest.fixture
def host(hosts: WinRMHosts) -> Iterator[SimulatedHost]:
    """The first host, with every misbehaviour and local state reset after the test."""
    first = hosts.hosts[0]
    yield first
    for mode in list(first.faults):
        first.misbehave(mode, False)
    first.gpo.clear()
    first.tasks.clear()
    first.files.clear()


@pytest.fixture
def make_client(hosts: WinRMHosts) -> Callable[..., Any]:
    """Build an unmodified pypsrp Client for a host (HTTPS, NTLM by default)."""
    from pypsrp.client import Client

    def build(
        target: SimulatedHost, *, ssl: bool = True, auth: str = "ntlm", password: str = PASSWORD, **kwargs: Any
    ) -> Any:
        port = target.https_port if ssl else target.http_port
        options: dict[str, Any] = {"cert_validation": hosts.ca_bundle} if ssl else {}
        options.update(kwargs)
        return Client(
            target.address,
            port=port,
            username=hosts.username,
            password=password,
            ssl=ssl,
            auth=auth,
            no_proxy=True,
            **options,
        )

    return build


Command = tuple[str, list[tuple[str | None, Any]]]


@pytest.fixture
def pool(host: SimulatedHost, hosts: WinRMHosts) -> Iterator[Any]:
    """An open pypsrp RunspacePool on the first host (HTTPS, NTLM)."""
    from pypsrp.powershell import RunspacePool
    from pypsrp.wsman import WSMan

    wsman = WSMan(
        host.address,
        port=host.https_port,
        username=hosts.username,
        password=PASSWORD,
        cert_validation=hosts.ca_bundle,
        auth="ntlm",
        no_proxy=True,
    )
    with wsman, RunspacePool(wsman) as opened:
        yield opened


def run_ps(pool: Any, commands: list[Command], input_objects: list[Any] | None = None) -> tuple[list[Any], Any, bool]:
    """Invoke a pipeline built only with add_cmdlet/add_parameter/add_argument; returns output, streams, had_errors."""
    from pypsrp.powershell import PowerShell

    with PowerShell(pool) as ps:
        for name, params in commands:
            ps.add_cmdlet(name)
            for key, value in params:
                if key is None:
                    ps.add_argument(value)
                else:
                    ps.add_parameter(key, value)
        output = ps.invoke(input=input_objects)
        return output, ps.streams, ps.had_errors
