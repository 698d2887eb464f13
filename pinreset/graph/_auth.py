"""Bearer authentication for httpx from any ``get_token`` credential, refreshed before it expires."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

import httpx

from pinreset.auth._protocol import AccessToken, TokenCredential
from pinreset.exceptions import AuthenticationError, PinresetError

__all__ = ["BearerAuth"]

# Refresh this many seconds before expiry, so a token never expires in flight or during a retry wait.
_REFRESH_MARGIN = 300.0


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer …`` from a credential; fetches a new token near expiry and once after a 401.

    Args:
        credential: anything with ``get_token(*scopes)``.
        scopes: the scopes to ask for (``<graph root>/.default``).
        clock: wall-clock Unix seconds (injectable for tests).
    """

    requires_response_body = False

    def __init__(
        self,
        credential: TokenCredential,
        scopes: Sequence[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credential = credential
        self._scopes = tuple(scopes)
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BearerAuth(scopes={self._scopes!r})"

    def token(self, *, force: bool = False) -> str:
        """The current token, fetched anew when absent, near expiry or ``force``."""
        with self._lock:
            if force or self._token is None or self._token.expires_on - self._clock() < _REFRESH_MARGIN:
                try:
                    fetched = self._credential.get_token(*self._scopes)
                except PinresetError:
                    raise
                except Exception as exc:
                    # A foreign credential (e.g. azure-identity's) raised its own error: keep it as the cause.
                    message = f"the credential could not get a token: {type(exc).__name__}: {exc}"
                    raise AuthenticationError(message) from exc
                self._token = _as_access_token(fetched)
            return self._token.token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the current token; after a 401 fetch a fresh one and send once more."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(force=True)}"
            yield request


def _as_access_token(value: Any) -> AccessToken:
    token = getattr(value, "token", None)
    expires_on = getattr(value, "expires_on", None)
    if not isinstance(token, str) or not token or expires_on is None:
        raise AuthenticationError("the credential's get_token() returned no usable token")
    return AccessToken(token, int(expires_on))
