"""Shared fixtures and helpers for the admin host tests (Microsoft Graph PowerShell over PSRP)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from pinreset.emulator import Emulator

Command = tuple[str, Sequence[tuple[str, Any]]]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """An emulator serving an admin host (small tenant)."""
    with Emulator(devices=12, seed=3, admin_host=True) as emulator:
        yield emulator


def open_pool(emulator: Emulator, *, exchange_keys: bool = False) -> Any:
    """An open, unmodified pypsrp RunspacePool on the admin host (HTTPS, NTLM); the caller closes it."""
    from pypsrp.powershell import RunspacePool
    from pypsrp.wsman import WSMan

    admin = emulator.admin_host
    assert admin is not None
    wsman = WSMan(
        admin.address,
        port=admin.https_port,
        username=admin.username,
        password=admin.password,
        cert_validation=admin.ca_bundle,
        auth="ntlm",
        no_proxy=True,
    )
    pool = RunspacePool(wsman)
    pool.open()
    if exchange_keys:
        pool.exchange_keys()
    return pool


@pytest.fixture
def pool(emu: Emulator) -> Iterator[Any]:
    """A fresh runspace pool (not signed in)."""
    opened = open_pool(emu)
    yield opened
    opened.close()


def run(pool: Any, *commands: Command) -> tuple[list[Any], Any]:
    """Run one pipeline built with add_cmdlet/add_parameter; returns the output and the PowerShell object."""
    from pypsrp.powershell import PowerShell

    ps = PowerShell(pool)
    for name, params in commands:
        ps.add_cmdlet(name)
        for key, value in params:
            ps.add_parameter(key, value)
    output = ps.invoke()
    return list(output), ps


def connect_certificate(pool: Any, emulator: Emulator) -> None:
    """Connect-MgGraph with the admin host's certificate; asserts it worked."""
    admin = emulator.admin_host
    assert admin is not None
    _, ps = run(
        pool,
        (
            "Connect-MgGraph",
            [
                ("ClientId", admin.certificate_client_id),
                ("TenantId", emulator.tenant_id),
                ("CertificateThumbprint", admin.certificate_thumbprint),
                ("NoWelcome", True),
            ],
        ),
    )
    assert not ps.had_errors, [str(e) for e in ps.streams.error]


@pytest.fixture
def connected(emu: Emulator) -> Iterator[Any]:
    """A runspace pool signed in with the admin host's certificate."""
    opened = open_pool(emu)
    connect_certificate(opened, emu)
    yield opened
    opened.close()


def failure(ps: Any) -> tuple[str, str]:
    """The terminating error of a failed pipeline: (message, FullyQualifiedErrorId)."""
    assert ps.had_errors
    record = ps.streams.error[-1]
    return str(record), str(record.fq_error)


def props(obj: Any) -> dict[str, Any]:
    """A deserialized object's properties (adapted and extended)."""
    return {**(obj.adapted_properties or {}), **(obj.extended_properties or {})}
