"""How the admin host signs in to Microsoft Graph: ``Connect-MgGraph`` with one of three methods (pure).

- :class:`CertificateSignIn`: an app registration's certificate, already in the admin host's certificate store
  (``-TenantId -ClientId -CertificateThumbprint``); the private key never leaves the host.
- :class:`ManagedIdentitySignIn`: the host's managed identity (``-Identity``, ``-ClientId`` for a user-assigned
  one); nothing secret anywhere.
- :class:`SecretSignIn`: an app secret, sent as a ``PSCredential`` whose password is a PSRP SecureString
  (encrypted with the runspace pool's session key), never as plain text or in script text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from pinreset.exceptions import ConfigurationError

__all__ = ["SIGN_IN_METHODS", "CertificateSignIn", "ManagedIdentitySignIn", "SecretCredential", "SecretSignIn",
           "SignIn", "connect_parameters", "env_value", "sign_in_from_environment"]

SIGN_IN_METHODS = ("certificate", "identity", "secret")
_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")


def _required(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{type(instance).__name__}: {attribute.name} is required")


def _normal_thumbprint(value: object) -> str:
    return str(value).replace(" ", "").upper()


def _thumbprint(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _THUMBPRINT.fullmatch(value.replace(" ", "")):
        raise ConfigurationError("the certificate thumbprint must be 40 hexadecimal digits (SHA-1)")


@attrs.frozen(kw_only=True)
class CertificateSignIn:
    """Sign in as an app with a certificate in the admin host's store.

    Attributes:
        tenant_id: the tenant id or a verified domain.
        client_id: the app registration's client id.
        thumbprint: SHA-1 thumbprint of the certificate (``Cert:\\LocalMachine\\My`` or ``CurrentUser\\My``).
    """

    tenant_id: str = attrs.field(validator=_required)
    client_id: str = attrs.field(validator=_required)
    thumbprint: str = attrs.field(validator=_thumbprint, converter=_normal_thumbprint)

    method = "certificate"


@attrs.frozen(kw_only=True)
class ManagedIdentitySignIn:
    """Sign in as the admin host's managed identity (Azure VM or Arc-enabled server).

    Attributes:
        client_id: a user-assigned identity's client id; ``None`` for the system-assigned identity.
    """

    client_id: str | None = None

    method = "identity"


@attrs.frozen(kw_only=True)
class SecretSignIn:
    """Sign in as an app with a client secret (sent as a SecureString; never shown in reprs or errors).

    Attributes:
        tenant_id: the tenant id or a verified domain.
        client_id: the app registration's client id.
        secret: the client secret.
    """

    tenant_id: str = attrs.field(validator=_required)
    client_id: str = attrs.field(validator=_required)
    secret: str = attrs.field(repr=False, validator=_required)

    method = "secret"


SignIn = CertificateSignIn | ManagedIdentitySignIn | SecretSignIn


@attrs.frozen
class SecretCredential:
    """A ``PSCredential`` still to be built (the session turns it into a SecureString-carrying object)."""

    username: str
    password: str = attrs.field(repr=False)


def connect_parameters(sign_in: SignIn, environment: str) -> list[tuple[str, object]]:
    """The ``Connect-MgGraph`` parameters for ``sign_in`` in the cloud named ``environment``.

    Args:
        sign_in: the method.
        environment: the ``-Environment`` name (``Global``, ``USGov``, ``USGovDoD``, ``China``).

    Returns:
        ``(name, value)`` pairs; switches are ``True``; the secret is a :class:`SecretCredential`.

    Raises:
        ConfigurationError: for an unknown sign-in object.
    """
    params: list[tuple[str, object]]
    if isinstance(sign_in, CertificateSignIn):
        params = [("TenantId", sign_in.tenant_id), ("ClientId", sign_in.client_id),
                  ("CertificateThumbprint", sign_in.thumbprint)]
    elif isinstance(sign_in, ManagedIdentitySignIn):
        params = [("Identity", True)]
        if sign_in.client_id:
            params.append(("ClientId", sign_in.client_id))
    elif isinstance(sign_in, SecretSignIn):
        params = [("TenantId", sign_in.tenant_id),
                  ("ClientSecretCredential", SecretCredential(sign_in.client_id, sign_in.secret))]
    else:
        raise ConfigurationError(f"unknown sign-in {type(sign_in).__name__}; use CertificateSignIn, "
                                 "ManagedIdentitySignIn or SecretSignIn")
    return [*params, ("Environment", environment), ("NoWelcome", True)]


def env_value(env: Mapping[str, str], name: str) -> str | None:
    """The variable ``name`` without surrounding white space; ``None`` when unset or blank."""
    value = env.get(name)
    return value.strip() if value and value.strip() else None


def sign_in_from_environment(env: Mapping[str, str]) -> SignIn:
    """The sign-in the environment describes (see ``PowerShellBackend.from_environment``).

    Raises:
        ConfigurationError: for an unknown method or a missing variable.
    """

    def get(name: str) -> str | None:
        return env_value(env, name)

    method = (get("PINRESET_PS_SIGN_IN") or "").lower()
    if not method:
        method = "certificate" if get("PINRESET_PS_THUMBPRINT") else "secret" if get("AZURE_CLIENT_SECRET") else (
            "identity"
        )
    if method == "identity":
        return ManagedIdentitySignIn(client_id=get("PINRESET_PS_IDENTITY_CLIENT_ID"))
    tenant_id, client_id = get("AZURE_TENANT_ID"), get("AZURE_CLIENT_ID")
    if method not in ("certificate", "secret"):
        raise ConfigurationError(f"PINRESET_PS_SIGN_IN={method!r}: use certificate, identity or secret")
    missing = [n for n, v in (("AZURE_TENANT_ID", tenant_id), ("AZURE_CLIENT_ID", client_id)) if not v]
    if method == "certificate":
        thumbprint = get("PINRESET_PS_THUMBPRINT")
        if not thumbprint:
            missing.append("PINRESET_PS_THUMBPRINT")
        if missing:
            raise ConfigurationError(f"certificate sign-in needs {', '.join(missing)}")
        return CertificateSignIn(tenant_id=str(tenant_id), client_id=str(client_id), thumbprint=str(thumbprint))
    secret = env.get("AZURE_CLIENT_SECRET") or ""
    if not secret:
        missing.append("AZURE_CLIENT_SECRET")
    if missing:
        raise ConfigurationError(f"secret sign-in needs {', '.join(missing)}")
    return SecretSignIn(tenant_id=str(tenant_id), client_id=str(client_id), secret=secret)
