"""Which managed devices can do non-destructive PIN reset at all, judged from Intune's inventory alone."""

from __future__ import annotations

import enum

from pinreset.models import JoinType, ManagedDevice

__all__ = ["MIN_PIN_RECOVERY_BUILD", "Eligibility", "eligibility"]

#: EnablePinRecovery exists from Windows 10 1703 (build 15063), per the PassportForWork CSP reference.
MIN_PIN_RECOVERY_BUILD = 15063


class Eligibility(enum.Enum):
    """A device's eligibility as far as Intune's inventory tells."""

    ELIGIBLE = "eligible"  # Entra joined or hybrid joined, build >= 15063
    OS_TOO_OLD = "os_too_old"
    NOT_JOINED = "not_joined"  # only registered: the PIN reset service relies on an Entra joined identity
    JOIN_UNKNOWN = "join_unknown"  # supported build, join type not reported
    OS_UNKNOWN = "os_unknown"


def eligibility(device: ManagedDevice) -> Eligibility:
    """Judge one device from its OS version and join type."""
    build = device.os_build
    if build is None:
        return Eligibility.OS_UNKNOWN
    if build < MIN_PIN_RECOVERY_BUILD:
        return Eligibility.OS_TOO_OLD
    if device.join_type is JoinType.REGISTERED:
        return Eligibility.NOT_JOINED
    if device.join_type is JoinType.UNKNOWN:
        return Eligibility.JOIN_UNKNOWN
    return Eligibility.ELIGIBLE
