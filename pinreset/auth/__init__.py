"""Credentials for Microsoft Graph (on msal), national clouds, and an opt-in token cache.

msal is imported only when a credential is created, so importing this package stays cheap.
"""

from __future__ import annotations

from pinreset.auth._protocol import AccessToken, TokenCredential

__all__ = ["AccessToken", "TokenCredential"]
