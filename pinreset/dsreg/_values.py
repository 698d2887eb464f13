"""Value types of ``dsregcmd /status`` fields and the converters from printed text to them.

Every converter takes the printed value (already stripped) and returns ``(value, lossy)``: ``lossy`` is true
when the printed text said more than the typed value can hold (``ERROR``, ``NOT SET``, ``YES ( StateReady )``,
a time that does not parse), so the builder keeps that text in the model's ``raw`` mapping. Converters never
raise: a value that cannot be typed becomes ``None`` and its text is kept.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "CanReset",
    "Converter",
    "JoinState",
    "PreReqResult",
    "to_can_reset",
    "to_flag",
    "to_guid",
    "to_int",
    "to_pre_req_result",
    "to_text",
    "to_time",
]

Converter = Callable[[str], "tuple[Any, bool]"]


class _OpenStrEnum(str, enum.Enum):
    """A string enum that keeps values it does not know instead of rejecting them.

    ``CanReset("SomethingNew")`` returns a member-like object named ``UNRECOGNIZED`` whose value is the text as
    printed; it compares equal to that text. Lookup ignores case, so ``"destructiveonly"`` finds the member.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        folded = value.casefold()
        for member in cls:
            if member.value.casefold() == folded:
                return member
        # A pseudo-member: not cached in the class, so arbitrary input cannot grow it.
        pseudo = str.__new__(cls, value)
        pseudo._name_ = "UNRECOGNIZED"
        pseudo._value_ = value
        return pseudo

    @property
    def is_known(self) -> bool:
        """True for the values Microsoft documents; False for a value this version has not seen."""
        return self._name_ != "UNRECOGNIZED"


class CanReset(_OpenStrEnum):
    """User State ``CanReset``: which PIN resets the user's Windows Hello container supports."""

    DESTRUCTIVE_ONLY = "DestructiveOnly"
    NON_DESTRUCTIVE_ONLY = "NonDestructiveOnly"
    DESTRUCTIVE_AND_NON_DESTRUCTIVE = "DestructiveAndNonDestructive"
    UNKNOWN = "Unknown"

    @property
    def non_destructive(self) -> bool:
        """True when a non-destructive reset is possible."""
        return self in (CanReset.NON_DESTRUCTIVE_ONLY, CanReset.DESTRUCTIVE_AND_NON_DESTRUCTIVE)


class PreReqResult(_OpenStrEnum):
    """Ngc Prerequisite Check ``PreReqResult``: whether Windows will provision Windows Hello for the user."""

    WILL_PROVISION = "WillProvision"
    WILL_NOT_PROVISION = "WillNotProvision"


class JoinState(enum.Enum):
    """How the device is joined, per the join matrix of Microsoft's dsregcmd troubleshooting page."""

    ENTRA_JOINED = "entra_joined"
    HYBRID_JOINED = "hybrid_joined"
    DOMAIN_JOINED = "domain_joined"
    ON_PREM_DRS_JOINED = "on_prem_drs_joined"
    REGISTERED = "registered"
    NOT_JOINED = "not_joined"
    UNKNOWN = "unknown"


_UTC = timezone.utc
_GUID = re.compile(r"\{?\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\s*\}?")


def to_text(value: str) -> tuple[str | None, bool]:
    """Text as printed; a key printed with an empty value gives ``""`` (``None`` means not printed)."""
    return value, False


def to_flag(value: str) -> tuple[bool | None, bool]:
    """``YES``/``NO`` as a bool; ``YES ( StateReady )`` is True (lossy); ``ERROR``/``NOT SET`` are None (lossy)."""
    upper = value.upper()
    if upper == "YES":
        return True, False
    if upper == "NO":
        return False, False
    if upper[:3] == "YES" and not upper[3:4].isalnum():
        return True, True
    if upper[:2] == "NO" and not upper[2:3].isalnum():
        return False, True
    return None, bool(value)


def to_guid(value: str) -> tuple[uuid.UUID | str | None, bool]:
    """A GUID (with or without braces) as :class:`uuid.UUID`; anything else, e.g. a redacted id, stays text."""
    if not value:
        return None, False
    match = _GUID.fullmatch(value)
    if match is None:
        return value, False
    return uuid.UUID(match.group(1)), False


def to_time(value: str) -> tuple[datetime | None, bool]:
    """``2025-03-09 11:00:27.000 UTC`` as an aware UTC datetime; anything else is None (lossy)."""
    if not value:
        return None, False
    text = value[:-4] if value.endswith(" UTC") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None, True
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC), False
    try:
        return parsed.astimezone(_UTC), False
    except (OverflowError, ValueError):
        return None, True


def to_int(value: str) -> tuple[int | None, bool]:
    """A decimal count or status code; anything else is None (lossy)."""
    if value.isascii() and value.isdigit() and len(value) < 19:
        return int(value), False
    return None, bool(value)


def to_can_reset(value: str) -> tuple[CanReset | None, bool]:
    """``CanReset`` as :class:`CanReset`; an unseen value is kept as an unrecognized member."""
    return (CanReset(value) if value else None), False


def to_pre_req_result(value: str) -> tuple[PreReqResult | None, bool]:
    """``PreReqResult`` as :class:`PreReqResult`; an unseen value is kept as an unrecognized member."""
    return (PreReqResult(value) if value else None), False
