"""The ``Emulator`` facade: start/stop, connection facts, moto-style helpers, in-process and real clients."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests

from pinreset.emulator import Emulator, FaultConfig, ThrottleConfig
from pinreset.exceptions import EmulatorError

GRAPH = "https://graph.microsoft.com"


@pytest.fixture(autouse=True)
def _decoy_trust_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the environment's CA variables at an unrelated file: clients must trust the emulator deliberately."""
    decoy = tmp_path / "unrelated.pem"
    decoy.write_text("not a certificate\n")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(decoy))


@pytest.fixture(scope="module")
def emu() -> Emulator:
    """One in-process emulator for the quick tests of this module."""
    return Emulator(devices=6, seed=11)


def _client(emu: Emulator, token: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=emu.transport,
        base_url=GRAPH,
        headers={"Authorization": f"Bearer {token or emu.access_token()}"},
    )


def test_context_manager_serves_https_with_msal_and_httpx() -> None:
    """Inside `with`, msal signs in with the admin secret and httpx reads Graph; afterwards all is gone."""
    with Emulator(devices=3, seed=5) as emu:
        assert emu.ca_bundle is not None
        session = requests.Session()
        session.trust_env = False
        session.verify = emu.ca_bundle
        app = msal.ConfidentialClientApplication(
            emu.client_id,
            client_credential=emu.client_secret,
            authority=emu.authority,
            instance_discovery=False,
            http_client=session,
        )
        token = app.acquire_token_for_client([f"{GRAPH}/.default"])
        assert "access_token" in token, token.get("error_description")
        ca = ssl.create_default_context(cafile=emu.ca_bundle)
        with httpx.Client(verify=ca, headers={"Authorization": f"Bearer {token['access_token']}"}) as client:
            devices = client.get(f"{emu.graph_url}/v1.0/deviceManagement/managedDevices").json()
        assert len(devices["value"]) == 3
        ca_path = Path(emu.ca_bundle)
        url = emu.graph_url
        assert ca_path.is_file()
    assert not ca_path.exists()
    assert not emu.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1.0/organization", verify=False)  # noqa: S501 - only checks the port is closed


def test_env_holds_exactly_the_contract_variables() -> None:
    """`env` names the six contract variables, pointing at this server and its CA."""
    with Emulator(devices=1) as emu:
        env: Mapping[str, str] = emu.env
        assert env == {
            "AZURE_TENANT_ID": emu.tenant_id,
            "AZURE_CLIENT_ID": emu.client_id,
            "AZURE_CLIENT_SECRET": emu.client_secret,
            "AZURE_AUTHORITY_HOST": emu.authority_host,
            "PINRESET_GRAPH_URL": emu.graph_url,
            "PINRESET_CA_BUNDLE": emu.ca_bundle,
        }
        assert emu.authority == f"{emu.authority_host}/{emu.tenant_id}"


def test_server_facts_need_a_started_server(emu: Emulator) -> None:
    """URLs and the CA exist only while serving; asking earlier is a clear EmulatorError."""
    with pytest.raises(EmulatorError, match="not started"):
        _ = emu.graph_url
    with pytest.raises(EmulatorError, match="scheme"):
        Emulator(scheme="ftp")


def test_repr_hides_the_secret(emu: Emulator) -> None:
    """Neither the emulator's nor the admin app's repr shows the client secret."""
    assert emu.client_secret not in repr(emu)
    assert emu.client_secret not in repr(emu.apps.admin)
    assert emu.tenant_id in repr(emu)


def test_same_seed_same_tenant() -> None:
    """Two emulators with one seed agree on tenant id, client id and devices."""
    first, second = Emulator(devices=2, seed=9), Emulator(devices=2, seed=9)
    assert (first.tenant_id, first.client_id) == (second.tenant_id, second.client_id)
    with _client(first) as a, _client(second) as b:
        path = "/v1.0/deviceManagement/managedDevices?$select=id,deviceName"
        assert a.get(path).json()["value"] == b.get(path).json()["value"]


def test_in_process_transport_needs_no_server(emu: Emulator) -> None:
    """httpx over `emu.transport` reads Graph with Graph's own base URL and never opens a socket."""
    with _client(emu) as client:
        organization = client.get("/v1.0/organization")
    assert organization.status_code == 200
    assert organization.json()["value"][0]["id"] == emu.tenant_id
    assert not emu.running


def test_msal_in_process(emu: Emulator) -> None:
    """msal signs in through `emu.msal_http_client` with the public cloud's authority URL."""
    app = msal.ConfidentialClientApplication(
        emu.client_id,
        client_credential=emu.client_secret,
        authority=f"https://login.microsoftonline.com/{emu.tenant_id}",
        instance_discovery=False,
        http_client=emu.msal_http_client,
    )
    result = app.acquire_token_for_client([f"{GRAPH}/.default"])
    with _client(emu, result["access_token"]) as client:
        assert client.get("/v1.0/organization").status_code == 200


def test_least_privilege_app_is_refused_and_expired_tokens_too(emu: Emulator) -> None:
    """A registered app without device permissions gets 403; an expired admin token gets 401."""
    reader = emu.register_app(permissions={"Organization.Read.All"}, name="reader")
    with _client(emu, emu.access_token(reader.client_id)) as client:
        assert client.get("/v1.0/organization").status_code == 200
        denied = client.get("/v1.0/deviceManagement/managedDevices")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "Authorization_RequestDenied"
    with _client(emu, emu.access_token(lifetime=-60)) as client:
        expired = client.get("/v1.0/organization")
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_registered_app_appears_as_service_principal(emu: Emulator) -> None:
    """Registering an app makes its service principal visible to Graph, findable by appId."""
    app = emu.register_app(permissions=(), name="visible")
    with _client(emu) as client:
        found = client.get("/v1.0/servicePrincipals", params={"$filter": f"appId eq '{app.client_id}'"}).json()
    assert [sp["displayName"] for sp in found["value"]] == ["visible"]


def test_reset_restores_the_seeded_state() -> None:
    """reset() forgets registered apps and the request log and rebuilds the tenant from the seed."""
    emu = Emulator(devices=2, seed=4)
    extra = emu.register_app(name="temporary")
    with _client(emu) as client:
        before = client.get("/v1.0/servicePrincipals").json()["value"]
    emu.reset()
    assert emu.apps.get(extra.client_id) is None
    assert emu.requests == []
    with _client(emu) as client:
        after = client.get("/v1.0/servicePrincipals").json()["value"]
    assert {sp["appId"] for sp in before} - {sp["appId"] for sp in after} == {extra.client_id}


def test_request_log_records_calls_without_secrets(emu: Emulator) -> None:
    """Each Graph call is logged with method, path, status and app id; no token or secret appears."""
    token = emu.access_token()
    with _client(emu, token) as client:
        client.get("/v1.0/organization")
    record = emu.requests[-1]
    assert (record.method, record.path, record.status, record.app_id) == (
        "GET",
        "/v1.0/organization",
        200,
        emu.client_id,
    )
    assert token not in repr(emu.requests)
    assert emu.client_secret not in repr(emu.requests)


def test_faults_can_be_switched_on_and_off(emu: Emulator) -> None:
    """set_faults injects 5xx into Graph calls and counts them; None switches them off."""
    emu.set_faults(FaultConfig(rate=1.0, kinds={"error": 1.0}, statuses=(502,)))
    try:
        with _client(emu) as client:
            failed = client.get("/v1.0/organization")
        assert failed.status_code == 502
        assert failed.json()["error"]["code"] == "BadGateway"
        assert emu.fault_counts == {"error": 1, "502": 1}
    finally:
        emu.set_faults(None)
    with _client(emu) as client:
        assert client.get("/v1.0/organization").status_code == 200
    assert emu.fault_counts == {}


def test_throttling_can_be_switched_on() -> None:
    """With tiny limits Graph answers 429 with Retry-After; switching throttling off lifts it."""
    emu = Emulator(devices=2, seed=2)
    emu.set_throttling(ThrottleConfig(scale=0.0001))
    with _client(emu) as client:
        statuses = [client.get("/v1.0/deviceManagement/managedDevices") for _ in range(3)]
        assert statuses[-1].status_code == 429
        assert int(statuses[-1].headers["Retry-After"]) >= 1
        emu.set_throttling(False)
        assert client.get("/v1.0/deviceManagement/managedDevices").status_code == 200


def test_advance_moves_the_simulated_clock(emu: Emulator) -> None:
    """advance() moves the tenant's clock forward by the given seconds."""
    before = emu.clock.now()
    emu.advance(3600)
    assert (emu.clock.now() - before).total_seconds() == 3600


class _Recorder:
    """A service that records its lifecycle."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def start(self, emulator: Any) -> None:
        self.events.append(f"start {emulator.graph_url}")

    def stop(self) -> None:
        self.events.append("stop")

    def env(self) -> Mapping[str, str]:
        return {"PINRESET_EXTRA": "1"}


def test_added_services_start_stop_and_extend_env() -> None:
    """An added service starts after the server, stops before it and contributes to `env`."""
    recorder = _Recorder()
    emu = Emulator(devices=1)
    emu.add_service(recorder)
    with emu:
        assert emu.env["PINRESET_EXTRA"] == "1"
        url = emu.graph_url
    assert recorder.events == [f"start {url}", "stop"]


def test_a_dropped_create_may_still_have_happened() -> None:
    """A connection dropped after processing loses the answer, not the write: the object exists afterwards."""
    emu = Emulator(devices=1, seed=3)
    service_app = "b8456c59-1230-44c7-a4a2-99b085333e84"  # Microsoft Pin Reset Service Production
    emu.set_faults(FaultConfig(rate=1.0, kinds={"drop": 1.0}, drop_after_processing=1.0))
    with _client(emu) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/v1.0/servicePrincipals", json={"appId": service_app})
        emu.set_faults(None)
        found = client.get("/v1.0/servicePrincipals", params={"$filter": f"appId eq '{service_app}'"}).json()
    assert len(found["value"]) == 1
    assert emu.requests[0].status == 0
    assert emu.requests[0].fault == "drop"


class _Broken:
    """A service that cannot start."""

    def start(self, emulator: Any) -> None:
        raise RuntimeError("no")

    def stop(self) -> None:
        raise AssertionError("a service that never started is not stopped")

    def env(self) -> Mapping[str, str]:
        return {}


def test_a_service_that_fails_to_start_leaves_nothing_running() -> None:
    """If an added service cannot start, the server is stopped again and its TLS files are removed."""
    recorder = _Recorder()
    emu = Emulator(devices=1)
    emu.add_service(recorder)
    emu.add_service(_Broken())
    with pytest.raises(RuntimeError):
        emu.start()
    assert not emu.running
    assert recorder.events[-1] == "stop"
    emu.stop()  # stopping a stopped emulator is harmless


def test_busy_port_is_an_emulator_error() -> None:
    """A port already in use gives an EmulatorError naming the address, not an OSError."""
    with Emulator(devices=1) as first:
        port = int(first.graph_url.rsplit(":", 1)[1])
        with pytest.raises(EmulatorError, match=f"cannot listen on 127.0.0.1:{port}"):
            Emulator(devices=1, port=port).start()


def test_request_log_can_be_read_while_serving() -> None:
    """Reading `requests` while other threads are being answered neither fails nor loses entries."""
    emu = Emulator(devices=1, seed=6)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with _client(emu) as client:
                for _ in range(150):
                    client.get("/v1.0/organization")
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    while any(w.is_alive() for w in workers):
        assert all(r.status == 200 for r in emu.requests)
    for worker in workers:
        worker.join()
    assert failures == []
    assert len(emu.requests) == 450
