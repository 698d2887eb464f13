"""The Microsoft identity platform (v2.0 endpoints) for the emulated tenant, enough for unmodified msal.

Endpoints, under ``/{tenant}`` where tenant is the tenant id, its default domain, ``organizations`` or
``common``:

- ``GET  /{tenant}/v2.0/.well-known/openid-configuration``  OpenID discovery, URLs built from the request's host
- ``GET  /{tenant}/discovery/v2.0/keys``                     the token-signing keys (JWKS)
- ``GET  /common/discovery/instance``                        instance discovery (msal's authority validation)
- ``POST /{tenant}/oauth2/v2.0/devicecode``                  starts a device code flow
- ``POST /{tenant}/oauth2/v2.0/token``                       client credentials (secret or certificate
  assertion), device code, refresh token

Errors have the identity platform's shape (``error``, ``error_description`` starting with an ``AADSTS`` code,
``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id``) and status (400, or 401 for client
authentication). The grant logic lives in :mod:`pinreset.emulator._grants`; the Graph side verifies the tokens
with :class:`~pinreset.emulator._jwt.TokenAuthenticator` (re-exported here).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterable

import attrs

from pinreset.emulator._apps import AppRegistry
from pinreset.emulator._grants import Grants
from pinreset.emulator._http import Request, Response
from pinreset.emulator._jwt import Signer, TokenAuthenticator
from pinreset.emulator._oauth import DeviceFlows, IdentityError, SignInUser, error_response

__all__ = ["IdentityApp", "IdentityConfig", "SignInUser", "TokenAuthenticator", "is_identity_path"]

_ALIASES = frozenset({"organizations", "common"})
_JSON = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


@attrs.frozen
class IdentityConfig:
    """Tunable behaviour of the identity endpoints.

    Attributes:
        token_lifetime: seconds an access token is valid (Entra ID: about an hour).
        device_code_delay: seconds after the device code is issued until the simulated user approves it.
        device_code_interval: the polling interval announced to the client, in whole seconds.
        device_code_lifetime: seconds until an unredeemed device code expires (Entra ID: 900).
    """

    token_lifetime: float = 3600.0
    device_code_delay: float = 1.0
    device_code_interval: int = 1
    device_code_lifetime: float = 900.0


def is_identity_path(path: str, tenant_id: str, domain: str | None = None, *, domains: Iterable[str] = ()) -> bool:
    """Whether ``path`` starts with a tenant segment the identity app answers for: an alias, the tenant id, or one
    of the tenant's verified domains (``domain`` and ``domains``)."""
    first = path.lstrip("/").split("/", 1)[0].lower()
    if first in _ALIASES or first == tenant_id.lower() or (domain is not None and first == domain.lower()):
        return True
    return any(first == name.lower() for name in domains)


class IdentityApp:
    """The identity application; implements ``Application``.

    Args:
        tenant_id: the emulated tenant's id.
        tenant_name: its display name (used in error messages, as Entra ID does).
        registry: the app registrations.
        signer: the token-signing key.
        user: the user who approves device code sign-ins.
        default_domain: the tenant's default domain, accepted in place of the tenant id.
        verified_domains: further verified domains (e.g. the initial ``*.onmicrosoft.com``), accepted likewise.
        config: lifetimes and delays.
        now: wall clock in epoch seconds (tokens are checked by real clients against real time).
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        tenant_name: str,
        registry: AppRegistry,
        signer: Signer,
        user: SignInUser,
        default_domain: str | None = None,
        verified_domains: Iterable[str] = (),
        config: IdentityConfig | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.tenant_id = tenant_id
        self.default_domain = default_domain
        self.verified_domains = tuple(verified_domains)
        self.registry = registry
        self.signer = signer
        self.config = config or IdentityConfig()
        self._now = now
        self.flows = DeviceFlows(self.config, now=now)
        self.grants = Grants(
            tenant_id=tenant_id,
            tenant_name=tenant_name,
            registry=registry,
            signer=signer,
            user=user,
            flows=self.flows,
            config=self.config,
            now=now,
        )

    def handle(self, request: Request) -> Response:
        """Answer one identity request (never raises for bad input)."""
        correlation = request.headers.get("client-request-id")
        parts = request.path.strip("/").split("/")
        tenant_segment, rest = parts[0], "/".join(parts[1:])
        base = _base_url(request)
        try:
            if not is_identity_path(request.path, self.tenant_id, self.default_domain, domains=self.verified_domains):
                raise IdentityError(
                    400,
                    "invalid_request",
                    90002,
                    f"Tenant '{tenant_segment}' not found. Check to make sure you have the correct tenant ID and "
                    "are signing into the correct cloud.",
                )
            if rest == "v2.0/.well-known/openid-configuration" and request.method == "GET":
                return Response.json_body(200, self._discovery(base, tenant_segment), _JSON)
            if rest == "discovery/v2.0/keys" and request.method == "GET":
                return Response.json_body(200, self.signer.jwks(f"{base}/{self.tenant_id}/v2.0"), _JSON)
            if rest in ("oauth2/v2.0/token", "oauth2/v2.0/devicecode") and request.method == "POST":
                form = _form(request)
                if rest.endswith("devicecode"):
                    return Response.json_body(200, self.grants.start_device_flow(form, base), _JSON)
                token_endpoint = f"{base}/{tenant_segment}/oauth2/v2.0/token"
                return Response.json_body(200, self.grants.token(form, base, token_endpoint), _JSON)
            if rest == "discovery/instance" and request.method == "GET":
                return Response.json_body(200, self._instance_discovery(request, base), _JSON)
            if rest == "oauth2/v2.0/devicelogin" and request.method == "GET":
                text = b"The emulated user approves device code sign-ins automatically; nothing to do here.\n"
                return Response(200, {"Content-Type": "text/plain; charset=utf-8"}, text)
            raise IdentityError(
                404 if request.method == "GET" else 400,
                "invalid_request",
                900561 if request.method == "GET" else 900144,
                f"The endpoint '{request.method} /{rest}' is not emulated.",
            )
        except IdentityError as exc:
            return error_response(exc, correlation=correlation, now=self._now())

    def _instance_discovery(self, request: Request, base: str) -> dict[str, object]:
        """``GET /common/discovery/instance``: msal's authority validation, answered for any host it names."""
        # Only the tenant is taken from the authority msal names: msal drops its port, and this server answers
        # for the tenant anyway.
        try:
            named = urllib.parse.urlsplit(request.query.get("authorization_endpoint", ""))
        except ValueError:  # e.g. an unclosed IPv6 bracket
            raise IdentityError(400, "invalid_instance", 50049, "Unknown or invalid instance.") from None
        segment = named.path.strip("/").split("/", 1)[0] or self.tenant_id
        host = urllib.parse.urlsplit(base).netloc
        return {
            "tenant_discovery_endpoint": f"{base}/{segment}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }

    def _discovery(self, base: str, segment: str) -> dict[str, object]:
        # Entra ID echoes the requested segment in the endpoint URLs and puts a placeholder in the issuer of
        # the multi-tenant aliases.
        issuer_tenant = "{tenantid}" if segment.lower() in _ALIASES else self.tenant_id
        root = f"{base}/{segment}"
        return {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "at_hash",
                "c_hash",
                "email",
            ],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": urllib.parse.urlsplit(base).netloc,
            "rbac_url": "https://pas.windows.net",
        }

    def __repr__(self) -> str:
        return f"IdentityApp(tenant_id={self.tenant_id!r})"


def _base_url(request: Request) -> str:
    scheme = request.headers.get("x-emulator-scheme", "https")
    host = request.headers.get("host", "localhost")
    return f"{scheme}://{host}"


def _form(request: Request) -> dict[str, str]:
    """The form fields of a token request (``application/x-www-form-urlencoded``); the last value wins."""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise IdentityError(400, "invalid_request", 900144, "The request body is not valid UTF-8.") from None
    return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
