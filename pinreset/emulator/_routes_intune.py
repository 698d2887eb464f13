"""Routes of the Intune part of Graph (``/deviceManagement/...``): profiles, settings catalog policies,
assignments, assignment filters, statuses, managed devices, remote actions and the policy devices report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pinreset.emulator._deviceops import DEVICE_PROPERTIES
from pinreset.emulator._entities import ManagedDevice, Profile
from pinreset.emulator._graphcore import Ctx, Page, Route, collection, entity, no_content, query_option
from pinreset.emulator._http import Response
from pinreset.emulator._intune import KIND_CONFIGURATION, KIND_POLICY

if TYPE_CHECKING:
    from pinreset.emulator._graph import GraphApp

__all__ = ["INTUNE_ROUTES"]

_ID = r"([^/]+)"
_CONFIGS = "deviceManagement/deviceConfigurations"
_POLICIES = "deviceManagement/configurationPolicies"
_DEVICES = "deviceManagement/managedDevices"
_FILTERS = "deviceManagement/assignmentFilters"
_BETA = frozenset({"beta"})
_DEVICE_NAMES = {name.lower(): name for name in DEVICE_PROPERTIES}


def _page(app: GraphApp) -> Page:
    # Intune pages large collections at 1,000 items (observed on managedDevices); a larger $top is reduced.
    return app.page(Page(default=1000, maximum=1000))


def _expand(ctx: Ctx) -> frozenset[str]:
    text = query_option(ctx.request, "expand") or ""
    return frozenset(part.strip().split("(")[0] for part in text.split(",") if part.strip())


def _kind_set(kind: str) -> str:
    return _CONFIGS if kind == KIND_CONFIGURATION else _POLICIES


def _profile_json(app: GraphApp, ctx: Ctx, profile: Profile) -> dict[str, Any]:
    return app.tenant.profile_json(profile, beta=ctx.beta, expand=_expand(ctx))


# --- profiles and policies (shared handlers, bound per kind below) ----------------------------------------------

def _list_profiles(kind: str) -> Any:
    def handler(app: GraphApp, ctx: Ctx) -> Response:
        profiles = app.tenant.list_profiles(kind)
        records = [_profile_json(app, ctx, p) for p in profiles]
        known = {k.lower() for r in records for k in r} or None
        return collection(ctx, records, to_json=lambda r: r, entity_set=_kind_set(kind), page=_page(app),
                          known=(lambda n: n.lower() in known) if known else None)
    return handler


def _create_profile(kind: str) -> Any:
    def handler(app: GraphApp, ctx: Ctx) -> Response:
        profile = app.tenant.create_profile(kind, ctx.body(), beta=ctx.beta)
        return entity(ctx, _profile_json(app, ctx, profile), f"{_kind_set(kind)}/$entity", status=201)
    return handler


def _get_profile(kind: str) -> Any:
    def handler(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
        profile = app.tenant.get_profile(kind, profile_id)
        return entity(ctx, _profile_json(app, ctx, profile), f"{_kind_set(kind)}/$entity")
    return handler


def _update_profile(kind: str, *, replace: bool) -> Any:
    def handler(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
        profile = app.tenant.update_profile(kind, profile_id, ctx.body(), beta=ctx.beta, replace=replace)
        return entity(ctx, _profile_json(app, ctx, profile), f"{_kind_set(kind)}/$entity")
    return handler


def _delete_profile(kind: str) -> Any:
    def handler(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
        app.tenant.delete_profile(kind, profile_id)
        return no_content()
    return handler


def _assign(kind: str) -> Any:
    def handler(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
        assignments = app.tenant.assign(kind, profile_id, ctx.body())
        type_name = ("deviceConfigurationAssignment" if kind == KIND_CONFIGURATION
                     else "deviceManagementConfigurationPolicyAssignment")
        return Response.json_body(200, {"@odata.context": ctx.context(f"Collection(microsoft.graph.{type_name})"),
                                        "value": assignments})
    return handler


def _list_assignments(kind: str) -> Any:
    def handler(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
        items = app.tenant.list_assignments(kind, profile_id)
        return collection(ctx, items, to_json=lambda r: r, page=_page(app),
                          entity_set=f"{_kind_set(kind)}('{profile_id}')/assignments")
    return handler


def _add_assignment(kind: str) -> Any:
    def handler(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
        created = app.tenant.add_assignment(kind, profile_id, ctx.body())
        return entity(ctx, created, f"{_kind_set(kind)}('{profile_id}')/assignments/$entity", status=201)
    return handler


def device_statuses(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
    rows = app.tenant.device_statuses(profile_id)
    return collection(ctx, rows, to_json=lambda r: r, page=_page(app),
                      entity_set=f"{_CONFIGS}('{profile_id}')/deviceStatuses")


def device_status_overview(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
    overview = app.tenant.device_status_overview(profile_id)
    return entity(ctx, overview, f"{_CONFIGS}('{profile_id}')/deviceStatusOverview/$entity")


def policy_settings(app: GraphApp, ctx: Ctx, profile_id: str) -> Response:
    rows = app.tenant.policy_settings(profile_id)
    return collection(ctx, rows, to_json=lambda r: r, page=_page(app),
                      entity_set=f"{_POLICIES}('{profile_id}')/settings")


# --- assignment filters -----------------------------------------------------------------------------------------

def list_filters(app: GraphApp, ctx: Ctx) -> Response:
    return collection(ctx, app.tenant.list_filters(), to_json=lambda r: r, entity_set=_FILTERS, page=_page(app))


def create_filter(app: GraphApp, ctx: Ctx) -> Response:
    return entity(ctx, app.tenant.create_filter(ctx.body()), f"{_FILTERS}/$entity", status=201)


def get_filter(app: GraphApp, ctx: Ctx, filter_id: str) -> Response:
    return entity(ctx, app.tenant.get_filter(filter_id), f"{_FILTERS}/$entity")


def patch_filter(app: GraphApp, ctx: Ctx, filter_id: str) -> Response:
    # Intune documents 200 with the updated filter here (unlike the directory's 204 for PATCH).
    return entity(ctx, app.tenant.update_filter(filter_id, ctx.body()), f"{_FILTERS}/$entity")


def delete_filter(app: GraphApp, ctx: Ctx, filter_id: str) -> Response:
    app.tenant.delete_filter(filter_id)
    return no_content()


# --- managed devices --------------------------------------------------------------------------------------------

def list_devices(app: GraphApp, ctx: Ctx) -> Response:
    tenant = app.tenant
    beta = ctx.beta

    def lookup(device: ManagedDevice, path: tuple[str, ...]) -> Any:
        name = _DEVICE_NAMES.get(path[0].lower())
        if name is None or len(path) != 1:
            return None
        try:
            return tenant.device_property(device, name, beta=beta)
        except KeyError:
            return None

    def known(name: str) -> bool:
        real = _DEVICE_NAMES.get(name.lower())
        return real is not None and (beta or not DEVICE_PROPERTIES[real][1])

    return collection(ctx, tenant.list_managed_devices(), to_json=lambda d: tenant.device_json(d, beta=beta),
                      entity_set=_DEVICES, page=_page(app), lookup=lookup, known=known, type_name="managedDevice")


def get_device(app: GraphApp, ctx: Ctx, device_id: str) -> Response:
    device = app.tenant.get_managed_device(device_id)
    return entity(ctx, app.tenant.device_json(device, beta=ctx.beta), f"{_DEVICES}/$entity")


def sync_device(app: GraphApp, ctx: Ctx, device_id: str) -> Response:
    app.tenant.get_managed_device(device_id)
    app.tenant.sync_device(device_id)
    return no_content()


def reboot_device(app: GraphApp, ctx: Ctx, device_id: str) -> Response:
    app.tenant.get_managed_device(device_id)
    app.tenant.restart_device(device_id)
    return no_content()


def execute_action(app: GraphApp, ctx: Ctx) -> Response:
    return Response.json_body(200, {"value": app.tenant.execute_action(ctx.body())})


def policy_devices_report(app: GraphApp, ctx: Ctx) -> Response:
    return Response.json_body(200, app.tenant.policy_devices_report(ctx.body()))


_C, _V2, _DEV = "deviceConfiguration", "deviceConfigV2", "devices"
_CR, _CW = "deviceConfiguration.read", "deviceConfiguration.write"
_K, _P = KIND_CONFIGURATION, KIND_POLICY
INTUNE_ROUTES: list[Route] = [
    Route("List deviceConfigurations", "GET", _CONFIGS, _list_profiles(_K), _CR, _C),
    Route("Create deviceConfiguration", "POST", _CONFIGS, _create_profile(_K), _CW, _C),
    Route("Get deviceConfiguration", "GET", rf"{_CONFIGS}/{_ID}", _get_profile(_K), _CR, _C),
    Route("Update deviceConfiguration", "PATCH", rf"{_CONFIGS}/{_ID}", _update_profile(_K, replace=False), _CW, _C),
    Route("Delete deviceConfiguration", "DELETE", rf"{_CONFIGS}/{_ID}", _delete_profile(_K), _CW, _C),
    Route("Assign deviceConfiguration", "POST", rf"{_CONFIGS}/{_ID}/assign", _assign(_K), _CW, _C),
    Route("List deviceConfiguration assignments", "GET", rf"{_CONFIGS}/{_ID}/assignments", _list_assignments(_K),
          _CR, _C),
    Route("Create deviceConfiguration assignment", "POST", rf"{_CONFIGS}/{_ID}/assignments", _add_assignment(_K),
          _CW, _C),
    Route("List deviceStatuses", "GET", rf"{_CONFIGS}/{_ID}/deviceStatuses", device_statuses, _CR, _C),
    Route("Get deviceStatusOverview", "GET", rf"{_CONFIGS}/{_ID}/deviceStatusOverview", device_status_overview,
          _CR, _C),
    Route("List configurationPolicies", "GET", _POLICIES, _list_profiles(_P), _CR, _V2, _BETA),
    Route("Create configurationPolicy", "POST", _POLICIES, _create_profile(_P), _CW, _V2, _BETA),
    Route("Get configurationPolicy", "GET", rf"{_POLICIES}/{_ID}", _get_profile(_P), _CR, _V2, _BETA),
    Route("Update configurationPolicy", "PATCH", rf"{_POLICIES}/{_ID}", _update_profile(_P, replace=False), _CW, _V2,
          _BETA),
    Route("Replace configurationPolicy", "PUT", rf"{_POLICIES}/{_ID}", _update_profile(_P, replace=True), _CW, _V2,
          _BETA),
    Route("Delete configurationPolicy", "DELETE", rf"{_POLICIES}/{_ID}", _delete_profile(_P), _CW, _V2, _BETA),
    Route("List configurationPolicy settings", "GET", rf"{_POLICIES}/{_ID}/settings", policy_settings, _CR, _V2,
          _BETA),
    Route("Assign configurationPolicy", "POST", rf"{_POLICIES}/{_ID}/assign", _assign(_P), _CW, _V2, _BETA),
    Route("List configurationPolicy assignments", "GET", rf"{_POLICIES}/{_ID}/assignments", _list_assignments(_P),
          _CR, _V2, _BETA),
    Route("List assignmentFilters", "GET", _FILTERS, list_filters, _CR, _C, _BETA),
    Route("Create assignmentFilter", "POST", _FILTERS, create_filter, _CW, _C, _BETA),
    Route("Get assignmentFilter", "GET", rf"{_FILTERS}/{_ID}", get_filter, _CR, _C, _BETA),
    Route("Update assignmentFilter", "PATCH", rf"{_FILTERS}/{_ID}", patch_filter, _CW, _C, _BETA),
    Route("Delete assignmentFilter", "DELETE", rf"{_FILTERS}/{_ID}", delete_filter, _CW, _C, _BETA),
    Route("List managedDevices", "GET", _DEVICES, list_devices, "managedDevices.read", _DEV),
    Route("Execute managedDevice action", "POST", rf"{_DEVICES}/executeAction", execute_action,
          "managedDevices.privileged", _DEV, _BETA),
    Route("Get managedDevice", "GET", rf"{_DEVICES}/{_ID}", get_device, "managedDevices.read", _DEV),
    Route("Sync managedDevice", "POST", rf"{_DEVICES}/{_ID}/syncDevice", sync_device, "managedDevices.privileged",
          _DEV),
    Route("Reboot managedDevice", "POST", rf"{_DEVICES}/{_ID}/rebootNow", reboot_device, "managedDevices.privileged",
          _DEV),
    Route("Get configuration policy devices report", "POST",
          r"deviceManagement/reports/getConfigurationPolicyDevicesReport", policy_devices_report, "reports.read",
          _V2, _BETA),
]
