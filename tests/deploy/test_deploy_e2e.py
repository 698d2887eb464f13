"""plan/apply/status/remove/sync end to end: the Graph backend against the emulated tenant."""

from __future__ import annotations

import json

import pytest

from pinreset.deploy import (
    ApplyResult,
    AppState,
    ChangeStatus,
    DesiredState,
    Groups,
    Method,
    PolicyState,
    apply,
    plan,
    remove,
    status,
    sync_devices,
)
from pinreset.emulator import Emulator
from pinreset.exceptions import ApplyError
from pinreset.models import ActionOutcome, DeviceAction
from tests.deploy.emu import graph_backend

KIND_POLICY = "configurationPolicy"
KIND_CONFIGURATION = "deviceConfiguration"


@pytest.fixture
def emu() -> Emulator:
    """A fresh emulated tenant with a few devices, no throttling."""
    return Emulator(devices=12, seed=7)


def _writes(emu: Emulator) -> int:
    """Write requests so far ($batch posts carry reads here; the versions check below covers batched writes)."""
    return sum(1 for r in emu.requests if r.method in ("POST", "PATCH", "PUT", "DELETE") and "$batch" not in r.path)


def _marked(emu: Emulator) -> list[str]:
    return [p.id for p in emu.tenant.profiles.values() if "[managed-by:pinreset]" in str(p.data.get("description"))]


def test_apply_then_plan_is_empty_and_second_apply_changes_nothing(emu: Emulator) -> None:
    """After apply, plan has no changes and a second apply sends no write."""
    with graph_backend(emu) as backend:
        first = apply(backend, DesiredState())
        assert first.complete
        assert [o.status for o in first.outcomes] == [ChangeStatus.APPLIED] * 4
        assert plan(backend, DesiredState()).changes == ()
        writes_before = _writes(emu)
        versions = {p.id: p.version for p in emu.tenant.profiles.values()}
        second = apply(backend, DesiredState())
        assert second.outcomes == ()
        assert _writes(emu) == writes_before
        assert {p.id: p.version for p in emu.tenant.profiles.values()} == versions
    assert len(_marked(emu)) == 1


@pytest.mark.parametrize("method", list(Method))
def test_every_method_round_trips(emu: Emulator, method: Method) -> None:
    """Each route creates a policy that reads back as in sync."""
    desired = DesiredState(method=method, assign_to=Groups("PIN Reset Pilot"), exclude=Groups("Kiosk Exclusions"))
    with graph_backend(emu) as backend:
        apply(backend, desired)
        assert plan(backend, desired).changes == ()
        report = status(backend, desired, devices=False)
    assert report.policy.state is PolicyState.IN_SYNC, report.problems
    assert report.policy.assigned_to == "group 'PIN Reset Pilot', excluding group 'Kiosk Exclusions'"


def test_least_privilege_app_fails_midway_then_full_app_resumes(emu: Emulator) -> None:
    """An app that may create service principals but not policies stops with a partial result; a full app finishes."""
    weak = emu.register_app(
        permissions={"Application.ReadWrite.All", "Organization.Read.All", "Group.Read.All",
                     "DeviceManagementConfiguration.Read.All"},
        name="least privilege",
    )
    with graph_backend(emu, weak.client_id) as backend, pytest.raises(ApplyError) as info:
        apply(backend, DesiredState())
    partial = info.value.result
    assert isinstance(partial, ApplyResult)
    assert [o.status for o in partial.outcomes] == [
        ChangeStatus.APPLIED, ChangeStatus.APPLIED, ChangeStatus.FAILED, ChangeStatus.NOT_RUN,
    ]
    assert "DeviceManagementConfiguration.ReadWrite.All" in (partial.outcomes[2].error or "")
    with graph_backend(emu) as backend:
        resumed = plan(backend, DesiredState())
        assert [type(c).__name__ for c in resumed.changes] == ["CreatePolicy", "AssignPolicy"]
        apply(backend, resumed)
        assert plan(backend, DesiredState()).changes == ()
    sps = [sp for sp in emu.tenant.list_service_principals() if sp.get("appId") in (
        "b8456c59-1230-44c7-a4a2-99b085333e84", "9115dd05-fad5-4f9c-acc7-305d08b1b04e")]
    assert len(sps) == 2
    assert len(_marked(emu)) == 1


def test_drift_in_tenant_state_is_reported_and_fixed(emu: Emulator) -> None:
    """Switching PIN recovery off in the emulator's state shows as drift and apply restores it."""
    with graph_backend(emu) as backend:
        apply(backend, DesiredState())
        (pid,) = _marked(emu)
        profile = emu.tenant.profiles[pid]
        text = json.dumps(profile.data).replace("_enablepinrecovery_true", "_enablepinrecovery_false")
        profile.data = json.loads(text)
        report = status(backend, devices=False)
        assert report.policy.state is PolicyState.DRIFTED
        assert [d.message for d in report.policy.drift] == ["PIN recovery is off"]
        changes = plan(backend, DesiredState()).changes
        assert [type(c).__name__ for c in changes] == ["UpdatePolicy"]
        apply(backend, DesiredState())
        assert status(backend, devices=False).policy.state is PolicyState.IN_SYNC


def test_conflicting_policy_for_all_users_is_found(emu: Emulator) -> None:
    """A hand-made identity protection profile for all users with PIN recovery off is a conflict."""
    legacy = emu.tenant.create_profile(KIND_CONFIGURATION, {
        "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
        "displayName": "Legacy WHfB", "pinRecoveryEnabled": False, "windowsHelloForBusinessBlocked": False,
    })
    emu.tenant.assign(KIND_CONFIGURATION, legacy.id, {"assignments": [
        {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}},
    ]})
    with graph_backend(emu) as backend:
        apply(backend, DesiredState())
        report = status(backend, DesiredState(), devices=False)
    assert [c.policy.name for c in report.conflicts] == ["Legacy WHfB"]
    assert report.conflicts[0].reasons == ("PIN recovery off",)
    assert not report.ready


def test_remove_deletes_only_marked_objects(emu: Emulator) -> None:
    """remove deletes pinreset's policy; a hand-made profile and the service principals stay."""
    emu.tenant.create_profile(KIND_CONFIGURATION, {
        "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
        "displayName": "Hand made", "pinRecoveryEnabled": True,
    })
    with graph_backend(emu) as backend:
        apply(backend, DesiredState())
        result = remove(backend)
        assert [p.name for p in result.removed] == [DesiredState().name]
        report = status(backend, devices=False)
    assert _marked(emu) == []
    assert [p.data.get("displayName") for p in emu.tenant.profiles.values()] == ["Hand made"]
    assert [a.state for a in report.apps] == [AppState.PRESENT, AppState.PRESENT]


def test_sync_one_result_per_device_and_restart_only_with_flag(emu: Emulator) -> None:
    """Every Windows device gets one sync result; restarts are sent only with restart=True."""
    with graph_backend(emu) as backend:
        apply(backend, DesiredState())
        synced = sync_devices(backend, DesiredState())
        windows = list(emu.tenant.devices.values())
        assert sorted(synced.devices) == sorted(d.id for d in windows)
        assert len(synced.sync) == len(windows)
        assert synced.restart == ()
        assert {r.outcome for r in synced.sync} == {ActionOutcome.SUCCEEDED}
        emu.advance(300)
        # The PIN recovery key appears only at a restart: none may exist after a sync alone.
        assert not any(f.pin_recovery_key_created for f in emu.tenant.all_device_facts())
        restarted = sync_devices(backend, DesiredState(), restart=True)
        emu.advance(300)
        assert len(restarted.restart) == len(windows)
        assert {r.action for r in restarted.restart} == {DeviceAction.RESTART}
        assert any(f.pin_recovery_key_created for f in emu.tenant.all_device_facts())


def _catalog_body(name: str, option: str) -> dict[str, object]:
    """A settings catalog policy body setting one PassportForWork choice (e.g. ``usepassportforwork_false``)."""
    setting = option.rsplit("_", 1)[0]
    return {
        "name": name, "description": "", "platforms": "windows10", "technologies": "mdm", "settings": [{
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
            "settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
                "settingDefinitionId": "device_vendor_msft_passportforwork_{tenantid}",
                "groupSettingCollectionValue": [{"children": [{
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                    "settingDefinitionId": f"device_vendor_msft_passportforwork_{{tenantid}}_policies_{setting}",
                    "choiceSettingValue": {
                        "value": f"device_vendor_msft_passportforwork_{{tenantid}}_policies_{option}", "children": [],
                    },
                }]}],
            },
        }],
    }


def test_settings_catalog_and_oma_uri_conflicts_are_found(emu: Emulator) -> None:
    """A catalog policy blocking Windows Hello for all devices and an OMA-URI profile switching recovery off for a
    targeted group both conflict with a group assignment; one for an unrelated group does not."""
    pilot = emu.tenant.group_by_name("PIN Reset Pilot")["id"]
    blocker = emu.tenant.create_profile(KIND_POLICY, _catalog_body("Block WHfB", "usepassportforwork_false"))
    emu.tenant.assign(KIND_POLICY, blocker.id, {"assignments": [
        {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
    ]})
    oma = emu.tenant.create_profile(KIND_CONFIGURATION, {
        "@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "OMA recovery off",
        "omaSettings": [{
            "@odata.type": "#microsoft.graph.omaSettingBoolean", "displayName": "EnablePinRecovery",
            "omaUri": f"./Device/Vendor/MSFT/PassportForWork/{emu.tenant_id}/Policies/EnablePinRecovery",
            "value": False,
        }],
    })
    emu.tenant.assign(KIND_CONFIGURATION, oma.id, {"assignments": [
        {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": pilot}},
    ]})
    desired = DesiredState(assign_to=Groups("PIN Reset Pilot"))
    with graph_backend(emu) as backend:
        report = status(backend, desired, devices=False)
    found = {c.policy.name: c for c in report.conflicts}
    assert set(found) == {"Block WHfB", "OMA recovery off"}
    assert found["Block WHfB"].reasons == ("Windows Hello for Business blocked",)
    assert found["Block WHfB"].overlap == "all devices"
    assert found["OMA recovery off"].overlap == "group 'PIN Reset Pilot'"
