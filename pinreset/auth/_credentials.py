"""Credentials on msal: client secret, certificate, device code and interactive browser.

Each credential has azure-identity's ``get_token(*scopes) -> AccessToken`` and nothing else public, so any of
them (or an azure-identity credential) can be handed to :class:`~pinreset.graph.GraphClient`.

msal reports failures as dictionaries (``{"error": …, "error_description": "AADSTS…", "correlation_id": …}``)
and raises requests' exceptions for network failures; :func:`_acquire` is the one place both become pinreset
errors. Secrets live in private attributes, never in reprs, messages or logs.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from pinreset.auth._cache import TokenCache
from pinreset.auth._certificate import load_certificate
from pinreset.auth._cloud import KNOWN_AUTHORITY_HOSTS, Cloud
from pinreset.auth._http import msal_session
from pinreset.auth._protocol import AccessToken
from pinreset.exceptions import AuthenticationError, ConfigurationError, TransportError

__all__ = [
    "CertificateCredential",
    "ClientSecretCredential",
    "DeviceCodeCredential",
    "InteractiveBrowserCredential",
    "PromptCallback",
]

log = logging.getLogger("pinreset.auth")

#: ``prompt_callback(verification_uri, user_code, expires_on)``, as azure-identity's DeviceCodeCredential calls it.
PromptCallback = Callable[[str, str, datetime], None]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def _acquire(call: Callable[[], Any], *, authority: str, secrets: tuple[str, ...] = ()) -> AccessToken:
    """Run one msal call and turn its result into a token or a pinreset error (the only such place).

    Args:
        call: the msal call, returning msal's result dictionary.
        authority: for messages.
        secrets: strings that must never appear in an error message (scrubbed if msal echoes them).

    Raises:
        AuthenticationError: msal returned an error dictionary or refused the configuration.
        TransportError: the identity platform could not be reached (refused, TLS, timeout).
    """

    def scrub(text: str) -> str:
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    try:
        result = call()
    except (AuthenticationError, TransportError, ConfigurationError):
        raise
    except Exception as exc:
        import requests

        if isinstance(exc, requests.RequestException):
            raise TransportError(
                f"sign-in at {authority} failed: {type(exc).__name__}: {scrub(_first_line(str(exc)))}"
            ) from None
        raise AuthenticationError(f"sign-in at {authority} failed: {scrub(_first_line(str(exc)))}") from None
    if not isinstance(result, Mapping):
        raise AuthenticationError(f"sign-in at {authority} returned nothing")
    if "access_token" in result:
        expires_in = int(result.get("expires_in") or 0)
        return AccessToken(str(result["access_token"]), int(time.time()) + expires_in)
    error = str(result.get("error") or "unknown_error")
    description = _first_line(str(result.get("error_description") or ""))
    codes = result.get("error_codes") or []
    if codes and f"AADSTS{codes[0]}" not in description:
        description = f"AADSTS{codes[0]}: {description}"
    correlation_id = result.get("correlation_id")
    message = f"sign-in at {authority} refused: {error}: {scrub(description) or 'no description'}"
    if correlation_id:
        message += f" (correlation id {correlation_id})"
    raise AuthenticationError(message, error_code=error, correlation_id=str(correlation_id) if correlation_id else None)


class _MsalCredential:
    """Common parts: authority per cloud, msal's http client, the optional persistent cache."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        cloud: Cloud | str = Cloud.GLOBAL,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        if not tenant_id or not tenant_id.strip():
            raise ConfigurationError("a tenant id is required (AZURE_TENANT_ID)")
        if not client_id or not client_id.strip():
            raise ConfigurationError("a client id is required (AZURE_CLIENT_ID)")
        self.tenant_id = tenant_id.strip()
        self.client_id = client_id.strip()
        self.cloud = Cloud.parse(cloud)
        self.authority_host = (authority_host or self.cloud.authority_host).rstrip("/")
        if not self.authority_host.startswith("https://"):
            raise ConfigurationError(f"the authority host must use https: {self.authority_host}")
        self.authority = f"{self.authority_host}/{self.tenant_id}"
        self.ca_bundle = ca_bundle
        self.cache = cache
        self._app: Any = None
        self._session: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"authority={self.authority!r})"
        )

    def close(self) -> None:
        """Close the sign-in connections (the credential still works afterwards, on new connections)."""
        session = self._session
        if session is not None:
            session.close()

    def __enter__(self) -> _MsalCredential:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _msal_kwargs(self) -> dict[str, Any]:
        self._session = msal_session(self.ca_bundle, self.authority_host)
        kwargs: dict[str, Any] = {
            "authority": self.authority,
            "http_client": self._session,
            # A host msal does not know (a proxy, the emulator) cannot be validated against Microsoft's list.
            "instance_discovery": self.authority_host in KNOWN_AUTHORITY_HOSTS,
        }
        if self.cache is not None:
            kwargs["token_cache"] = self.cache.msal_cache
        return kwargs

    def _secrets(self) -> tuple[str, ...]:
        return ()

    def _build_app(self) -> Any:
        raise NotImplementedError

    def _acquire_token(self, app: Any, scopes: list[str]) -> Any:
        raise NotImplementedError

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        """An access token for ``scopes`` (from msal's cache while valid).

        Raises:
            AuthenticationError: sign-in was refused (``error_code``, ``correlation_id`` set).
            TransportError: the identity platform could not be reached.
        """
        if not scopes:
            raise ConfigurationError("get_token needs at least one scope")

        def call() -> Any:
            # Creating the msal application already talks to the authority (discovery), so it runs inside
            # _acquire too: its failures map the same way.
            if self._app is None:
                self._app = self._build_app()
            return self._acquire_token(self._app, list(scopes))

        with self._lock:
            token = _acquire(call, authority=self.authority, secrets=self._secrets())
            if self.cache is not None:
                self.cache.save()
            return token


class _ConfidentialClientCredential(_MsalCredential):
    """App-only sign-in: msal's client credentials flow, whatever proves the app's identity."""

    def _acquire_token(self, app: Any, scopes: list[str]) -> Any:
        return app.acquire_token_for_client(scopes=scopes)


class ClientSecretCredential(_ConfidentialClientCredential):
    """App-only sign-in with a client secret (``AZURE_CLIENT_SECRET``).

    Args:
        tenant_id: the tenant's id (or a verified domain).
        client_id: the app registration's application id.
        secret: the client secret (kept private; never shown).
        cloud: the national cloud (decides the authority host).
        authority_host: overrides the cloud's authority host (``AZURE_AUTHORITY_HOST``).
        ca_bundle: a PEM CA bundle to trust for sign-in, else certifi's.
        cache: an optional persistent :class:`TokenCache`.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        secret: str,
        *,
        cloud: Cloud | str = Cloud.GLOBAL,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        super().__init__(
            tenant_id, client_id, cloud=cloud, authority_host=authority_host, ca_bundle=ca_bundle, cache=cache
        )
        if not secret:
            raise ConfigurationError("a client secret is required (AZURE_CLIENT_SECRET)")
        self.__secret = secret

    def _secrets(self) -> tuple[str, ...]:
        return (self.__secret,)

    def _build_app(self) -> Any:
        import msal

        kwargs = self._msal_kwargs()
        return msal.ConfidentialClientApplication(self.client_id, client_credential=self.__secret, **kwargs)

class CertificateCredential(_ConfidentialClientCredential):
    """App-only sign-in with a certificate (``AZURE_CLIENT_CERTIFICATE_PATH``): PEM or PFX, or key + cert bytes.

    Args:
        tenant_id: the tenant's id.
        client_id: the app registration's application id.
        certificate_path: a PEM (key and certificate) or PFX/PKCS#12 file.
        password: the PEM key's or PFX file's password, if any.
        private_key: alternatively, the private key PEM.
        certificate: with ``private_key``, the certificate PEM.
        send_certificate_chain: send the certificate (``x5c``) for subject-name/issuer authentication.
        cloud: the national cloud.
        authority_host: overrides the cloud's authority host.
        ca_bundle: a PEM CA bundle to trust for sign-in.
        cache: an optional persistent :class:`TokenCache`.

    Raises:
        ConfigurationError: the certificate cannot be loaded.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        certificate_path: str | None = None,
        *,
        password: str | bytes | None = None,
        private_key: bytes | str | None = None,
        certificate: bytes | str | None = None,
        send_certificate_chain: bool = False,
        cloud: Cloud | str = Cloud.GLOBAL,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        super().__init__(
            tenant_id, client_id, cloud=cloud, authority_host=authority_host, ca_bundle=ca_bundle, cache=cache
        )
        key_pem, self._cert_pem, self.thumbprint = load_certificate(
            certificate_path, password, private_key, certificate
        )
        self.__key_pem = key_pem
        self.send_certificate_chain = send_certificate_chain

    def _build_app(self) -> Any:
        import msal

        credential: dict[str, str] = {"private_key": self.__key_pem, "thumbprint": self.thumbprint}
        if self.send_certificate_chain:
            credential["public_certificate"] = self._cert_pem
        return msal.ConfidentialClientApplication(self.client_id, client_credential=credential, **self._msal_kwargs())

def _default_prompt(verification_uri: str, user_code: str, expires_on: datetime) -> None:
    sys.stderr.write(
        f"To sign in, open {verification_uri} and enter the code {user_code} "
        f"(valid until {expires_on:%H:%M} UTC).\n"
    )
    sys.stderr.flush()


class _PublicClientCredential(_MsalCredential):
    """Delegated sign-in as an admin; later calls reuse msal's cached account silently."""

    def _build_app(self) -> Any:
        import msal

        return msal.PublicClientApplication(self.client_id, **self._msal_kwargs())

    def _acquire_token(self, app: Any, scopes: list[str]) -> Any:
        for account in app.get_accounts():
            result = app.acquire_token_silent(scopes, account=account)
            if result and "access_token" in result:
                return result
        return self._interactive(app, scopes)

    def _interactive(self, app: Any, scopes: list[str]) -> Any:
        raise NotImplementedError


class DeviceCodeCredential(_PublicClientCredential):
    """Delegated sign-in with the device code flow, for admins on machines without a browser.

    Args:
        tenant_id: the tenant's id.
        client_id: a public client app registration allowed to use the device code flow.
        prompt_callback: ``(verification_uri, user_code, expires_on)`` shows the code; the default prints
            Microsoft's instructions to stderr.
        cloud, authority_host, ca_bundle, cache: as for :class:`ClientSecretCredential`.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        prompt_callback: PromptCallback | None = None,
        cloud: Cloud | str = Cloud.GLOBAL,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        super().__init__(
            tenant_id, client_id, cloud=cloud, authority_host=authority_host, ca_bundle=ca_bundle, cache=cache
        )
        self.prompt_callback = prompt_callback or _default_prompt

    def _interactive(self, app: Any, scopes: list[str]) -> Any:
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            return flow  # an error dictionary: _acquire turns it into AuthenticationError
        expires_at = flow.get("expires_at") or (time.time() + float(flow.get("expires_in") or 900))
        self.prompt_callback(
            str(flow.get("verification_uri") or flow.get("verification_url") or ""),
            str(flow["user_code"]),
            datetime.fromtimestamp(float(expires_at), tz=timezone.utc),
        )
        return app.acquire_token_by_device_flow(flow)


class InteractiveBrowserCredential(_PublicClientCredential):
    """Delegated sign-in in the system browser (needs a desktop session; use the device code flow elsewhere).

    Args:
        tenant_id: the tenant's id.
        client_id: a public client app registration with ``http://localhost`` as a redirect URI.
        port: the loopback port for the redirect (``None``: any free port).
        timeout: seconds to wait for the browser.
        cloud, authority_host, ca_bundle, cache: as for :class:`ClientSecretCredential`.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        port: int | None = None,
        timeout: float = 300.0,
        cloud: Cloud | str = Cloud.GLOBAL,
        authority_host: str | None = None,
        ca_bundle: str | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        super().__init__(
            tenant_id, client_id, cloud=cloud, authority_host=authority_host, ca_bundle=ca_bundle, cache=cache
        )
        self.port = port
        self.timeout = timeout

    def _interactive(self, app: Any, scopes: list[str]) -> Any:
        return app.acquire_token_interactive(scopes, port=self.port, timeout=self.timeout)
