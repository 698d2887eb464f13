"""Loading an app's certificate credential from a PEM or PFX file, or from key and certificate bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pinreset.exceptions import ConfigurationError

__all__ = ["load_certificate"]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def load_certificate(
    certificate_path: str | None,
    password: str | bytes | None,
    private_key: bytes | str | None,
    certificate: bytes | str | None,
) -> tuple[str, str, str]:
    """The unencrypted private key PEM, the certificate PEM and its SHA-1 thumbprint (from a PEM/PFX or bytes).

    Raises:
        ConfigurationError: the file is missing or unreadable, the password is wrong, or parts are missing.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    pw = password.encode() if isinstance(password, str) else password
    key_obj: Any
    cert_obj: Any
    try:
        if certificate_path is not None:
            path = Path(certificate_path).expanduser()
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ConfigurationError(f"cannot read certificate {path}: {exc.strerror or exc}") from None
            if b"-----BEGIN" in data:
                key_obj = serialization.load_pem_private_key(data, password=pw)
                cert_obj = x509.load_pem_x509_certificate(data)
            else:
                key_obj, cert_obj, _extra = pkcs12.load_key_and_certificates(data, pw)
        else:
            if private_key is None or certificate is None:
                raise ConfigurationError("give certificate_path, or both private_key and certificate")
            key_bytes = private_key.encode() if isinstance(private_key, str) else private_key
            cert_bytes = certificate.encode() if isinstance(certificate, str) else certificate
            key_obj = serialization.load_pem_private_key(key_bytes, password=pw)
            cert_obj = x509.load_pem_x509_certificate(cert_bytes)
    except ConfigurationError:
        raise
    except (ValueError, TypeError) as exc:
        # cryptography's messages name the problem (bad password, not a key) and never the key itself.
        raise ConfigurationError(f"cannot load the certificate or its private key: {_first_line(str(exc))}") from None
    if key_obj is None or cert_obj is None:
        raise ConfigurationError("the certificate file must contain both the certificate and its private key")
    key_pem = key_obj.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cert_pem = cert_obj.public_bytes(serialization.Encoding.PEM).decode()
    der = cert_obj.public_bytes(serialization.Encoding.DER)
    thumbprint = hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - the thumbprint format Entra uses
    return key_pem, cert_pem, thumbprint
