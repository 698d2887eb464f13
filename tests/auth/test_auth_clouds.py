"""National clouds, the default credential's environment, and foreign credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from pinreset.auth import CertificateCredential, ClientSecretCredential, Cloud, DefaultCredential
from pinreset.backends.graph import GraphBackend
from pinreset.exceptions import AuthenticationError, ConfigurationError
from pinreset.graph import GraphClient

TENANT = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("cloud", "authority", "graph", "environment"),
    [
        (Cloud.GLOBAL, "https://login.microsoftonline.com", "https://graph.microsoft.com", "Global"),
        (Cloud.US_GOV, "https://login.microsoftonline.us", "https://graph.microsoft.us", "USGov"),
        (Cloud.US_GOV_DOD, "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", "USGovDoD"),
        (Cloud.CHINA, "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", "China"),
    ],
)
def test_cloud_endpoints(cloud: Cloud, authority: str, graph: str, environment: str) -> None:
    """Each cloud has its own authority, Graph root and Connect-MgGraph environment, used by credential and client."""
    assert (cloud.authority_host, cloud.graph_url, cloud.powershell_environment) == (authority, graph, environment)
    credential = ClientSecretCredential(TENANT, "client", "s3cret", cloud=cloud)
    assert credential.authority == f"{authority}/{TENANT}"
    backend = GraphBackend.connect(credential=credential, cloud=cloud)
    with backend:
        assert backend.client.graph_url == graph
        assert backend.client.scopes == (f"{graph}/.default",)


def test_backend_cloud_follows_the_credential_and_refuses_a_mismatch() -> None:
    """Without cloud= the credential's cloud picks the Graph root; another cloud's Graph is refused."""
    credential = ClientSecretCredential(TENANT, "client", "s3cret", cloud=Cloud.US_GOV_DOD)
    with GraphBackend.connect(credential=credential) as backend:
        assert backend.client.graph_url == "https://dod-graph.microsoft.us"
        assert backend.client.scopes == ("https://dod-graph.microsoft.us/.default",)
    with pytest.raises(ConfigurationError, match="us_gov_dod cloud but the backend was asked for global"):
        GraphBackend.connect(credential=credential, cloud=Cloud.GLOBAL)


def test_unusable_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    """A missing or certificate-less CA bundle for Graph is a ConfigurationError naming it, not an OSError."""
    missing = str(tmp_path / "missing.pem")
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    credential = ClientSecretCredential(TENANT, "client", "s3cret")
    for bundle in (missing, str(empty)):
        with pytest.raises(ConfigurationError, match="cannot use the CA bundle") as raised:
            GraphBackend.connect(credential=credential, ca_bundle=bundle)
        assert bundle in str(raised.value)


def test_cloud_aliases() -> None:
    """Common spellings select a cloud; an unknown one is a ConfigurationError listing the choices."""
    assert Cloud.parse("USGov") is Cloud.US_GOV
    assert Cloud.parse("gcc-high") is Cloud.US_GOV
    assert Cloud.parse("USGovDoD") is Cloud.US_GOV_DOD
    assert Cloud.parse("AzureChinaCloud") is Cloud.CHINA
    assert Cloud.parse("GCC") is Cloud.GLOBAL
    with pytest.raises(ConfigurationError, match="us_gov"):
        Cloud.parse("mars")


def test_default_credential_from_azure_identity_variables() -> None:
    """The azure-identity variables plus PINRESET_* choose credential, cloud, Graph root and CA."""
    env = {
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": "client",
        "AZURE_CLIENT_SECRET": "s3cret-value",
        "PINRESET_CLOUD": "usgov",
        "PINRESET_CA_BUNDLE": "/tmp/ca.pem",
    }
    credential = DefaultCredential(environ=env)
    assert isinstance(credential.credential, ClientSecretCredential)
    assert credential.cloud is Cloud.US_GOV
    assert credential.graph_url == "https://graph.microsoft.us"
    assert credential.credential.authority == f"https://login.microsoftonline.us/{TENANT}"
    assert credential.ca_bundle == "/tmp/ca.pem"
    assert "s3cret-value" not in repr(credential)
    overridden = DefaultCredential(
        environ={**env, "AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443", "PINRESET_GRAPH_URL": "https://127.0.0.1:8443/"}
    )
    assert overridden.credential.authority == f"https://127.0.0.1:8443/{TENANT}"
    assert overridden.graph_url == "https://127.0.0.1:8443"


def test_default_credential_certificate(tmp_path: Path) -> None:
    """AZURE_CLIENT_CERTIFICATE_PATH selects the certificate credential."""
    from pinreset.emulator._apps import generate_certificate

    cert, key = generate_certificate("pinreset test")
    path = tmp_path / "c.pem"
    path.write_text(key + cert if "PRIVATE" in key else cert + key)
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_CERTIFICATE_PATH": str(path)}
    assert isinstance(DefaultCredential(environ=env).credential, CertificateCredential)


def test_default_credential_names_missing_variables() -> None:
    """Without configuration the error names the variables to set."""
    with pytest.raises(ConfigurationError) as raised:
        DefaultCredential(environ={"AZURE_CLIENT_ID": "c"})
    message = str(raised.value)
    assert "AZURE_TENANT_ID" in message
    assert "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH" in message
    with pytest.raises(ConfigurationError, match="unknown"):
        DefaultCredential(environ={}, tenant="x")


def test_foreign_credential_errors_become_authentication_errors() -> None:
    """An azure-identity style credential that raises its own exception surfaces as AuthenticationError."""

    class ClientAuthenticationError(Exception):
        pass

    class Foreign:
        def get_token(self, *scopes: str, **_: Any) -> Any:
            raise ClientAuthenticationError("AADSTS700016: application not found")

    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    client = GraphClient(Foreign(), graph_url="https://graph.example.test", transport=transport)
    with client, pytest.raises(AuthenticationError, match="AADSTS700016") as raised:
        client.get("/v1.0/organization")
    assert isinstance(raised.value.__cause__, ClientAuthenticationError)
