"""The default credential: configured from the same environment variables as azure-identity, plus pinreset's.

``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID`` and either ``AZURE_CLIENT_SECRET`` or ``AZURE_CLIENT_CERTIFICATE_PATH``
(with ``AZURE_CLIENT_CERTIFICATE_PASSWORD``); ``AZURE_AUTHORITY_HOST`` overrides the cloud's sign-in host.
pinreset adds ``PINRESET_CLOUD`` (global, us_gov, us_gov_dod, china), ``PINRESET_GRAPH_URL`` and
``PINRESET_CA_BUNDLE`` (a CA trusted for both sign-in and Graph; the emulator prints all of these).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pinreset.auth._cache import TokenCache
from pinreset.auth._cloud import Cloud
from pinreset.auth._credentials import CertificateCredential, ClientSecretCredential
from pinreset.auth._protocol import AccessToken
from pinreset.exceptions import ConfigurationError

__all__ = ["DefaultCredential"]


class DefaultCredential:
    """A secret or certificate credential chosen from the environment.

    Args:
        environ: the variables to read (default ``os.environ``).
        cache: an optional persistent :class:`TokenCache`.
        **overrides: values that win over the environment, by variable name in lower case without the prefix
            (``tenant_id``, ``client_id``, ``client_secret``, ``client_certificate_path``,
            ``client_certificate_password``, ``authority_host``, ``cloud``, ``graph_url``, ``ca_bundle``).

    Attributes:
        cloud: the national cloud.
        graph_url: Graph's root for this configuration (``PINRESET_GRAPH_URL`` or the cloud's).
        ca_bundle: the CA bundle to trust, or ``None`` for the default trust store.

    Raises:
        ConfigurationError: required variables are missing (the message names them), or the cloud is unknown.
    """

    def __init__(
        self, *, environ: Mapping[str, str] | None = None, cache: TokenCache | None = None, **overrides: Any
    ) -> None:
        env = os.environ if environ is None else environ

        def pick(name: str, variable: str) -> str | None:
            value = overrides.get(name)
            if value is None:
                value = env.get(variable)
            return str(value).strip() if value is not None and str(value).strip() else None

        unknown = set(overrides) - {
            "tenant_id", "client_id", "client_secret", "client_certificate_path", "client_certificate_password",
            "authority_host", "cloud", "graph_url", "ca_bundle",
        }  # fmt: skip
        if unknown:
            raise ConfigurationError(f"unknown DefaultCredential settings: {', '.join(sorted(unknown))}")
        self.cloud = Cloud.parse(pick("cloud", "PINRESET_CLOUD") or Cloud.GLOBAL.value)
        self.graph_url = (pick("graph_url", "PINRESET_GRAPH_URL") or self.cloud.graph_url).rstrip("/")
        self.ca_bundle = pick("ca_bundle", "PINRESET_CA_BUNDLE")
        tenant_id = pick("tenant_id", "AZURE_TENANT_ID")
        client_id = pick("client_id", "AZURE_CLIENT_ID")
        secret = pick("client_secret", "AZURE_CLIENT_SECRET")
        cert_path = pick("client_certificate_path", "AZURE_CLIENT_CERTIFICATE_PATH")
        missing = [v for v, value in (("AZURE_TENANT_ID", tenant_id), ("AZURE_CLIENT_ID", client_id)) if not value]
        if not secret and not cert_path:
            missing.append("AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH")
        if missing:
            raise ConfigurationError(f"no credential configured: set {', '.join(missing)}")
        if tenant_id is None or client_id is None:  # for the type checker; reported just above
            raise ConfigurationError("no credential configured")
        common: dict[str, Any] = {
            "cloud": self.cloud,
            "authority_host": pick("authority_host", "AZURE_AUTHORITY_HOST"),
            "ca_bundle": self.ca_bundle,
            "cache": cache,
        }
        self.credential: ClientSecretCredential | CertificateCredential
        if secret:
            self.credential = ClientSecretCredential(tenant_id, client_id, secret, **common)
        else:
            self.credential = CertificateCredential(
                tenant_id,
                client_id,
                cert_path,
                password=pick("client_certificate_password", "AZURE_CLIENT_CERTIFICATE_PASSWORD"),
                **common,
            )

    @property
    def tenant_id(self) -> str:
        """The configured tenant id."""
        return self.credential.tenant_id

    def __repr__(self) -> str:
        return f"DefaultCredential({self.credential!r}, graph_url={self.graph_url!r})"

    def close(self) -> None:
        """Close the sign-in connections."""
        self.credential.close()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """An access token for ``scopes`` from the configured credential (see its ``get_token``)."""
        return self.credential.get_token(*scopes, **kwargs)
