"""Directory operations of the emulated tenant: organization, domains, users, groups, service principals.

Delegated permission grants live in :mod:`pinreset.emulator._permissiongrants`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pinreset.emulator._base import TenantBase
from pinreset.emulator._entities import Group, iso
from pinreset.emulator._errors import GraphProblem, bad_request, not_found
from pinreset.emulator._seeddata import APP_OWNER_TENANT, CATALOG_APPS

__all__ = ["DirectoryOps"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Properties of a service principal a caller may set on create or update.
_SP_WRITABLE = frozenset({
    "accountEnabled", "alternativeNames", "appRoleAssignmentRequired", "description", "displayName", "homepage",
    "loginUrl", "logoutUrl", "notes", "notificationEmailAddresses", "preferredSingleSignOnMode", "replyUrls",
    "servicePrincipalNames", "tags", "appDescription", "appDisplayName",
})


def is_guid(value: object) -> bool:
    """Whether ``value`` is a GUID string."""
    return isinstance(value, str) and bool(_GUID.match(value))


def _check_object_id(key: str) -> None:
    if not is_guid(key):
        raise bad_request(f"Invalid object identifier '{key}'.", code="Request_BadRequest")


class DirectoryOps(TenantBase):
    """Organization, domains, users, groups and service principals."""

    # --- organization --------------------------------------------------------------------------------------------

    def _domain_facts(self) -> list[tuple[str, str, bool, bool]]:
        """``(name, authenticationType, isDefault, isInitial)`` of each verified domain: one source for both
        ``organization.verifiedDomains`` and ``/domains``."""
        custom_type = "Federated" if self.federated else "Managed"
        return [
            (self.initial_domain, "Managed", self.default_domain == self.initial_domain, True),
            (self.custom_domain, custom_type, self.default_domain == self.custom_domain, False),
        ]

    def list_domains(self) -> list[dict[str, Any]]:
        """Every domain of the tenant in Graph's ``domain`` shape (all of them verified)."""
        return [
            {
                "authenticationType": auth,
                "availabilityStatus": None,
                "id": name,
                "isAdminManaged": True,
                "isDefault": default,
                "isInitial": initial,
                "isRoot": True,
                "isVerified": True,
                "passwordNotificationWindowInDays": None,
                "passwordValidityPeriodInDays": None,
                "supportedServices": ["Email", "OfficeCommunicationsOnline"],
                "state": None,
            }
            for name, auth, default, initial in self._domain_facts()
        ]

    def get_domain(self, name: str) -> dict[str, Any]:
        """One domain by its fully qualified name (case-insensitive); 404 when the tenant has none such."""
        lowered = name.lower()
        for domain in self.list_domains():
            if domain["id"].lower() == lowered:
                return domain
        raise not_found(name, directory=True)

    def organization(self) -> dict[str, Any]:
        """The tenant's ``organization`` object."""
        return {
            "id": self.tenant_id,
            "displayName": self.display_name,
            "tenantType": "AAD",
            "countryLetterCode": "US",
            "preferredLanguage": "en",
            "createdDateTime": iso(self.created),
            "onPremisesSyncEnabled": any(u.on_premises_sid for u in self.users.values()) or None,
            "technicalNotificationMails": [f"admin@{self.initial_domain}"],
            "businessPhones": [],
            "city": None,
            "verifiedDomains": [
                {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": default, "isInitial": initial,
                 "name": name, "type": auth}
                for name, auth, default, initial in self._domain_facts()
            ],
        }

    # --- users and groups ----------------------------------------------------------------------------------------

    def list_users(self) -> list[dict[str, Any]]:
        """Every user, in Graph's shape."""
        with self.lock:
            return [u.to_graph() for u in self.users.values()]

    def get_user(self, key: str) -> dict[str, Any]:
        """One user by object id or user principal name; 404 when absent."""
        with self.lock:
            user = self.users.get(key)
            if user is None:
                lowered = key.lower()
                user = next((u for u in self.users.values() if u.user_principal_name.lower() == lowered), None)
            if user is None:
                raise not_found(key, directory=True)
            return user.to_graph()

    def user_member_of(self, key: str) -> list[dict[str, Any]]:
        """The groups a user belongs to (``/users/{id}/memberOf``)."""
        with self.lock:
            user_id = self.get_user(key)["id"]
            return [g.to_graph() for g in self.groups.values() if user_id in g.members]

    def list_groups(self) -> list[dict[str, Any]]:
        """Every group, in Graph's shape."""
        with self.lock:
            return [g.to_graph() for g in self.groups.values()]

    def get_group(self, group_id: str) -> dict[str, Any]:
        """One group; 400 for an id that is not a GUID, 404 when absent."""
        _check_object_id(group_id)
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                raise not_found(group_id, directory=True)
            return group.to_graph()

    def _member_objects(self, group: Group) -> list[dict[str, Any]]:
        users = [{"@odata.type": "#microsoft.graph.user", **self.users[m].to_graph()} for m in group.members]
        return users + [self.groups[g].to_graph() for g in group.member_groups if g in self.groups]

    def group_members(self, group_id: str) -> list[dict[str, Any]]:
        """The direct members of a group (users, then nested groups, each with ``@odata.type``)."""
        _check_object_id(group_id)
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                raise not_found(group_id, directory=True)
            return self._member_objects(group)

    def group_transitive_members(self, group_id: str, *, cast: str | None = None) -> list[dict[str, Any]]:
        """Every member of a group, nested groups' members included, each object once (``transitiveMembers``).

        Args:
            group_id: the group's object id.
            cast: ``"user"`` or ``"group"`` to keep only that type (the OData cast segment), ``None`` for all.

        Raises:
            GraphProblem: 400 for an id that is not a GUID, 404 when absent.
        """
        _check_object_id(group_id)
        with self.lock:
            root = self.groups.get(group_id)
            if root is None:
                raise not_found(group_id, directory=True)
            seen: set[str] = {group_id}
            found: list[dict[str, Any]] = []
            pending = [root]
            # Breadth first, so direct members come before those of nested groups; cycles end at ``seen``.
            while pending:
                group = pending.pop(0)
                for member in self._member_objects(group):
                    if member["id"] in seen:
                        continue
                    seen.add(member["id"])
                    found.append(member)
                    if member["@odata.type"] == "#microsoft.graph.group":
                        pending.append(self.groups[member["id"]])
            if cast is not None:
                wanted = f"#microsoft.graph.{cast}"
                found = [m for m in found if m["@odata.type"] == wanted]
            return found

    def add_group_member(self, group_id: str, member_id: str) -> None:
        """Add a user or a group to a group (a test helper; membership changes retarget profiles)."""
        with self.lock:
            group = self.groups.get(group_id)
            if group is None or (member_id not in self.users and member_id not in self.groups):
                raise not_found(group_id if group is None else member_id, directory=True)
            if member_id in self.users:
                group.members[member_id] = None
            else:
                group.member_groups[member_id] = None
            self.targeting_changed()

    def group_by_name(self, display_name: str) -> dict[str, Any]:
        """The group with this display name (a test helper); 404 when absent."""
        with self.lock:
            for group in self.groups.values():
                if group.display_name.lower() == display_name.lower():
                    return group.to_graph()
            raise not_found(display_name, directory=True)

    # --- service principals --------------------------------------------------------------------------------------

    def _make_sp(self, app_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        name, _ = CATALOG_APPS.get(app_id, (str((overrides or {}).get("displayName") or app_id), False))
        own_app = app_id not in CATALOG_APPS
        sp: dict[str, Any] = {
            "id": self.new_id(),
            "deletedDateTime": None,
            "accountEnabled": True,
            "alternativeNames": [],
            "appDisplayName": name,
            "appDescription": None,
            "appId": app_id,
            "appOwnerOrganizationId": self.tenant_id if own_app else APP_OWNER_TENANT,
            "appRoleAssignmentRequired": False,
            "description": None,
            "displayName": name,
            "homepage": None,
            "loginUrl": None,
            "logoutUrl": None,
            "notes": None,
            "notificationEmailAddresses": [],
            "preferredSingleSignOnMode": None,
            "replyUrls": [],
            "servicePrincipalNames": [app_id],
            "servicePrincipalType": "Application",
            "signInAudience": "AzureADMyOrg" if own_app else "AzureADMultipleOrgs",
            "tags": [],
            "appRoles": [],
            "oauth2PermissionScopes": [],
        }
        for key, value in (overrides or {}).items():
            if key in _SP_WRITABLE:
                sp[key] = copy.deepcopy(value)
        return sp

    def install_catalog_apps(self, *, include: tuple[str, ...] = ()) -> None:
        """Create the service principals of the preinstalled first-party apps, plus the named extra appIds."""
        with self.lock:
            for app_id, (_, preinstalled) in CATALOG_APPS.items():
                if (preinstalled or app_id in include) and app_id not in self._sp_ids_by_app():
                    sp = self._make_sp(app_id)
                    self.service_principals[sp["id"]] = sp

    def _sp_ids_by_app(self) -> dict[str, str]:
        return {sp["appId"]: sp_id for sp_id, sp in self.service_principals.items()}

    def list_service_principals(self) -> list[dict[str, Any]]:
        """Every service principal."""
        with self.lock:
            return [copy.deepcopy(sp) for sp in self.service_principals.values()]

    def get_service_principal(self, sp_id: str) -> dict[str, Any]:
        """One service principal by object id; 400 for an id that is not a GUID, 404 when absent."""
        _check_object_id(sp_id)
        with self.lock:
            sp = self.service_principals.get(sp_id)
            if sp is None:
                raise not_found(sp_id, directory=True)
            return copy.deepcopy(sp)

    def service_principal_by_app_id(self, app_id: str) -> dict[str, Any]:
        """One service principal by appId (``/servicePrincipals(appId='…')``); 404 when absent."""
        with self.lock:
            sp_id = self._sp_ids_by_app().get(app_id.lower())
            if sp_id is None:
                raise not_found(app_id, directory=True)
            return copy.deepcopy(self.service_principals[sp_id])

    def create_service_principal(self, body: Any) -> dict[str, Any]:
        """``POST /servicePrincipals``: instantiate a multi-tenant (or registered) application by appId.

        Raises:
            GraphProblem: 400 without a valid appId or for an appId no application has; 409 when the tenant has a
                service principal for that appId already.
        """
        if not isinstance(body, dict) or not is_guid(body.get("appId")):
            raise bad_request("Invalid value specified for property 'appId' of resource 'ServicePrincipal'.",
                              code="Request_BadRequest")
        app_id = str(body["appId"]).lower()
        with self.lock:
            if app_id in self._sp_ids_by_app():
                raise GraphProblem(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "The service principal cannot be created, updated, or restored because the service principal "
                    f"name {app_id} is already in use.",
                )
            if app_id not in CATALOG_APPS and app_id not in self.applications:
                raise bad_request(
                    f"The appId '{app_id}' of the service principal does not reference a valid application object.",
                    code="Request_BadRequest",
                )
            sp = self._make_sp(app_id, {**self.applications.get(app_id, {}), **body})
            self.service_principals[sp["id"]] = sp
            return copy.deepcopy(sp)

    def register_application(self, display_name: str, *, app_id: str | None = None) -> dict[str, Any]:
        """Register a single-tenant application of this tenant and create its service principal.

        The permissions an application holds live in its access tokens (issued by the sign-in side); this only
        makes the application and its service principal visible in the directory.

        Returns:
            The new service principal.
        """
        with self.lock:
            new_app_id = (app_id or self.new_id()).lower()
            self.applications[new_app_id] = {"displayName": display_name}
            existing = self._sp_ids_by_app().get(new_app_id)
            if existing:
                return copy.deepcopy(self.service_principals[existing])
            return self.create_service_principal({"appId": new_app_id, "displayName": display_name})

    def upsert_service_principal(
        self, app_id: str, body: Any, *, create_if_missing: bool
    ) -> tuple[dict[str, Any], bool]:
        """``PATCH /servicePrincipals(appId='…')``: update, or create with ``Prefer: create-if-missing``.

        Returns:
            The service principal and whether it was created.

        Raises:
            GraphProblem: 404 when missing and not asked to create; 400 for a bad body.
        """
        if body is not None and not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.", code="Request_BadRequest")
        with self.lock:
            sp_id = self._sp_ids_by_app().get(app_id.lower())
            if sp_id is None:
                if not create_if_missing:
                    raise not_found(app_id, directory=True)
                return self.create_service_principal({**(body or {}), "appId": app_id}), True
            return self.update_service_principal(sp_id, body or {}), False

    def update_service_principal(self, sp_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /servicePrincipals/{id}``: change writable properties."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.", code="Request_BadRequest")
        _check_object_id(sp_id)
        with self.lock:
            sp = self.service_principals.get(sp_id)
            if sp is None:
                raise not_found(sp_id, directory=True)
            for key, value in body.items():
                if key == "appId" and str(value).lower() != sp["appId"]:
                    raise bad_request("Property 'appId' is read-only and cannot be set.", code="Request_BadRequest")
                if key in _SP_WRITABLE:
                    sp[key] = copy.deepcopy(value)
            return copy.deepcopy(sp)

    def delete_service_principal(self, sp_id: str) -> None:
        """``DELETE /servicePrincipals/{id}``; the grants of the service principal go with it."""
        _check_object_id(sp_id)
        with self.lock:
            if self.service_principals.pop(sp_id, None) is None:
                raise not_found(sp_id, directory=True)
            for grant_id in [g for g, v in self.grants.items() if sp_id in (v["clientId"], v["resourceId"])]:
                del self.grants[grant_id]
