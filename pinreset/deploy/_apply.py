"""``apply``: execute a plan's changes in order, recording an outcome for every one.

Safe to run again at any time: the plan is re-made from the tenant, and pinreset's objects are found by their
marker, so a second run changes nothing and a run after a failure picks up where the first one stopped, without
duplicating anything. A create is also guarded at execution time (a stale plan, or another run in between).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import attrs

from pinreset.backends import TenantBackend
from pinreset.deploy._changes import (
    AssignPolicy,
    Change,
    CreatePolicy,
    CreateServicePrincipal,
    DeletePolicy,
    Plan,
    UpdatePolicy,
)
from pinreset.deploy._compare import choose_ours
from pinreset.deploy._desired import DesiredState
from pinreset.deploy._plan import plan as make_plan
from pinreset.exceptions import (
    ApplyError,
    GraphError,
    NotFoundError,
    PermissionDeniedError,
    PinresetError,
    ThrottledError,
    TransportError,
)
from pinreset.models import PolicyRef

__all__ = ["ApplyResult", "ChangeOutcome", "ChangeStatus", "apply", "is_transient"]

# The Graph permission each change needs, named in the error when the credential lacks it (domain.md §8).
_PERMISSIONS: dict[type, str] = {
    CreateServicePrincipal: "Application.ReadWrite.All (and the Application Administrator role for a user)",
    CreatePolicy: "DeviceManagementConfiguration.ReadWrite.All",
    UpdatePolicy: "DeviceManagementConfiguration.ReadWrite.All",
    AssignPolicy: "DeviceManagementConfiguration.ReadWrite.All",
    DeletePolicy: "DeviceManagementConfiguration.ReadWrite.All",
}


class ChangeStatus(enum.Enum):
    """What happened to one change."""

    APPLIED = "applied"
    ALREADY_DONE = "already_done"  # the tenant had it already when the change ran (stale plan, parallel run)
    FAILED = "failed"
    RETRIED = "retried"  # failed transiently; the rest was re-planned from the tenant and carried on
    NOT_RUN = "not_run"  # an earlier change failed


@attrs.frozen(kw_only=True)
class ChangeOutcome:
    """One change and what became of it.

    Attributes:
        change: the change.
        status: its outcome.
        object_id: the id of the object created or changed, when known.
        error: the error text when it failed.
    """

    change: Change
    status: ChangeStatus
    object_id: str | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class ApplyResult:
    """What ``apply`` did.

    Attributes:
        plan: the plan applied.
        outcomes: one outcome per change executed, in order (after a transient failure, the ``retried`` change is
            followed by the changes of the fresh plan).
        policy: pinreset's policy after the run (``None`` when it was not created).
    """

    plan: Plan
    outcomes: tuple[ChangeOutcome, ...]
    policy: PolicyRef | None = None

    @property
    def changed(self) -> bool:
        """True when the run changed the tenant."""
        return any(o.status is ChangeStatus.APPLIED for o in self.outcomes)

    @property
    def complete(self) -> bool:
        """True when every change is applied or was already in place (retried ones were re-planned and done)."""
        return all(o.status is not ChangeStatus.FAILED and o.status is not ChangeStatus.NOT_RUN for o in self.outcomes)

    def count(self, status: ChangeStatus) -> int:
        """How many changes ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status is status)

    def __repr__(self) -> str:
        counts = ", ".join(f"{s.value}={self.count(s)}" for s in ChangeStatus if self.count(s))
        return f"ApplyResult(changed={self.changed}, complete={self.complete}, {counts or 'outcomes=0'})"

    def __str__(self) -> str:
        lines = [f"[{o.status.value}] {o.change.description}" + (f": {o.error}" if o.error else "")
                 for o in self.outcomes]
        return "\n".join(lines) or "no changes"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: one row per change executed."""
        from pinreset.reports._html import apply_html

        return apply_html(self)

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per change executed (``step, status, type, description, object_id, error``)."""
        from pinreset.reports._tabular import apply_records

        return apply_records(self)

    def to_dataframe(self) -> Any:
        """:meth:`to_records` as a pandas DataFrame (raises ConfigurationError without pandas)."""
        from pinreset.reports._tabular import OUTCOME_COLUMNS, to_dataframe

        return to_dataframe(self.to_records(), OUTCOME_COLUMNS)

    def write_csv(self, target: str | Path | IO[str], *, raw: bool = False) -> None:
        """Write :meth:`to_records` as CSV to a path or an open text file.

        Formula-like text gets a leading ``'`` unless ``raw`` (see :func:`pinreset.reports.to_csv`).
        """
        from pinreset.reports._tabular import OUTCOME_COLUMNS, write_csv

        write_csv(self.to_records(), OUTCOME_COLUMNS, target, raw=raw)

    def write_json(self, target: str | Path | IO[str]) -> None:
        """Write :meth:`to_records` as a JSON array to a path or an open text file."""
        from pinreset.reports._tabular import OUTCOME_COLUMNS, write_json

        write_json(self.to_records(), OUTCOME_COLUMNS, target)


class _Run:
    """The state of one apply run: the policy created so far, for the assignment that follows the create."""

    def __init__(self, backend: TenantBackend, plan: Plan) -> None:
        self.backend = backend
        self.plan = plan
        self.policy: PolicyRef | None = None

    def execute(self, change: Change) -> ChangeOutcome:
        backend = self.backend
        if isinstance(change, CreateServicePrincipal):
            existing = backend.find_service_principals([change.app.app_id]).get(change.app.app_id)
            if existing is not None:
                return ChangeOutcome(change=change, status=ChangeStatus.ALREADY_DONE, object_id=existing.id)
            sp = backend.create_service_principal(change.app.app_id)
            return ChangeOutcome(change=change, status=ChangeStatus.APPLIED, object_id=sp.id)
        if isinstance(change, CreatePolicy):
            # Guard against a stale plan: a marked policy of this kind may exist by now.
            keeper, _ = choose_ours(backend.list_policies(), change.spec.kind, change.spec.name)
            if keeper is not None:
                self.policy = keeper.ref
                return ChangeOutcome(change=change, status=ChangeStatus.ALREADY_DONE, object_id=keeper.id)
            created = backend.create_policy(change.spec)
            self.policy = created.ref
            return ChangeOutcome(change=change, status=ChangeStatus.APPLIED, object_id=created.id)
        if isinstance(change, UpdatePolicy):
            updated = backend.update_policy(change.ref, change.after)
            self.policy = updated.ref
            return ChangeOutcome(change=change, status=ChangeStatus.APPLIED, object_id=updated.id)
        if isinstance(change, AssignPolicy):
            ref = change.ref or self.policy
            if ref is None:  # pragma: no cover - a plan always creates before it assigns a new policy
                raise ApplyError("nothing to assign: the policy was not created in this run")
            backend.assign_policy(ref, change.after)
            self.policy = ref
            return ChangeOutcome(change=change, status=ChangeStatus.APPLIED, object_id=ref.id)
        try:
            backend.delete_policy(change.ref)
        except NotFoundError:
            return ChangeOutcome(change=change, status=ChangeStatus.ALREADY_DONE, object_id=change.ref.id)
        return ChangeOutcome(change=change, status=ChangeStatus.APPLIED, object_id=change.ref.id)


def _error_text(change: Change, exc: PinresetError) -> str:
    text = str(exc)
    if isinstance(exc, PermissionDeniedError):
        text += f" — the credential needs {_PERMISSIONS[type(change)]}"
    return text


def _managed_ref(run: _Run, plan: Plan) -> PolicyRef | None:
    if run.policy is not None:
        return run.policy
    for change in plan.changes:
        if isinstance(change, (UpdatePolicy, AssignPolicy)) and change.ref is not None:
            return change.ref
    return None


def is_transient(exc: PinresetError) -> bool:
    """True for failures that a fresh attempt may not meet: the network, throttling, Graph's 5xx answers."""
    if isinstance(exc, (TransportError, ThrottledError)):
        return True
    return isinstance(exc, GraphError) and (exc.status_code >= 500 or exc.status_code == 429)


def _run_round(
    run: _Run, plan: Plan, on_outcome: Callable[[ChangeOutcome], None] | None
) -> tuple[list[ChangeOutcome], int | None, PinresetError | None]:
    """Execute a plan's changes until one fails: (outcomes of the changes done, index and error of the failure)."""
    done: list[ChangeOutcome] = []
    for index, change in enumerate(plan.changes):
        try:
            outcome = run.execute(change)
        except PinresetError as exc:
            return done, index, exc
        done.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return done, None, None


def apply(
    backend: TenantBackend,
    plan: Plan | DesiredState,
    *,
    on_outcome: Callable[[ChangeOutcome], None] | None = None,
    retries: int = 2,
) -> ApplyResult:
    """Execute ``plan`` against the tenant; with a :class:`DesiredState`, plan first.

    When a change fails for a transient reason (network, throttling, a 5xx) after the client's own retries, the
    rest is re-planned from the tenant's actual state and carried on, up to ``retries`` times: the failed change
    is recorded as ``retried`` and the fresh plan's changes follow in ``outcomes``. Re-planning finds whatever the
    failed request did manage to do, so nothing is duplicated.

    Args:
        backend: the tenant.
        plan: a plan from :func:`pinreset.plan` (made just before), or a desired state to plan and apply.
        on_outcome: called after each change, e.g. to show progress.
        retries: how many times to re-plan after a transient failure (0: stop at the first failure).

    Returns:
        one outcome per change executed; ``changed`` is False when there was nothing to do.

    Raises:
        ApplyError: a change failed; ``.result`` holds the partial :class:`ApplyResult` (applied, failed and
            not-run changes). Nothing is left unreported; running ``apply`` again (with a fresh plan) resumes.
        ConfigurationError: planning from a desired state found an unknown group.
    """
    if isinstance(plan, DesiredState):
        plan = make_plan(backend, plan)
    outcomes: list[ChangeOutcome] = []
    current = plan
    run = _Run(backend, current)
    for attempt in range(retries + 1):
        run = _Run(backend, current)
        done, index, exc = _run_round(run, current, on_outcome)
        outcomes.extend(done)
        if exc is None or index is None:
            return ApplyResult(plan=plan, outcomes=tuple(outcomes), policy=_managed_ref(run, current))
        change = current.changes[index]
        if is_transient(exc) and attempt < retries:
            retried = ChangeOutcome(change=change, status=ChangeStatus.RETRIED, error=_error_text(change, exc))
            try:
                fresh = make_plan(backend, plan.desired)
            except PinresetError:
                fresh = None  # the tenant cannot be read right now either: report the original failure
            if fresh is not None:
                outcomes.append(retried)
                if on_outcome is not None:
                    on_outcome(retried)
                current = fresh
                continue
        failed = ChangeOutcome(change=change, status=ChangeStatus.FAILED, error=_error_text(change, exc))
        outcomes.append(failed)
        outcomes.extend(ChangeOutcome(change=c, status=ChangeStatus.NOT_RUN) for c in current.changes[index + 1 :])
        if on_outcome is not None:
            on_outcome(failed)
        result = ApplyResult(plan=plan, outcomes=tuple(outcomes), policy=_managed_ref(run, current))
        done_count = result.count(ChangeStatus.APPLIED) + result.count(ChangeStatus.ALREADY_DONE)
        raise ApplyError(
            f"apply stopped at change {index + 1} of {len(current.changes)} ({change.description}): "
            f"{_error_text(change, exc)}; {done_count} change(s) done before it, "
            f"{len(current.changes) - index - 1} not run — fix the cause and run apply again to resume",
            result=result,
        ) from exc
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover
