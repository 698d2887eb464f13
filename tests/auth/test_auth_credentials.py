"""Credentials on msal against the emulator's real identity endpoints, and the secrets they must never show."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from pinreset.auth import (
    CertificateCredential,
    ClientSecretCredential,
    DeviceCodeCredential,
    TokenCache,
)
from pinreset.emulator import Emulator
from pinreset.exceptions import AuthenticationError, ConfigurationError, TransportError

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """A loopback HTTPS emulator whose simulated user approves device codes quickly."""
    with Emulator(devices=1, seed=21, device_code_delay=0.2) as emulator:
        yield emulator


@pytest.fixture
def wrong_ca_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE name a file that trusts nothing (as on many corporate machines)."""
    wrong = tmp_path / "wrong-ca.pem"
    wrong.write_text("-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(wrong))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(wrong))
    return wrong


def _identity_requests(emu: Emulator) -> int:
    """Token requests so far (msal's discovery of the authority's metadata is not counted)."""
    return sum(1 for r in emu.requests if r.service == "identity" and r.path.endswith("/token"))


def secret_credential(emu: Emulator, secret: str | None = None, **kwargs: object) -> ClientSecretCredential:
    return ClientSecretCredential(
        emu.tenant_id,
        emu.client_id,
        secret or emu.client_secret,
        authority_host=emu.authority_host,
        ca_bundle=emu.ca_bundle,
        **kwargs,  # type: ignore[arg-type]
    )


def test_client_secret_sign_in_despite_wrong_ca_variables(
    emu: Emulator, wrong_ca_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The given CA is used although REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE point elsewhere; nothing secret is logged."""
    caplog.set_level(logging.DEBUG)
    with secret_credential(emu) as credential:
        token = credential.get_token(GRAPH_SCOPE)
        assert token.token.count(".") == 2
        before = _identity_requests(emu)
        again = credential.get_token(GRAPH_SCOPE)
    assert again.token == token.token  # served from msal's cache
    assert _identity_requests(emu) == before
    assert emu.client_secret not in caplog.text
    assert token.token not in caplog.text
    assert "redacted" in repr(token)


def test_untrusted_authority_is_transport_error(emu: Emulator) -> None:
    """Without the emulator's CA the sign-in fails as a TransportError, not an msal or requests exception."""
    credential = ClientSecretCredential(
        emu.tenant_id, emu.client_id, emu.client_secret, authority_host=emu.authority_host
    )
    with credential, pytest.raises(TransportError, match="sign-in"):
        credential.get_token(GRAPH_SCOPE)


def test_wrong_secret_is_authentication_error_without_the_secret(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused secret gives error code and correlation id; the secret is nowhere in text, repr or logs."""
    secret = "Wr0ng~Secret-Value-1234567890"
    caplog.set_level(logging.DEBUG)
    with secret_credential(emu, secret) as credential, pytest.raises(AuthenticationError) as raised:
        credential.get_token(GRAPH_SCOPE)
    error = raised.value
    assert error.error_code == "invalid_client"
    assert error.correlation_id
    assert "AADSTS" in str(error)
    for text in (str(error), repr(error), repr(credential), caplog.text):
        assert secret not in text
    assert emu.client_secret not in repr(secret_credential(emu))


def test_unknown_tenant_is_authentication_error(emu: Emulator) -> None:
    """A tenant the authority does not know is an AuthenticationError naming it, without the secret."""
    credential = ClientSecretCredential(
        "00000000-0000-0000-0000-000000000001",
        emu.client_id,
        emu.client_secret,
        authority_host=emu.authority_host,
        ca_bundle=emu.ca_bundle,
    )
    with credential, pytest.raises(AuthenticationError) as raised:
        credential.get_token(GRAPH_SCOPE)
    # msal fails at authority discovery, before any token request, so there is no OAuth error code to keep.
    assert "00000000-0000-0000-0000-000000000001" in str(raised.value)
    assert "tenant" in str(raised.value).lower()
    assert emu.client_secret not in str(raised.value)


def test_configuration_errors_name_the_problem() -> None:
    """Missing ids, an empty secret and a plain-HTTP authority are refused before any network use."""
    with pytest.raises(ConfigurationError, match="tenant id"):
        ClientSecretCredential("", "c", "s")
    with pytest.raises(ConfigurationError, match="client secret"):
        ClientSecretCredential("t", "c", "")
    with pytest.raises(ConfigurationError, match="https"):
        ClientSecretCredential("t", "c", "s", authority_host="http://127.0.0.1:1")


@pytest.fixture(scope="module")
def cert_app(emu: Emulator) -> tuple[str, str, str]:
    """An app registered with a certificate: (client id, private key PEM, certificate PEM)."""
    app = emu.register_app(certificate=True, secret=False, permissions={"Organization.Read.All"}, name="cert app")
    assert app.private_key_pem is not None
    assert app.certificate_pem is not None
    return app.client_id, app.private_key_pem, app.certificate_pem


def test_certificate_pem_file(emu: Emulator, cert_app: tuple[str, str, str], tmp_path: Path) -> None:
    """A PEM file holding key and certificate signs in, with or without sending x5c."""
    client_id, key, cert = cert_app
    path = tmp_path / "app.pem"
    path.write_text(key + cert)
    for chain in (False, True):
        credential = CertificateCredential(
            emu.tenant_id, client_id, str(path), send_certificate_chain=chain,
            authority_host=emu.authority_host, ca_bundle=emu.ca_bundle,
        )  # fmt: skip
        with credential:
            assert credential.get_token(GRAPH_SCOPE).token
    assert "PRIVATE" not in repr(credential)


def test_certificate_pfx_with_password(emu: Emulator, cert_app: tuple[str, str, str], tmp_path: Path) -> None:
    """A password-protected PFX signs in; a wrong password is a ConfigurationError that does not echo it."""
    client_id, key, cert = cert_app
    pfx = pkcs12.serialize_key_and_certificates(
        b"app",
        serialization.load_pem_private_key(key.encode(), password=None),  # type: ignore[arg-type]
        x509.load_pem_x509_certificate(cert.encode()),
        None,
        serialization.BestAvailableEncryption(b"pfx-pass-123"),
    )
    path = tmp_path / "app.pfx"
    path.write_bytes(pfx)
    credential = CertificateCredential(
        emu.tenant_id, client_id, str(path), password="pfx-pass-123",
        authority_host=emu.authority_host, ca_bundle=emu.ca_bundle,
    )  # fmt: skip
    with credential:
        assert credential.get_token(GRAPH_SCOPE).token
    with pytest.raises(ConfigurationError) as raised:
        CertificateCredential(emu.tenant_id, client_id, str(path), password="not-the-password")
    assert "not-the-password" not in str(raised.value)
    with pytest.raises(ConfigurationError, match="cannot read"):
        CertificateCredential(emu.tenant_id, client_id, str(tmp_path / "missing.pem"))


def test_certificate_from_bytes(emu: Emulator, cert_app: tuple[str, str, str]) -> None:
    """Key and certificate given as bytes sign in too."""
    client_id, key, cert = cert_app
    credential = CertificateCredential(
        emu.tenant_id, client_id, private_key=key.encode(), certificate=cert.encode(),
        authority_host=emu.authority_host, ca_bundle=emu.ca_bundle,
    )  # fmt: skip
    with credential:
        assert credential.get_token(GRAPH_SCOPE).token
    assert len(credential.thumbprint) == 40


def test_device_code_sign_in_then_silent(emu: Emulator) -> None:
    """The device code flow shows the code once; the next token comes silently from msal's cache."""
    app = emu.register_app(permissions={"DeviceManagementManagedDevices.Read.All"}, secret=False, name="admin cli")
    prompts: list[tuple[str, str, datetime]] = []
    credential = DeviceCodeCredential(
        emu.tenant_id,
        app.client_id,
        prompt_callback=lambda uri, code, expires: prompts.append((uri, code, expires)),
        authority_host=emu.authority_host,
        ca_bundle=emu.ca_bundle,
    )
    with credential:
        first = credential.get_token(GRAPH_SCOPE)
        second = credential.get_token(GRAPH_SCOPE)
    assert len(prompts) == 1
    uri, code, expires = prompts[0]
    assert uri.startswith(emu.authority_host)
    assert code
    assert expires.tzinfo is not None
    assert first.token == second.token


def test_token_cache_file_is_owner_only_and_reused(emu: Emulator, tmp_path: Path) -> None:
    """The cache file is created 0600 and a second credential reuses its token without signing in."""
    path = tmp_path / "cache" / "tokens.json"
    with secret_credential(emu, cache=TokenCache(path)) as credential:
        token = credential.get_token(GRAPH_SCOPE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert emu.client_secret not in path.read_text()
    before = _identity_requests(emu)
    with secret_credential(emu, cache=TokenCache(path)) as again:
        assert again.get_token(GRAPH_SCOPE).token == token.token
    assert _identity_requests(emu) == before


class _RecordingCache:
    """Stands in for msal's cache: notes every file's mode in the directory while it is being serialized."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.has_state_changed = True
        self.modes_while_writing: dict[str, int] = {}

    def serialize(self) -> str:
        for entry in self.directory.iterdir():
            if not entry.is_symlink():
                self.modes_while_writing[entry.name] = stat.S_IMODE(entry.stat().st_mode)
        return '{"secret": "refresh-token"}'


def test_token_cache_write_ignores_planted_temporary_file(tmp_path: Path) -> None:
    """A symlink or loose file at a predictable temporary name is neither followed nor written through."""
    path = tmp_path / "tokens.json"
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    victim.chmod(0o644)
    (tmp_path / f".tokens.json.{os.getpid()}.tmp").symlink_to(victim)
    cache = TokenCache(path)
    recorder = _RecordingCache(tmp_path)
    cache._msal_cache = recorder
    cache.save()
    assert victim.read_text() == "untouched"
    assert path.read_text() == '{"secret": "refresh-token"}'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = {n: m for n, m in recorder.modes_while_writing.items() if n.startswith(".tokens.json")}
    assert written
    assert all(mode == 0o600 for mode in written.values())
    assert not recorder.has_state_changed


def test_token_cache_readable_by_others_is_refused(emu: Emulator, tmp_path: Path) -> None:
    """An existing cache file that others can read is not used."""
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0o644)
    with secret_credential(emu, cache=TokenCache(path)) as credential, pytest.raises(ConfigurationError, match="600"):
        credential.get_token(GRAPH_SCOPE)
