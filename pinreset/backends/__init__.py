"""Tenant backends: one protocol (:class:`TenantBackend`), two implementations (Graph and PowerShell).

Implementations are resolved lazily, so importing the protocol does not import httpx or msal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pinreset.backends._protocol import TenantBackend

if TYPE_CHECKING:  # pragma: no cover
    from pinreset.backends.graph import GraphBackend
    from pinreset.backends.powershell import PowerShellBackend

__all__ = ["GraphBackend", "PowerShellBackend", "TenantBackend"]

_LAZY = {"GraphBackend": "pinreset.backends.graph", "PowerShellBackend": "pinreset.backends.powershell"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pinreset.backends' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
