"""The device step: sync the targeted Windows devices (and restart them, only when asked).

A device applies the PIN recovery policy at its next check-in, and creates its PIN recovery protector only after
a restart; this step shortens the wait. Every targeted device ends with exactly one recorded result per action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone

import attrs

from pinreset.backends import TenantBackend
from pinreset.deploy._compare import is_ours
from pinreset.deploy._desired import AllUsers, DesiredState
from pinreset.deploy._targets import resolve_groups
from pinreset.exceptions import ConfigurationError, PinresetError
from pinreset.models import (
    ActionOutcome,
    AllDevicesTarget,
    AllUsersTarget,
    DeviceAction,
    DeviceActionResult,
    DeviceFilter,
    ExclusionGroupTarget,
    GroupTarget,
    ManagedDevice,
)

__all__ = ["SyncResult", "restart_devices", "select_devices", "sync_devices"]

Progress = Callable[[int, int], None]


@attrs.frozen(kw_only=True)
class SyncResult:
    """What the device step did.

    Attributes:
        devices: Intune managed device id -> device name, for every targeted device.
        sync: one sync result per targeted device (minus ``skipped``).
        restart: one restart result per device whose sync succeeded, when a restart was asked for.
        skipped: devices left out because they checked in after ``skip_synced_since``.
        missing_names: requested device names that matched no managed Windows device.
        started: when the step started (aware UTC); pass it as ``skip_synced_since`` to a re-run.
    """

    devices: Mapping[str, str]
    sync: tuple[DeviceActionResult, ...]
    restart: tuple[DeviceActionResult, ...] = ()
    skipped: tuple[str, ...] = ()
    missing_names: tuple[str, ...] = ()
    started: datetime = attrs.field(factory=lambda: datetime.now(timezone.utc))

    @property
    def failed_ids(self) -> tuple[str, ...]:
        """Devices whose sync or restart did not succeed (what ``only_failed`` re-runs)."""
        bad = [r.device_id for r in (*self.sync, *self.restart) if r.outcome is not ActionOutcome.SUCCEEDED]
        return tuple(dict.fromkeys(bad))

    @property
    def complete(self) -> bool:
        """True when every targeted device succeeded and every requested name was found."""
        return not self.failed_ids and not self.missing_names

    def counts(self, action: DeviceAction = DeviceAction.SYNC) -> dict[str, int]:
        """Outcome -> number of devices, for one action."""
        results = self.sync if action is DeviceAction.SYNC else self.restart
        counts = {o.value: 0 for o in ActionOutcome}
        for r in results:
            counts[r.outcome.value] += 1
        return {k: v for k, v in counts.items() if v}


def _member_ids(backend: TenantBackend, names: Iterable[str]) -> frozenset[str]:
    names = tuple(names)
    groups = resolve_groups(names, backend.find_groups(list(names)))
    return _members_of(backend, (group.id for group in groups.values()))


def select_devices(
    backend: TenantBackend,
    desired: DesiredState | None = None,
    *,
    device_names: Sequence[str] | None = None,
    group: str | None = None,
) -> tuple[Iterator[ManagedDevice], tuple[str, ...]]:
    """The Windows managed devices a device step targets, streamed.

    Exactly one way of choosing applies, first match wins: ``device_names``, then ``group`` (devices whose primary
    user is a member), then ``desired`` (all Windows devices for all users; else devices whose primary user is in
    an assigned group; minus devices whose primary user is in an excluded group), then, without any of them, the
    assignment of pinreset's policy in the tenant (read the same way).

    Returns:
        (devices, requested names that matched no device — known only once the iterator is exhausted, so the
        second item is filled for ``device_names`` before returning).

    Raises:
        ConfigurationError: nothing says which devices (no desired state, group or names, and no assigned pinreset
            policy in the tenant), or a group does not exist.
    """
    if device_names:
        wanted = {n.casefold(): n for n in device_names}
        found = list(backend.list_managed_devices(DeviceFilter(device_names=tuple(device_names))))
        hits = {d.device_name.casefold() for d in found}
        missing = tuple(name for key, name in wanted.items() if key not in hits)
        return iter(found), missing
    if group:
        members = _member_ids(backend, [group])
        return (d for d in backend.list_managed_devices(DeviceFilter()) if d.user_id in members), ()
    if desired is not None:
        excluded = _member_ids(backend, desired.exclude.names) if desired.exclude is not None else frozenset()
        included = None if isinstance(desired.assign_to, AllUsers) else _member_ids(backend, desired.assign_to.names)
    else:
        included, excluded = _policy_audience(backend)

    def chosen() -> Iterator[ManagedDevice]:
        for device in backend.list_managed_devices(DeviceFilter()):
            if device.user_id in excluded:
                continue
            if included is not None and device.user_id not in included:
                continue
            yield device

    return chosen(), ()


def _members_of(backend: TenantBackend, group_ids: Iterable[str]) -> frozenset[str]:
    ids: set[str] = set()
    for group_id in group_ids:
        ids.update(backend.list_group_member_ids(group_id))
    return frozenset(ids)


def _policy_audience(backend: TenantBackend) -> tuple[frozenset[str] | None, frozenset[str]]:
    """(included user ids or None for everyone, excluded user ids) of pinreset's policy as assigned in the tenant.

    Without a desired state the devices to act on are those the deployed policy reaches, never more: a restart
    of every device in the tenant for a policy assigned to a pilot group would be a costly surprise.

    Raises:
        ConfigurationError: the tenant has no pinreset policy, or it is assigned to nobody.
    """
    marked = [p for p in backend.list_policies() if is_ours(p)]
    if not marked:
        raise ConfigurationError(
            "say which devices: no pinreset policy in the tenant to take its targets from "
            "(pass a desired state, a group or device names)"
        )
    # Several marked policies (a method change under way): their assignments together.
    targets = [t for p in marked for t in p.assignments]
    everyone = any(isinstance(t, (AllUsersTarget, AllDevicesTarget)) for t in targets)
    groups = [t.group_id for t in targets if isinstance(t, GroupTarget)]
    if not everyone and not groups:
        raise ConfigurationError("say which devices: pinreset's policy is not assigned to anyone")
    excluded = _members_of(backend, dict.fromkeys(t.group_id for t in targets if isinstance(t, ExclusionGroupTarget)))
    return (None if everyone else _members_of(backend, dict.fromkeys(groups))), excluded


def _run(
    backend: TenantBackend,
    action: DeviceAction,
    ids: Sequence[str],
    progress: Progress | None,
) -> tuple[DeviceActionResult, ...]:
    """One result per id: duplicates dropped, ids the backend did not answer for recorded as failed."""
    wanted = set(ids)
    got: dict[str, DeviceActionResult] = {}
    reason = "no result reported for this device; run the step again"
    if ids:
        try:
            for result in backend.run_device_action(action, ids):
                if result.device_id in wanted and result.device_id not in got:
                    got[result.device_id] = result
                    if progress is not None:
                        progress(len(got), len(ids))
        except PinresetError as exc:
            # The bulk request gave up part way (network, throttling past every retry): the devices answered so
            # far keep their results, every other one is recorded as failed with the cause, so a re-run with
            # ``only_failed`` picks up exactly those.
            reason = f"not confirmed: {exc}"
    for device_id in ids:
        if device_id not in got:
            got[device_id] = DeviceActionResult(
                device_id=device_id, action=action, outcome=ActionOutcome.FAILED, error=reason
            )
    return tuple(got[i] for i in ids)


def _sync_with_retries(
    backend: TenantBackend, ids: Sequence[str], progress: Progress | None, retries: int
) -> tuple[DeviceActionResult, ...]:
    """Sync, then re-send to the devices that failed, up to ``retries`` times.

    Only syncs are re-sent on their own: a second sync is harmless, whereas a restart whose confirmation was lost
    may have happened, and a second one would cost the user their work again.
    """
    results = {r.device_id: r for r in _run(backend, DeviceAction.SYNC, ids, progress)}
    for _ in range(retries):
        failed = [i for i in ids if results[i].outcome is ActionOutcome.FAILED]
        if not failed:
            break
        results.update({r.device_id: r for r in _run(backend, DeviceAction.SYNC, failed, None)})
    return tuple(results[i] for i in ids)


def sync_devices(
    backend: TenantBackend,
    desired: DesiredState | None = None,
    *,
    restart: bool = False,
    device_names: Sequence[str] | None = None,
    group: str | None = None,
    only_failed: SyncResult | None = None,
    skip_synced_since: datetime | None = None,
    progress: Progress | None = None,
    retries: int = 2,
) -> SyncResult:
    """Sync the targeted Windows devices in bulk; restart them too only when ``restart`` is True.

    Args:
        backend: the tenant.
        desired: target the devices of its assignment (see :func:`select_devices`); ``None`` with no
            ``device_names`` or ``group``: the devices pinreset's policy in the tenant is assigned to.
        restart: also restart every device whose sync succeeded (users lose unsaved work: opt in explicitly).
        device_names: target these devices instead.
        group: target the devices of this group's members instead.
        only_failed: re-run only the devices that failed in this earlier result.
        skip_synced_since: leave out devices that checked in at or after this time (resume a long run).
        progress: called with (done, total) as results arrive.
        retries: re-send the sync to devices whose sync failed, up to this many times (restarts are never
            re-sent on their own: a restart whose answer was lost may have happened).

    Returns:
        one sync result per targeted device (and one restart result per synced device when asked).

    Raises:
        ConfigurationError: nothing says which devices, or a group does not exist.
    """
    started = datetime.now(timezone.utc)
    names: dict[str, str] = {}
    skipped: list[str] = []
    missing: tuple[str, ...] = ()
    if only_failed is not None:
        names = {i: only_failed.devices.get(i, i) for i in only_failed.failed_ids}
    else:
        devices, missing = select_devices(backend, desired, device_names=device_names, group=group)
        for device in devices:
            if skip_synced_since is not None and device.last_sync is not None and device.last_sync >= skip_synced_since:
                skipped.append(device.id)
                continue
            names[device.id] = device.device_name
    ids = list(names)
    synced = _sync_with_retries(backend, ids, progress, retries)
    restarted: tuple[DeviceActionResult, ...] = ()
    if restart:
        ok = [r.device_id for r in synced if r.outcome is ActionOutcome.SUCCEEDED]
        restarted = _run(backend, DeviceAction.RESTART, ok, progress)
    return SyncResult(
        devices=names, sync=synced, restart=restarted, skipped=tuple(skipped), missing_names=missing, started=started
    )


def restart_devices(
    backend: TenantBackend,
    desired: DesiredState | None = None,
    *,
    device_names: Sequence[str] | None = None,
    group: str | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Restart the targeted Windows devices without syncing them first (they synced earlier).

    Targets as :func:`sync_devices` does. Restarting loses users' unsaved work: call it deliberately.

    Returns:
        a result whose ``restart`` holds one result per targeted device (``sync`` is empty).

    Raises:
        ConfigurationError: nothing says which devices, or a group does not exist.
    """
    started = datetime.now(timezone.utc)
    devices, missing = select_devices(backend, desired, device_names=device_names, group=group)
    names = {d.id: d.device_name for d in devices}
    restarted = _run(backend, DeviceAction.RESTART, list(names), progress)
    return SyncResult(devices=names, sync=(), restart=restarted, missing_names=missing, started=started)
