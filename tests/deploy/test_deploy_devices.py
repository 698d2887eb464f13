"""The device step: targeting, one result per device, restart only on request, resumption (fake backend)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest

from pinreset.deploy import DesiredState, Groups, apply, sync_devices
from pinreset.exceptions import ConfigurationError, TransportError
from pinreset.models import ActionOutcome, DeviceAction, DeviceActionResult
from tests.deploy.fakes import EPOCH, FakeTenantBackend


def test_all_users_syncs_every_windows_device_without_restart() -> None:
    """All users targets every Windows device; no restart is sent unless asked."""
    backend = FakeTenantBackend()
    backend.add_devices(5)
    result = sync_devices(backend, DesiredState())
    assert len(result.sync) == 5
    assert result.restart == ()
    assert "rebootNow" not in backend.writes
    assert result.complete


def test_restart_only_with_flag_and_only_synced_devices() -> None:
    """With restart=True every synced device gets one restart result."""
    backend = FakeTenantBackend()
    backend.add_devices(3)
    result = sync_devices(backend, DesiredState(), restart=True)
    assert [r.action for r in result.restart] == [DeviceAction.RESTART] * 3
    assert backend.writes.count("rebootNow") == 3


def test_groups_and_exclusions_select_by_primary_user() -> None:
    """Devices of assigned groups' members are targeted, minus excluded members."""
    backend = FakeTenantBackend()
    devices = backend.add_devices(4)
    backend.add_group("Pilot", members=[devices[0].user_id or "", devices[1].user_id or ""])
    backend.add_group("VIP", members=[devices[1].user_id or ""])
    result = sync_devices(backend, DesiredState(assign_to=Groups("Pilot"), exclude=Groups("VIP")))
    assert list(result.devices) == [devices[0].id]


def test_without_desired_state_the_deployed_policy_decides() -> None:
    """With no desired state the policy's own assignment (pilot minus VIP) is targeted, not every device."""
    backend = FakeTenantBackend()
    devices = backend.add_devices(4)
    backend.add_group("Pilot", members=[devices[0].user_id or "", devices[1].user_id or ""])
    backend.add_group("VIP", members=[devices[1].user_id or ""])
    apply(backend, DesiredState(assign_to=Groups("Pilot"), exclude=Groups("VIP")))
    result = sync_devices(backend, restart=True)
    assert list(result.devices) == [devices[0].id]
    assert backend.writes.count("rebootNow") == 1
    policy = next(iter(backend.policies.values()))
    backend.assign_policy(policy.ref, [])
    with pytest.raises(ConfigurationError, match="not assigned"):
        sync_devices(backend)


def test_names_not_found_are_reported_not_dropped() -> None:
    """Requested device names with no device are listed in missing_names."""
    backend = FakeTenantBackend()
    backend.add_devices(2)
    result = sync_devices(backend, device_names=["pc-00001", "GHOST"])
    assert list(result.devices.values()) == ["PC-00001"]
    assert result.missing_names == ("GHOST",)
    assert not result.complete


def test_device_without_backend_answer_gets_a_failed_result_and_reruns() -> None:
    """A device the backend never answered for is recorded as failed, and only_failed retries just it."""
    backend = FakeTenantBackend()
    devices = backend.add_devices(3)
    backend.drop_results_for = {devices[1].id}
    first = sync_devices(backend, DesiredState(), retries=0)
    assert len(first.sync) == 3
    assert first.failed_ids == (devices[1].id,)
    assert first.counts() == {"succeeded": 2, "failed": 1}
    backend.drop_results_for = set()
    second = sync_devices(backend, only_failed=first)
    assert [r.device_id for r in second.sync] == [devices[1].id]
    assert second.sync[0].outcome is ActionOutcome.SUCCEEDED
    assert second.devices == {devices[1].id: devices[1].device_name}


def test_skip_synced_since_records_skipped_devices() -> None:
    """Devices that checked in after the timestamp are skipped and listed."""
    backend = FakeTenantBackend()
    backend.add_devices(2)
    result = sync_devices(backend, DesiredState(), skip_synced_since=EPOCH - timedelta(days=1))
    assert result.sync == ()
    assert len(result.skipped) == 2


def test_nothing_to_target_is_a_configuration_error() -> None:
    """Calling without any way of choosing devices is refused."""
    with pytest.raises(ConfigurationError):
        sync_devices(FakeTenantBackend())


def test_progress_is_reported() -> None:
    """The progress callback sees the final count."""
    backend = FakeTenantBackend()
    backend.add_devices(4)
    seen: list[tuple[int, int]] = []
    sync_devices(backend, DesiredState(), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (4, 4)


def test_restart_devices_restarts_without_syncing() -> None:
    """restart_devices sends only restarts, one per targeted device."""
    from pinreset.deploy import restart_devices

    backend = FakeTenantBackend()
    backend.add_devices(2)
    result = restart_devices(backend, DesiredState())
    assert result.sync == ()
    assert len(result.restart) == 2
    assert backend.writes == ["rebootNow", "rebootNow"]


def test_bulk_failure_midway_keeps_results_and_records_the_rest() -> None:
    """When the backend gives up part way, answered devices keep their results and the rest fail with the cause."""
    backend = FakeTenantBackend()
    devices = backend.add_devices(5)
    backend.break_after = 2
    result = sync_devices(backend, DesiredState(), retries=0)
    assert len(result.sync) == 5
    assert [r.outcome for r in result.sync] == [ActionOutcome.SUCCEEDED] * 2 + [ActionOutcome.FAILED] * 3
    assert "connection reset" in (result.sync[4].error or "")
    backend.break_after = None
    again = sync_devices(backend, only_failed=result)
    assert [r.device_id for r in again.sync] == [d.id for d in devices[2:]]
    assert again.complete


def test_failed_syncs_are_resent_within_one_call() -> None:
    """A bulk sync that breaks midway is completed by re-sending to the unconfirmed devices only."""
    backend = FakeTenantBackend()
    backend.add_devices(5)
    backend.fail_once["run_device_action"] = TransportError("connection reset")
    result = sync_devices(backend, DesiredState())
    assert result.complete
    assert backend.writes.count("syncDevice") == 5


def test_restarts_are_not_resent() -> None:
    """A restart without confirmation is recorded as failed, never sent twice by the library."""
    backend = FakeTenantBackend()
    devices = backend.add_devices(2)
    calls: list[str] = []
    original = backend.run_device_action

    def flaky(action: DeviceAction, ids: Sequence[str]) -> Iterator[DeviceActionResult]:
        calls.append(action.value)
        if action is DeviceAction.RESTART:
            raise TransportError("connection reset")
        return original(action, ids)

    backend.run_device_action = flaky  # type: ignore[method-assign]
    result = sync_devices(backend, DesiredState(), restart=True)
    assert calls == ["syncDevice", "rebootNow"]
    assert [r.outcome for r in result.restart] == [ActionOutcome.FAILED] * 2
    assert set(result.failed_ids) == {d.id for d in devices}
