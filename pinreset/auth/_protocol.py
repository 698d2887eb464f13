"""What pinreset accepts as a credential: anything with azure-identity's ``get_token``."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = ["AccessToken", "TokenCredential"]


class AccessToken(NamedTuple):
    """An access token and when it expires, shaped like ``azure.core.credentials.AccessToken``.

    Attributes:
        token: the bearer token (never logged; the repr hides it).
        expires_on: expiry as Unix seconds.
    """

    token: str
    expires_on: int

    def __repr__(self) -> str:
        return f"AccessToken(token=<redacted>, expires_on={self.expires_on})"


@runtime_checkable
class TokenCredential(Protocol):
    """azure-identity's credential protocol: pinreset's own credentials and azure-identity's both fit it."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """Return an object with ``token`` (str) and ``expires_on`` (Unix seconds) for ``scopes``."""
        ...
