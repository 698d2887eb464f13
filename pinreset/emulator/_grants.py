"""The token endpoint's grants: client credentials, device code and refresh tokens, and their scopes.

Pure logic over form fields (no HTTP): :class:`Grants` turns a token request into a token response or raises
:class:`~pinreset.emulator._oauth.IdentityError`. Client authentication lives in
:mod:`pinreset.emulator._clientauth`.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pinreset.emulator._apps import AppRegistry, RegisteredApp
from pinreset.emulator._clientauth import authenticate_client
from pinreset.emulator._jwt import GRAPH_RESOURCE, GRAPH_RESOURCE_ID, Signer, access_token_claims, b64url
from pinreset.emulator._oauth import DeviceFlows, IdentityError, RefreshGrant, SignInUser, required

__all__ = ["REFRESH_LIMIT", "Grants"]

GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_REFRESH = "refresh_token"

_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
REFRESH_LIMIT = 10_000  # refresh tokens remembered; older ones are forgotten (redeeming them is invalid_grant)


class Grants:
    """Token issuance for the emulated tenant (see the module docstring)."""

    def __init__(
        self,
        *,
        tenant_id: str,
        tenant_name: str,
        registry: AppRegistry,
        signer: Signer,
        user: SignInUser,
        flows: DeviceFlows,
        config: Any,
        now: Callable[[], float],
    ) -> None:
        self.tenant_id = tenant_id
        self.tenant_name = tenant_name
        self.registry = registry
        self.signer = signer
        self.user = user
        self.flows = flows
        self.config = config
        self._now = now
        self._refresh: dict[str, RefreshGrant] = {}
        self._lock = threading.Lock()
        # client id -> the app's service principal in the tenant (the ``oid`` of its app-only tokens)
        self.service_principal_ids: dict[str, str] = {}

    # -- entry points -------------------------------------------------------------------------------------------

    def token(self, form: Mapping[str, str], base: str, token_endpoint: str) -> dict[str, Any]:
        """Answer a ``POST …/oauth2/v2.0/token``.

        Raises:
            IdentityError: the request is refused.
        """
        grant_type = required(form, "grant_type")
        app = self._app(required(form, "client_id"))
        if grant_type == GRANT_CLIENT_CREDENTIALS:
            method = authenticate_client(
                app, form, token_endpoint, tenant_id=self.tenant_id, now=self._now(), confidential=True
            )
            audience, _ = self._scopes(form, base, delegated=False)
            claims = access_token_claims(
                tenant_id=self.tenant_id,
                app_id=app.client_id,
                app_name=app.name,
                audience=audience,
                lifetime=self.config.token_lifetime,
                roles=app.permissions,
                object_id=self._service_principal_id(app),
                auth_method=method,
                now=self._now(),
            )
            lifetime = int(self.config.token_lifetime) - 1
            return {
                "token_type": "Bearer",
                "expires_in": lifetime,
                "ext_expires_in": lifetime,
                "access_token": self.signer.sign(claims),
            }
        if grant_type == GRANT_DEVICE_CODE:
            method = authenticate_client(
                app, form, token_endpoint, tenant_id=self.tenant_id, now=self._now(), confidential=False
            )
            return self._poll_device_flow(app, required(form, "device_code"), base, method)
        if grant_type == GRANT_REFRESH:
            method = authenticate_client(
                app, form, token_endpoint, tenant_id=self.tenant_id, now=self._now(), confidential=False
            )
            return self._redeem_refresh_token(app, required(form, "refresh_token"), form, base, method)
        raise IdentityError(
            400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'."
        )

    def start_device_flow(self, form: Mapping[str, str], base: str) -> dict[str, Any]:
        """Answer a ``POST …/oauth2/v2.0/devicecode``.

        Raises:
            IdentityError: the request is refused.
        """
        app = self._app(required(form, "client_id"))
        audience, scopes = self._scopes(form, base, delegated=True, app=app)
        defaults = tuple(s for s in form["scope"].split() if s.endswith("/.default"))
        code, flow = self.flows.start(app.client_id, scopes, audience, defaults)
        user_code = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9))
        uri = f"{base}/{self.tenant_id}/oauth2/v2.0/devicelogin"
        return {
            "user_code": user_code,
            "device_code": code,
            "verification_uri": uri,
            "expires_in": int(flow.expires - flow.created),
            "interval": flow.interval,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code {user_code} to "
            "authenticate.",
        }

    # -- client authentication ----------------------------------------------------------------------------------

    def _app(self, client_id: str) -> RegisteredApp:
        app = self.registry.get(client_id)
        if app is None:
            raise IdentityError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{self.tenant_name}'. "
                "This can happen if the application has not been installed by the administrator of the tenant or "
                "consented to by any user in the tenant. You may have sent your authentication request to the "
                "wrong tenant.",
            )
        return app

    def _scopes(
        self, form: Mapping[str, str], base: str, *, delegated: bool, app: RegisteredApp | None = None
    ) -> tuple[str, frozenset[str]]:
        """Split ``scope`` into Graph's audience and the permission names it asks for."""
        requested = [s for s in required(form, "scope").split() if s not in _OIDC_SCOPES]
        if not requested:
            raise IdentityError(
                400, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid."
            )
        audience = GRAPH_RESOURCE
        permissions: set[str] = set()
        for scope in requested:
            resource, _, permission = scope.rpartition("/")
            resource = resource.rstrip("/") or GRAPH_RESOURCE
            if resource.lower() == GRAPH_RESOURCE_ID:
                audience = GRAPH_RESOURCE_ID
            elif not _is_graph(resource, base):
                raise IdentityError(
                    400,
                    "invalid_resource",
                    500011,
                    f"The resource principal named {resource} was not found in the tenant named {self.tenant_name}. "
                    "This can happen if the application has not been installed by the administrator of the tenant "
                    "or consented to by any user in the tenant. You might have sent your authentication request to "
                    "the wrong tenant.",
                )
            if not delegated and permission != ".default":
                raise IdentityError(
                    400,
                    "invalid_scope",
                    1002012,
                    f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
                    "value with /.default suffixed to the resource identifier (application ID URI).",
                )
            permissions.add(permission)
        if not delegated:
            return audience, frozenset()
        assert app is not None  # delegated scopes are always resolved for a known app
        granted = set(app.permissions) if ".default" in permissions else set()
        explicit = permissions - {".default"}
        missing = explicit - app.permissions
        if missing:
            raise IdentityError(
                400,
                "invalid_grant",
                65001,
                f"The user or administrator has not consented to use the application with ID '{app.client_id}' "
                f"named '{app.name}'. Send an interactive authorization request for this user and resource.",
            )
        return audience, frozenset(granted | explicit)

    # -- delegated grants -----------------------------------------------------------------------------------------

    def _poll_device_flow(self, app: RegisteredApp, code: str, base: str, method: str) -> dict[str, Any]:
        now = self._now()
        with self.flows.lock:
            flow = self.flows.get(code)
            if flow is None or flow.client_id != app.client_id:
                raise IdentityError(
                    400,
                    "bad_verification_code",
                    70019,
                    "The device code sent to the token endpoint was not recognized.",
                )
            if now >= flow.expires:
                raise IdentityError(400, "expired_token", 70020, "The device code has expired; start a new sign-in.")
            if flow.redeemed:
                raise IdentityError(400, "invalid_grant", 70000, "The device code has already been redeemed.")
            too_soon = flow.last_poll is not None and now - flow.last_poll < flow.interval / 2
            flow.last_poll = now
            if too_soon:
                flow.interval += 5  # RFC 8628 section 3.5: the client must add 5 seconds
                raise IdentityError(400, "slow_down", 70016, "Polling too often; wait the interval between polls.")
            if now < flow.created + self.config.device_code_delay:
                raise IdentityError(
                    400,
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                )
            flow.redeemed = True
        grant = RefreshGrant(app.client_id, flow.scopes, flow.audience)
        return self._user_tokens(app, grant, base, method, flow.requested)

    def _redeem_refresh_token(
        self, app: RegisteredApp, token: str, form: Mapping[str, str], base: str, method: str
    ) -> dict[str, Any]:
        grant = self._refresh.get(token)
        if grant is None or grant.client_id != app.client_id:
            raise IdentityError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        requested: tuple[str, ...] = ()
        if form.get("scope"):
            audience, scopes = self._scopes(form, base, delegated=True, app=app)
            grant = RefreshGrant(app.client_id, scopes, audience)
            requested = tuple(s for s in form["scope"].split() if s.endswith("/.default"))
        return self._user_tokens(app, grant, base, method, requested)

    def _user_tokens(
        self, app: RegisteredApp, grant: RefreshGrant, base: str, method: str, requested: tuple[str, ...]
    ) -> dict[str, Any]:
        now = self._now()
        user = self.user
        claims = access_token_claims(
            tenant_id=self.tenant_id,
            app_id=app.client_id,
            app_name=app.name,
            audience=grant.audience,
            lifetime=self.config.token_lifetime,
            scopes=grant.scopes,
            object_id=user.object_id,
            user={"upn": user.user_principal_name, "unique_name": user.user_principal_name, "name": user.display_name},
            auth_method=method,
            now=now,
        )
        id_token = self.signer.sign(
            {
                "aud": app.client_id,
                "iss": f"{base}/{self.tenant_id}/v2.0",
                "iat": int(now),
                "nbf": int(now),
                "exp": int(now + self.config.token_lifetime),
                "name": user.display_name,
                "oid": user.object_id,
                "preferred_username": user.user_principal_name,
                "sub": b64url(uuid.uuid5(uuid.NAMESPACE_URL, f"{user.object_id}/{app.client_id}").bytes),
                "tid": self.tenant_id,
                "ver": "2.0",
            }
        )
        refresh = secrets.token_urlsafe(64)
        with self._lock:
            while len(self._refresh) >= REFRESH_LIMIT:
                del self._refresh[next(iter(self._refresh))]  # insertion order: the oldest goes
            self._refresh[refresh] = grant
        scope = [f"{GRAPH_RESOURCE}/{s}" for s in sorted(grant.scopes)]
        scope.extend(s for s in requested if s not in scope)
        lifetime = int(self.config.token_lifetime) - 1
        client_info = json.dumps({"uid": user.object_id, "utid": self.tenant_id}).encode()
        return {
            "token_type": "Bearer",
            "scope": " ".join([*scope, "openid", "profile", "offline_access"]),
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": self.signer.sign(claims),
            "refresh_token": refresh,
            "id_token": id_token,
            "client_info": b64url(client_info),
        }

    def _service_principal_id(self, app: RegisteredApp) -> str:
        known = self.service_principal_ids.get(app.client_id)
        if known:
            return known
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.tenant_id}/servicePrincipals/{app.client_id}"))


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _is_graph(resource: str, base: str) -> bool:
    """Graph's URL, or the emulator's own root under any loopback name (it serves Graph too)."""
    if resource.lower() == GRAPH_RESOURCE:
        return True
    try:
        theirs, ours = urllib.parse.urlsplit(resource.lower()), urllib.parse.urlsplit(base.lower())
        if theirs.path.strip("/") or theirs.scheme not in ("http", "https"):
            return False
        if theirs.netloc == ours.netloc:
            return True
        return theirs.hostname in _LOOPBACK and ours.hostname in _LOOPBACK and theirs.port == ours.port
    except ValueError:  # a malformed URL (an unclosed IPv6 bracket) or port: not Graph
        return False
