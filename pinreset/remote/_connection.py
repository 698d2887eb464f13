"""How to reach hosts over WinRM: transport, authentication, certificate trust and timeouts.

:class:`WinRMConnection` is validated when it is created, so an unsafe combination (Basic credentials over plain
HTTP, CredSSP without opting in, a read timeout that would cut long Receives short) fails before any host is
contacted. :meth:`WinRMConnection.wsman_kwargs` turns it into the keyword arguments of ``pypsrp.wsman.WSMan``.
"""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path
from typing import Any, Literal

import attrs

from pinreset.exceptions import ConfigurationError
from pinreset.remote._hosts import HostSpec

__all__ = ["AUTH_METHODS", "TRANSPORTS", "Auth", "CredSSPDelegationWarning", "Transport", "WinRMConnection"]

Transport = Literal["https", "http"]
Auth = Literal["negotiate", "ntlm", "kerberos", "certificate", "credssp", "basic"]
TRANSPORTS: tuple[str, ...] = ("https", "http")
AUTH_METHODS: tuple[str, ...] = ("negotiate", "ntlm", "kerberos", "certificate", "credssp", "basic")
# Auth methods that can seal WinRM messages themselves, which plain HTTP requires.
_ENCRYPTING: frozenset[str] = frozenset({"negotiate", "ntlm", "kerberos", "credssp"})


def codepage_encoding(codepage: int) -> str:
    """The Python codec name of a Windows code page (``65001`` is UTF-8, others ``cp<n>``)."""
    return "utf-8" if codepage == 65001 else f"cp{codepage}"


class CredSSPDelegationWarning(UserWarning):
    """CredSSP hands the account's password to every host it connects to."""


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ConfigurationError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen(kw_only=True)
class WinRMConnection:
    """Connection options shared by every host of a check.

    Attributes:
        username: account name (``DOMAIN\\user`` or ``user@domain``); ``None`` for Kerberos from the ticket cache
            or certificate auth.
        password: the account's password; never shown in reprs, logs or errors.
        transport: ``https`` (port 5986, default) or ``http`` (5985; only with NTLM/Kerberos message encryption).
        port: port for hosts that do not name one; ``None`` for the transport's default.
        auth: ``negotiate`` (default), ``ntlm``, ``kerberos``, ``certificate``, ``credssp`` or ``basic``
            (``basic`` only over HTTPS).
        ca_bundle: PEM file of CAs to trust for HTTPS; ``None`` uses the system store (and ``REQUESTS_CA_BUNDLE``).
        allow_credssp: explicit opt-in for CredSSP, which delegates the password to the host.
        certificate_pem: client certificate file, for ``certificate`` auth.
        certificate_key_pem: its private key file.
        connection_timeout: seconds to wait for a TCP/TLS connection.
        operation_timeout: WS-Management ``OperationTimeout`` in seconds (how long a host may hold a Receive).
        read_timeout: seconds to wait for an HTTP response; must exceed ``operation_timeout``.
        no_proxy: ignore ``HTTP(S)_PROXY`` from the environment.
        codepage: the hosts' OEM code page for WinRS (plain command) output; PSRP output is always Unicode.
    """

    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    transport: Transport = "https"
    port: int | None = None
    auth: Auth = "negotiate"
    ca_bundle: str | Path | None = None
    allow_credssp: bool = False
    certificate_pem: str | Path | None = None
    certificate_key_pem: str | Path | None = attrs.field(default=None, repr=False)
    connection_timeout: float = attrs.field(default=10.0, validator=_positive)
    operation_timeout: int = attrs.field(default=20, validator=_positive)
    read_timeout: float = attrs.field(default=30.0, validator=_positive)
    no_proxy: bool = False
    codepage: int = 437

    def __attrs_post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ConfigurationError(f"transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}")
        if self.auth not in AUTH_METHODS:
            raise ConfigurationError(f"auth must be one of {', '.join(AUTH_METHODS)}, got {self.auth!r}")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise ConfigurationError(f"port {self.port} is out of range 1-65535")
        if self.read_timeout <= self.operation_timeout:
            # A host may legitimately hold a Receive for the whole operation timeout; a shorter HTTP read
            # timeout turns that into a spurious failure (pypsrp issue 182).
            raise ConfigurationError(
                f"read_timeout ({self.read_timeout}) must be larger than operation_timeout ({self.operation_timeout})"
            )
        if self.transport == "http" and self.auth not in _ENCRYPTING:
            raise ConfigurationError(
                f"auth {self.auth!r} cannot encrypt WinRM messages, so it would send credentials and commands in "
                "clear over HTTP; use HTTPS, or NTLM/Kerberos/Negotiate over HTTP"
            )
        if self.auth == "credssp" and not self.allow_credssp:
            raise ConfigurationError(
                "CredSSP delegates your password to every host; pass allow_credssp=True "
                "(--insecure-allow-credssp) only for hosts you trust"
            )
        if self.auth == "certificate" and (self.certificate_pem is None or self.certificate_key_pem is None):
            raise ConfigurationError("certificate auth needs certificate_pem and certificate_key_pem")
        if self.auth in ("ntlm", "basic", "credssp") and (not self.username or self.password is None):
            raise ConfigurationError(f"auth {self.auth!r} needs a user name and a password")
        if self.ca_bundle is not None and not Path(self.ca_bundle).is_file():
            raise ConfigurationError(f"CA bundle {str(self.ca_bundle)!r} is not a readable file")
        if self.codepage <= 0:
            raise ConfigurationError(f"codepage must be positive, got {self.codepage}")
        try:
            codecs.lookup(codepage_encoding(self.codepage))
        except LookupError:
            # Refused here, not as a LookupError in every host's check after the output has been fetched.
            raise ConfigurationError(f"codepage {self.codepage} has no Python codec") from None

    @property
    def default_port(self) -> int:
        """The port used for hosts that do not name one."""
        if self.port is not None:
            return self.port
        return 5986 if self.transport == "https" else 5985

    def wsman_kwargs(self, host: HostSpec) -> dict[str, Any]:
        """Keyword arguments for ``pypsrp.wsman.WSMan`` to reach ``host``.

        Emits :class:`CredSSPDelegationWarning` for CredSSP (opted in).

        Args:
            host: the host to connect to.

        Returns:
            ``server`` plus every option; the dict contains the password, so never log it.
        """
        https = self.transport == "https"
        kwargs: dict[str, Any] = {
            "server": host.host,
            "port": host.port if host.port is not None else self.default_port,
            "ssl": https,
            "auth": self.auth,
            "username": self.username,
            "password": self.password,
            "cert_validation": str(self.ca_bundle) if self.ca_bundle is not None else True,
            "connection_timeout": self.connection_timeout,
            "read_timeout": self.read_timeout,
            "operation_timeout": self.operation_timeout,
            # On HTTP "auto" means: always seal messages (refused above for auths that cannot).
            "encryption": "auto",
            "no_proxy": self.no_proxy,
            "reconnection_retries": 0,
        }
        if self.auth == "certificate":
            kwargs["certificate_pem"] = str(self.certificate_pem)
            kwargs["certificate_key_pem"] = str(self.certificate_key_pem)
        if self.auth == "credssp":
            warnings.warn(
                f"CredSSP delegates the password of {self.username!r} to {host}; use it only with trusted hosts",
                CredSSPDelegationWarning,
                stacklevel=2,
            )
        return kwargs
