"""The emulated tenant's app registrations: who may sign in, with which credential and permissions.

The identity application looks clients up here by client id; the permissions of an app become the ``roles``
of its application tokens (client credentials) and the ``scp`` of its delegated ones (device code). Tests
register least-privilege apps to exercise Graph's 403 paths. Secrets and private keys are kept out of reprs.
"""

from __future__ import annotations

import base64
import datetime
import hmac
import random
import secrets
import threading
import uuid
from collections.abc import Iterable, Iterator

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["ADMIN_PERMISSIONS", "AppRegistry", "RegisteredApp", "generate_certificate"]

# Application permissions of the default admin app: everything pinreset needs, as Microsoft names them.
ADMIN_PERMISSIONS: frozenset[str] = frozenset(
    {
        "Application.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Organization.Read.All",
        "Domain.Read.All",
        "Group.Read.All",
        "User.Read.All",
        "DeviceManagementConfiguration.ReadWrite.All",
        "DeviceManagementManagedDevices.Read.All",
        "DeviceManagementManagedDevices.PrivilegedOperations.All",
    }
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def generate_certificate(common_name: str) -> tuple[str, str]:
    """A self-signed RSA certificate of the kind apps upload to Entra ID for certificate credentials.

    RSA, not EC: msal signs client assertions with RS256 or PS256 only.

    Args:
        common_name: the certificate's subject CN.

    Returns:
        ``(certificate_pem, private_key_pem)``.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


@attrs.frozen
class RegisteredApp:
    """One app registration with its credentials.

    Attributes:
        client_id: the application (client) id.
        name: display name (``app_displayname`` claim).
        permissions: Microsoft Graph permissions granted to the app (admin-consented).
        client_secret: the client secret, or ``None`` when the app has none. Never shown in reprs.
        certificate_pem: the registered certificate (public part), or ``None``.
        private_key_pem: the certificate's private key when the emulator generated it, for tests. Never shown.
        public_client: whether public-client flows (device code without a secret) are allowed.
        object_id: the application object's id.
    """

    client_id: str
    name: str
    permissions: frozenset[str]
    client_secret: str | None = attrs.field(default=None, repr=False)
    certificate_pem: str | None = attrs.field(default=None, repr=False)
    private_key_pem: str | None = attrs.field(default=None, repr=False)
    public_client: bool = True
    object_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))

    def secret_matches(self, candidate: str) -> bool:
        """Compare a presented secret in constant time."""
        if self.client_secret is None:
            return False
        return hmac.compare_digest(self.client_secret.encode(), candidate.encode())

    @property
    def certificate(self) -> x509.Certificate | None:
        """The registered certificate, parsed."""
        if self.certificate_pem is None:
            return None
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())

    def thumbprints(self) -> tuple[str, str] | None:
        """The certificate's ``x5t`` (SHA-1) and ``x5t#S256`` values as base64url, or ``None`` without one."""
        cert = self.certificate
        if cert is None:
            return None
        return _b64url(cert.fingerprint(hashes.SHA1())), _b64url(cert.fingerprint(hashes.SHA256()))  # noqa: S303

    @property
    def sha1_thumbprint(self) -> str | None:
        """The certificate's SHA-1 thumbprint in hex, as the Entra portal shows it (msal's ``thumbprint``)."""
        cert = self.certificate
        return None if cert is None else cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303


class AppRegistry:
    """The tenant's app registrations, keyed by client id. Thread-safe.

    Args:
        seed: makes the default admin app's client id reproducible.
        admin_secret: the admin app's secret; a random one when ``None``.
    """

    def __init__(self, seed: int = 0, *, admin_secret: str | None = None) -> None:
        self._lock = threading.Lock()
        rng = random.Random(f"pinreset-emulator-apps-{seed}")
        self.admin = RegisteredApp(
            client_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            name="pinreset emulator admin",
            permissions=ADMIN_PERMISSIONS,
            client_secret=admin_secret if admin_secret is not None else _new_secret(),
            object_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        )
        self._apps: dict[str, RegisteredApp] = {self.admin.client_id: self.admin}

    def get(self, client_id: str) -> RegisteredApp | None:
        """The app with ``client_id`` (case-insensitive), or ``None``."""
        return self._apps.get(client_id.lower())

    def register(
        self,
        *,
        permissions: Iterable[str] = (),
        secret: bool | str = True,
        certificate: bool | str = False,
        name: str = "test app",
        public_client: bool = True,
    ) -> RegisteredApp:
        """Register an app.

        Args:
            permissions: Graph permissions granted to it, e.g. ``{"Organization.Read.All"}``.
            secret: ``True`` for a generated client secret, a string to choose it, ``False`` for none.
            certificate: ``True`` to generate a certificate (its private key is kept on the app for tests), a
                PEM string to register an existing certificate, ``False`` for none.
            name: display name.
            public_client: whether the device code flow may be used without a secret.

        Returns:
            The registration.

        Raises:
            ValueError: when the certificate PEM cannot be read.
        """
        client_secret = _new_secret() if secret is True else (secret or None)
        cert_pem: str | None = None
        key_pem: str | None = None
        if certificate is True:
            cert_pem, key_pem = generate_certificate(name)
        elif isinstance(certificate, str) and certificate:
            x509.load_pem_x509_certificate(certificate.encode())  # fail now, not at sign-in
            cert_pem = certificate
        app = RegisteredApp(
            client_id=str(uuid.uuid4()),
            name=name,
            permissions=frozenset(permissions),
            client_secret=client_secret,
            certificate_pem=cert_pem,
            private_key_pem=key_pem,
            public_client=public_client,
        )
        with self._lock:
            self._apps[app.client_id] = app
        return app

    def reset(self) -> None:
        """Forget every registration but the admin app's."""
        with self._lock:
            self._apps = {self.admin.client_id: self.admin}

    def __iter__(self) -> Iterator[RegisteredApp]:
        return iter(list(self._apps.values()))

    def __repr__(self) -> str:
        return f"AppRegistry({len(self._apps)} apps)"


def _new_secret() -> str:
    # Shaped like Entra ID's generated secrets: 40 characters with a '~' near the start.
    return f"pEm8Q~{secrets.token_urlsafe(26)[:34]}"
