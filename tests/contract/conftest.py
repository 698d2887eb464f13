"""The ``backend`` fixture every backend contract test runs against.

Each backend variant talks to an emulated tenant (``tenant`` fixture: the emulator plus a way to mint backends
for other apps). Today: the Graph backend over the emulator's real HTTPS server, signed in with msal, and the
Graph backend over the emulator's in-process transport. The PowerShell backend joins by adding a variant here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from pinreset.auth import AccessToken, ClientSecretCredential
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
    backend_for: Callable[[str, str | None], GraphBackend]


@pytest.fixture(scope="session")
def https_emulator() -> Iterator[Emulator]:
    """One loopback HTTPS emulator for the session (reset before each test)."""
    with Emulator(devices=DEVICES, seed=7) as emu:
        yield emu


@pytest.fixture(scope="session")
def inprocess_emulator() -> Emulator:
    """One in-process emulator for the session (reset before each test)."""
    return Emulator(devices=DEVICES, seed=7)


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


@pytest.fixture(params=["graph-https", "graph-inprocess"])
def tenant(request: pytest.FixtureRequest) -> Tenant:
    """A fresh emulated tenant and a factory of backends of the parametrised kind."""
    if request.param == "graph-https":
        emu: Emulator = request.getfixturevalue("https_emulator")
        make = _https_backend
    else:
        emu = request.getfixturevalue("inprocess_emulator")
        make = _inprocess_backend
    emu.reset()
    return Tenant(emulator=emu, backend_for=lambda cid, secret: make(emu, cid, secret))


@pytest.fixture
def backend(tenant: Tenant) -> Iterator[GraphBackend]:
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


@pytest.fixture(params=["graph-https", "graph-inprocess"])
def big_backend(request: pytest.FixtureRequest) -> Iterator[tuple[GraphBackend, Emulator]]:
    """A backend on a tenant with many devices, and its emulator."""
    if request.param == "graph-https":
        emu: Emulator = request.getfixturevalue("https_big_emulator")
        backend = _https_backend(emu, emu.client_id, emu.client_secret)
    else:
        emu = request.getfixturevalue("inprocess_big_emulator")
        backend = _inprocess_backend(emu, emu.client_id, None)
    with backend:
        yield backend, emu
