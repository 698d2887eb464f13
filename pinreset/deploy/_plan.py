"""``plan``: read the tenant, compare it with the desired state, list the changes. Reads only, never writes."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import attrs

from pinreset.backends import TenantBackend
from pinreset.deploy._changes import (
    AssignPolicy,
    Change,
    Conflict,
    CreatePolicy,
    CreateServicePrincipal,
    DeletePolicy,
    Plan,
    PlanWarning,
    UpdatePolicy,
)
from pinreset.deploy._compare import choose_ours, drift, is_ours, wanted_spec
from pinreset.deploy._conflicts import MemberLookup, conflict_reasons, find_conflicts
from pinreset.deploy._consent import consent_urls
from pinreset.deploy._desired import DesiredState
from pinreset.deploy._targets import resolve_groups, same_targets, wanted_targets
from pinreset.exceptions import NotFoundError
from pinreset.models import PIN_RESET_APPS, Group, Policy, ServicePrincipal, TenantInfo

__all__ = ["TenantSnapshot", "make_plan", "member_lookup", "plan", "read_tenant"]

# Conflicting policies are few; naming their groups costs one read each, so cap it for odd tenants.
_MAX_LABEL_LOOKUPS = 25


@attrs.frozen(kw_only=True)
class TenantSnapshot:
    """What one plan or status read from the tenant."""

    tenant: TenantInfo
    service_principals: Mapping[str, ServicePrincipal]
    groups: Mapping[str, Group]
    policies: tuple[Policy, ...]
    group_labels: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        """Group id -> display name for every group known to this snapshot."""
        labels = dict(self.group_labels)
        labels.update({g.id: g.display_name for g in self.groups.values()})
        return labels


def read_tenant(backend: TenantBackend, group_names: tuple[str, ...] = ()) -> TenantSnapshot:
    """Read everything a plan or a status report needs, in a handful of requests.

    Raises:
        ConfigurationError: a group name does not exist.
    """
    tenant = backend.tenant_info()
    sps = backend.find_service_principals([app.app_id for app in PIN_RESET_APPS])
    groups = resolve_groups(group_names, backend.find_groups(list(group_names))) if group_names else {}
    policies = tuple(backend.list_policies())
    return TenantSnapshot(
        tenant=tenant,
        service_principals=sps,
        groups=groups,
        policies=policies,
        group_labels=_conflict_group_labels(backend, policies, {g.id for g in groups.values()}),
    )


def _conflict_group_labels(backend: TenantBackend, policies: tuple[Policy, ...], known: set[str]) -> dict[str, str]:
    """Names of the groups pinreset's policies and possibly conflicting ones target, so reports can say
    "group 'Kiosks'" rather than an object id."""
    wanted: list[str] = []
    for policy in policies:
        if not is_ours(policy) and not conflict_reasons(policy):
            continue
        for target in policy.assignments:
            gid = getattr(target, "group_id", None)
            if isinstance(gid, str) and gid not in known and gid not in wanted:
                wanted.append(gid)
    labels: dict[str, str] = {}
    for gid in wanted[:_MAX_LABEL_LOOKUPS]:
        try:
            labels[gid] = backend.get_group(gid).display_name
        except NotFoundError:
            labels[gid] = f"{gid} (deleted group)"
    return labels


def member_lookup(backend: TenantBackend) -> MemberLookup:
    """A cached group id -> transitive member ids function over ``backend``."""

    @functools.lru_cache(maxsize=256)
    def members(group_id: str) -> frozenset[str]:
        return frozenset(backend.list_group_member_ids(group_id))

    return members


def plan(backend: TenantBackend, desired: DesiredState) -> Plan:
    """Work out what ``apply`` must change to bring the tenant to ``desired``, without changing anything.

    Args:
        backend: the tenant (any :class:`~pinreset.backends.TenantBackend`).
        desired: the wanted state.

    Returns:
        the plan: typed changes (empty when the tenant is in the desired state), warnings and conflicts.

    Raises:
        ConfigurationError: a group named in ``desired`` does not exist.
        BackendError: the tenant could not be read.
    """
    snapshot = read_tenant(backend, desired.group_names)
    return make_plan(snapshot, desired, member_lookup(backend))


def _app_changes(snapshot: TenantSnapshot, desired: DesiredState) -> tuple[list[Change], list[PlanWarning]]:
    changes: list[Change] = []
    warnings: list[PlanWarning] = []
    urls = consent_urls()
    missing = [app for app in PIN_RESET_APPS if app.app_id not in snapshot.service_principals]
    for app in missing:
        if desired.provision_apps:
            changes.append(CreateServicePrincipal(app=app))
        else:
            warnings.append(
                PlanWarning(
                    code="app_missing",
                    message=f"{app.display_name} is missing: have an admin consent at {urls[app]}",
                )
            )
    if missing and desired.provision_apps:
        warnings.append(
            PlanWarning(
                code="consent_required",
                message="creating the service principals does not grant admin consent; an Application "
                "Administrator should still open both consent URLs (`pinreset consent-urls`) and accept",
            )
        )
    for app in PIN_RESET_APPS:
        sp = snapshot.service_principals.get(app.app_id)
        if sp is not None and sp.account_enabled is False:
            warnings.append(
                PlanWarning(
                    code="app_disabled",
                    message=f"{app.display_name} is disabled: in the Entra admin center, Enterprise applications > "
                    "the app > Properties, set 'Enabled for users to sign-in?' to Yes",
                )
            )
    return changes, warnings


def make_plan(
    snapshot: TenantSnapshot,
    desired: DesiredState,
    members: MemberLookup | None = None,
) -> Plan:
    """The pure part of :func:`plan`: the diff between ``snapshot`` and ``desired``.

    Args:
        snapshot: what was read from the tenant.
        desired: the wanted state.
        members: group id -> member ids, for conflict detection between group assignments.

    Returns:
        the plan.
    """
    changes, warnings = _app_changes(snapshot, desired)
    spec = wanted_spec(desired)
    labels = snapshot.labels
    targets = wanted_targets(desired, snapshot.groups)
    keeper, surplus = choose_ours(snapshot.policies, spec.kind, spec.name)

    if keeper is None:
        changes.append(CreatePolicy(spec=spec))
        changes.append(AssignPolicy(ref=None, before=(), after=targets, labels=labels))
    else:
        fields = tuple(d.field for d in drift(keeper, spec))
        if fields:
            changes.append(UpdatePolicy(ref=keeper.ref, before=keeper, after=spec, fields=fields))
        if not same_targets(keeper.assignments, targets):
            changes.append(AssignPolicy(ref=keeper.ref, before=keeper.assignments, after=targets, labels=labels))
    # Surplus marked policies go last, once the keeper is in force, so devices are never left without one.
    for extra in surplus:
        same = extra.kind is spec.kind
        reason = "duplicate of the managed policy" if same else f"method is now {desired.method.value}"
        changes.append(DeletePolicy(ref=extra.ref, name=extra.name, reason=reason))

    if snapshot.tenant.is_federated and not desired.web_sign_in_allowed_urls:
        domains = ", ".join(snapshot.tenant.federated_domains)
        warnings.append(
            PlanWarning(
                code="federated_without_web_sign_in",
                message=f"the tenant is federated ({domains}) but no web sign-in allowed URLs are set: PIN reset "
                "above the lock screen will fail with \"We can't open that page right now\"; pass the identity "
                "provider's sign-in domains (--web-sign-in-url, with the settings-catalog or custom-oma-uri method)",
            )
        )

    lookup = members if members is not None else (lambda _gid: frozenset())
    conflicts: tuple[Conflict, ...] = find_conflicts(snapshot.policies, targets, lookup, labels)
    warnings.extend(
        PlanWarning(code="conflicting_policy", message=f"conflict: {c.description}") for c in conflicts
    )
    return Plan(
        desired=desired,
        tenant=snapshot.tenant,
        changes=tuple(changes),
        warnings=tuple(warnings),
        conflicts=conflicts,
    )
