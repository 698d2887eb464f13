"""Directory cmdlets of the Microsoft Graph PowerShell SDK on the admin host.

``Get-MgOrganization``, ``Get-MgDomain`` (Identity.DirectoryManagement), ``Get-/New-MgServicePrincipal``
(Applications), ``Get-MgGroup`` and ``Get-MgGroupTransitiveMember`` (Groups). The emulated Graph has no
``/domains`` collection and no ``transitiveMembers``: ``Get-MgDomain`` answers from the organization's
``verifiedDomains`` and ``Get-MgGroupTransitiveMember`` from ``members`` (the emulated tenant nests no groups).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pinreset.emulator.winrm._engine import Invocation, Param
from pinreset.emulator.winrm.cmdlets._mggraph import (
    COMMON_GET,
    LIST_PARAMS,
    get_all,
    graph_problem,
    mg_cmdlet,
)
from pinreset.emulator.winrm.cmdlets._mggraph import connection as _connection
from pinreset.emulator.winrm.cmdlets._mggraph_crud import define_get, define_new, list_query, request_headers
from pinreset.emulator.winrm.cmdlets._mggraph_models import to_sdk

__all__: list[str] = []

_DIRECTORY = "Microsoft.Graph.Identity.DirectoryManagement"
_APPS = "Microsoft.Graph.Applications"
_GROUPS = "Microsoft.Graph.Groups"

define_get("Get-MgOrganization", _DIRECTORY, "/v1.0/organization", "MicrosoftGraphOrganization", key="OrganizationId")
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
    "/v1.0/groups/{GroupId}/members",
    "MicrosoftGraphDirectoryObject",
    parents=("GroupId",),
    key="DirectoryObjectId",
)


def _domains(inv: Invocation, cls: Callable[[str], str]) -> Iterator[Any]:
    single = inv.has("DomainId")
    conn = _connection(inv, cls("Get" if single else "List"))
    query = {k: v for k, v in list_query(inv).items() if k == "$select"}
    wanted = str(inv.args.get("DomainId") or "").lower()
    found = False
    for org in get_all(inv, conn, "/v1.0/organization", query={}, headers=request_headers(inv)):
        for domain in org.get("verifiedDomains") or []:
            name = str(domain.get("name") or "")
            if single and name.lower() != wanted:
                continue
            found = True
            item = {
                "id": name,
                "authenticationType": "Federated" if domain.get("type") == "Federated" else "Managed",
                "isDefault": bool(domain.get("isDefault")),
                "isInitial": bool(domain.get("isInitial")),
                "isVerified": True,
                "isAdminManaged": True,
                "isRoot": True,
                "supportedServices": [s for s in str(domain.get("capabilities") or "").split(", ") if s],
            }
            if query:
                item = {k: v for k, v in item.items() if k in query["$select"].split(",") or k == "id"}
            yield to_sdk(item, "MicrosoftGraphDomain")
    if single and not found:
        raise graph_problem(
            404,
            "Request_ResourceNotFound",
            f"Resource '{inv.args['DomainId']}' does not exist or one of "
            "its queried reference-property objects are not present.",
        )


mg_cmdlet("Get-MgDomain", _DIRECTORY, (Param("DomainId"), *LIST_PARAMS, *COMMON_GET), _domains, exclusive=("DomainId",))
