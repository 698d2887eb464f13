"""``status``: is the tenant ready for non-destructive PIN reset, and if not, why and how to fix it."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from pinreset.backends import TenantBackend
from pinreset.deploy._changes import Conflict, PlanWarning
from pinreset.deploy._compare import Drift, choose_ours, drift, is_ours, wanted_spec
from pinreset.deploy._conflicts import find_conflicts
from pinreset.deploy._consent import consent_urls
from pinreset.deploy._desired import DesiredState, Method
from pinreset.deploy._eligibility import Eligibility, eligibility
from pinreset.deploy._plan import TenantSnapshot, member_lookup, read_tenant
from pinreset.deploy._targets import describe_targets, same_targets, wanted_targets
from pinreset.models import (
    PIN_RESET_APPS,
    AllUsersTarget,
    AssignmentTarget,
    DeviceFilter,
    ExclusionGroupTarget,
    PinResetApp,
    Policy,
    PolicyKind,
    PolicySpec,
    TenantInfo,
)

_PROGRESS_EVERY = 250

# The path Microsoft's article (and scripts copied from it) print; the CSP reference has no "Policy/" segment.
_BAD_OMA_PATH = "/Vendor/MSFT/Policy/PassportForWork"

__all__ = ["AppState", "AppStatus", "DeviceReport", "PolicyState", "PolicyStatus", "TenantReport", "status"]


class AppState(enum.Enum):
    """The state of one PIN reset app's service principal."""

    PRESENT = "present"
    MISSING = "missing"
    DISABLED = "disabled"


@attrs.frozen(kw_only=True)
class AppStatus:
    """One PIN reset app.

    Attributes:
        app: which app.
        state: present, missing or disabled.
        service_principal_id: its object id in the tenant, when present.
        fix: how to fix it, when not present.
    """

    app: PinResetApp
    state: AppState
    service_principal_id: str | None = None
    fix: str | None = None


class PolicyState(enum.Enum):
    """The state of pinreset's policy."""

    IN_SYNC = "in_sync"
    MISSING = "missing"
    DRIFTED = "drifted"
    UNASSIGNED = "unassigned"
    ASSIGNED_ELSEWHERE = "assigned_elsewhere"


@attrs.frozen(kw_only=True)
class PolicyStatus:
    """pinreset's policy (the one carrying the marker).

    Attributes:
        state: the most pressing state (drift first, then assignment).
        policy: the policy, when it exists.
        drift: the fields that differ from what is wanted.
        assigned_to: its assignment in words.
        expected_assignment: the wanted assignment in words (only when a desired state was given).
        duplicates: other policies carrying the marker (``pinreset apply`` deletes them).
        assignment: the assignment's own state (``IN_SYNC``, ``UNASSIGNED`` or ``ASSIGNED_ELSEWHERE``), kept
            when drift takes precedence in ``state`` so that ``problems`` names both.
    """

    state: PolicyState
    policy: Policy | None = None
    drift: tuple[Drift, ...] = ()
    assigned_to: str = "nobody"
    expected_assignment: str | None = None
    duplicates: tuple[Policy, ...] = ()
    assignment: PolicyState = PolicyState.IN_SYNC


@attrs.frozen(kw_only=True)
class DeviceReport:
    """The managed Windows devices.

    Attributes:
        total: Windows managed devices.
        by_policy_state: Intune's per-device state of pinreset's policy (``succeeded``, ``pending``...).
        by_eligibility: counts by OS build and join type (``eligible``, ``os_too_old``, ``not_joined``...).
    """

    total: int
    by_policy_state: Mapping[str, int] = attrs.field(factory=dict)
    by_eligibility: Mapping[str, int] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class TenantReport:
    """Everything ``status`` found.

    Attributes:
        tenant: the organization.
        apps: both PIN reset apps.
        policy: pinreset's policy.
        conflicts: policies elsewhere that work against it.
        warnings: further findings with their fixes (federation, duplicates...).
        devices: device counts, or ``None`` when not requested.
    """

    tenant: TenantInfo
    apps: tuple[AppStatus, ...]
    policy: PolicyStatus
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    devices: DeviceReport | None = None

    @property
    def problems(self) -> tuple[str, ...]:
        """Every finding that keeps the tenant from being ready, in words (empty: ready)."""
        found = [f"{a.app.display_name} is {a.state.value}" for a in self.apps if a.state is not AppState.PRESENT]
        if self.policy.state is PolicyState.MISSING:
            found.append("the PIN recovery policy is missing")
        found.extend(f"the policy has drifted: {d.message}" for d in self.policy.drift)
        if self.policy.assignment is PolicyState.UNASSIGNED:
            found.append("the policy is not assigned")
        elif self.policy.assignment is PolicyState.ASSIGNED_ELSEWHERE:
            found.append(
                f"the policy is assigned to {self.policy.assigned_to}, not {self.policy.expected_assignment}"
            )
        found.extend(f"conflict: {c.description}" for c in self.conflicts)
        found.extend(w.message for w in self.warnings if w.code == "federated_without_web_sign_in")
        return tuple(found)

    @property
    def ready(self) -> bool:
        """True when nothing stands in the way (devices still need a sync and a restart)."""
        return not self.problems

    def __repr__(self) -> str:
        devices = self.devices.total if self.devices is not None else None
        return (f"TenantReport(tenant={self.tenant.id!r}, ready={self.ready}, problems={len(self.problems)}, "
                f"policy={self.policy.state.value!r}, devices={devices})")

    def __str__(self) -> str:
        name = self.tenant.display_name or self.tenant.id
        if self.ready:
            return f"tenant {name}: ready"
        return f"tenant {name}: not ready\n" + "\n".join(f"- {p}" for p in self.problems)

    def _repr_html_(self) -> str:
        """Jupyter's rich display: readiness, problems, apps, policy, conflicts, device counts."""
        from pinreset.reports._html import tenant_report_html

        return tenant_report_html(self)

    def to_records(self, table: str = "devices") -> list[dict[str, Any]]:
        """Plain dicts of one table: ``apps``, ``policies`` or ``devices`` (counts); columns in docs/reports.md.

        Raises:
            ConfigurationError: unknown ``table``.
        """
        from pinreset.reports._tabular import tenant_records

        return tenant_records(self, table)

    def to_dataframe(self, table: str = "devices") -> Any:
        """:meth:`to_records` as a pandas DataFrame (raises ConfigurationError without pandas)."""
        from pinreset.reports._tabular import tenant_columns, to_dataframe

        return to_dataframe(self.to_records(table), tenant_columns(table))

    def write_csv(self, target: str | Path | IO[str], table: str = "devices", *, raw: bool = False) -> None:
        """Write one table as CSV to a path or an open text file.

        Formula-like text gets a leading ``'`` unless ``raw`` (see :func:`pinreset.reports.to_csv`).
        """
        from pinreset.reports._tabular import tenant_columns, write_csv

        write_csv(self.to_records(table), tenant_columns(table), target, raw=raw)

    def write_json(self, target: str | Path | IO[str], table: str = "devices") -> None:
        """Write one table as a JSON array to a path or an open text file."""
        from pinreset.reports._tabular import tenant_columns, write_json

        write_json(self.to_records(table), tenant_columns(table), target)

    def plot(self) -> Any:
        """A matplotlib Figure: devices by eligibility and by Intune policy state.

        Raises:
            ConfigurationError: matplotlib is not installed, or the report was made without devices.
        """
        from pinreset.exceptions import ConfigurationError
        from pinreset.reports._charts import counts_figure

        if self.devices is None:
            raise ConfigurationError("this report has no device counts: run status with devices=True")
        return counts_figure([
            ("eligibility (Intune inventory)", dict(self.devices.by_eligibility)),
            ("policy state (Intune)", dict(self.devices.by_policy_state)),
        ])


def _apps(snapshot: TenantSnapshot) -> tuple[AppStatus, ...]:
    urls = consent_urls()
    result = []
    for app in PIN_RESET_APPS:
        sp = snapshot.service_principals.get(app.app_id)
        if sp is None:
            fix = f"run `pinreset apply`, or have an Application Administrator consent at {urls[app]}"
            result.append(AppStatus(app=app, state=AppState.MISSING, fix=fix))
        elif sp.account_enabled is False:
            fix = (
                "Entra admin center > Enterprise applications > the app > Properties: "
                "'Enabled for users to sign-in?' = Yes"
            )
            result.append(AppStatus(app=app, state=AppState.DISABLED, service_principal_id=sp.id, fix=fix))
        else:
            result.append(AppStatus(app=app, state=AppState.PRESENT, service_principal_id=sp.id))
    return tuple(result)


def _ours(snapshot: TenantSnapshot, desired: DesiredState | None) -> tuple[Policy | None, tuple[Policy, ...]]:
    if desired is not None:
        return choose_ours(snapshot.policies, desired.method.kind, desired.name)
    marked = [p for p in snapshot.policies if is_ours(p)]
    if not marked:
        return None, ()
    kinds = [m.kind for m in Method]
    kind = min((p.kind for p in marked), key=lambda k: kinds.index(k) if k in kinds else len(kinds))
    return choose_ours(marked, kind, marked[0].name)


def _policy_status(
    snapshot: TenantSnapshot,
    desired: DesiredState | None,
    wanted: tuple[AssignmentTarget, ...] | None,
) -> PolicyStatus:
    keeper, surplus = _ours(snapshot, desired)
    labels = snapshot.labels
    expected = describe_targets(wanted, labels) if wanted is not None else None
    if keeper is None:
        return PolicyStatus(state=PolicyState.MISSING, expected_assignment=expected, duplicates=surplus)
    if desired is not None:
        spec = wanted_spec(desired)
    else:
        # Without a desired state only the settings that matter for PIN reset are judged, not name or URLs.
        spec = PolicySpec(
            kind=keeper.kind,
            name=keeper.name,
            web_sign_in_allowed_urls=tuple(keeper.settings.web_sign_in_allowed_urls or ()),
        )
    drifted = drift(keeper, spec)
    assigned = describe_targets(keeper.assignments, labels)
    if all(isinstance(t, ExclusionGroupTarget) for t in keeper.assignments):
        assignment = PolicyState.UNASSIGNED
    elif wanted is not None and not same_targets(keeper.assignments, wanted):
        assignment = PolicyState.ASSIGNED_ELSEWHERE
    else:
        assignment = PolicyState.IN_SYNC
    return PolicyStatus(
        state=PolicyState.DRIFTED if drifted else assignment, policy=keeper, drift=drifted, assigned_to=assigned,
        expected_assignment=expected, duplicates=surplus, assignment=assignment,
    )


def _devices(
    backend: TenantBackend, policy: Policy | None, progress: Callable[[int, int], None] | None
) -> DeviceReport:
    by_eligibility: Counter[str] = Counter()
    total = 0
    read = 0
    for device in backend.list_managed_devices(DeviceFilter()):
        total += 1
        by_eligibility[eligibility(device).value] += 1
        read += 1
        if progress is not None and read % _PROGRESS_EVERY == 0:
            progress(read, 0)
    by_state: Counter[str] = Counter()
    if policy is not None:
        for entry in backend.policy_device_statuses(policy.ref):
            by_state[entry.state.value] += 1
            read += 1
            if progress is not None and read % _PROGRESS_EVERY == 0:
                progress(read, 0)
    order = [e.value for e in Eligibility]
    return DeviceReport(
        total=total,
        by_policy_state=dict(sorted(by_state.items())),
        by_eligibility={k: by_eligibility[k] for k in order if by_eligibility[k]},
    )


def status(
    backend: TenantBackend,
    desired: DesiredState | None = None,
    *,
    devices: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> TenantReport:
    """Report whether the tenant is ready for non-destructive PIN reset, and what stands in the way.

    Args:
        backend: the tenant.
        desired: judge assignment, name and web sign-in URLs against this state too; without it, pinreset's
            policy is judged on the PIN reset settings alone.
        devices: also count managed devices by policy state and eligibility (one pass over the inventory).
        progress: called with (records read, 0 = total unknown) during the device passes, which are long on
            large tenants.

    Returns:
        the report; ``report.ready`` and ``report.problems`` summarise it.

    Raises:
        ConfigurationError: a group named in ``desired`` does not exist.
        BackendError: the tenant could not be read.
    """
    snapshot = read_tenant(backend, desired.group_names if desired is not None else ())
    wanted = wanted_targets(desired, snapshot.groups) if desired is not None else None
    policy = _policy_status(snapshot, desired, wanted)
    reference: tuple[AssignmentTarget, ...]
    if wanted is not None:
        reference = wanted
    elif policy.policy is not None and policy.policy.assignments:
        reference = policy.policy.assignments
    else:
        reference = (AllUsersTarget(),)
    conflicts = find_conflicts(snapshot.policies, reference, member_lookup(backend), snapshot.labels)
    warnings = []
    urls = desired.web_sign_in_allowed_urls if desired is not None else ()
    if policy.policy is not None and not urls:
        urls = tuple(policy.policy.settings.web_sign_in_allowed_urls or ())
    if snapshot.tenant.is_federated and not urls:
        warnings.append(
            PlanWarning(
                code="federated_without_web_sign_in",
                message=f"the tenant is federated ({', '.join(snapshot.tenant.federated_domains)}) but the policy "
                "sets no web sign-in allowed URLs: run `pinreset apply --web-sign-in-url <IdP sign-in domain>`",
            )
        )
    if policy.duplicates:
        names = ", ".join(repr(p.name) for p in policy.duplicates)
        warnings.append(
            PlanWarning(
                code="duplicate_policies",
                message=f"other pinreset policies exist ({names}): `pinreset apply` removes them",
            )
        )
    if any(p.kind is PolicyKind.CUSTOM_OMA_URI and _BAD_OMA_PATH in str(p.raw) for p in snapshot.policies):
        warnings.append(
            PlanWarning(
                code="suspicious_oma_uri",
                message="a custom profile uses ./Vendor/MSFT/Policy/PassportForWork/...: the CSP path is "
                "./Device/Vendor/MSFT/PassportForWork/<tenant id>/Policies/EnablePinRecovery",
            )
        )
    return TenantReport(
        tenant=snapshot.tenant,
        apps=_apps(snapshot),
        policy=policy,
        conflicts=conflicts,
        warnings=tuple(warnings),
        devices=_devices(backend, policy.policy, progress) if devices else None,
    )
