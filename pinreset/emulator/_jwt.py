"""Signed tokens: the emulator's token-signing key, its JWKS, and the verification Graph performs.

Access tokens are RS256 JWTs shaped like the v1.0 tokens Microsoft Graph receives (``iss`` =
``https://sts.windows.net/{tenant}/``, ``aud`` = Graph, ``roles`` or ``scp``), signed by a key generated at
start-up and published at the JWKS endpoint, so a client can verify them the way it would verify Microsoft's.
:class:`TokenAuthenticator` is the Graph side: it verifies signature, audience, issuer, tenant and lifetime and
says who is calling.
"""

from __future__ import annotations

import base64
import datetime
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from pinreset.emulator._http import Principal, Request, Unauthorized

__all__ = ["GRAPH_AUDIENCES", "GRAPH_RESOURCE", "GRAPH_RESOURCE_ID", "Signer", "TokenAuthenticator", "b64url"]

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_RESOURCE_ID = "00000003-0000-0000-c000-000000000000"
# Graph accepts either form of its identifier in ``aud``, with or without a trailing slash.
GRAPH_AUDIENCES: tuple[str, ...] = (GRAPH_RESOURCE, GRAPH_RESOURCE + "/", GRAPH_RESOURCE_ID)

_CACHE_LIMIT = 4096


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _uint_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Signer:
    """The token-signing key (RSA 2048, like Entra ID's) with a self-signed certificate for ``x5c``.

    Attributes:
        kid: the key id in token headers and the JWKS (the certificate's SHA-1 thumbprint, as Entra ID does).
    """

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self._key.public_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pinreset emulator token signing")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(self._key, hashes.SHA256())
        )
        self._cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.kid = b64url(cert.fingerprint(hashes.SHA1()))  # noqa: S303 - an identifier, as Entra ID uses it

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Sign ``claims`` as an RS256 JWT with this key's ``kid`` and ``x5t``."""
        return jwt.encode(dict(claims), self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid})

    def jwks(self, issuer: str | None = None) -> dict[str, Any]:
        """The JSON Web Key Set published at ``/{tenant}/discovery/v2.0/keys``."""
        numbers = self.public_key.public_numbers()
        key: dict[str, Any] = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _uint_b64(numbers.n),
            "e": _uint_b64(numbers.e),
            "x5c": [base64.b64encode(self._cert_der).decode()],
        }
        if issuer:
            key["issuer"] = issuer
        return {"keys": [key]}

    def __repr__(self) -> str:
        return f"Signer(kid={self.kid!r})"


def sts_issuer(tenant_id: str) -> str:
    """The ``iss`` of the v1.0 access tokens Graph receives."""
    return f"https://sts.windows.net/{tenant_id}/"


def access_token_claims(
    *,
    tenant_id: str,
    app_id: str,
    app_name: str,
    audience: str,
    lifetime: float,
    roles: frozenset[str] = frozenset(),
    scopes: frozenset[str] | None = None,
    object_id: str,
    user: Mapping[str, str] | None = None,
    auth_method: str = "1",
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a Graph access token.

    Args:
        tenant_id: the tenant (``tid``).
        app_id: the client (``appid``, ``azp``).
        app_name: ``app_displayname``.
        audience: ``aud``: Graph's URL or its application id.
        lifetime: seconds until ``exp``.
        roles: application permissions, for app-only tokens.
        scopes: delegated permissions; ``None`` for app-only tokens.
        object_id: ``oid``: the service principal's id (app-only) or the user's id (delegated).
        user: ``upn``/``name`` for delegated tokens.
        auth_method: ``appidacr``: ``"0"`` public client, ``"1"`` secret, ``"2"`` certificate.
        now: issue time (epoch seconds); the wall clock by default.

    Returns:
        The claims, ready for :meth:`Signer.sign`.
    """
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": sts_issuer(tenant_id),
        "iat": issued,
        "nbf": issued,
        "exp": int(issued + lifetime),
        "app_displayname": app_name,
        "appid": app_id,
        "azp": app_id,
        "appidacr": auth_method,
        "idp": sts_issuer(tenant_id),
        "oid": object_id,
        "sub": object_id,
        "tid": tenant_id,
        "uti": b64url(uuid.uuid4().bytes),
        "ver": "1.0",
    }
    if scopes is None:
        claims["idtyp"] = "app"
        if roles:
            claims["roles"] = sorted(roles)
    else:
        claims["idtyp"] = "user"
        claims["scp"] = " ".join(sorted(scopes))
        claims["amr"] = ["pwd", "mfa"]
        claims.update(user or {})
    return claims


class TokenAuthenticator:
    """Verifies Graph bearer tokens issued by this emulator; implements the ``Authenticator`` protocol.

    Verified tokens are remembered (bounded) so that a client reusing its token costs one dictionary lookup
    and an expiry check per request, not an RSA verification.

    Args:
        signer: the key tokens must be signed with.
        tenant_id: the tenant tokens must be issued for.
        now: the wall clock (epoch seconds); injectable for tests.
        leeway: clock skew tolerated on ``exp``/``nbf``, in seconds.
    """

    def __init__(
        self,
        signer: Signer,
        tenant_id: str,
        *,
        now: Callable[[], float] = time.time,
        leeway: float = 0.0,
    ) -> None:
        self._signer = signer
        self._tenant_id = tenant_id
        self._now = now
        self._leeway = leeway
        self._cache: dict[str, tuple[Principal, float, float]] = {}
        self._lock = threading.Lock()

    def authenticate(self, request: Request) -> Principal:
        """Verify the request's bearer token.

        Args:
            request: the Graph request.

        Returns:
            The caller.

        Raises:
            Unauthorized: no token, a malformed, forged, expired or foreign token (Graph's
                ``InvalidAuthenticationToken``).
        """
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if not header or not token:
            raise Unauthorized("InvalidAuthenticationToken", "Access token is empty.")
        if scheme.lower() != "bearer":
            raise Unauthorized("InvalidAuthenticationToken", "Access token validation failure: not a bearer token.")
        cached = self._cache.get(token)
        if cached is None:
            cached = self._verify(token)
            with self._lock:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[token] = cached
        principal, not_before, expires = cached
        now = self._now()
        if now + self._leeway < not_before or now - self._leeway >= expires:
            raise Unauthorized("InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        return principal

    def _verify(self, token: str) -> tuple[Principal, float, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized(
                "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.)."
            ) from None
        if header.get("alg") != "RS256" or header.get("kid") != self._signer.kid:
            raise Unauthorized("InvalidAuthenticationToken", "Access token validation failure. Invalid signature.")
        try:
            claims = jwt.decode(
                token,
                self._signer.public_key,
                algorithms=["RS256"],
                audience=list(GRAPH_AUDIENCES),
                issuer=sts_issuer(self._tenant_id),
                # Lifetime is checked on every use against the injectable clock, not once here.
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": ["exp", "tid"]},
            )
        except jwt.InvalidAudienceError:
            raise Unauthorized(
                "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthorized(
                "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer."
            ) from None
        except jwt.PyJWTError:
            raise Unauthorized(
                "InvalidAuthenticationToken", "Access token validation failure. Invalid signature."
            ) from None
        if str(claims.get("tid", "")).lower() != self._tenant_id.lower():
            raise Unauthorized("InvalidAuthenticationToken", "Access token validation failure. Invalid tenant.")
        scopes = claims.get("scp")
        principal = Principal(
            app_id=str(claims.get("appid") or claims.get("azp") or ""),
            tenant_id=str(claims["tid"]),
            roles=frozenset(str(r) for r in claims.get("roles", ())),
            scopes=frozenset(str(scopes).split()) if scopes else frozenset(),
            user_id=str(claims["oid"]) if scopes and claims.get("oid") else None,
        )
        return principal, float(claims.get("nbf", 0)), float(claims["exp"])

    def __repr__(self) -> str:
        return f"TokenAuthenticator(tenant_id={self._tenant_id!r})"
