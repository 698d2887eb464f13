"""The loopback server, the in-process transport and fault injection, driven by real clients."""

from __future__ import annotations

import json
import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import msal
import pytest

from pinreset.emulator._apps import AppRegistry
from pinreset.emulator._faults import FaultConfig, FaultInjector
from pinreset.emulator._http import Request, Response
from pinreset.emulator._identity import IdentityApp
from pinreset.emulator._jwt import Signer
from pinreset.emulator._oauth import SignInUser
from pinreset.emulator._router import Router
from pinreset.emulator._server import EmulatorServer
from pinreset.emulator._tls import TlsMaterial
from pinreset.emulator._transport import EmulatorTransport, MsalHttpClient
from pinreset.exceptions import ConfigurationError

TENANT = "0b4f6c8e-1a2b-4c3d-8e9f-112233445566"


class _Echo:
    """Answers every Graph request with what it received (never the Authorization header)."""

    def handle(self, request: Request) -> Response:
        if request.path.endswith("/empty"):
            return Response(204)
        return Response.json_body(
            200,
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "scheme": request.headers.get("x-emulator-scheme"),
                "host": request.headers.get("host"),
                "body_length": len(request.body),
                "padding": "x" * 2000,
            },
        )


def _router(faults: FaultConfig | None = None) -> Router:
    registry = AppRegistry(3)
    identity = IdentityApp(
        tenant_id=TENANT,
        tenant_name="Fabrikam",
        registry=registry,
        signer=Signer(),
        user=SignInUser("u", "u@fabrikam.com", "U"),
    )
    injector = FaultInjector(faults) if faults else None
    return Router(identity=identity, graph=_Echo(), tenant_id=TENANT, faults=injector)


@pytest.fixture(scope="module")
def tls() -> Iterator[TlsMaterial]:
    """One CA and server certificate for the module."""
    material = TlsMaterial.generate()
    yield material
    material.cleanup()


@pytest.fixture(autouse=True)
def _decoy_trust_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the environment's CA variables at an unrelated file: clients must trust the emulator deliberately."""
    decoy = tmp_path / "unrelated.pem"
    decoy.write_text("not a certificate\n")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(decoy))


@pytest.fixture
def served(tls: TlsMaterial) -> Iterator[tuple[EmulatorServer, Router]]:
    """An echo router behind the real HTTPS server."""
    router = _router()
    server = EmulatorServer(router, ssl_context=tls.server_context())
    server.start()
    yield server, router
    server.stop()


def test_query_is_percent_decoded_and_scheme_is_passed(served: tuple[EmulatorServer, Router], tls: TlsMaterial) -> None:
    """A percent-encoded $filter arrives decoded; the app learns the scheme and host for absolute links."""
    server, _ = served
    with httpx.Client(verify=tls.client_context()) as client:
        response = client.get(f"{server.url}/beta/servicePrincipals?%24filter=appId%20eq%20%27a%27%27b%27&%24top=5")
    body = response.json()
    assert body["query"] == {"$filter": "appId eq 'a''b'", "$top": "5"}
    assert body["scheme"] == "https"
    assert body["host"] == server.url.removeprefix("https://")


def test_keep_alive_and_chunked_bodies_on_one_connection(
    served: tuple[EmulatorServer, Router], tls: TlsMaterial
) -> None:
    """Two requests share one TLS connection; a chunked request body is reassembled."""
    server, _ = served
    host, port = "127.0.0.1", server.port
    chunked = (
        b"POST /v1.0/things HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b'Content-Type: application/json\r\n\r\n5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n'
    )
    plain = b"GET /v1.0/again HTTP/1.1\r\nHost: x\r\n\r\n"
    answers = []
    # The reader closes with the socket: an open makefile keeps the descriptor alive until it is collected.
    with (
        socket.create_connection((host, port)) as raw,
        tls.client_context().wrap_socket(raw, server_hostname=host) as s,
        s.makefile("rb") as reader,
    ):
        for request in (chunked, plain):
            s.sendall(request)
            status = reader.readline()
            headers = {}
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            answers.append((status, json.loads(reader.read(int(headers["content-length"])))))
    assert [a[0].split()[1] for a in answers] == [b"200", b"200"]
    assert answers[0][1]["body_length"] == 7
    assert answers[1][1]["path"] == "/v1.0/again"


def test_stop_breaks_open_connections(tls: TlsMaterial) -> None:
    """After stop() an idle keep-alive client cannot reach the old server any more."""
    server = EmulatorServer(_router(), ssl_context=tls.server_context())
    server.start()
    with httpx.Client(verify=tls.client_context()) as client:
        assert client.get(f"{server.url}/v1.0/x").status_code == 200
        server.stop()
        with pytest.raises(httpx.TransportError):
            client.get(f"{server.url}/v1.0/x")


def test_plain_http_only_when_asked() -> None:
    """Without a TLS context the server speaks plain HTTP and reports the scheme to the app."""
    server = EmulatorServer(_router())
    server.start()
    try:
        assert server.url.startswith("http://")
        with httpx.Client(trust_env=False) as client:
            assert client.get(f"{server.url}/v1.0/x").json()["scheme"] == "http"
    finally:
        server.stop()


def test_ipv6_loopback(tls: TlsMaterial) -> None:
    """The certificate covers ::1 and the server can listen there."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    server = EmulatorServer(_router(), host="::1", ssl_context=tls.server_context())
    try:
        server.start()
    except OSError:
        pytest.skip("::1 cannot be bound here")
    try:
        with httpx.Client(verify=tls.client_context()) as client:
            assert client.get(f"{server.url}/v1.0/x").status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["drop", "truncate"])
def test_connection_faults_reach_httpx_over_the_server(tls: TlsMaterial, kind: str) -> None:
    """Dropped connections and truncated bodies surface in httpx as transport errors; the next request works."""
    router = _router(FaultConfig(rate=1.0, kinds={kind: 1.0}, drop_after_processing=0.0))
    server = EmulatorServer(router, ssl_context=tls.server_context())
    server.start()
    try:
        with httpx.Client(verify=tls.client_context()) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(f"{server.url}/v1.0/x")
            router.faults = None
            assert client.get(f"{server.url}/v1.0/x").status_code == 200
    finally:
        server.stop()
    assert router.log[0].fault == kind
    assert (router.log[0].status == 0) is (kind == "drop")


def test_server_errors_have_graph_bodies_and_identity_is_spared(tls: TlsMaterial) -> None:
    """5xx faults carry Graph's error body and Retry-After; sign-in requests get no faults by default."""
    router = _router(FaultConfig(rate=1.0, kinds={"error": 1.0}, statuses=(503,), retry_after=2))
    server = EmulatorServer(router, ssl_context=tls.server_context())
    server.start()
    try:
        with httpx.Client(verify=tls.client_context()) as client:
            graph = client.get(f"{server.url}/v1.0/x", headers={"client-request-id": "abc"})
            identity = client.get(f"{server.url}/{TENANT}/v2.0/.well-known/openid-configuration")
    finally:
        server.stop()
    assert graph.status_code == 503
    assert graph.headers["retry-after"] == "2"
    error = graph.json()["error"]
    assert error["code"] == "serviceNotAvailable"
    assert error["innerError"]["client-request-id"] == "abc"
    assert identity.status_code == 200
    assert router.faults is not None
    assert router.faults.counts == {"error": 1, "503": 1}


def test_fault_decisions_are_reproducible_and_near_the_rate() -> None:
    """Two injectors with one seed decide identically; the fault share is close to the configured rate."""
    config = FaultConfig(rate=0.2, seed=42)
    first, second = FaultInjector(config), FaultInjector(config)
    a = [first.decide() for _ in range(2000)]
    b = [second.decide() for _ in range(2000)]
    assert a == b
    assert 0.17 < sum(d is not None for d in a) / 2000 < 0.23
    assert set(first.counts) >= {"error", "slow", "drop", "truncate"}
    assert first.total == sum(d is not None for d in a)


def test_fault_config_rejects_nonsense() -> None:
    """Rates outside [0, 1] and unknown kinds are refused with a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="between 0 and 1"):
        FaultConfig(rate=1.5)
    with pytest.raises(ConfigurationError, match="unknown fault kinds"):
        FaultConfig(kinds={"meteor": 1.0})


def test_in_process_transport_answers_without_sockets() -> None:
    """httpx over EmulatorTransport reaches the router with any base URL, decoding the query."""
    router = _router()
    with httpx.Client(transport=EmulatorTransport(router), base_url="https://graph.microsoft.com") as client:
        response = client.post("/v1.0/things?%24select=id", json={"a": 1})
        empty = client.delete("/v1.0/things/empty")
    assert response.json()["query"] == {"$select": "id"}
    assert response.json()["host"] == "graph.microsoft.com"
    assert response.json()["body_length"] == len(b'{"a":1}')
    assert empty.status_code == 204
    assert router.log[-1].service == "graph"


@pytest.mark.parametrize("kind", ["drop", "truncate"])
def test_in_process_transport_acts_out_faults(kind: str) -> None:
    """In-process, a dropped connection and a truncated body raise as they would over a socket."""
    router = _router(FaultConfig(rate=1.0, kinds={kind: 1.0}))
    with httpx.Client(transport=EmulatorTransport(router)) as client, pytest.raises(httpx.RemoteProtocolError):
        client.get("https://graph.microsoft.com/v1.0/x")


def test_msal_signs_in_in_process() -> None:
    """msal with the in-process http_client signs in against any authority URL, no sockets."""
    router = _router()
    identity = router.identity
    assert isinstance(identity, IdentityApp)
    admin = identity.registry.admin
    app = msal.ConfidentialClientApplication(
        admin.client_id,
        client_credential=admin.client_secret,
        authority=f"https://login.microsoftonline.com/{TENANT}",
        instance_discovery=False,
        http_client=MsalHttpClient(router),
    )
    result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result.get("error_description")
    assert [r.path for r in router.log] == [
        f"/{TENANT}/v2.0/.well-known/openid-configuration",
        f"/{TENANT}/oauth2/v2.0/token",
    ]


def test_unknown_paths_get_graph_errors() -> None:
    """Paths outside Graph and identity get a 404 in Graph's error shape, client-request-id included."""
    response = _router().handle(Request("GET", "/nothing/here"))
    assert response.status == 404
    assert response.json()["error"]["code"] == "NotFound"
    inner = response.json()["error"]["innerError"]
    assert uuid.UUID(inner["request-id"])
    assert inner["client-request-id"] == inner["request-id"] == response.headers["request-id"]
    echoed = _router().handle(Request("GET", "/nothing/here", headers={"client-request-id": "mine-1"}))
    assert echoed.json()["error"]["innerError"]["client-request-id"] == "mine-1"
    assert echoed.headers["client-request-id"] == "mine-1"


def test_tls_files_are_private_and_cover_loopback(tls: TlsMaterial) -> None:
    """The key file is 0600, the directory 0700, and the certificate names every loopback form."""
    assert tls.key_path.stat().st_mode & 0o777 == 0o600
    assert tls.directory.stat().st_mode & 0o777 == 0o700
    assert set(tls.names) >= {"127.0.0.1", "localhost", "::1"}
    context = tls.client_context()
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_slow_faults_answer_correctly_and_identity_faults_are_opt_in() -> None:
    """A slow fault still answers the request (and is logged as slow); include_identity extends faults to sign-in."""
    router = _router(FaultConfig(rate=1.0, kinds={"slow": 1.0}, slow_seconds=0.05, include_identity=True))
    answer = router.handle(Request("GET", f"/{TENANT}/v2.0/.well-known/openid-configuration", headers={"host": "h"}))
    assert answer.status == 200
    assert answer.json()["issuer"] == f"https://h/{TENANT}/v2.0"
    record = router.log[-1]
    assert (record.service, record.fault) == ("identity", "slow")
    assert record.duration >= 0.05


def _exchange(server: EmulatorServer, tls: TlsMaterial, payload: bytes) -> bytes:
    """Send raw bytes over TLS and read until the server closes the connection."""
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        tls.client_context().wrap_socket(raw, server_hostname="127.0.0.1") as s,
    ):
        s.sendall(payload)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    return received


def test_http_framing_edge_cases(served: tuple[EmulatorServer, Router], tls: TlsMaterial) -> None:
    """HTTP/1.0 closes after answering, Expect: 100-continue gets an interim answer, garbage (a request line, an
    absolute target or a chunk size) gets 400 and a close."""
    server, _ = served
    old = _exchange(server, tls, b"GET /v1.0/old HTTP/1.0\r\nHost: x\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close" in old
    expect = _exchange(
        server,
        tls,
        b"POST /v1.0/e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    assert expect.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert b'"body_length": 2' in expect
    garbage = _exchange(server, tls, b"NONSENSE\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    bad_chunk = _exchange(server, tls, b"POST /v1.0/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       b"zz\r\n{}\r\n0\r\n\r\n")
    assert bad_chunk.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in bad_chunk
    bad_target = _exchange(server, tls, b"GET https://[::1/v1.0/x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert bad_target.startswith(b"HTTP/1.1 400 Bad Request\r\n")
