"""Credentials for Microsoft Graph (on msal), national clouds, and an opt-in token cache.

msal is imported only when a credential first signs in, so importing this package stays cheap.
"""

from __future__ import annotations

from pinreset.auth._cache import TokenCache
from pinreset.auth._cloud import Cloud, CloudEndpoints
from pinreset.auth._credentials import (
    CertificateCredential,
    ClientSecretCredential,
    DeviceCodeCredential,
    InteractiveBrowserCredential,
    PromptCallback,
)
from pinreset.auth._default import DefaultCredential
from pinreset.auth._protocol import AccessToken, TokenCredential

__all__ = [
    "AccessToken",
    "CertificateCredential",
    "ClientSecretCredential",
    "Cloud",
    "CloudEndpoints",
    "DefaultCredential",
    "DeviceCodeCredential",
    "InteractiveBrowserCredential",
    "PromptCallback",
    "TokenCache",
    "TokenCredential",
]
