"""The ``backend`` fixture every backend contract test runs against.

Each backend variant talks to an emulated tenant (``tenant`` fixture: the emulator plus a way to mint backends
for other apps). Today: the Graph backend over the emulator's real HTTPS server, signed in with msal, and the
Graph backend over the emulator's in-process transport, and the PowerShell backend driving the emulator's admin
host (Microsoft Graph PowerShell over PSRP, signed in with the app's secret as a SecureString).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from pinreset.auth import AccessToken, ClientSecretCredential
from pinreset.backends import TenantBackend
from pinreset.backends.graph import GraphBackend
from pinreset.emulator import Emulator

DEVICES = 40


@attrs.define
class EmulatorToken:
    """A credential minting app-only tokens straight from the emulator (for the in-process transport)."""

    emulator: Emulator
    client_id: str | None = None

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        return AccessToken(self.emulator.access_token(self.client_id), int(time.time()) + 3600)


@attrs.define
class Tenant:
    """What a contract test may use besides the backend: the emulator and backends for other apps."""

    emulator: Emulator
    backend_for: Callable[[str, str | None], TenantBackend]


@pytest.fixture(scope="session")
def https_emulator() -> Iterator[Emulator]:
    """One loopback HTTPS emulator for the session (reset before each test)."""
    with Emulator(devices=DEVICES, seed=7) as emu:
        yield emu


@pytest.fixture(scope="session")
def inprocess_emulator() -> Emulator:
    """One in-process emulator for the session (reset before each test)."""
    return Emulator(devices=DEVICES, seed=7)


@pytest.fixture(scope="session")
def admin_emulator() -> Iterator[Emulator]:
    """One loopback emulator with an admin host running Microsoft Graph PowerShell (reset before each test)."""
    with Emulator(devices=DEVICES, seed=7, admin_host=True) as emu:
        yield emu


def _powershell_backend(emu: Emulator, client_id: str, secret: str | None) -> TenantBackend:
    """A PowerShell backend on the emulator's admin host (HTTPS, NTLM), signed in as ``client_id``."""
    from pinreset.backends.powershell import PowerShellBackend, SecretSignIn
    from pinreset.remote import WinRMConnection

    admin = emu.admin_host
    assert admin is not None
    assert secret is not None
    connection = WinRMConnection(
        username=admin.username, password=admin.password, ca_bundle=admin.ca_bundle, auth="ntlm", no_proxy=True
    )
    sign_in = SecretSignIn(tenant_id=emu.tenant_id, client_id=client_id, secret=secret)
    return PowerShellBackend(f"{admin.address}:{admin.https_port}", connection=connection, sign_in=sign_in)


def _https_backend(emu: Emulator, client_id: str, secret: str | None) -> GraphBackend:
    """A Graph backend signed in with msal over the real server; it closes its credential."""
    assert secret is not None
    credential = ClientSecretCredential(
        emu.tenant_id, client_id, secret, authority_host=emu.authority_host, ca_bundle=emu.ca_bundle
    )
    return GraphBackend.connect(
        credential=credential, graph_url=emu.graph_url, ca_bundle=emu.ca_bundle, close_credential=True
    )


def _inprocess_backend(emu: Emulator, client_id: str, _secret: str | None) -> GraphBackend:
    return GraphBackend.connect(
        credential=EmulatorToken(emu, client_id), graph_url="https://graph.microsoft.com", transport=emu.transport
    )


@pytest.fixture(params=["graph-https", "graph-inprocess", "powershell"])
def tenant(request: pytest.FixtureRequest) -> Tenant:
    """A fresh emulated tenant and a factory of backends of the parametrised kind."""
    make: Callable[[Emulator, str, str | None], TenantBackend]
    if request.param == "graph-https":
        emu: Emulator = request.getfixturevalue("https_emulator")
        make = _https_backend
    elif request.param == "powershell":
        emu = request.getfixturevalue("admin_emulator")
        make = _powershell_backend
    else:
        emu = request.getfixturevalue("inprocess_emulator")
        make = _inprocess_backend
    emu.reset()
    return Tenant(emulator=emu, backend_for=lambda cid, secret: make(emu, cid, secret))


@pytest.fixture
def backend(tenant: Tenant) -> Iterator[TenantBackend]:
    """The backend under contract, signed in as the emulator's admin app (every permission pinreset needs)."""
    emu = tenant.emulator
    with tenant.backend_for(emu.client_id, emu.client_secret) as backend:
        yield backend


BIG_DEVICES = 2100  # more than two of Intune's 1,000-device pages


@pytest.fixture(scope="session")
def https_big_emulator() -> Iterator[Emulator]:
    """A loopback HTTPS emulator with more devices than fit two pages."""
    with Emulator(devices=BIG_DEVICES, seed=11) as emu:
        yield emu


@pytest.fixture(scope="session")
def inprocess_big_emulator() -> Emulator:
    """An in-process emulator with more devices than fit two pages."""
    return Emulator(devices=BIG_DEVICES, seed=11)


@pytest.fixture(scope="session")
def admin_big_emulator() -> Iterator[Emulator]:
    """An emulator with an admin host and more devices than fit two pages."""
    with Emulator(devices=BIG_DEVICES, seed=11, admin_host=True) as emu:
        yield emu


@pytest.fixture(params=["graph-https", "graph-inprocess", "powershell"])
def big_backend(request: pytest.FixtureRequest) -> Iterator[tuple[TenantBackend, Emulator]]:
    """A backend on a tenant with many devices, and its emulator."""
    backend: TenantBackend
    if request.param == "graph-https":
        emu: Emulator = request.getfixturevalue("https_big_emulator")
        backend = _https_backend(emu, emu.client_id, emu.client_secret)
    elif request.param == "powershell":
        emu = request.getfixturevalue("admin_big_emulator")
        backend = _powershell_backend(emu, emu.client_id, emu.client_secret)
    else:
        emu = request.getfixturevalue("inprocess_big_emulator")
        backend = _inprocess_backend(emu, emu.client_id, None)
    with backend:
        yield backend, emu
