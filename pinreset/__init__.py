"""pinreset: deploy and verify Windows Hello for Business non-destructive PIN reset.

The public API lives here. Names are resolved lazily (PEP 562) so that ``import pinreset`` stays cheap:
msal, httpx and pypsrp are imported only when the first name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pinreset._version import __version__
from pinreset.exceptions import (
    ApplyError,
    AuthenticationError,
    BackendError,
    ConfigurationError,
    ConflictError,
    DeadlineExceededError,
    DsregParseError,
    EmulatorError,
    GraphError,
    ModuleMissingError,
    NotFoundError,
    ParseError,
    PermissionDeniedError,
    PinresetError,
    PowerShellError,
    RemoteError,
    ThrottledError,
    TransportError,
)

if TYPE_CHECKING:  # pragma: no cover - type checkers see the lazy names as plain imports
    from pinreset.deploy import (
        AllUsers,
        ApplyResult,
        AssignPolicy,
        CreatePolicy,
        CreateServicePrincipal,
        DeletePolicy,
        DesiredState,
        Groups,
        Method,
        Plan,
        RemoveResult,
        SyncResult,
        TenantReport,
        UpdatePolicy,
        apply,
        consent_urls,
        plan,
        remove,
        status,
        sync_devices,
    )
    from pinreset.emulator import Emulator, FaultConfig
    from pinreset.remote import DeviceCheck, FleetReport, Outcome, WinRMConnection, check_device, check_fleet

# Public name -> module that defines it. Kept in one table so that the lazy loader, ``__all__`` and
# ``dir()`` cannot disagree.
_LAZY: dict[str, str] = {
    "Emulator": "pinreset.emulator",
    "FaultConfig": "pinreset.emulator",
    "AllUsers": "pinreset.deploy",
    "ApplyResult": "pinreset.deploy",
    "AssignPolicy": "pinreset.deploy",
    "CreatePolicy": "pinreset.deploy",
    "CreateServicePrincipal": "pinreset.deploy",
    "DeletePolicy": "pinreset.deploy",
    "DesiredState": "pinreset.deploy",
    "Groups": "pinreset.deploy",
    "Method": "pinreset.deploy",
    "Plan": "pinreset.deploy",
    "RemoveResult": "pinreset.deploy",
    "SyncResult": "pinreset.deploy",
    "TenantReport": "pinreset.deploy",
    "UpdatePolicy": "pinreset.deploy",
    "apply": "pinreset.deploy",
    "consent_urls": "pinreset.deploy",
    "plan": "pinreset.deploy",
    "remove": "pinreset.deploy",
    "status": "pinreset.deploy",
    "sync_devices": "pinreset.deploy",
    "DeviceCheck": "pinreset.remote",
    "FleetReport": "pinreset.remote",
    "Outcome": "pinreset.remote",
    "WinRMConnection": "pinreset.remote",
    "check_device": "pinreset.remote",
    "check_fleet": "pinreset.remote",
}

# Sorted; every key of _LAZY appears here too (tests/test_exported_members.py checks both).
__all__ = [
    "AllUsers",
    "ApplyError",
    "ApplyResult",
    "AssignPolicy",
    "AuthenticationError",
    "BackendError",
    "ConfigurationError",
    "ConflictError",
    "CreatePolicy",
    "CreateServicePrincipal",
    "DeadlineExceededError",
    "DeletePolicy",
    "DesiredState",
    "DeviceCheck",
    "DsregParseError",
    "Emulator",
    "EmulatorError",
    "FaultConfig",
    "FleetReport",
    "GraphError",
    "Groups",
    "Method",
    "ModuleMissingError",
    "NotFoundError",
    "Outcome",
    "ParseError",
    "PermissionDeniedError",
    "PinresetError",
    "Plan",
    "PowerShellError",
    "RemoteError",
    "RemoveResult",
    "SyncResult",
    "TenantReport",
    "ThrottledError",
    "TransportError",
    "UpdatePolicy",
    "WinRMConnection",
    "__version__",
    "apply",
    "check_device",
    "check_fleet",
    "consent_urls",
    "plan",
    "remove",
    "status",
    "sync_devices",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'pinreset' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # cache: later lookups skip this function
    return value


def __dir__() -> list[str]:
    return list(__all__)
