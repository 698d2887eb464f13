"""Typed models of the tenant objects pinreset reads and writes.

Models are frozen attrs classes with snake_case attributes. How they map to Graph JSON (camelCase, acronyms,
``@odata.type``) lives only in :mod:`pinreset._converter`, never here.
"""

from __future__ import annotations

from pinreset.models.apps import PIN_RESET_APPS, PinResetApp, ServicePrincipal
from pinreset.models.devices import (
    ActionOutcome,
    DeviceAction,
    DeviceActionResult,
    DeviceFilter,
    DevicePolicyStatus,
    JoinType,
    ManagedDevice,
    PolicyDeviceState,
)
from pinreset.models.policies import (
    AllDevicesTarget,
    AllUsersTarget,
    AssignmentTarget,
    ExclusionGroupTarget,
    GroupTarget,
    Policy,
    PolicyKind,
    PolicyRef,
    PolicySettings,
    PolicySpec,
    UnknownTarget,
)
from pinreset.models.tenant import Group, TenantInfo

__all__ = [
    "PIN_RESET_APPS",
    "ActionOutcome",
    "AllDevicesTarget",
    "AllUsersTarget",
    "AssignmentTarget",
    "DeviceAction",
    "DeviceActionResult",
    "DeviceFilter",
    "DevicePolicyStatus",
    "ExclusionGroupTarget",
    "Group",
    "GroupTarget",
    "JoinType",
    "ManagedDevice",
    "PinResetApp",
    "Policy",
    "PolicyDeviceState",
    "PolicyKind",
    "PolicyRef",
    "PolicySettings",
    "PolicySpec",
    "ServicePrincipal",
    "TenantInfo",
    "UnknownTarget",
]
