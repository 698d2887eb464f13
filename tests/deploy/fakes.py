"""An in-memory TenantBackend for the planner's unit tests (end-to-end tests use the emulator)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from types import TracebackType

from pinreset.backends._views import device_matches
from pinreset.exceptions import NotFoundError, PermissionDeniedError, PinresetError, TransportError
from pinreset.models import (
    PIN_RESET_APPS,
    ActionOutcome,
    AssignmentTarget,
    DeviceAction,
    DeviceActionResult,
    DeviceFilter,
    DevicePolicyStatus,
    Group,
    JoinType,
    ManagedDevice,
    Policy,
    PolicyDeviceState,
    PolicyKind,
    PolicyRef,
    PolicySettings,
    PolicySpec,
    ServicePrincipal,
    TenantInfo,
)

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class FakeTenantBackend:
    """Keeps a tenant in dicts, counts writes, and fails chosen operations on request."""

    name = "fake"

    def __init__(self, *, federated: bool = False) -> None:
        self.tenant = TenantInfo(
            id="00000000-0000-0000-0000-00000000abcd",
            display_name="Contoso",
            verified_domains=("contoso.com",),
            default_domain="contoso.com",
            federated_domains=("contoso.com",) if federated else (),
        )
        self.sps: dict[str, ServicePrincipal] = {}
        self.groups: dict[str, Group] = {}
        self.members: dict[str, set[str]] = {}
        self.policies: dict[str, Policy] = {}
        self.devices: dict[str, ManagedDevice] = {}
        self.statuses: dict[str, list[DevicePolicyStatus]] = {}
        self.writes: list[str] = []
        self.fail: dict[str, PinresetError] = {}
        self.fail_once: dict[str, PinresetError] = {}
        self.drop_results_for: set[str] = set()
        self.break_after: int | None = None
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)

    # -- helpers for tests ------------------------------------------------------------------------------------
    def add_group(self, name: str, members: Sequence[str] = ()) -> Group:
        """Create a group with the given member ids."""
        group = Group(id=f"group-{next(self._ids)}", display_name=name)
        self.groups[group.id] = group
        self.members[group.id] = set(members)
        return group

    def add_policy(self, policy: Policy) -> Policy:
        """Put a policy into the tenant as if an admin made it."""
        self.policies[policy.id] = policy
        return policy

    def add_devices(self, count: int, *, user_prefix: str = "user") -> list[ManagedDevice]:
        """Add Windows devices, one user each."""
        made = []
        for i in range(count):
            device = ManagedDevice(
                id=f"dev-{len(self.devices) + 1:05d}",
                device_name=f"PC-{len(self.devices) + 1:05d}",
                user_id=f"{user_prefix}-{i}",
                operating_system="Windows",
                os_version="10.0.22631.4460",
                join_type=JoinType.ENTRA_JOINED,
                last_sync=EPOCH,
            )
            self.devices[device.id] = device
            made.append(device)
        return made

    def _check(self, op: str) -> None:
        error = self.fail.get(op) or self.fail_once.pop(op, None)
        if error is not None:
            raise error

    def _write(self, op: str) -> None:
        self._check(op)
        self.writes.append(op)

    @staticmethod
    def _settings(spec: PolicySpec) -> PolicySettings:
        return PolicySettings(
            pin_recovery=spec.pin_recovery,
            windows_hello=spec.windows_hello,
            web_sign_in_allowed_urls=spec.web_sign_in_allowed_urls or None,
        )

    # -- TenantBackend --------------------------------------------------------------------------------------
    def tenant_info(self) -> TenantInfo:
        self._check("tenant_info")
        return self.tenant

    def find_service_principals(self, app_ids: Sequence[str]) -> dict[str, ServicePrincipal]:
        self._check("find_service_principals")
        return {a: self.sps[a] for a in app_ids if a in self.sps}

    def create_service_principal(self, app_id: str) -> ServicePrincipal:
        self._write("create_service_principal")
        if app_id not in self.sps:
            name = next(app.display_name for app in PIN_RESET_APPS if app.app_id == app_id)
            self.sps[app_id] = ServicePrincipal(id=f"sp-{next(self._ids)}", app_id=app_id, display_name=name)
        return self.sps[app_id]

    def find_groups(self, names: Sequence[str]) -> dict[str, Group]:
        return {g.display_name: g for g in self.groups.values() if g.display_name in names}

    def get_group(self, group_id: str) -> Group:
        if group_id not in self.groups:
            raise NotFoundError("no such group", status_code=404)
        return self.groups[group_id]

    def list_group_member_ids(self, group_id: str) -> Iterator[str]:
        return iter(sorted(self.members.get(group_id, ())))

    def list_policies(self) -> Iterator[Policy]:
        self._check("list_policies")
        return iter(list(self.policies.values()))

    def get_policy(self, ref: PolicyRef) -> Policy:
        if ref.id not in self.policies:
            raise NotFoundError("no such policy", status_code=404)
        return self.policies[ref.id]

    def create_policy(self, spec: PolicySpec) -> Policy:
        self._write("create_policy")
        ref = PolicyRef(kind=spec.kind, id=f"pol-{next(self._ids)}")
        policy = Policy(
            ref=ref, name=spec.name, description=spec.description, settings=self._settings(spec),
            created=EPOCH + timedelta(minutes=next(self._clock)),
        )
        self.policies[ref.id] = policy
        return policy

    def update_policy(self, ref: PolicyRef, spec: PolicySpec) -> Policy:
        self._write("update_policy")
        old = self.get_policy(ref)
        new = Policy(
            ref=ref, name=spec.name, description=spec.description, settings=self._settings(spec),
            assignments=old.assignments, created=old.created,
        )
        self.policies[ref.id] = new
        return new

    def delete_policy(self, ref: PolicyRef) -> None:
        self._write("delete_policy")
        if self.policies.pop(ref.id, None) is None:
            raise NotFoundError("no such policy", status_code=404)

    def assign_policy(self, ref: PolicyRef, targets: Sequence[AssignmentTarget]) -> tuple[AssignmentTarget, ...]:
        self._write("assign_policy")
        old = self.get_policy(ref)
        self.policies[ref.id] = Policy(
            ref=ref, name=old.name, description=old.description, settings=old.settings,
            assignments=tuple(targets), created=old.created,
        )
        return tuple(targets)

    def list_managed_devices(self, device_filter: DeviceFilter | None = None) -> Iterator[ManagedDevice]:
        # The same check the real backends apply on their side of the filter.
        device_filter = device_filter or DeviceFilter()
        return (d for d in self.devices.values() if device_matches(d, device_filter))

    def run_device_action(self, action: DeviceAction, device_ids: Sequence[str]) -> Iterator[DeviceActionResult]:
        self._check("run_device_action")
        for n, device_id in enumerate(device_ids):
            if self.break_after is not None and n >= self.break_after:
                raise self.fail.get("run_device_action_midway") or TransportError("connection reset")
            self.writes.append(action.value)
            if device_id in self.drop_results_for:
                continue
            outcome = ActionOutcome.SUCCEEDED if device_id in self.devices else ActionOutcome.NOT_FOUND
            yield DeviceActionResult(device_id=device_id, action=action, outcome=outcome)

    def policy_device_statuses(self, ref: PolicyRef) -> Iterator[DevicePolicyStatus]:
        return iter(self.statuses.get(ref.id, []))

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeTenantBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def denied(what: str) -> PermissionDeniedError:
    """A 403 as a backend raises it."""
    return PermissionDeniedError(
        f"Insufficient privileges to {what}", status_code=403, code="Authorization_RequestDenied"
    )


def foreign_policy(
    name: str,
    *,
    kind: PolicyKind = PolicyKind.IDENTITY_PROTECTION,
    pin_recovery: bool | None = None,
    windows_hello: bool | None = None,
    assignments: tuple[AssignmentTarget, ...] = (),
    pid: str | None = None,
) -> Policy:
    """A policy some admin made by hand."""
    return Policy(
        ref=PolicyRef(kind=kind, id=pid or f"foreign-{name}"),
        name=name,
        description="made by hand",
        settings=PolicySettings(pin_recovery=pin_recovery, windows_hello=windows_hello),
        assignments=assignments,
    )


__all__ = ["EPOCH", "FakeTenantBackend", "PolicyDeviceState", "denied", "foreign_policy"]
