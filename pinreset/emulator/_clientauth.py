"""Client authentication at the token endpoint: a client secret, or a certificate-signed client assertion.

The assertion checks follow Microsoft's documented requirements for certificate credentials: an RS256/PS256
JWT whose ``x5t`` (SHA-1) or ``x5t#S256`` header names the registered certificate, signed by its key, with
``aud`` = the tenant's token endpoint, ``iss`` = ``sub`` = the client id, and a current ``nbf``/``exp``.
"""

from __future__ import annotations

from collections.abc import Mapping

import jwt

from pinreset.emulator._apps import RegisteredApp
from pinreset.emulator._oauth import IdentityError

__all__ = ["ASSERTION_TYPE_JWT", "authenticate_client"]

ASSERTION_TYPE_JWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ASSERTION_LEEWAY = 300  # seconds of clock skew tolerated in client assertions
_ASSERTION_ALGORITHMS = ["RS256", "PS256", "RS384", "PS384", "RS512", "PS512"]


def authenticate_client(
    app: RegisteredApp,
    form: Mapping[str, str],
    token_endpoint: str,
    *,
    tenant_id: str,
    now: float,
    confidential: bool,
) -> str:
    """Check the client credential; returns ``appidacr`` ("0" none, "1" secret, "2" certificate)."""
    if "client_secret" in form:
        if not app.secret_matches(form["client_secret"]):
            raise IdentityError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{app.client_id}'.",
            )
        return "1"
    if "client_assertion" in form or "client_assertion_type" in form:
        _verify_assertion(app, form, token_endpoint, tenant_id, now)
        return "2"
    if confidential:
        raise IdentityError(
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )
    if not app.public_client:
        raise IdentityError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    return "0"


def _verify_assertion(
    app: RegisteredApp, form: Mapping[str, str], token_endpoint: str, tenant_id: str, now: float
) -> None:
    if form.get("client_assertion_type") != ASSERTION_TYPE_JWT:
        raise IdentityError(
            401,
            "invalid_client",
            7000219,
            f"'client_assertion_type' must be '{ASSERTION_TYPE_JWT}'.",
        )
    assertion = form.get("client_assertion", "")
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise IdentityError(401, "invalid_client", 50027, "JWT token is invalid or malformed.") from None
    thumbprints = app.thumbprints()
    cert = app.certificate
    # x5t (SHA-1) or x5t#S256, base64url; clients differ on padding.
    presented = [str(header[k]).rstrip("=") for k in ("x5t#S256", "x5t") if header.get(k)]
    if thumbprints is None or cert is None or not any(p in thumbprints for p in presented):
        raise IdentityError(
            401,
            "invalid_client",
            700027,
            "The certificate with identifier used to sign the client assertion is not registered on application. "
            "[Reason - The key was not found., Thumbprint of key used by client: "
            f"'{presented[0] if presented else ''}', "
            f"Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for "
            f"app Id '{app.client_id}'.]",
        )
    try:
        claims = jwt.decode(
            assertion,
            cert.public_key(),  # type: ignore[arg-type]  # RSA or EC keys from registered certificates
            algorithms=_ASSERTION_ALGORITHMS,
            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "require": ["exp", "aud"]},
        )
    except jwt.PyJWTError:
        raise IdentityError(401, "invalid_client", 700027, "Client assertion failed signature validation.") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    lifetime = (claims["exp"], claims.get("nbf", 0))
    # Signature checks do not look at claim types; a string ``exp`` or a numeric ``aud`` must be refused, not crash.
    if not all(isinstance(a, str) for a in audiences) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in lifetime
    ):
        raise IdentityError(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
    if not any(_same_endpoint(a, token_endpoint, tenant_id) for a in audiences):
        raise IdentityError(
            401,
            "invalid_client",
            50012,
            f"Client assertion audience claim does not match Realm issuer. Expected '{token_endpoint}'.",
        )
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        raise IdentityError(
            401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id'."
        )
    expires, not_before = lifetime
    if not (not_before - _ASSERTION_LEEWAY <= now < expires + _ASSERTION_LEEWAY):
        raise IdentityError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")


# -- scopes ---------------------------------------------------------------------------------------------------


def _same_endpoint(audience: str, token_endpoint: str, tenant_id: str) -> bool:
    """Whether a client assertion's ``aud`` names this tenant's token endpoint (any tenant alias, v1 or v2)."""
    if audience.rstrip("/") == token_endpoint:
        return True
    root = token_endpoint.rsplit("/", 4)[0]  # scheme://host, before /{tenant}/oauth2/v2.0/token
    return audience.rstrip("/") in (f"{root}/{tenant_id}/oauth2/v2.0/token", f"{root}/{tenant_id}/oauth2/token")
