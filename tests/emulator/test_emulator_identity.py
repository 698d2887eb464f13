"""Sign-in against the emulator's identity endpoints with unmodified msal, over the real loopback HTTPS server."""

from __future__ import annotations

import json
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import jwt
import msal
import pytest
import requests

from pinreset.emulator._apps import AppRegistry, RegisteredApp, generate_certificate
from pinreset.emulator._http import Request, Response, Unauthorized
from pinreset.emulator._identity import IdentityApp, IdentityConfig
from pinreset.emulator._jwt import Signer, TokenAuthenticator
from pinreset.emulator._oauth import SignInUser
from pinreset.emulator._router import Router
from pinreset.emulator._server import EmulatorServer
from pinreset.emulator._tls import TlsMaterial

TENANT = "6f1c2b9e-0d3a-4c5e-9b7a-2e8d4f6a1c3b"
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]


class _OrgGraph:
    """A minimal Graph stand-in: authenticates like Graph and needs Organization.Read.All for /organization."""

    def __init__(self, authenticator: TokenAuthenticator) -> None:
        self.authenticator = authenticator

    def handle(self, request: Request) -> Response:
        try:
            principal = self.authenticator.authenticate(request)
        except Unauthorized as exc:
            return Response.json_body(401, {"error": {"code": exc.code, "message": exc.message}})
        if not principal.allows("Organization.Read.All"):
            return Response.json_body(403, {"error": {"code": "Authorization_RequestDenied", "message": "denied"}})
        return Response.json_body(200, {"value": [{"id": principal.tenant_id}], "appId": principal.app_id})


@attrs.frozen
class Stack:
    url: str
    ca: str
    registry: AppRegistry
    router: Router
    signer: Signer

    @property
    def authority(self) -> str:
        return f"{self.url}/{TENANT}"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """Identity + a minimal Graph behind the real HTTPS server."""
    tls = TlsMaterial.generate()
    signer = Signer()
    registry = AppRegistry(7)
    identity = IdentityApp(
        tenant_id=TENANT,
        tenant_name="Contoso",
        registry=registry,
        signer=signer,
        user=SignInUser(str(uuid.uuid4()), "admin@contoso.onmicrosoft.com", "Tenant Admin"),
        default_domain="contoso.onmicrosoft.com",
        config=IdentityConfig(device_code_delay=0.3),
    )
    router = Router(
        identity=identity,
        graph=_OrgGraph(TokenAuthenticator(signer, TENANT)),
        tenant_id=TENANT,
        default_domain="contoso.onmicrosoft.com",
    )
    server = EmulatorServer(router, ssl_context=tls.server_context())
    server.start()
    yield Stack(url=server.url, ca=str(tls.ca_path), registry=registry, router=router, signer=signer)
    server.stop()
    tls.cleanup()


@pytest.fixture(autouse=True)
def _decoy_trust_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the environment's CA variables at an unrelated CA: clients must trust the emulator deliberately."""
    decoy = TlsMaterial.generate()
    target = tmp_path / "unrelated-ca.pem"
    target.write_bytes(decoy.ca_path.read_bytes())
    decoy.cleanup()
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(target))


def _session(ca: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify= on every request
    session.verify = ca
    return session


def _confidential(stack: Stack, client_id: str, credential: Any) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=stack.authority,
        instance_discovery=False,
        http_client=_session(stack.ca),
    )


def _httpx(stack: Stack) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=stack.ca), base_url=stack.url)


def _claims(stack: Stack, token: str) -> dict[str, Any]:
    """Verify a token against the published JWKS, as a resource server would."""
    with _httpx(stack) as client:
        config = client.get(f"/{TENANT}/v2.0/.well-known/openid-configuration").json()
        keys = client.get(config["jwks_uri"]).json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k) for k in keys if k["kid"] == kid)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="https://graph.microsoft.com")


def test_secret_sign_in_returns_verifiable_graph_token(stack: Stack) -> None:
    """msal signs in with the admin secret and gets a Graph token verifiable against the JWKS."""
    admin = stack.registry.admin
    result = _confidential(stack, admin.client_id, admin.client_secret).acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result
    claims = _claims(stack, result["access_token"])
    assert claims["iss"] == f"https://sts.windows.net/{TENANT}/"
    assert claims["tid"] == TENANT
    assert claims["appid"] == admin.client_id
    assert "DeviceManagementManagedDevices.PrivilegedOperations.All" in claims["roles"]
    assert 3500 < claims["exp"] - time.time() <= 3600


def test_token_calls_graph(stack: Stack) -> None:
    """The token msal obtained is accepted by the Graph side."""
    admin = stack.registry.admin
    token = _confidential(stack, admin.client_id, admin.client_secret).acquire_token_for_client(GRAPH_SCOPE)
    with _httpx(stack) as client:
        response = client.get("/v1.0/organization", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 200
    assert response.json()["appId"] == admin.client_id


def test_wrong_secret_is_refused_with_aadsts7000215(stack: Stack) -> None:
    """A wrong secret yields msal's error dict with AADSTS7000215 and the identity platform's fields."""
    result = _confidential(stack, stack.registry.admin.client_id, "not-the-secret").acquire_token_for_client(
        GRAPH_SCOPE
    )
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert result["error_codes"] == [7000215]
    assert {"timestamp", "trace_id", "correlation_id"} <= set(result)
    assert "not-the-secret" not in json.dumps(result)


def test_unknown_application_is_refused_with_aadsts700016(stack: Stack) -> None:
    """A client id the tenant does not know yields AADSTS700016."""
    result = _confidential(stack, str(uuid.uuid4()), "whatever").acquire_token_for_client(GRAPH_SCOPE)
    assert result["error"] == "unauthorized_client"
    assert result["error_description"].startswith("AADSTS700016: Application with identifier")


@pytest.fixture(scope="module")
def cert_app(stack: Stack) -> RegisteredApp:
    """An app with a generated certificate and no secret (RSA key generation is slow: one per module)."""
    return stack.registry.register(permissions={"Organization.Read.All"}, secret=False, certificate=True, name="cert")


@pytest.mark.parametrize("form", ["thumbprint", "public_certificate"])
def test_certificate_sign_in(stack: Stack, cert_app: RegisteredApp, form: str) -> None:
    """msal's certificate credential works both as SHA-1 thumbprint (RS256) and as certificate (PS256, x5t#S256)."""
    app = cert_app
    credential: dict[str, str] = {"private_key": app.private_key_pem or ""}
    if form == "thumbprint":
        credential["thumbprint"] = app.sha1_thumbprint or ""
    else:
        credential["public_certificate"] = app.certificate_pem or ""
    result = _confidential(stack, app.client_id, credential).acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result.get("error_description")
    claims = _claims(stack, result["access_token"])
    assert claims["appidacr"] == "2"
    assert claims["roles"] == ["Organization.Read.All"]


def test_unregistered_certificate_is_refused(stack: Stack, cert_app: RegisteredApp) -> None:
    """A certificate other than the registered one yields AADSTS700027."""
    app = cert_app
    other_cert, other_key = generate_certificate("impostor")
    credential = {"private_key": other_key, "public_certificate": other_cert}
    result = _confidential(stack, app.client_id, credential).acquire_token_for_client(GRAPH_SCOPE)
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS700027")


def _assertion(app: Any, key_pem: str, **overrides: Any) -> str:
    thumb = app.thumbprints()[1]
    now = time.time()
    claims = {"aud": "", "iss": app.client_id, "sub": app.client_id, "exp": now + 600, "nbf": now, "jti": "x"}
    claims.update(overrides)
    return jwt.encode(claims, key_pem, algorithm="PS256", headers={"x5t#S256": thumb})


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"aud": "https://login.microsoftonline.com/other/oauth2/v2.0/token"}, 50012),
        ({"exp": 1_000_000, "nbf": 999_000}, 700024),
        ({"iss": "someone-else", "sub": "someone-else"}, 700021),
        ({"exp": "in ten minutes"}, 50027),
        ({"nbf": [1]}, 50027),
        ({"aud": [42]}, 50027),
        ({"aud": {"url": "x"}}, 50027),
    ],
)
def test_bad_client_assertions_are_refused(
    stack: Stack, cert_app: RegisteredApp, overrides: dict[str, Any], code: int
) -> None:
    """Assertions with a wrong or malformed audience or lifetime, or for another client, are refused with 401."""
    app = cert_app
    endpoint = f"{stack.url}/{TENANT}/oauth2/v2.0/token"
    assertion = _assertion(app, app.private_key_pem, **{"aud": endpoint, **overrides})
    form = {
        "client_id": app.client_id,
        "grant_type": "client_credentials",
        "scope": GRAPH_SCOPE[0],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    with _httpx(stack) as client:
        response = client.post(endpoint, data=form)
    assert response.status_code == 401
    assert response.json()["error_codes"] == [code]


def test_scopes_other_than_graph_default_are_refused(stack: Stack) -> None:
    """Client credentials need a /.default scope of Graph; other resources are unknown to the tenant."""
    admin = stack.registry.admin
    app = _confidential(stack, admin.client_id, admin.client_secret)
    other = app.acquire_token_for_client(["https://management.azure.com/.default"])
    assert other["error"] == "invalid_resource"
    assert other["error_codes"] == [500011]
    named = app.acquire_token_for_client(["https://graph.microsoft.com/User.Read.All"])
    assert named["error"] == "invalid_scope"
    assert named["error_codes"] == [1002012]


def test_emulator_url_and_guid_scopes_are_graph(stack: Stack) -> None:
    """The emulator's own URL and Graph's application id are accepted as the Graph resource."""
    admin = stack.registry.admin
    app = _confidential(stack, admin.client_id, admin.client_secret)
    localhost = stack.url.replace("127.0.0.1", "localhost")
    for scope in (f"{stack.url}/.default", f"{localhost}/.default", "00000003-0000-0000-c000-000000000000/.default"):
        result = app.acquire_token_for_client([scope])
        assert "access_token" in result, result.get("error_description")


def test_device_code_flow_signs_in_the_simulated_user(stack: Stack) -> None:
    """initiate_device_flow + acquire_token_by_device_flow yield a delegated token, an account and silent refresh."""
    app = msal.PublicClientApplication(
        stack.registry.admin.client_id,
        authority=f"{stack.url}/organizations",
        instance_discovery=False,
        http_client=_session(stack.ca),
    )
    flow = app.initiate_device_flow(scopes=GRAPH_SCOPE)
    assert "user_code" in flow, flow
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result.get("error_description")
    claims = _claims(stack, result["access_token"])
    assert claims["idtyp"] == "user"
    assert "Organization.Read.All" in claims["scp"].split()
    assert "roles" not in claims
    assert result["id_token_claims"]["preferred_username"] == "admin@contoso.onmicrosoft.com"
    [account] = app.get_accounts()
    refreshed = app.acquire_token_silent(GRAPH_SCOPE, account=account, force_refresh=True)
    assert refreshed is not None
    assert "access_token" in refreshed
    assert refreshed["access_token"] != result["access_token"]


_FORM = {"host": "emulator", "content-type": "application/x-www-form-urlencoded"}


def _clocked_identity(clock: list[float], config: IdentityConfig) -> tuple[IdentityApp, AppRegistry]:
    """An identity app whose wall clock is ``clock[0]``, so device code timing never depends on the machine."""
    registry = AppRegistry(1)
    identity = IdentityApp(
        tenant_id=TENANT,
        tenant_name="Contoso",
        registry=registry,
        signer=Signer(),
        user=SignInUser("u", "u@contoso.com", "U"),
        config=config,
        now=lambda: clock[0],
    )
    return identity, registry


def _start_device_flow(identity: IdentityApp, client_id: str) -> str:
    body = f"client_id={client_id}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default".encode()
    started = identity.handle(Request("POST", f"/{TENANT}/oauth2/v2.0/devicecode", headers=_FORM, body=body))
    assert started.status == 200
    return str(started.json()["device_code"])


def _poll_device_flow(identity: IdentityApp, client_id: str, device_code: str) -> Response:
    poll = (
        f"client_id={client_id}&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
        f"&device_code={device_code}"
    ).encode()
    return identity.handle(Request("POST", f"/{TENANT}/oauth2/v2.0/token", headers=_FORM, body=poll))


def test_device_code_polling_errors() -> None:
    """Polling answers authorization_pending, then slow_down when polled too fast, then an unknown code fails."""
    clock = [1_000.0]
    identity, registry = _clocked_identity(clock, IdentityConfig(device_code_delay=0.3))
    client_id = registry.admin.client_id
    device_code = _start_device_flow(identity, client_id)
    clock[0] += 0.1  # before the simulated user approves
    first = _poll_device_flow(identity, client_id, device_code)
    clock[0] += 0.1  # well inside half the announced one-second interval
    second = _poll_device_flow(identity, client_id, device_code)
    unknown = _poll_device_flow(identity, client_id, "nope")
    assert (first.status, first.json()["error"]) == (400, "authorization_pending")
    assert (second.status, second.json()["error"]) == (400, "slow_down")
    assert (unknown.status, unknown.json()["error"]) == (400, "bad_verification_code")
    clock[0] += 10  # approved, and polled after the widened interval: the code is redeemed
    redeemed = _poll_device_flow(identity, client_id, device_code)
    assert redeemed.status == 200, redeemed.json()
    assert "access_token" in redeemed.json()


def test_device_code_expires() -> None:
    """An unredeemed device code past its lifetime answers expired_token."""
    clock = [1_000.0]
    identity, registry = _clocked_identity(clock, IdentityConfig(device_code_lifetime=60))
    device_code = _start_device_flow(identity, registry.admin.client_id)
    clock[0] += 61
    answer = _poll_device_flow(identity, registry.admin.client_id, device_code)
    assert answer.status == 400
    assert answer.json()["error"] == "expired_token"


def test_discovery_uses_request_host_and_aliases(stack: Stack) -> None:
    """Discovery builds absolute URLs from the request; aliases get the {tenantid} issuer; unknown tenants 400."""
    with _httpx(stack) as client:
        own = client.get(f"/{TENANT}/v2.0/.well-known/openid-configuration").json()
        alias = client.get("/organizations/v2.0/.well-known/openid-configuration").json()
        domain = client.get("/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration")
        unknown = client.get(f"/{uuid.uuid4()}/v2.0/.well-known/openid-configuration")
    assert own["token_endpoint"] == f"{stack.url}/{TENANT}/oauth2/v2.0/token"
    assert own["device_authorization_endpoint"] == f"{stack.url}/{TENANT}/oauth2/v2.0/devicecode"
    assert own["issuer"] == f"{stack.url}/{TENANT}/v2.0"
    assert alias["issuer"] == f"{stack.url}/{{tenantid}}/v2.0"
    assert alias["token_endpoint"] == f"{stack.url}/organizations/oauth2/v2.0/token"
    assert domain.status_code == 200
    assert unknown.status_code == 400
    assert unknown.json()["error_codes"] == [90002]


def test_graph_rejects_forged_expired_and_missing_tokens(stack: Stack) -> None:
    """Tokens signed by another key, expired or absent get Graph's 401 InvalidAuthenticationToken."""
    admin = stack.registry.admin
    claims = {"aud": "https://graph.microsoft.com", "iss": f"https://sts.windows.net/{TENANT}/", "tid": TENANT}
    forged = Signer().sign({**claims, "exp": time.time() + 600, "appid": admin.client_id})
    expired = stack.signer.sign({**claims, "exp": time.time() - 10, "appid": admin.client_id})
    with _httpx(stack) as client:
        answers = [
            client.get("/v1.0/organization", headers=headers)
            for headers in ({"Authorization": f"Bearer {forged}"}, {"Authorization": f"Bearer {expired}"}, {})
        ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert {a.json()["error"]["code"] for a in answers} == {"InvalidAuthenticationToken"}
    assert "expired" in answers[1].json()["error"]["message"]


def test_least_privilege_app_gets_403(stack: Stack) -> None:
    """An app without Organization.Read.All signs in but Graph refuses it."""
    app = stack.registry.register(permissions={"User.Read.All"}, name="reader")
    token = _confidential(stack, app.client_id, app.client_secret).acquire_token_for_client(GRAPH_SCOPE)
    with _httpx(stack) as client:
        response = client.get("/v1.0/organization", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_secrets_stay_out_of_reprs_and_the_request_log(stack: Stack) -> None:
    """Client secrets, private keys and tokens appear in no repr and no request-log entry."""
    app = stack.registry.register(permissions={"Organization.Read.All"}, certificate=True, name="secretive")
    token = _confidential(stack, app.client_id, app.client_secret).acquire_token_for_client(GRAPH_SCOPE)
    with _httpx(stack) as client:
        client.get("/v1.0/organization", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert app.client_secret is not None
    assert app.private_key_pem is not None
    logged = repr(stack.router.log) + repr(stack.registry) + repr(app) + repr(stack.registry.admin)
    for secret in (app.client_secret, stack.registry.admin.client_secret, token["access_token"], "PRIVATE KEY"):
        assert secret not in logged
    mine = [r for r in stack.router.log if r.app_id == app.client_id]
    assert {(r.method, r.service, r.status) for r in mine} >= {("POST", "identity", 200), ("GET", "graph", 200)}


def test_tls_verification_fails_without_the_ca(stack: Stack) -> None:
    """Clients that do not trust the emulator's CA refuse the connection: TLS is real."""
    with httpx.Client(verify=ssl.create_default_context()) as client, pytest.raises(httpx.ConnectError):
        client.get(f"{stack.url}/{TENANT}/v2.0/.well-known/openid-configuration")
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{stack.url}/{TENANT}/v2.0/.well-known/openid-configuration", timeout=5)


def test_msal_authority_validation_through_the_emulators_instance_discovery(stack: Stack) -> None:
    """msal validates the authority against the emulator's /common/discovery/instance when pointed at it."""
    admin = stack.registry.admin
    app = msal.ConfidentialClientApplication(
        admin.client_id,
        client_credential=admin.client_secret,
        authority=stack.authority,
        instance_discovery=f"{stack.url}/common/discovery/instance",
        http_client=_session(stack.ca),
    )
    result = app.acquire_token_for_client(GRAPH_SCOPE)
    assert "access_token" in result, result.get("error_description")
    assert any(r.path == "/common/discovery/instance" and r.status == 200 for r in stack.router.log)
