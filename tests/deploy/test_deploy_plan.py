"""Planner decisions, against the in-memory fake backend."""

from __future__ import annotations

import pytest

from pinreset.deploy import (
    AllUsers,
    AssignPolicy,
    CreatePolicy,
    CreateServicePrincipal,
    DeletePolicy,
    DesiredState,
    Groups,
    Method,
    UpdatePolicy,
    apply,
    plan,
)
from pinreset.exceptions import ConfigurationError
from pinreset.models import (
    AllDevicesTarget,
    AllUsersTarget,
    ExclusionGroupTarget,
    GroupTarget,
    PinResetApp,
    PolicyKind,
    PolicyRef,
    PolicySettings,
)
from tests.deploy.fakes import FakeTenantBackend, foreign_policy


def test_empty_tenant_plans_apps_policy_and_assignment() -> None:
    """A fresh tenant needs both apps, the policy and its assignment, in that order, with a consent warning."""
    backend = FakeTenantBackend()
    result = plan(backend, DesiredState())
    kinds = [type(c) for c in result.changes]
    assert kinds == [CreateServicePrincipal, CreateServicePrincipal, CreatePolicy, AssignPolicy]
    assert [c.app for c in result.changes[:2]] == [PinResetApp.SERVICE, PinResetApp.CLIENT]  # type: ignore[union-attr]
    assert result.changes[3].after == (AllUsersTarget(),)  # type: ignore[union-attr]
    assert "consent_required" in {w.code for w in result.warnings}
    assert all(c.description for c in result.changes)
    assert backend.writes == []


def test_plan_after_apply_is_empty() -> None:
    """Once applied, the same desired state plans no change."""
    backend = FakeTenantBackend()
    desired = DesiredState(assign_to=Groups("Pilot"))
    backend.add_group("Pilot")
    apply(backend, plan(backend, desired))
    again = plan(backend, desired)
    assert again.changes == ()
    assert again.is_empty


def test_unknown_group_is_named() -> None:
    """A group that does not exist stops planning with its name in the message."""
    backend = FakeTenantBackend()
    with pytest.raises(ConfigurationError, match="'Nobody Here'"):
        plan(backend, DesiredState(assign_to=Groups("Nobody Here")))


def test_drift_plans_an_update_of_the_changed_fields() -> None:
    """A policy whose PIN recovery was switched off gets an update naming that field only."""
    backend = FakeTenantBackend()
    desired = DesiredState()
    apply(backend, plan(backend, desired))
    policy = next(iter(backend.policies.values()))
    backend.policies[policy.id] = policy.__class__(
        ref=policy.ref, name=policy.name, description=policy.description,
        settings=PolicySettings(pin_recovery=False, windows_hello=True), assignments=policy.assignments,
    )
    changes = plan(backend, desired).changes
    assert len(changes) == 1
    assert isinstance(changes[0], UpdatePolicy)
    assert changes[0].fields == ("pin_recovery",)
    assert "pin_recovery" in changes[0].description


def test_assignment_change_replaces_targets_with_exclusion() -> None:
    """Moving from all users to a group with an exclusion plans one assignment with both targets."""
    backend = FakeTenantBackend()
    apply(backend, plan(backend, DesiredState()))
    pilot = backend.add_group("Pilot")
    kiosk = backend.add_group("Kiosks")
    changes = plan(backend, DesiredState(assign_to=Groups("Pilot"), exclude=Groups("Kiosks"))).changes
    assert len(changes) == 1
    change = changes[0]
    assert isinstance(change, AssignPolicy)
    assert change.before == (AllUsersTarget(),)
    assert change.after == (GroupTarget(group_id=pilot.id), ExclusionGroupTarget(group_id=kiosk.id))
    assert "group 'Pilot'" in change.description
    assert "excluding group 'Kiosks'" in change.description


def test_method_change_creates_new_policy_then_deletes_old() -> None:
    """Switching method creates and assigns the new policy before deleting the old marked one."""
    backend = FakeTenantBackend()
    apply(backend, plan(backend, DesiredState(method=Method.IDENTITY_PROTECTION)))
    changes = plan(backend, DesiredState(method=Method.SETTINGS_CATALOG)).changes
    assert [type(c) for c in changes] == [CreatePolicy, AssignPolicy, DeletePolicy]
    assert "method is now settings-catalog" in changes[2].description


def test_duplicate_marked_policies_are_collapsed_to_the_oldest() -> None:
    """Two marked policies of the wanted kind: the older one is kept, the newer deleted."""
    backend = FakeTenantBackend()
    desired = DesiredState()
    apply(backend, plan(backend, desired))
    from pinreset.deploy._compare import wanted_spec

    dup = backend.create_policy(wanted_spec(desired))
    changes = plan(backend, desired).changes
    assert [type(c) for c in changes] == [DeletePolicy]
    assert changes[0].ref == dup.ref  # type: ignore[union-attr]


def test_unmarked_policy_with_same_name_is_not_taken_over() -> None:
    """A hand-made policy with pinreset's name is neither adopted nor touched."""
    backend = FakeTenantBackend()
    desired = DesiredState()
    backend.add_policy(foreign_policy(desired.name, kind=PolicyKind.SETTINGS_CATALOG, pin_recovery=True))
    changes = plan(backend, desired).changes
    assert CreatePolicy in {type(c) for c in changes}
    assert not any(isinstance(c, (UpdatePolicy, DeletePolicy)) for c in changes)


def test_federated_tenant_without_urls_warns() -> None:
    """A federated tenant with no web sign-in URLs gets a warning that says how to fix it."""
    backend = FakeTenantBackend(federated=True)
    warnings = {w.code: w.message for w in plan(backend, DesiredState()).warnings}
    assert "federated_without_web_sign_in" in warnings
    assert "--web-sign-in-url" in warnings["federated_without_web_sign_in"]
    ok = plan(backend, DesiredState(web_sign_in_allowed_urls=("adfs.contoso.com",))).warnings
    assert "federated_without_web_sign_in" not in {w.code for w in ok}


def test_conflicting_policy_for_all_users_is_reported() -> None:
    """A hand-made policy for all users with PIN recovery off is a conflict; one for nobody is not."""
    backend = FakeTenantBackend()
    backend.add_policy(foreign_policy("Legacy WHfB", pin_recovery=False, assignments=(AllUsersTarget(),)))
    backend.add_policy(foreign_policy("Unassigned", pin_recovery=False))
    result = plan(backend, DesiredState())
    assert [c.policy.name for c in result.conflicts] == ["Legacy WHfB"]
    assert result.conflicts[0].reasons == ("PIN recovery off",)


def test_group_conflict_needs_shared_members() -> None:
    """Two disjoint groups do not conflict; a shared member does."""
    backend = FakeTenantBackend()
    backend.add_group("Pilot", members=["u1", "u2"])
    other = backend.add_group("Kiosks", members=["u9"])
    shared = backend.add_group("Sales", members=["u2"])
    for name, group in (("Kiosk lock", other), ("Sales lock", shared)):
        backend.add_policy(foreign_policy(name, windows_hello=False, assignments=(GroupTarget(group_id=group.id),)))
    result = plan(backend, DesiredState(assign_to=Groups("Pilot")))
    assert [c.policy.name for c in result.conflicts] == ["Sales lock"]
    assert "group 'Sales'" in result.conflicts[0].overlap


def test_excluded_group_does_not_conflict() -> None:
    """A blocking policy on a group that pinreset excludes is not a conflict."""
    backend = FakeTenantBackend()
    kiosk = backend.add_group("Kiosks")
    backend.add_policy(foreign_policy("Kiosk", windows_hello=False, assignments=(GroupTarget(group_id=kiosk.id),)))
    result = plan(backend, DesiredState(assign_to=AllUsers(), exclude=Groups("Kiosks")))
    assert result.conflicts == ()


def test_all_devices_conflict_is_described() -> None:
    """An all-devices blocking policy overlaps a group assignment."""
    backend = FakeTenantBackend()
    backend.add_group("Pilot")
    backend.add_policy(
        foreign_policy("OMA off", kind=PolicyKind.CUSTOM_OMA_URI, pin_recovery=False,
                       assignments=(AllDevicesTarget(),), pid="oma")
    )
    result = plan(backend, DesiredState(assign_to=Groups("Pilot")))
    assert result.conflicts[0].overlap == "all devices"
    assert result.conflicts[0].policy.ref == PolicyRef(kind=PolicyKind.CUSTOM_OMA_URI, id="oma")


def test_missing_app_without_provisioning_warns_with_consent_url() -> None:
    """With provision_apps off, a missing app is a warning carrying its consent URL, not a change."""
    backend = FakeTenantBackend()
    result = plan(backend, DesiredState(provision_apps=False))
    assert not any(isinstance(c, CreateServicePrincipal) for c in result.changes)
    messages = [w.message for w in result.warnings if w.code == "app_missing"]
    assert len(messages) == 2
    assert "login.windows.net" in messages[0]


def test_group_the_other_policy_excludes_does_not_conflict() -> None:
    """An all-users blocking policy that excludes pinreset's only group is not a conflict; one sparing another is."""
    backend = FakeTenantBackend()
    pilot = backend.add_group("Pilot", members=["u1"])
    kiosk = backend.add_group("Kiosks", members=["u9"])
    for name, spared in (("Spares pilot", pilot), ("Spares kiosks", kiosk)):
        backend.add_policy(foreign_policy(
            name, windows_hello=False, assignments=(AllUsersTarget(), ExclusionGroupTarget(group_id=spared.id)),
        ))
    result = plan(backend, DesiredState(assign_to=Groups("Pilot")))
    assert [c.policy.name for c in result.conflicts] == ["Spares kiosks"]
    assert result.conflicts[0].overlap == "all users"


def test_excluded_members_do_not_make_group_policies_overlap() -> None:
    """Two group policies sharing only members the other policy excludes do not conflict."""
    backend = FakeTenantBackend()
    backend.add_group("Pilot", members=["u1", "u2"])
    sales = backend.add_group("Sales", members=["u2", "u3"])
    vip = backend.add_group("VIP", members=["u2"])
    backend.add_policy(foreign_policy(
        "Sales lock", windows_hello=False,
        assignments=(GroupTarget(group_id=sales.id), ExclusionGroupTarget(group_id=vip.id)),
    ))
    assert plan(backend, DesiredState(assign_to=Groups("Pilot"))).conflicts == ()
    backend.add_group("Pilot2", members=["u3"])
    assert [c.policy.name for c in plan(backend, DesiredState(assign_to=Groups("Pilot2"))).conflicts] == ["Sales lock"]
