"""Directory cmdlets of the Microsoft Graph PowerShell SDK on the admin host.

``Get-MgOrganization``, ``Get-MgDomain`` (Identity.DirectoryManagement), ``Get-/New-MgServicePrincipal``
(Applications), ``Get-MgGroup`` and ``Get-MgGroupTransitiveMember`` (Groups), each over its Graph v1.0 route.
"""

from __future__ import annotations

from pinreset.emulator.winrm._engine import Param
from pinreset.emulator.winrm.cmdlets._mggraph_crud import define_get, define_new

__all__: list[str] = []

_DIRECTORY = "Microsoft.Graph.Identity.DirectoryManagement"
_APPS = "Microsoft.Graph.Applications"
_GROUPS = "Microsoft.Graph.Groups"

define_get("Get-MgOrganization", _DIRECTORY, "/v1.0/organization", "MicrosoftGraphOrganization", key="OrganizationId")
define_get("Get-MgDomain", _DIRECTORY, "/v1.0/domains", "MicrosoftGraphDomain", key="DomainId")
define_get(
    "Get-MgServicePrincipal",
    _APPS,
    "/v1.0/servicePrincipals",
    "MicrosoftGraphServicePrincipal",
    key="ServicePrincipalId",
)
define_new(
    "New-MgServicePrincipal",
    _APPS,
    "/v1.0/servicePrincipals",
    "MicrosoftGraphServicePrincipal",
    expanded=(
        Param("AppId"),
        Param("AccountEnabled", "bool"),
        Param("DisplayName"),
        Param("Tags", "strings"),
        Param("AppRoleAssignmentRequired", "bool"),
    ),
)
define_get("Get-MgGroup", _GROUPS, "/v1.0/groups", "MicrosoftGraphGroup", key="GroupId")
define_get(
    "Get-MgGroupTransitiveMember",
    _GROUPS,
    "/v1.0/groups/{GroupId}/transitiveMembers",
    "MicrosoftGraphDirectoryObject",
    parents=("GroupId",),
    key="DirectoryObjectId",
)
