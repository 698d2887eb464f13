"""Read ``dsregcmd /status`` output into typed models and judge non-destructive PIN reset readiness.

Pure functions only: :func:`parse_dsregcmd` takes text, :func:`parse_dsregcmd_bytes` takes captured bytes,
:func:`assess` takes a parsed status. Running dsregcmd, locally or remotely, happens elsewhere.
"""

from __future__ import annotations

from pinreset.dsreg._parse import parse_dsregcmd, parse_dsregcmd_bytes
from pinreset.dsreg._values import CanReset, JoinState, PreReqResult
from pinreset.dsreg.models import (
    DeviceDetailsSection,
    DeviceStateSection,
    DiagnosticDataSection,
    IeProxyConfigSection,
    NgcPrerequisiteCheckSection,
    SsoStateSection,
    TenantDetailsSection,
    UserStateSection,
    WinHttpProxyConfigSection,
    WorkAccountSection,
)
from pinreset.dsreg.readiness import Readiness, Verdict, assess
from pinreset.dsreg.status import DsregStatus

__all__ = [
    "CanReset",
    "DeviceDetailsSection",
    "DeviceStateSection",
    "DiagnosticDataSection",
    "DsregStatus",
    "IeProxyConfigSection",
    "JoinState",
    "NgcPrerequisiteCheckSection",
    "PreReqResult",
    "Readiness",
    "SsoStateSection",
    "TenantDetailsSection",
    "UserStateSection",
    "Verdict",
    "WinHttpProxyConfigSection",
    "WorkAccountSection",
    "assess",
    "parse_dsregcmd",
    "parse_dsregcmd_bytes",
]
