"""Which CA and proxy Graph requests use: chosen explicitly, never picked up silently from the environment."""

from __future__ import annotations

import ssl
import urllib.request

import httpx

from pinreset.auth._http import proxy_bypassed
from pinreset.exceptions import ConfigurationError

__all__ = ["env_proxy", "is_tls_verification_failure", "ssl_context"]


def ssl_context(verify: bool | str | ssl.SSLContext) -> ssl.SSLContext | bool:
    """The trust store, chosen explicitly: a CA file, a ready context, or certifi's bundle (else the system's).

    Raises:
        ConfigurationError: when the CA file cannot be read or holds no certificate.
    """
    if isinstance(verify, ssl.SSLContext) or verify is False:
        return verify
    if isinstance(verify, str):
        try:
            return ssl.create_default_context(cafile=verify)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
            raise ConfigurationError(f"cannot use the CA bundle {verify}: {reason}") from None
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi ships with httpx
        return ssl.create_default_context()


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``, honouring ``NO_PROXY``), read on purpose.

    httpx's ``trust_env`` would also take ``SSL_CERT_FILE`` and netrc from the environment; pinreset wants only
    the proxy from there, so it reads that alone.
    """
    parsed = httpx.URL(url)
    if proxy_bypassed(parsed.host):
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(parsed.scheme) or proxies.get("all")


def is_tls_verification_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a failed certificate verification, which no retry can fix."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
