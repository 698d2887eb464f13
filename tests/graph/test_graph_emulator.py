"""The Graph client and backend against the emulator: throttling, pacing, faults, TLS trust, environment."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pinreset.auth import AccessToken
from pinreset.backends.graph import GraphBackend
from pinreset.emulator import Emulator, FaultConfig
from pinreset.emulator._throttle import ThrottleConfig
from pinreset.exceptions import TransportError
from pinreset.graph import FamilyLimit, GraphClient, Pacer
from pinreset.models import ActionOutcome, AllUsersTarget, DeviceAction, DeviceFilter, PolicyKind, PolicySpec

WRITABLE = (PolicyKind.SETTINGS_CATALOG, PolicyKind.IDENTITY_PROTECTION, PolicyKind.CUSTOM_OMA_URI)


class Clock:
    """One fake monotonic clock shared by the emulator's throttle and the client's sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


class EmulatorToken:
    """Mints the admin app's token from the emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        return AccessToken(self.emulator.access_token(), int(time.time()) + 3600)


def backend_for(emu: Emulator, clock: Clock, **options: Any) -> GraphBackend:
    return GraphBackend.connect(
        credential=EmulatorToken(emu),
        graph_url="https://graph.microsoft.com",
        transport=emu.transport,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


def test_throttled_batch_requests_are_retried_until_done() -> None:
    """Without pacing, inner 429s from Intune's devices limit are waited out and every device succeeds."""
    clock = Clock()
    emu = Emulator(devices=30, seed=2, throttling=ThrottleConfig(scale=0.05, clock=clock))  # 10 writes / 20 s
    backend = backend_for(emu, clock, pacing=False)
    ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
    results = list(backend.run_device_action(DeviceAction.SYNC, ids, strategy="batch"))
    assert len(results) == len(ids) == 30
    assert {r.outcome for r in results} == {ActionOutcome.SUCCEEDED}
    assert clock.slept >= 20.0  # it had to wait for the window to move
    assert backend.client.requests_sent > 3  # the two $batch POSTs plus retry rounds


def test_pacing_stays_under_the_limit() -> None:
    """With the pacer told the same limit, no request is throttled and the batches go out once."""
    clock = Clock()
    emu = Emulator(devices=30, seed=2, throttling=ThrottleConfig(scale=0.05, clock=clock))
    pacer = Pacer({"devices": FamilyLimit(writes=10, total=100)}, clock=clock, sleep=clock.sleep)
    backend = backend_for(emu, clock, pacing=pacer)
    ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
    sent_before = backend.client.requests_sent
    results = list(backend.run_device_action(DeviceAction.SYNC, ids, strategy="batch"))
    assert {r.outcome for r in results} == {ActionOutcome.SUCCEEDED}
    # The pacer lets 10 inner requests through per window, so 3 batches of 10 and not one retry.
    assert backend.client.requests_sent - sent_before == 3
    assert pacer.waited >= 40.0
    assert all(r.status != 429 for r in emu.requests)


def test_execute_action_is_fewer_requests_than_batch() -> None:
    """The bulk action reaches 250 devices in 3 requests; the $batch route needs 13 (and 250 throttled writes)."""
    clock = Clock()
    emu = Emulator(devices=250, seed=4)
    backend = backend_for(emu, clock)
    ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
    before = backend.client.requests_sent
    assert len(list(backend.run_device_action(DeviceAction.SYNC, ids))) == 250
    assert backend.client.requests_sent - before == 3
    before = backend.client.requests_sent
    assert len(list(backend.run_device_action(DeviceAction.SYNC, ids, strategy="batch"))) == 250
    assert backend.client.requests_sent - before == 13


class RefuseExecuteAction(httpx.BaseTransport):
    """Answers executeAction with 400 (a tenant or cloud without it) and passes the rest to the emulator."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/executeAction"):
            return httpx.Response(400, json={"error": {"code": "BadRequest", "message": "not supported"}})
        return self.inner.handle_request(request)


def test_auto_falls_back_to_batch_when_execute_action_is_refused() -> None:
    """When executeAction is refused, auto sends per-device requests and still reports every device."""
    emu = Emulator(devices=12, seed=5)
    backend = GraphBackend.connect(
        credential=EmulatorToken(emu),
        graph_url="https://graph.microsoft.com",
        transport=RefuseExecuteAction(emu.transport),
    )
    ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
    results = list(backend.run_device_action(DeviceAction.RESTART, [*ids, "missing"]))
    assert len(results) == 13
    assert {r.device_id: r.outcome for r in results}["missing"] is ActionOutcome.NOT_FOUND
    assert sum(r.outcome is ActionOutcome.SUCCEEDED for r in results) == 12


def test_faults_do_not_duplicate_or_drop() -> None:
    """With 30% of requests failing (5xx, drops, truncation), writes converge without duplicates."""
    clock = Clock()
    emu = Emulator(devices=60, seed=6, faults=FaultConfig(rate=0.3, seed=9))
    backend = backend_for(emu, clock, max_retries=10)
    for kind in WRITABLE:
        policy = backend.create_policy(PolicySpec(kind=kind, name=f"faulty {kind.value}"))
        backend.assign_policy(policy.ref, [AllUsersTarget()])
    sp = backend.create_service_principal("9115dd05-fad5-4f9c-acc7-305d08b1b04e")
    ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
    results = list(backend.run_device_action(DeviceAction.SYNC, ids))
    assert sum(emu.fault_counts.values()) > 10
    emu.set_faults(None)
    names = [p.name for p in backend.list_policies() if p.name.startswith("faulty")]
    assert sorted(names) == sorted(f"faulty {k.value}" for k in WRITABLE)
    assert all(p.assignments == (AllUsersTarget(),) for p in backend.list_policies() if p.name.startswith("faulty"))
    assert backend.find_service_principals([sp.app_id])[sp.app_id].id == sp.id
    assert len(ids) == 60
    assert sorted(r.device_id for r in results) == sorted(ids)


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    """A loopback HTTPS emulator."""
    with Emulator(devices=5, seed=8) as emu:
        yield emu


def test_wrong_trust_store_is_a_transport_error_without_retries(server: Emulator) -> None:
    """Against an untrusted certificate the client fails fast with TransportError."""
    clock = Clock()
    client = GraphClient(EmulatorToken(server), graph_url=server.graph_url, clock=clock, sleep=clock.sleep)
    with client, pytest.raises(TransportError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        client.get("/v1.0/organization")
    assert clock.slept == 0.0
    assert client.requests_sent == 1


def test_ca_bundle_wins_over_environment(server: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SSL_CERT_FILE, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE pointing elsewhere do not change whom Graph trusts."""
    wrong = tmp_path / "wrong.pem"
    wrong.write_text("not a certificate\n")
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(wrong))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # loopback is never proxied
    assert server.ca_bundle is not None
    with GraphClient(EmulatorToken(server), graph_url=server.graph_url, verify=server.ca_bundle) as client:
        assert client.get("/v1.0/organization")["value"][0]["id"] == server.tenant_id


def test_from_environment_signs_in_with_msal(server: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The emulator's printed environment is all GraphBackend.from_environment needs, whatever else is set."""
    wrong = tmp_path / "wrong.pem"
    wrong.write_text("not a certificate\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(wrong))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(wrong))
    with GraphBackend.from_environment(environ=server.env) as backend:
        assert backend.tenant_info().id == server.tenant_id
        assert backend.client.graph_url == server.graph_url


def test_federated_domains_are_reported() -> None:
    """A federated tenant reports its federated domains."""
    emu = Emulator(devices=1, seed=3, federated=True)
    backend = backend_for(emu, Clock())
    info = backend.tenant_info()
    assert info.is_federated
    assert set(info.federated_domains) <= set(info.verified_domains)
