"""WinRMConnection: safe defaults, refused combinations and the pypsrp keyword arguments it produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinreset.exceptions import ConfigurationError
from pinreset.remote import CredSSPDelegationWarning, HostSpec, WinRMConnection


def test_https_with_certificate_validation_is_the_default() -> None:
    """HTTPS on 5986 with the system trust store unless told otherwise."""
    kwargs = WinRMConnection(username="admin", password="pw").wsman_kwargs(HostSpec("pc-01"))
    assert kwargs["ssl"] is True
    assert kwargs["port"] == 5986
    assert kwargs["cert_validation"] is True
    assert kwargs["auth"] == "negotiate"
    assert kwargs["read_timeout"] > kwargs["operation_timeout"]


def test_ca_bundle_is_passed_as_a_path(tmp_path: Path) -> None:
    """A CA bundle pins trust to that file; a missing file is refused up front."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    kwargs = WinRMConnection(ca_bundle=bundle).wsman_kwargs(HostSpec("::1", 6000))
    assert kwargs["cert_validation"] == str(bundle)
    assert kwargs["server"] == "::1"
    assert kwargs["port"] == 6000
    with pytest.raises(ConfigurationError, match="CA bundle"):
        WinRMConnection(ca_bundle=tmp_path / "absent.pem")


def test_http_needs_an_encrypting_auth() -> None:
    """Plain HTTP works with NTLM/Negotiate (message encryption) and refuses Basic and certificate auth."""
    kwargs = WinRMConnection(transport="http", auth="ntlm", username="u", password="p").wsman_kwargs(HostSpec("pc"))
    assert kwargs["ssl"] is False
    assert kwargs["port"] == 5985
    assert kwargs["encryption"] == "auto"
    with pytest.raises(ConfigurationError, match="clear"):
        WinRMConnection(transport="http", auth="basic", username="u", password="p")
    with pytest.raises(ConfigurationError, match="clear"):
        WinRMConnection(transport="http", auth="certificate", certificate_pem="c", certificate_key_pem="k")


def test_credssp_needs_opt_in_and_warns() -> None:
    """CredSSP is refused unless allowed, and then every use warns that the password is delegated."""
    with pytest.raises(ConfigurationError, match="allow_credssp"):
        WinRMConnection(auth="credssp", username="u", password="p")
    connection = WinRMConnection(auth="credssp", username="u", password="p", allow_credssp=True)
    with pytest.warns(CredSSPDelegationWarning, match="delegates"):
        connection.wsman_kwargs(HostSpec("pc"))


def test_read_timeout_must_exceed_operation_timeout() -> None:
    """A read timeout not above the operation timeout would cut long Receives short."""
    with pytest.raises(ConfigurationError, match="read_timeout"):
        WinRMConnection(operation_timeout=20, read_timeout=20)
    with pytest.raises(ConfigurationError):
        WinRMConnection(connection_timeout=0)


def test_password_never_shows_in_repr() -> None:
    """The password is hidden from repr and str."""
    connection = WinRMConnection(username="admin", password="S3cret!pw")
    assert "S3cret" not in repr(connection)
    assert "S3cret" not in str(connection)


def test_unknown_transport_auth_and_missing_credentials_are_refused() -> None:
    """Misspelt options and NTLM without a password fail with a message naming the problem."""
    with pytest.raises(ConfigurationError, match="transport"):
        WinRMConnection(transport="ftp")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="auth"):
        WinRMConnection(auth="digest")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="password"):
        WinRMConnection(auth="ntlm", username="u")
    with pytest.raises(ConfigurationError, match="certificate"):
        WinRMConnection(auth="certificate")


def test_no_proxy_and_certificate_auth_reach_pypsrp() -> None:
    """no_proxy and certificate files are passed through."""
    connection = WinRMConnection(
        auth="certificate", certificate_pem="c.pem", certificate_key_pem="k.pem", no_proxy=True
    )
    kwargs = connection.wsman_kwargs(HostSpec("pc"))
    assert kwargs["no_proxy"] is True
    assert kwargs["certificate_pem"] == "c.pem"
    assert kwargs["certificate_key_pem"] == "k.pem"


def test_codepage_without_a_codec_is_refused_up_front() -> None:
    """A code page Python cannot decode is a ConfigurationError when the connection is made, not per host."""
    with pytest.raises(ConfigurationError, match="codepage 1 "):
        WinRMConnection(codepage=1)
    assert WinRMConnection(codepage=850).codepage == 850
    assert WinRMConnection(codepage=65001).codepage == 65001
