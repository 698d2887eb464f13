"""Which Graph permissions each emulated operation requires, in one table.

Each entry lists the application roles / delegated scopes of which the token must carry at least one, following
the "Permissions" tables of the Microsoft Graph API reference (least privileged first). A ``ReadWrite`` permission
always satisfies the matching ``Read``; ``Directory.*`` permissions satisfy directory reads and writes.
``docs/emulator.md`` lists this table.
"""

from __future__ import annotations

__all__ = ["PERMISSIONS", "required"]

_DIR_READ = ("Directory.Read.All", "Directory.ReadWrite.All")
_CONFIG_READ = ("DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All")
_CONFIG_WRITE = ("DeviceManagementConfiguration.ReadWrite.All",)

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "organization.read": ("Organization.Read.All", "Organization.ReadWrite.All", "User.Read", *_DIR_READ),
    "users.read": ("User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", *_DIR_READ),
    "groups.read": ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", *_DIR_READ),
    "groupMembers.read": ("GroupMember.ReadBasic.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All",
                          "Group.ReadBasic.All", "Group.Read.All", "Group.ReadWrite.All", *_DIR_READ),
    "domains.read": ("Domain.Read.All", "Domain.ReadWrite.All", *_DIR_READ),
    "servicePrincipals.read": ("Application.Read.All", "Application.ReadWrite.OwnedBy", "Application.ReadWrite.All",
                               *_DIR_READ),
    "servicePrincipals.write": ("Application.ReadWrite.OwnedBy", "Application.ReadWrite.All",
                                "Directory.ReadWrite.All"),
    "grants.read": ("DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", *_DIR_READ),
    "grants.write": ("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"),
    "deviceConfiguration.read": _CONFIG_READ,
    "deviceConfiguration.write": _CONFIG_WRITE,
    "managedDevices.read": ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All"),
    "managedDevices.privileged": ("DeviceManagementManagedDevices.PrivilegedOperations.All",),
    "reports.read": (*_CONFIG_READ, "DeviceManagementManagedDevices.Read.All",
                     "DeviceManagementManagedDevices.ReadWrite.All"),
}


def required(operation: str) -> tuple[str, ...]:
    """The permissions of which a caller needs one for ``operation`` (a key of :data:`PERMISSIONS`)."""
    return PERMISSIONS[operation]
