"""The TenantBackend contract: every backend must pass these, against the same emulated tenant."""

from __future__ import annotations

import uuid

import pytest

from pinreset.backends import TenantBackend
from pinreset.emulator import Emulator
from pinreset.emulator._entities import Group as EmulatedGroup
from pinreset.exceptions import NotFoundError, PermissionDeniedError
from pinreset.models import (
    PIN_RESET_APPS,
    ActionOutcome,
    AllDevicesTarget,
    AllUsersTarget,
    DeviceAction,
    DeviceFilter,
    ExclusionGroupTarget,
    GroupTarget,
    PinResetApp,
    PolicyDeviceState,
    PolicyKind,
    PolicyRef,
    PolicySpec,
)

from .conftest import DEVICES, Tenant

WRITABLE = [PolicyKind.SETTINGS_CATALOG, PolicyKind.IDENTITY_PROTECTION, PolicyKind.CUSTOM_OMA_URI]


def _spec(kind: PolicyKind, name: str = "pinreset contract", **kwargs: object) -> PolicySpec:
    return PolicySpec(kind=kind, name=name, description="created by the contract suite", **kwargs)  # type: ignore[arg-type]


def test_tenant_info(backend: TenantBackend, tenant: Tenant) -> None:
    """The organization's id and domains are reported."""
    info = backend.tenant_info()
    assert info.id == tenant.emulator.tenant_id
    assert info.default_domain in info.verified_domains
    assert tenant.emulator.tenant.default_domain in info.verified_domains
    assert not info.is_federated


def test_service_principal_creation_is_idempotent(backend: TenantBackend) -> None:
    """Creating an app's service principal twice yields one object; find reports it by app id."""
    app_id = PinResetApp.SERVICE.app_id
    first = backend.create_service_principal(app_id)
    second = backend.create_service_principal(app_id)
    assert first.id == second.id
    assert first.app_id == app_id
    found = backend.find_service_principals([a.app_id for a in PIN_RESET_APPS])
    assert found[app_id].id == first.id
    assert PinResetApp.CLIENT.app_id not in found


def test_unknown_app_id_is_absent(backend: TenantBackend) -> None:
    """An app id with no service principal is simply missing from the result."""
    assert backend.find_service_principals([str(uuid.uuid4())]) == {}


def test_groups_by_name_and_id(backend: TenantBackend, tenant: Tenant) -> None:
    """Groups are found by exact name and by id; a missing id is NotFoundError."""
    seeded = next(iter(tenant.emulator.tenant.groups.values()))
    found = backend.find_groups([seeded.display_name, "no such group"])
    assert list(found) == [seeded.display_name]
    assert found[seeded.display_name].id == seeded.id
    assert backend.get_group(seeded.id).display_name == seeded.display_name
    with pytest.raises(NotFoundError):
        backend.get_group(str(uuid.uuid4()))


def test_hostile_group_name_stays_one_literal(backend: TenantBackend, tenant: Tenant) -> None:
    """A name that tries to widen the filter matches only itself."""
    hostile = "O'Brien' or 1 eq 1"
    assert backend.find_groups([hostile]) == {}
    state = tenant.emulator.tenant
    group = EmulatedGroup(id=str(uuid.uuid4()), display_name=hostile, description="", created=state.now())
    state.groups[group.id] = group
    found = backend.find_groups([hostile, "O'Brien"])
    assert {name: g.id for name, g in found.items()} == {hostile: group.id}


def test_group_member_ids(backend: TenantBackend, tenant: Tenant) -> None:
    """Member ids match the group's members."""
    seeded = max(tenant.emulator.tenant.groups.values(), key=lambda g: len(g.members))
    assert set(backend.list_group_member_ids(seeded.id)) == set(seeded.members)


@pytest.mark.parametrize("kind", WRITABLE)
def test_policy_lifecycle(backend: TenantBackend, kind: PolicyKind) -> None:
    """Create, read, list, update and delete one policy of each writable kind."""
    created = backend.create_policy(_spec(kind))
    assert created.kind is kind
    assert created.name == "pinreset contract"
    assert created.settings.pin_recovery is True
    assert not created.settings.blocks_windows_hello
    assert backend.get_policy(created.ref).ref == created.ref
    assert created.ref in {p.ref for p in backend.list_policies()}
    updated = backend.update_policy(created.ref, _spec(kind, pin_recovery=False))
    assert updated.settings.pin_recovery is False
    backend.delete_policy(created.ref)
    with pytest.raises(NotFoundError):
        backend.get_policy(created.ref)
    with pytest.raises(NotFoundError):
        backend.delete_policy(created.ref)


def test_missing_policy_is_not_found(backend: TenantBackend) -> None:
    """Reading a policy that never existed raises NotFoundError for both collections."""
    for kind in (PolicyKind.SETTINGS_CATALOG, PolicyKind.IDENTITY_PROTECTION):
        with pytest.raises(NotFoundError):
            backend.get_policy(PolicyRef(kind=kind, id=str(uuid.uuid4())))


def test_web_sign_in_urls_round_trip(backend: TenantBackend) -> None:
    """Web sign-in allowed URLs written with a catalog policy read back."""
    created = backend.create_policy(_spec(PolicyKind.SETTINGS_CATALOG, web_sign_in_allowed_urls=("login.example.com",)))
    assert backend.get_policy(created.ref).settings.web_sign_in_allowed_urls == ("login.example.com",)


@pytest.mark.parametrize("kind", [PolicyKind.SETTINGS_CATALOG, PolicyKind.IDENTITY_PROTECTION])
def test_assign_replaces_the_whole_set(backend: TenantBackend, tenant: Tenant, kind: PolicyKind) -> None:
    """Each assign call leaves exactly the targets it was given."""
    groups = list(tenant.emulator.tenant.groups.values())
    policy = backend.create_policy(_spec(kind))
    first = backend.assign_policy(policy.ref, [AllUsersTarget(), ExclusionGroupTarget(group_id=groups[0].id)])
    assert set(first) == {AllUsersTarget(), ExclusionGroupTarget(group_id=groups[0].id)}
    second = backend.assign_policy(policy.ref, [GroupTarget(group_id=groups[1].id)])
    assert second == (GroupTarget(group_id=groups[1].id),)
    assert backend.get_policy(policy.ref).assignments == (GroupTarget(group_id=groups[1].id),)
    assert backend.assign_policy(policy.ref, []) == ()
    assert backend.get_policy(policy.ref).assignments == ()


def test_managed_devices_and_filters(backend: TenantBackend, tenant: Tenant) -> None:
    """Listing streams every Windows device; name and id filters narrow it exactly."""
    devices = list(backend.list_managed_devices())
    assert 0 < len(devices) <= DEVICES
    assert len({d.id for d in devices}) == len(devices)
    assert all(d.operating_system == "Windows" for d in devices)
    everything = list(backend.list_managed_devices(DeviceFilter(operating_system=None)))
    assert len(everything) == len(tenant.emulator.tenant.devices)
    picked = devices[:3]
    by_name = backend.list_managed_devices(DeviceFilter(device_names=tuple(d.device_name for d in picked)))
    assert {d.id for d in by_name} == {d.id for d in picked}
    by_id = list(backend.list_managed_devices(DeviceFilter(device_ids=(picked[0].id, "no-such-id"))))
    assert [d.id for d in by_id] == [picked[0].id]
    assert list(backend.list_managed_devices(DeviceFilter(device_names=("x' or deviceName ne 'y",)))) == []


def test_device_ids_longer_than_one_filter(backend: TenantBackend) -> None:
    """More ids than fit one $filter are split over queries and all found."""
    devices = list(backend.list_managed_devices(DeviceFilter(operating_system=None)))
    wanted = tuple(d.id for d in devices[:35])
    found = list(backend.list_managed_devices(DeviceFilter(operating_system=None, device_ids=wanted)))
    assert sorted(d.id for d in found) == sorted(wanted)


def test_device_action_one_result_per_device(backend: TenantBackend) -> None:
    """Every requested device gets exactly one result; unknown ids are NOT_FOUND; a repeated id counts once."""
    ids = [d.id for d in backend.list_managed_devices()]
    unknown = str(uuid.uuid4())
    results = list(backend.run_device_action(DeviceAction.SYNC, [*ids, unknown, ids[0]]))
    assert sorted(r.device_id for r in results) == sorted([*ids, unknown])
    outcome = {r.device_id: r.outcome for r in results}
    assert outcome[unknown] is ActionOutcome.NOT_FOUND
    assert all(outcome[i] is ActionOutcome.SUCCEEDED for i in ids)
    assert all(r.action is DeviceAction.SYNC for r in results)


def test_statuses_after_sync_and_restart(backend: TenantBackend, tenant: Tenant) -> None:
    """A policy assigned to all devices reports per-device states after a sync and a restart."""
    for kind in (PolicyKind.SETTINGS_CATALOG, PolicyKind.IDENTITY_PROTECTION):
        policy = backend.create_policy(_spec(kind, name=f"status {kind.value}"))
        backend.assign_policy(policy.ref, [AllDevicesTarget()])
        before = list(backend.policy_device_statuses(policy.ref))
        assert before
        assert {s.state for s in before} <= {PolicyDeviceState.PENDING, PolicyDeviceState.UNKNOWN}
        ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
        assert all(r.outcome is ActionOutcome.SUCCEEDED for r in backend.run_device_action(DeviceAction.SYNC, ids))
        assert all(r.outcome is ActionOutcome.SUCCEEDED for r in backend.run_device_action(DeviceAction.RESTART, ids))
        after = list(backend.policy_device_statuses(policy.ref))
        assert len(after) == len(before)
        assert PolicyDeviceState.SUCCEEDED in {s.state for s in after}
        assert PolicyDeviceState.PENDING not in {s.state for s in after}
        assert all(s.device_name for s in after)


def test_least_privilege_app_gets_permission_denied(tenant: Tenant) -> None:
    """An app with only Organization.Read.All reads the tenant but is refused policies, devices and apps."""
    app = tenant.emulator.register_app(permissions={"Organization.Read.All"}, name="reader")
    with tenant.backend_for(app.client_id, app.client_secret) as limited:
        assert limited.tenant_info().id == tenant.emulator.tenant_id
        with pytest.raises(PermissionDeniedError) as denied:
            list(limited.list_managed_devices())
        assert denied.value.status_code == 403
        assert denied.value.request_id
        with pytest.raises(PermissionDeniedError):
            limited.create_policy(_spec(PolicyKind.SETTINGS_CATALOG))
        with pytest.raises(PermissionDeniedError):
            limited.create_service_principal(PinResetApp.CLIENT.app_id)
        with pytest.raises(PermissionDeniedError):
            list(limited.run_device_action(DeviceAction.SYNC, ["x"]))


def test_paging_across_many_devices(big_backend: tuple[TenantBackend, Emulator]) -> None:
    """Listing follows nextLink over several pages and yields every device exactly once."""
    backend, emu = big_backend
    ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
    assert len(ids) == len(set(ids)) == len(emu.tenant.devices)
    assert len(ids) > 2000
    results = list(backend.run_device_action(DeviceAction.SYNC, ids[:450]))
    assert len(results) == 450
    assert {r.outcome for r in results} == {ActionOutcome.SUCCEEDED}
