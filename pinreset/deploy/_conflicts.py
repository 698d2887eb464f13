"""Find policies elsewhere in the tenant that undo ours for some of the same users.

A policy conflicts when it turns PIN recovery off (device or user scope) or blocks Windows Hello for Business,
and its assignment overlaps ours. Overlap is judged without expanding "all users"; two group sets overlap when
they share a group or, failing that, a (transitive) member — members are read only for the few policies that
set a conflicting value. Groups excluded by either policy do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from pinreset.deploy._changes import Conflict
from pinreset.deploy._compare import is_ours
from pinreset.deploy._targets import describe_target
from pinreset.models import (
    AllDevicesTarget,
    AllUsersTarget,
    AssignmentTarget,
    ExclusionGroupTarget,
    GroupTarget,
    Policy,
)

__all__ = ["MemberLookup", "conflict_reasons", "find_conflicts"]

MemberLookup = Callable[[str], frozenset[str]]


def conflict_reasons(policy: Policy) -> tuple[str, ...]:
    """What ``policy`` sets against non-destructive PIN reset, in words (empty: nothing)."""
    reasons = []
    if policy.settings.pin_recovery is False:
        reasons.append("PIN recovery off")
    if policy.settings.pin_recovery_user is False:
        reasons.append("PIN recovery (user scope) off")
    if policy.settings.blocks_windows_hello:
        reasons.append("Windows Hello for Business blocked")
    return tuple(reasons)


def _includes(targets: Iterable[AssignmentTarget]) -> tuple[bool, tuple[str, ...]]:
    broad = False
    groups: list[str] = []
    for t in targets:
        if isinstance(t, (AllUsersTarget, AllDevicesTarget)):
            broad = True
        elif isinstance(t, GroupTarget):
            groups.append(t.group_id)
    return broad, tuple(groups)


def _excluded(targets: Iterable[AssignmentTarget]) -> frozenset[str]:
    return frozenset(t.group_id for t in targets if isinstance(t, ExclusionGroupTarget))


def _overlap(
    ours: tuple[AssignmentTarget, ...],
    theirs: tuple[AssignmentTarget, ...],
    members: MemberLookup,
    labels: Mapping[str, str],
) -> str | None:
    our_broad, our_groups = _includes(ours)
    their_broad, their_groups = _includes(theirs)
    if not (their_broad or their_groups) or not (our_broad or our_groups):
        return None
    # Exclusions count on both sides: a group either policy excludes receives nothing from it.
    our_excluded, their_excluded = _excluded(ours), _excluded(theirs)
    if their_broad:
        if not our_broad and all(g in their_excluded for g in our_groups):
            return None  # every group we target is excluded from theirs
        return next(describe_target(t, labels) for t in theirs if isinstance(t, (AllUsersTarget, AllDevicesTarget)))
    their_groups = tuple(g for g in their_groups if g not in their_excluded and g not in our_excluded)
    if our_broad:
        # Every group the other policy targets holds some of "all users" (or their devices), unless we exclude it.
        return ", ".join(f"group {labels.get(g, g)!r}" for g in their_groups) if their_groups else None
    shared = [g for g in their_groups if g in our_groups]
    if shared:
        return ", ".join(f"group {labels.get(g, g)!r}" for g in shared)
    our_members = frozenset().union(*(members(g) for g in our_groups if g not in their_excluded))
    excluded = frozenset().union(*(members(g) for g in our_excluded | their_excluded))
    for g in their_groups:
        common = (members(g) & our_members) - excluded
        if common:
            return f"{len(common)} member(s) shared with group {labels.get(g, g)!r}"
    return None


def find_conflicts(
    policies: Iterable[Policy],
    our_targets: tuple[AssignmentTarget, ...],
    members: MemberLookup,
    labels: Mapping[str, str] | None = None,
) -> tuple[Conflict, ...]:
    """Policies not managed by pinreset that work against it for overlapping users.

    Args:
        policies: every policy in the tenant (pinreset's own are skipped).
        our_targets: the assignment pinreset's policy has or will have.
        members: group id -> transitive member ids (called only when group sets must be compared; cache it).
        labels: group id -> display name, for the overlap text.

    Returns:
        the conflicts, in the order the policies came.
    """
    labels = labels or {}
    conflicts: list[Conflict] = []
    for policy in policies:
        if is_ours(policy):
            continue
        reasons = conflict_reasons(policy)
        if not reasons:
            continue
        overlap = _overlap(our_targets, policy.assignments, members, labels)
        if overlap is not None:
            conflicts.append(Conflict(policy=policy, reasons=reasons, overlap=overlap))
    return tuple(conflicts)
