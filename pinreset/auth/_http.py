"""The HTTP client msal uses: a requests session whose trust store and proxy pinreset chooses explicitly.

msal's own ``verify=`` lands on ``session.verify``, and requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``
override that on every request. A session with ``trust_env = False`` ignores those variables (and netrc);
the proxy is then taken from the environment on purpose, honouring ``NO_PROXY``.
"""

from __future__ import annotations

import urllib.request
from typing import Any
from urllib.parse import urlsplit

__all__ = ["msal_session", "proxy_bypassed"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def proxy_bypassed(host: str) -> bool:
    """Whether requests to ``host`` go direct: loopback always, anything else as ``NO_PROXY`` says.

    Args:
        host: a host name or address (no brackets, no port).

    Returns:
        ``True`` when no proxy may be used for ``host``.
    """
    bypass: Any = getattr(urllib.request, "proxy_bypass_environment", None)  # untyped in typeshed
    return host in _LOOPBACK or (bypass is not None and bool(bypass(host)))


def msal_session(ca_bundle: str | None, authority_host: str) -> Any:
    """A ``requests.Session`` for msal's ``http_client``.

    Args:
        ca_bundle: a PEM CA bundle to trust, or ``None`` for certifi's bundle.
        authority_host: the identity platform root (decides the proxy).

    Returns:
        The session.
    """
    import certifi
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle or certifi.where()
    if not proxy_bypassed(urlsplit(authority_host).hostname or ""):
        proxies = urllib.request.getproxies_environment()
        session.proxies = {k: v for k, v in proxies.items() if k in ("http", "https")}
    return session
