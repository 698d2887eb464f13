"""Routes of the directory part of Graph: organization, domains, users, groups, service principals, permission
grants.

Handlers are thin: read parameters, call the tenant, shape the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pinreset.emulator._errors import not_found
from pinreset.emulator._graphcore import Ctx, Page, Route, collection, count_matching, entity, no_content
from pinreset.emulator._http import Response

if TYPE_CHECKING:
    from pinreset.emulator._graph import GraphApp

__all__ = ["DIRECTORY_ROUTES"]

_KEY = r"([^/]+)"


def _page(app: GraphApp) -> Page:
    return app.page(Page(default=100, maximum=999, strict=True))


def _known(items: list[dict[str, Any]]) -> Callable[[str], bool] | None:
    """Property names the items have (for "Could not find a property" errors); None when there are no items."""
    names = {k.lower() for item in items for k in item}
    return (lambda name: name.lower() in names) if names else None


def _list(app: GraphApp, ctx: Ctx, items: list[dict[str, Any]], entity_set: str, type_name: str) -> Response:
    return collection(ctx, items, to_json=lambda x: x, entity_set=entity_set, page=_page(app), directory=True,
                      known=_known(items), type_name=type_name)


def _count(ctx: Ctx, items: list[dict[str, Any]], type_name: str) -> Response:
    return count_matching(ctx, items, known=_known(items), type_name=type_name)


def list_organization(app: GraphApp, ctx: Ctx) -> Response:
    return _list(app, ctx, [app.tenant.organization()], "organization", "organization")


def get_organization(app: GraphApp, ctx: Ctx, org_id: str) -> Response:
    org = app.tenant.organization()
    if org_id.lower() != org["id"]:
        raise not_found(org_id, directory=True)
    return entity(ctx, org, "organization/$entity")


def list_domains(app: GraphApp, ctx: Ctx) -> Response:
    return _list(app, ctx, app.tenant.list_domains(), "domains", "domain")


def get_domain(app: GraphApp, ctx: Ctx, name: str) -> Response:
    return entity(ctx, app.tenant.get_domain(name), "domains/$entity")


def list_users(app: GraphApp, ctx: Ctx) -> Response:
    return _list(app, ctx, app.tenant.list_users(), "users", "user")


def count_users(app: GraphApp, ctx: Ctx) -> Response:
    return _count(ctx, app.tenant.list_users(), "user")


def get_user(app: GraphApp, ctx: Ctx, key: str) -> Response:
    return entity(ctx, app.tenant.get_user(key), "users/$entity")


def user_member_of(app: GraphApp, ctx: Ctx, key: str) -> Response:
    return _list(app, ctx, app.tenant.user_member_of(key), "directoryObjects", "directoryObject")


def list_groups(app: GraphApp, ctx: Ctx) -> Response:
    return _list(app, ctx, app.tenant.list_groups(), "groups", "group")


def count_groups(app: GraphApp, ctx: Ctx) -> Response:
    return _count(ctx, app.tenant.list_groups(), "group")


def get_group(app: GraphApp, ctx: Ctx, group_id: str) -> Response:
    return entity(ctx, app.tenant.get_group(group_id), "groups/$entity")


def group_members(app: GraphApp, ctx: Ctx, group_id: str) -> Response:
    return _list(app, ctx, app.tenant.group_members(group_id), "directoryObjects", "directoryObject")


def group_transitive_members(app: GraphApp, ctx: Ctx, group_id: str) -> Response:
    return _list(app, ctx, app.tenant.group_transitive_members(group_id), "directoryObjects", "directoryObject")


def count_group_transitive_members(app: GraphApp, ctx: Ctx, group_id: str) -> Response:
    return _count(ctx, app.tenant.group_transitive_members(group_id), "directoryObject")


def group_transitive_members_cast(app: GraphApp, ctx: Ctx, group_id: str, cast: str) -> Response:
    # The OData cast narrows the directoryObject collection to one type; Graph then describes it as that type's
    # entity set (``$metadata#users``).
    kind = cast.lower()
    items = app.tenant.group_transitive_members(group_id, cast=kind)
    return _list(app, ctx, items, f"{kind}s", kind)


def list_sps(app: GraphApp, ctx: Ctx) -> Response:
    return _list(app, ctx, app.tenant.list_service_principals(), "servicePrincipals", "servicePrincipal")


def count_sps(app: GraphApp, ctx: Ctx) -> Response:
    return _count(ctx, app.tenant.list_service_principals(), "servicePrincipal")


def create_sp(app: GraphApp, ctx: Ctx) -> Response:
    return entity(ctx, app.tenant.create_service_principal(ctx.body()), "servicePrincipals/$entity", status=201)


def get_sp(app: GraphApp, ctx: Ctx, sp_id: str) -> Response:
    return entity(ctx, app.tenant.get_service_principal(sp_id), "servicePrincipals/$entity")


def patch_sp(app: GraphApp, ctx: Ctx, sp_id: str) -> Response:
    app.tenant.update_service_principal(sp_id, ctx.body())
    return no_content()


def delete_sp(app: GraphApp, ctx: Ctx, sp_id: str) -> Response:
    app.tenant.delete_service_principal(sp_id)
    return no_content()


def get_sp_by_app(app: GraphApp, ctx: Ctx, app_id: str) -> Response:
    return entity(ctx, app.tenant.service_principal_by_app_id(app_id), "servicePrincipals/$entity")


def upsert_sp(app: GraphApp, ctx: Ctx, app_id: str) -> Response:
    prefer = ctx.request.headers.get("prefer", "").lower()
    create = "create-if-missing" in prefer.replace(" ", "")
    sp, created = app.tenant.upsert_service_principal(app_id, ctx.body(), create_if_missing=create)
    if created:
        return entity(ctx, sp, "servicePrincipals/$entity", status=201)
    return no_content()


def delete_sp_by_app(app: GraphApp, ctx: Ctx, app_id: str) -> Response:
    app.tenant.delete_service_principal(app.tenant.service_principal_by_app_id(app_id)["id"])
    return no_content()


def list_grants(app: GraphApp, ctx: Ctx) -> Response:
    return _list(app, ctx, app.tenant.list_grants(), "oauth2PermissionGrants", "oAuth2PermissionGrant")


def create_grant(app: GraphApp, ctx: Ctx) -> Response:
    return entity(ctx, app.tenant.create_grant(ctx.body()), "oauth2PermissionGrants/$entity", status=201)


def get_grant(app: GraphApp, ctx: Ctx, grant_id: str) -> Response:
    return entity(ctx, app.tenant.get_grant(grant_id), "oauth2PermissionGrants/$entity")


def patch_grant(app: GraphApp, ctx: Ctx, grant_id: str) -> Response:
    app.tenant.update_grant(grant_id, ctx.body())
    return no_content()


def delete_grant(app: GraphApp, ctx: Ctx, grant_id: str) -> Response:
    app.tenant.delete_grant(grant_id)
    return no_content()


_D = "directory"
DIRECTORY_ROUTES: list[Route] = [
    Route("List organization", "GET", r"organization", list_organization, "organization.read", _D),
    Route("Get organization", "GET", rf"organization/{_KEY}", get_organization, "organization.read", _D),
    Route("List domains", "GET", r"domains", list_domains, "domains.read", _D),
    Route("Get domain", "GET", rf"domains/{_KEY}", get_domain, "domains.read", _D),
    Route("List users", "GET", r"users", list_users, "users.read", _D),
    Route("Count users", "GET", r"users/\$count", count_users, "users.read", _D),
    Route("Get user", "GET", rf"users/{_KEY}", get_user, "users.read", _D),
    Route("List user memberOf", "GET", rf"users/{_KEY}/memberOf", user_member_of, "groups.read", _D),
    Route("List groups", "GET", r"groups", list_groups, "groups.read", _D),
    Route("Count groups", "GET", r"groups/\$count", count_groups, "groups.read", _D),
    Route("Get group", "GET", rf"groups/{_KEY}", get_group, "groups.read", _D),
    Route("List group members", "GET", rf"groups/{_KEY}/members", group_members, "groups.read", _D),
    Route("List group transitiveMembers", "GET", rf"groups/{_KEY}/transitiveMembers", group_transitive_members,
          "groupMembers.read", _D),
    Route("Count group transitiveMembers", "GET", rf"groups/{_KEY}/transitiveMembers/\$count",
          count_group_transitive_members, "groupMembers.read", _D),
    Route("List group transitiveMembers of one type", "GET",
          rf"groups/{_KEY}/transitiveMembers/microsoft\.graph\.(user|group)", group_transitive_members_cast,
          "groupMembers.read", _D),
    Route("List servicePrincipals", "GET", r"servicePrincipals", list_sps, "servicePrincipals.read", _D),
    Route("Count servicePrincipals", "GET", r"servicePrincipals/\$count", count_sps, "servicePrincipals.read", _D),
    Route("Create servicePrincipal", "POST", r"servicePrincipals", create_sp, "servicePrincipals.write", _D),
    Route("Get servicePrincipal", "GET", rf"servicePrincipals/{_KEY}", get_sp, "servicePrincipals.read", _D),
    Route("Update servicePrincipal", "PATCH", rf"servicePrincipals/{_KEY}", patch_sp, "servicePrincipals.write", _D),
    Route("Delete servicePrincipal", "DELETE", rf"servicePrincipals/{_KEY}", delete_sp, "servicePrincipals.write", _D),
    Route("Get servicePrincipal by appId", "GET", r"servicePrincipals\(appId='([^']*)'\)", get_sp_by_app,
          "servicePrincipals.read", _D),
    Route("Upsert servicePrincipal", "PATCH", r"servicePrincipals\(appId='([^']*)'\)", upsert_sp,
          "servicePrincipals.write", _D),
    Route("Delete servicePrincipal by appId", "DELETE", r"servicePrincipals\(appId='([^']*)'\)", delete_sp_by_app,
          "servicePrincipals.write", _D),
    Route("List oauth2PermissionGrants", "GET", r"oauth2PermissionGrants", list_grants, "grants.read", _D),
    Route("Create oauth2PermissionGrant", "POST", r"oauth2PermissionGrants", create_grant, "grants.write", _D),
    Route("Get oauth2PermissionGrant", "GET", rf"oauth2PermissionGrants/{_KEY}", get_grant, "grants.read", _D),
    Route("Update oauth2PermissionGrant", "PATCH", rf"oauth2PermissionGrants/{_KEY}", patch_grant, "grants.write", _D),
    Route("Delete oauth2PermissionGrant", "DELETE", rf"oauth2PermissionGrants/{_KEY}", delete_grant, "grants.write",
          _D),
]
