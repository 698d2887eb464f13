"""Deploy non-destructive PIN reset as desired state: plan, apply, status, remove, and the device step.

Everything here speaks to a :class:`~pinreset.backends.TenantBackend` only, so the same code runs over Graph,
over Microsoft.Graph PowerShell, or against the emulator. See docs/deploy.md.
"""

from __future__ import annotations

from pinreset.deploy._apply import ApplyResult, ChangeOutcome, ChangeStatus, apply
from pinreset.deploy._changes import (
    AssignPolicy,
    Change,
    Conflict,
    CreatePolicy,
    CreateServicePrincipal,
    DeletePolicy,
    Plan,
    PlanWarning,
    UpdatePolicy,
)
from pinreset.deploy._compare import Drift, is_ours
from pinreset.deploy._consent import consent_urls
from pinreset.deploy._desired import DEFAULT_POLICY_NAME, MARKER, AllUsers, DesiredState, Groups, Method
from pinreset.deploy._devices import SyncResult, restart_devices, select_devices, sync_devices
from pinreset.deploy._eligibility import Eligibility, eligibility
from pinreset.deploy._plan import plan
from pinreset.deploy._remove import RemoveResult, remove
from pinreset.deploy._status import (
    AppState,
    AppStatus,
    DeviceReport,
    PolicyState,
    PolicyStatus,
    TenantReport,
    status,
)

__all__ = [
    "DEFAULT_POLICY_NAME",
    "MARKER",
    "AllUsers",
    "AppState",
    "AppStatus",
    "ApplyResult",
    "AssignPolicy",
    "Change",
    "ChangeOutcome",
    "ChangeStatus",
    "Conflict",
    "CreatePolicy",
    "CreateServicePrincipal",
    "DeletePolicy",
    "DesiredState",
    "DeviceReport",
    "Drift",
    "Eligibility",
    "Groups",
    "Method",
    "Plan",
    "PlanWarning",
    "PolicyState",
    "PolicyStatus",
    "RemoveResult",
    "SyncResult",
    "TenantReport",
    "UpdatePolicy",
    "apply",
    "consent_urls",
    "eligibility",
    "is_ours",
    "plan",
    "remove",
    "restart_devices",
    "select_devices",
    "status",
    "sync_devices",
]
