"""Assignment targets: building the wanted set, comparing sets, and describing them to people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from pinreset.deploy._desired import AllUsers, DesiredState
from pinreset.exceptions import ConfigurationError
from pinreset.models import (
    AllDevicesTarget,
    AllUsersTarget,
    AssignmentTarget,
    ExclusionGroupTarget,
    Group,
    GroupTarget,
    UnknownTarget,
)

__all__ = ["describe_target", "describe_targets", "resolve_groups", "same_targets", "wanted_targets"]


def resolve_groups(names: Iterable[str], found: Mapping[str, Group]) -> dict[str, Group]:
    """Match group names to the groups the backend found.

    Args:
        names: the names the desired state uses.
        found: what ``backend.find_groups`` returned.

    Returns:
        name -> group, for every name.

    Raises:
        ConfigurationError: naming the first group that does not exist.
    """
    resolved: dict[str, Group] = {}
    for name in names:
        group = found.get(name)
        if group is None:
            raise ConfigurationError(f"group {name!r} not found in the tenant (names are matched exactly)")
        resolved[name] = group
    return resolved


def wanted_targets(desired: DesiredState, groups: Mapping[str, Group]) -> tuple[AssignmentTarget, ...]:
    """The assignment targets ``desired`` asks for, with group names resolved through ``groups``."""
    targets: list[AssignmentTarget] = []
    if isinstance(desired.assign_to, AllUsers):
        targets.append(AllUsersTarget())
    else:
        targets.extend(GroupTarget(group_id=groups[name].id) for name in desired.assign_to.names)
    if desired.exclude is not None:
        targets.extend(ExclusionGroupTarget(group_id=groups[name].id) for name in desired.exclude.names)
    return tuple(targets)


def _key(target: AssignmentTarget) -> tuple[object, ...]:
    if isinstance(target, UnknownTarget):
        return (target.odata_type, tuple(sorted((str(k), repr(v)) for k, v in target.raw.items())))
    return (type(target).__name__, *(repr(v) for v in attrs.astuple(target, recurse=False)))


def same_targets(a: Iterable[AssignmentTarget], b: Iterable[AssignmentTarget]) -> bool:
    """True when two assignment sets are equal, ignoring order and repetitions."""
    return {_key(t) for t in a} == {_key(t) for t in b}


def describe_target(target: AssignmentTarget, labels: Mapping[str, str]) -> str:
    """One target in words, using ``labels`` (group id -> name) where it can."""
    if isinstance(target, AllUsersTarget):
        text = "all users"
    elif isinstance(target, AllDevicesTarget):
        text = "all devices"
    elif isinstance(target, GroupTarget):
        text = f"group {labels.get(target.group_id, target.group_id)!r}"
    elif isinstance(target, ExclusionGroupTarget):
        return f"excluding group {labels.get(target.group_id, target.group_id)!r}"
    else:
        return target.odata_type.rsplit(".", 1)[-1]
    if target.filter_id:
        text += f" ({target.filter_type or 'include'} filter {target.filter_id})"
    return text


def describe_targets(targets: Iterable[AssignmentTarget], labels: Mapping[str, str]) -> str:
    """A target set in words; ``nobody`` when empty."""
    words = [describe_target(t, labels) for t in targets]
    return ", ".join(words) if words else "nobody"
