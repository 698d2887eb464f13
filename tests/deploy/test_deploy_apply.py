"""apply: idempotence, resumption after a failure, outcomes recorded for every change (fake backend)."""

from __future__ import annotations

import pytest

from pinreset.deploy import ApplyResult, ChangeStatus, CreatePolicy, DesiredState, apply, is_ours, plan, remove
from pinreset.exceptions import ApplyError
from tests.deploy.fakes import FakeTenantBackend, denied, foreign_policy


def test_apply_twice_changes_nothing_the_second_time() -> None:
    """The second apply of the same state performs no write."""
    backend = FakeTenantBackend()
    first = apply(backend, DesiredState())
    assert first.changed
    assert first.complete
    writes = list(backend.writes)
    second = apply(backend, DesiredState())
    assert not second.changed
    assert second.outcomes == ()
    assert backend.writes == writes


def test_failure_midway_raises_with_partial_result_then_resumes() -> None:
    """A 403 on the policy create reports what was done; a later run finishes without duplicates."""
    backend = FakeTenantBackend()
    backend.fail["create_policy"] = denied("create policies")
    with pytest.raises(ApplyError) as info:
        apply(backend, plan(backend, DesiredState()))
    partial = info.value.result
    assert isinstance(partial, ApplyResult)
    assert [o.status for o in partial.outcomes] == [
        ChangeStatus.APPLIED, ChangeStatus.APPLIED, ChangeStatus.FAILED, ChangeStatus.NOT_RUN,
    ]
    assert "DeviceManagementConfiguration.ReadWrite.All" in (partial.outcomes[2].error or "")
    assert "change 3 of 4" in str(info.value)
    del backend.fail["create_policy"]
    resumed = apply(backend, plan(backend, DesiredState()))
    assert [type(o.change).__name__ for o in resumed.outcomes] == ["CreatePolicy", "AssignPolicy"]
    assert len(backend.sps) == 2
    assert sum(1 for p in backend.policies.values() if is_ours(p)) == 1


def test_stale_plan_does_not_create_a_second_policy() -> None:
    """Applying an old plan whose policy was created meanwhile reuses the existing one."""
    backend = FakeTenantBackend()
    stale = plan(backend, DesiredState())
    apply(backend, DesiredState())
    result = apply(backend, stale)
    create = next(o for o in result.outcomes if isinstance(o.change, CreatePolicy))
    assert create.status is ChangeStatus.ALREADY_DONE
    assert sum(1 for p in backend.policies.values() if is_ours(p)) == 1


def test_outcome_callback_sees_every_change() -> None:
    """on_outcome is called once per change, in order."""
    backend = FakeTenantBackend()
    seen: list[str] = []
    result = apply(backend, DesiredState(), on_outcome=lambda o: seen.append(o.change.description))
    assert seen == [o.change.description for o in result.outcomes]
    assert result.policy is not None


def test_remove_deletes_only_marked_policies() -> None:
    """remove deletes pinreset's policy, leaves hand-made policies and the service principals."""
    backend = FakeTenantBackend()
    backend.add_policy(foreign_policy("Hand made", pin_recovery=True))
    apply(backend, DesiredState())
    dry = remove(backend, dry_run=True)
    assert [p.name for p in dry.policies] == [DesiredState().name]
    assert dry.removed == ()
    assert len(backend.policies) == 2
    done = remove(backend)
    assert [p.name for p in done.removed] == [DesiredState().name]
    assert [p.name for p in backend.policies.values()] == ["Hand made"]
    assert len(backend.sps) == 2
    assert "service principals were kept" in done.note


def test_transient_failure_is_replanned_and_finished_in_one_run() -> None:
    """A dropped connection on the policy create is recorded as retried and the run still completes."""
    from pinreset.exceptions import TransportError

    backend = FakeTenantBackend()
    backend.fail_once["create_policy"] = TransportError("connection reset by peer")
    result = apply(backend, DesiredState())
    statuses = [(type(o.change).__name__, o.status) for o in result.outcomes]
    assert statuses == [
        ("CreateServicePrincipal", ChangeStatus.APPLIED),
        ("CreateServicePrincipal", ChangeStatus.APPLIED),
        ("CreatePolicy", ChangeStatus.RETRIED),
        ("CreatePolicy", ChangeStatus.APPLIED),
        ("AssignPolicy", ChangeStatus.APPLIED),
    ]
    assert result.complete
    assert sum(1 for p in backend.policies.values() if is_ours(p)) == 1


def test_transient_failures_beyond_retries_raise() -> None:
    """With retries=0 a transient failure stops the run like any other."""
    from pinreset.exceptions import TransportError

    backend = FakeTenantBackend()
    backend.fail_once["create_policy"] = TransportError("connection reset by peer")
    with pytest.raises(ApplyError) as info:
        apply(backend, DesiredState(), retries=0)
    assert isinstance(info.value.result, ApplyResult)
    assert not info.value.result.complete
