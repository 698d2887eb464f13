"""status: apps, drift, assignment, conflicts, federation, devices (fake backend)."""

from __future__ import annotations

from pinreset.deploy import AppState, DesiredState, Groups, PolicyState, apply, status
from pinreset.models import (
    AllUsersTarget,
    DevicePolicyStatus,
    JoinType,
    ManagedDevice,
    PinResetApp,
    PolicyDeviceState,
    PolicySettings,
    ServicePrincipal,
)
from tests.deploy.fakes import FakeTenantBackend, foreign_policy


def test_empty_tenant_is_not_ready_and_says_why() -> None:
    """Missing apps and policy are reported with fixes."""
    report = status(FakeTenantBackend())
    assert not report.ready
    assert [a.state for a in report.apps] == [AppState.MISSING, AppState.MISSING]
    assert "pinreset apply" in (report.apps[0].fix or "")
    assert "login.windows.net" in (report.apps[0].fix or "")
    assert report.policy.state is PolicyState.MISSING
    assert "the PIN recovery policy is missing" in report.problems


def test_applied_tenant_is_ready() -> None:
    """After apply, status finds both apps and the policy in sync."""
    backend = FakeTenantBackend()
    apply(backend, DesiredState())
    report = status(backend, DesiredState())
    assert report.ready, report.problems
    assert report.policy.state is PolicyState.IN_SYNC
    assert report.policy.assigned_to == "all users"


def test_one_app_missing_names_it() -> None:
    """When only the client app is missing, exactly that app is reported."""
    backend = FakeTenantBackend()
    apply(backend, DesiredState())
    del backend.sps[PinResetApp.CLIENT.app_id]
    report = status(backend)
    assert [(a.app, a.state) for a in report.apps] == [
        (PinResetApp.SERVICE, AppState.PRESENT), (PinResetApp.CLIENT, AppState.MISSING),
    ]
    assert report.problems == ("Microsoft Pin Reset Client Production is missing",)


def test_disabled_app_is_reported() -> None:
    """A service principal with sign-in disabled is not counted as present."""
    backend = FakeTenantBackend()
    apply(backend, DesiredState())
    sp = backend.sps[PinResetApp.SERVICE.app_id]
    backend.sps[sp.app_id] = ServicePrincipal(id=sp.id, app_id=sp.app_id, account_enabled=False)
    report = status(backend)
    assert report.apps[0].state is AppState.DISABLED
    assert "Enabled for users to sign-in" in (report.apps[0].fix or "")


def test_drift_names_fields_in_words() -> None:
    """WHfB blocked and PIN recovery off both appear as drift."""
    backend = FakeTenantBackend()
    apply(backend, DesiredState())
    p = next(iter(backend.policies.values()))
    backend.policies[p.id] = p.__class__(
        ref=p.ref, name=p.name, description=p.description, assignments=p.assignments,
        settings=PolicySettings(pin_recovery=False, windows_hello=False),
    )
    report = status(backend)
    assert report.policy.state is PolicyState.DRIFTED
    assert [d.message for d in report.policy.drift] == [
        "PIN recovery is off", "Windows Hello for Business is blocked",
    ]


def test_unassigned_and_assigned_elsewhere() -> None:
    """An unassigned policy, and one assigned to other targets than desired, are told apart."""
    backend = FakeTenantBackend()
    backend.add_group("Pilot")
    apply(backend, DesiredState())
    p = next(iter(backend.policies.values()))
    assert status(backend, DesiredState(assign_to=Groups("Pilot"))).policy.state is PolicyState.ASSIGNED_ELSEWHERE
    backend.assign_policy(p.ref, [])
    assert status(backend).policy.state is PolicyState.UNASSIGNED


def test_conflicts_and_federation_are_problems() -> None:
    """A conflicting policy and a federated tenant without URLs make the tenant not ready."""
    backend = FakeTenantBackend(federated=True)
    apply(backend, DesiredState())
    backend.add_policy(foreign_policy("Old", pin_recovery=False, assignments=(AllUsersTarget(),)))
    report = status(backend)
    assert len(report.conflicts) == 1
    assert any("federated" in p for p in report.problems)
    assert any("conflict" in p and "'Old'" in p for p in report.problems)


def test_devices_are_counted_by_state_and_eligibility() -> None:
    """Device counts come from the inventory and the policy's per-device status."""
    backend = FakeTenantBackend()
    backend.add_devices(3)
    old = ManagedDevice(id="old", device_name="OLD", operating_system="Windows", os_version="10.0.14393.0",
                        join_type=JoinType.ENTRA_JOINED)
    backend.devices[old.id] = old
    result = apply(backend, DesiredState())
    assert result.policy is not None
    backend.statuses[result.policy.id] = [
        DevicePolicyStatus(device_name="PC-00001", state=PolicyDeviceState.SUCCEEDED, raw_state="compliant"),
        DevicePolicyStatus(device_name="PC-00002", state=PolicyDeviceState.PENDING, raw_state="unknown"),
    ]
    devices = status(backend).devices
    assert devices is not None
    assert devices.total == 4
    assert devices.by_eligibility == {"eligible": 3, "os_too_old": 1}
    assert devices.by_policy_state == {"pending": 1, "succeeded": 1}


def test_status_without_desired_names_our_groups() -> None:
    """The policy's current groups are named, not shown as ids, even without a desired state."""
    backend = FakeTenantBackend()
    backend.add_group("Pilot")
    apply(backend, DesiredState(assign_to=Groups("Pilot")))
    assert status(backend, devices=False).policy.assigned_to == "group 'Pilot'"


def test_drift_does_not_hide_a_missing_assignment() -> None:
    """A drifted policy that is also unassigned lists both problems, not only the drift."""
    backend = FakeTenantBackend()
    apply(backend, DesiredState())
    p = next(iter(backend.policies.values()))
    backend.policies[p.id] = p.__class__(
        ref=p.ref, name=p.name, description=p.description, assignments=(),
        settings=PolicySettings(pin_recovery=False, windows_hello=True),
    )
    report = status(backend)
    assert report.policy.state is PolicyState.DRIFTED
    assert report.policy.assignment is PolicyState.UNASSIGNED
    assert report.problems == ("the policy has drifted: PIN recovery is off", "the policy is not assigned")
