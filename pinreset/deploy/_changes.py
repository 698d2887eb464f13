"""The typed changes a plan is made of, and the plan itself.

Every change is a frozen value with a one-line ``description`` for people; ``apply`` executes them in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from pinreset.deploy._desired import DesiredState
from pinreset.deploy._targets import describe_targets
from pinreset.models import AssignmentTarget, PinResetApp, Policy, PolicyRef, PolicySpec, TenantInfo

__all__ = [
    "AssignPolicy",
    "Change",
    "Conflict",
    "CreatePolicy",
    "CreateServicePrincipal",
    "DeletePolicy",
    "Plan",
    "PlanWarning",
    "UpdatePolicy",
]


@attrs.frozen(kw_only=True)
class CreateServicePrincipal:
    """Instantiate one of Microsoft's PIN reset apps in the tenant (``POST /servicePrincipals`` with its appId)."""

    app: PinResetApp

    @property
    def description(self) -> str:
        """One line for people."""
        return f"Create the service principal of {self.app.display_name} (appId {self.app.app_id})"


@attrs.frozen(kw_only=True)
class CreatePolicy:
    """Create pinreset's policy from ``spec`` (its description carries the marker)."""

    spec: PolicySpec

    @property
    def description(self) -> str:
        """One line for people."""
        kind = self.spec.kind.value.replace("_", " ")
        return f"Create {kind} policy {self.spec.name!r} enabling Windows Hello for Business and PIN recovery"


@attrs.frozen(kw_only=True)
class UpdatePolicy:
    """Bring pinreset's existing policy back to ``after``.

    Attributes:
        ref: the policy.
        before: the policy as read.
        after: what it should be.
        fields: which fields differ (``name``, ``pin_recovery``, ``pin_recovery_user``, ``windows_hello``,
            ``web_sign_in_allowed_urls``).
    """

    ref: PolicyRef
    before: Policy
    after: PolicySpec
    fields: tuple[str, ...]

    @property
    def description(self) -> str:
        """One line for people."""
        return f"Update policy {self.before.name!r}: {', '.join(self.fields)}"


@attrs.frozen(kw_only=True)
class AssignPolicy:
    """Replace the assignment set of pinreset's policy.

    Attributes:
        ref: the policy, or ``None`` for the policy a preceding :class:`CreatePolicy` of the same plan creates.
        before: the targets in force now.
        after: the targets wanted.
        labels: group id -> display name, for descriptions.
    """

    ref: PolicyRef | None
    before: tuple[AssignmentTarget, ...]
    after: tuple[AssignmentTarget, ...]
    labels: Mapping[str, str] = attrs.field(factory=dict, eq=False)

    @property
    def description(self) -> str:
        """One line for people."""
        which = "the new policy" if self.ref is None else "the policy"
        now = describe_targets(self.before, self.labels)
        return f"Assign {which} to {describe_targets(self.after, self.labels)} (now: {now})"


@attrs.frozen(kw_only=True)
class DeletePolicy:
    """Delete a policy pinreset created that is no longer wanted (a duplicate, or left over by a method change)."""

    ref: PolicyRef
    name: str
    reason: str

    @property
    def description(self) -> str:
        """One line for people."""
        return f"Delete policy {self.name!r} ({self.reason})"


Change = CreateServicePrincipal | CreatePolicy | UpdatePolicy | AssignPolicy | DeletePolicy


@attrs.frozen(kw_only=True)
class PlanWarning:
    """Something a person must know or do that ``apply`` will not do.

    Attributes:
        code: stable machine-readable code, e.g. ``federated_without_web_sign_in``.
        message: one line for people, saying how to fix it.
    """

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@attrs.frozen(kw_only=True)
class Conflict:
    """A policy pinreset does not manage that turns PIN recovery off or blocks Windows Hello for the same users.

    Attributes:
        policy: the conflicting policy.
        reasons: what it sets (``PIN recovery off``, ``Windows Hello for Business blocked``).
        overlap: why its targets overlap ours (``all users``, ``group 'Pilot'``, ``shared members``...).
    """

    policy: Policy
    reasons: tuple[str, ...]
    overlap: str

    @property
    def description(self) -> str:
        """One line for people."""
        kind = self.policy.kind.value.replace("_", " ")
        return f"{kind} policy {self.policy.name!r} sets {' and '.join(self.reasons)} for {self.overlap}"


@attrs.frozen(kw_only=True)
class Plan:
    """What ``apply`` would do to reach ``desired``; made by :func:`pinreset.plan` with reads only.

    Attributes:
        desired: the desired state this plan reaches.
        tenant: the tenant it was made for.
        changes: the changes in execution order; empty when the tenant is already in the desired state.
        warnings: what a person must know or do besides (consent, federation, conflicts, disabled apps).
        conflicts: policies elsewhere in the tenant working against this one.
    """

    desired: DesiredState
    tenant: TenantInfo
    changes: tuple[Change, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the tenant is already in the desired state."""
        return not self.changes

    def __repr__(self) -> str:
        return f"Plan(tenant={self.tenant.id!r}, changes={len(self.changes)}, warnings={len(self.warnings)})"

    def __str__(self) -> str:
        lines = [f"{n}. {c.description}" for n, c in enumerate(self.changes, 1)] or ["no changes"]
        return "\n".join(lines + [f"! {w.message}" for w in self.warnings])

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the changes in order, warnings."""
        from pinreset.reports._html import plan_html

        return plan_html(self)

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per change (columns ``step, type, description, policy_id, fields``; docs/reports.md)."""
        from pinreset.reports._tabular import plan_records

        return plan_records(self)

    def to_dataframe(self) -> Any:
        """:meth:`to_records` as a pandas DataFrame (raises ConfigurationError without pandas)."""
        from pinreset.reports._tabular import CHANGE_COLUMNS, to_dataframe

        return to_dataframe(self.to_records(), CHANGE_COLUMNS)

    def write_csv(self, target: str | Path | IO[str], *, raw: bool = False) -> None:
        """Write :meth:`to_records` as CSV to a path or an open text file.

        Formula-like text gets a leading ``'`` unless ``raw`` (see :func:`pinreset.reports.to_csv`).
        """
        from pinreset.reports._tabular import CHANGE_COLUMNS, write_csv

        write_csv(self.to_records(), CHANGE_COLUMNS, target, raw=raw)

    def write_json(self, target: str | Path | IO[str]) -> None:
        """Write :meth:`to_records` as a JSON array to a path or an open text file."""
        from pinreset.reports._tabular import CHANGE_COLUMNS, write_json

        write_json(self.to_records(), CHANGE_COLUMNS, target)
