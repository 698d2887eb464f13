"""A throw-away certificate authority and server certificate for the emulator's loopback HTTPS server.

Clients must verify the emulator's certificate exactly as they would verify Microsoft's, so the emulator does
not turn verification off: it mints its own CA at start-up, signs a server certificate for the loopback names
with it, and writes the CA certificate to a file that clients trust explicitly (``PINRESET_CA_BUNDLE``).
EC P-256 keys keep start-up fast (an RSA key would cost tens of milliseconds each).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
from collections.abc import Iterable
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["DEFAULT_NAMES", "TlsMaterial"]

# Every name a loopback client may use to reach the server.
DEFAULT_NAMES: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")

_VALIDITY = datetime.timedelta(days=2)
_BACKDATE = datetime.timedelta(minutes=5)  # tolerate small clock differences between processes


def _general_name(name: str) -> x509.GeneralName:
    """An IP address SAN for addresses (clients match IPs only against those), a DNS SAN otherwise.

    Raises:
        ValueError: a name that is neither an address nor a valid (possibly internationalised) host name.
    """
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        # Certificates carry A-labels: an internationalised name goes in as its xn-- form, as clients send it.
        return x509.DNSName(name.encode("idna").decode("ascii"))


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only, before any secret byte is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@attrs.define
class TlsMaterial:
    """A CA and a server certificate signed by it, stored in a private temporary directory.

    Create one with :meth:`generate`; remove the files with :meth:`cleanup`.

    Attributes:
        directory: the temporary directory holding the files (mode 0700).
        ca_path: PEM file of the CA certificate, for clients to trust.
        cert_path: PEM file of the server certificate chain.
        key_path: PEM file of the server's private key (mode 0600).
        names: the host names and addresses the server certificate is valid for.
    """

    directory: Path
    ca_path: Path
    cert_path: Path
    key_path: Path = attrs.field(repr=False)
    names: tuple[str, ...] = DEFAULT_NAMES

    @classmethod
    def generate(cls, extra_names: Iterable[str] = ()) -> TlsMaterial:
        """Mint a CA and a server certificate for the loopback names plus ``extra_names``.

        Args:
            extra_names: further host names or IP addresses the server will be reached by.

        Returns:
            The material, written to a new private temporary directory.
        """
        names = tuple(dict.fromkeys((*DEFAULT_NAMES, *extra_names)))
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pinreset emulator CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        server_key = ec.generate_private_key(ec.SECP256R1())
        server_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name)
            .public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        directory = Path(tempfile.mkdtemp(prefix="pinreset-emulator-"))  # mkdtemp creates it 0700
        ca_path = directory / "ca.pem"
        cert_path = directory / "server.pem"
        key_path = directory / "server-key.pem"
        ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
        _write_private(
            key_path,
            server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        # The CA's key is never written: nothing else may ever be signed with it.
        return cls(directory=directory, ca_path=ca_path, cert_path=cert_path, key_path=key_path, names=names)

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for the server side (TLS 1.2 or newer) with the server certificate loaded."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """An SSL context for a client that trusts this CA and nothing else."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def cleanup(self) -> None:
        """Delete the temporary directory and everything in it."""
        shutil.rmtree(self.directory, ignore_errors=True)
