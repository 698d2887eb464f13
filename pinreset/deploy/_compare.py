"""Pure comparisons between pinreset's policy as read and as wanted: ownership, drift, settings in words."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from pinreset.deploy._desired import MARKER, DesiredState
from pinreset.models import Policy, PolicyKind, PolicySpec

__all__ = [
    "Drift",
    "choose_ours",
    "drift",
    "is_ours",
    "wanted_spec",
]


def is_ours(policy: Policy) -> bool:
    """True when pinreset created ``policy`` (its description carries the marker)."""
    return MARKER in (policy.description or "")


def wanted_spec(desired: DesiredState) -> PolicySpec:
    """The policy spec that realises ``desired``."""
    return PolicySpec(
        kind=desired.method.kind,
        name=desired.name,
        description=desired.description,
        pin_recovery=True,
        windows_hello=True,
        web_sign_in_allowed_urls=desired.web_sign_in_allowed_urls,
    )


def choose_ours(policies: Iterable[Policy], kind: PolicyKind, name: str) -> tuple[Policy | None, tuple[Policy, ...]]:
    """Pick the one marked policy to keep; the others are surplus.

    The keeper has the wanted kind; among several, the one already carrying the wanted name, then the oldest
    (a resumed or concurrent run may have created a second one; keeping the oldest keeps the one devices know).

    Returns:
        (keeper or None, surplus marked policies).
    """
    marked = [p for p in policies if is_ours(p)]
    candidates = [p for p in marked if p.kind is kind]
    keeper: Policy | None = None
    if candidates:
        candidates.sort(key=lambda p: (p.name != name, p.created.timestamp() if p.created else float("inf"), p.id))
        keeper = candidates[0]
    surplus = tuple(p for p in marked if p is not keeper)
    return keeper, surplus


@attrs.frozen(kw_only=True)
class Drift:
    """One field of pinreset's policy that differs from what is wanted.

    Attributes:
        field: ``name``, ``pin_recovery``, ``pin_recovery_user``, ``windows_hello`` or ``web_sign_in_allowed_urls``.
        expected: the wanted value.
        actual: the value in the tenant (``None``: not configured).
        message: the difference in words, e.g. ``PIN recovery is off``.
    """

    field: str
    expected: object
    actual: object
    message: str


def _urls(value: Iterable[str] | None) -> frozenset[str]:
    return frozenset(u.strip().lower() for u in (value or ()) if u.strip())


def drift(policy: Policy, spec: PolicySpec) -> tuple[Drift, ...]:
    """How ``policy`` differs from ``spec``, field by field (empty: in the desired state)."""
    found: list[Drift] = []
    settings = policy.settings
    if policy.name != spec.name:
        found.append(Drift(field="name", expected=spec.name, actual=policy.name, message=f"is named {policy.name!r}"))
    if settings.pin_recovery is not spec.pin_recovery:
        state = "off" if settings.pin_recovery is False else "not configured"
        found.append(
            Drift(field="pin_recovery", expected=spec.pin_recovery, actual=settings.pin_recovery,
                  message=f"PIN recovery is {state}")
        )
    if settings.pin_recovery_user is False:
        # pinreset sets the device scope only; a user-scope "off" added by hand overrides it for those users.
        found.append(
            Drift(field="pin_recovery_user", expected=None, actual=False, message="PIN recovery (user scope) is off")
        )
    if settings.windows_hello is not spec.windows_hello:
        state = "blocked" if settings.windows_hello is False else "not configured"
        found.append(
            Drift(field="windows_hello", expected=spec.windows_hello, actual=settings.windows_hello,
                  message=f"Windows Hello for Business is {state}")
        )
    have, want = _urls(settings.web_sign_in_allowed_urls), _urls(spec.web_sign_in_allowed_urls)
    if have != want:
        missing, extra = sorted(want - have), sorted(have - want)
        words = []
        if missing:
            words.append(f"missing {', '.join(missing)}")
        if extra:
            words.append(f"unexpected {', '.join(extra)}")
        found.append(
            Drift(field="web_sign_in_allowed_urls", expected=tuple(sorted(want)), actual=tuple(sorted(have)),
                  message=f"web sign-in allowed URLs: {'; '.join(words)}")
        )
    return tuple(found)
