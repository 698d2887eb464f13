"""Pure interpretation of what a host answered: no I/O here, so every rule is testable on plain data.

The inputs are the JSON values that ``ConvertTo-Json`` produced on the host (already ``json.loads``-ed); the
outputs are the typed facts of :mod:`pinreset.remote.models`. Anything that does not have the documented
shape raises :class:`pinreset.exceptions.ParseError`, which the check reports as ``unparseable``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from pinreset.exceptions import DsregParseError, ParseError
from pinreset.remote.models import (
    DsregView,
    EffectivePolicy,
    PolicySetting,
    PolicySource,
    RecoveryKeyEvent,
)

__all__ = [
    "GPO_KEY",
    "MDM_ROOT",
    "RECOVERY_EVENT_IDS",
    "SID_PATTERN",
    "as_list",
    "effective_policy",
    "interactive_users",
    "mdm_policy_keys",
    "os_facts",
    "parse_dsreg",
    "policy_setting",
    "recovery_events",
    "sort_answers",
]

#: Group Policy "Use PIN Recovery" (computer only).
GPO_KEY = r"HKLM:\SOFTWARE\Policies\Microsoft\PassportForWork"
#: Root of the values the PassportForWork CSP (Intune) records.
MDM_ROOT = r"HKLM:\SOFTWARE\Microsoft\Policies\PassportForWork"
#: 8060 recovery key created, 5062 found, 7060 creation failed (HelloForBusiness/Operational).
RECOVERY_EVENT_IDS: tuple[int, ...] = (8060, 5062, 7060)
SID_PATTERN = re.compile(r"^S-1-[0-9]+(-[0-9]+)+$")  # ASCII only: \d matches any script's digits
_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_MDM_POLICIES_KEY = re.compile(
    r"^HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Policies\\PassportForWork\\"
    rf"(?P<tenant>{_GUID})\\(?P<scope>Device|S-1-[0-9]+(?:-[0-9]+)+)\\Policies$",
    re.IGNORECASE,
)
_PS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_PRECEDENCE = {PolicySource.GPO: 0, PolicySource.MDM_USER: 1, PolicySource.MDM_DEVICE: 2}


def as_list(value: Any) -> list[Any]:
    """``ConvertTo-Json`` writes one object bare and several as an array; always get a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def os_facts(value: Any) -> tuple[str | None, str | None, int | None]:
    """``(caption, version, build)`` from ``Get-CimInstance Win32_OperatingSystem``.

    Raises:
        ParseError: when the answer is not one object or the build is not a number.
    """
    items = as_list(value)
    if len(items) != 1:
        raise ParseError(f"Win32_OperatingSystem: expected one object, got {len(items)}")
    item = _mapping(items[0], "Win32_OperatingSystem")
    build_text = item.get("BuildNumber")
    version = item.get("Version")
    if build_text is None and isinstance(version, str) and version.count(".") >= 2:
        build_text = version.split(".")[2]
    try:
        build = int(str(build_text)) if build_text is not None else None
    except ValueError:
        raise ParseError(f"Win32_OperatingSystem: BuildNumber {build_text!r} is not a number") from None
    caption = item.get("Caption")
    return (str(caption) if caption is not None else None, str(version) if version is not None else None, build)


def _lines_to_text(value: Any) -> str:
    lines = as_list(value)
    if not all(isinstance(line, str) for line in lines):
        raise ParseError("dsregcmd: expected lines of text")
    return "\n".join(lines)


def parse_dsreg(text_or_lines: Any) -> DsregView:
    """The fields a PIN reset check needs from one ``dsregcmd /status`` output, read by :func:`pinreset.parse_dsregcmd`.

    A remote capture is always a whole output, so one without both a Device State and a User State section was cut
    short (or is something else) and is refused.

    Args:
        text_or_lines: the output as one string, or as the list of lines PowerShell returns for a native command.

    Returns:
        The fields, with the whole text kept in ``raw_text`` and the judgement of :func:`pinreset.assess`.

    Raises:
        DsregParseError: when the text is not ``dsregcmd /status`` output, or is cut short.
    """
    from pinreset.dsreg import assess, parse_dsregcmd

    text = text_or_lines if isinstance(text_or_lines, str) else _lines_to_text(text_or_lines)
    status = parse_dsregcmd(text)
    if status.device_state is None:
        raise DsregParseError("dsregcmd /status output without a Device State section")
    if status.user_state is None:
        raise DsregParseError("dsregcmd /status output is cut short: no User State section")
    device, user = status.device_state, status.user_state
    tenant_id = status.tenant_details.tenant_id if status.tenant_details else None
    device_id = status.device_details.device_id if status.device_details else None
    judged = assess(status)
    return DsregView(
        join_type=status.join_type.value,
        azure_ad_joined=device.azure_ad_joined,
        domain_joined=device.domain_joined,
        workplace_joined=user.workplace_joined,
        ngc_set=user.ngc_set,
        can_reset=str(user.can_reset.value) if user.can_reset is not None else None,
        tenant_id=str(tenant_id) if tenant_id is not None else None,
        device_id=str(device_id) if device_id is not None else None,
        device_name=device.device_name,
        verdict=judged.verdict.value,
        reasons=judged.reasons,
        raw_text=text,
    )


def mdm_policy_keys(value: Any) -> list[tuple[str, PolicySource, str | None]]:
    """MDM ``...\\Policies`` keys that hold ``EnablePinRecovery``, from ``Get-ChildItem -Recurse`` of :data:`MDM_ROOT`.

    Returns:
        ``(powershell_path, source, user_sid)`` per key; keys of any other shape are ignored.

    Raises:
        ParseError: when an item is not a registry key object.
    """
    found: list[tuple[str, PolicySource, str | None]] = []
    for item in as_list(value):
        key = _mapping(item, "registry key")
        name = key.get("Name")
        if not isinstance(name, str):
            raise ParseError("registry key without a Name")
        properties = [str(p) for p in as_list(key.get("Property"))]
        match = _MDM_POLICIES_KEY.fullmatch(name)
        if match is None or "EnablePinRecovery" not in properties:
            continue
        path = "HKLM:" + name[len("HKEY_LOCAL_MACHINE") :]
        scope = match.group("scope")
        if scope.lower() == "device":
            found.append((path, PolicySource.MDM_DEVICE, None))
        else:
            found.append((path, PolicySource.MDM_USER, scope.upper()))
    return found


def policy_setting(
    value: Any, *, source: PolicySource, registry_path: str, user_sid: str | None = None
) -> PolicySetting | None:
    """The ``EnablePinRecovery`` of one ``Get-ItemProperty`` answer, or ``None`` when the key lacks it.

    Raises:
        ParseError: when the value is present but not a DWORD.
    """
    items = as_list(value)
    if not items:
        return None
    item = _mapping(items[0], registry_path)
    raw = item.get("EnablePinRecovery")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ParseError(f"{registry_path}: EnablePinRecovery is {raw!r}, not a DWORD")
    return PolicySetting(source=source, value=raw != 0, registry_path=registry_path, user_sid=user_sid)


def effective_policy(settings: Iterable[PolicySetting], *, user_sid: str | None = None) -> EffectivePolicy:
    """Which ``EnablePinRecovery`` Windows applies: group policy, else MDM for the user, else MDM for the device.

    Windows Hello policies do not honour ``MDMWinsOverGP``: a GPO value shadows any MDM value. MDM user
    values count only for ``user_sid`` (the signed-in user); other users' values are kept but never win.

    Args:
        settings: every value found on the device.
        user_sid: the user the answer is for, or ``None`` for the device alone.

    Returns:
        The winner, all settings (winner first), whether an MDM value wins and whether sources disagree.
    """
    applicable: list[PolicySetting] = []
    others: list[PolicySetting] = []
    for setting in settings:
        if setting.source is PolicySource.MDM_USER and (user_sid is None or setting.user_sid != user_sid):
            others.append(setting)
        else:
            applicable.append(setting)
    applicable.sort(key=lambda s: _PRECEDENCE[s.source])
    if not applicable:
        return EffectivePolicy(enabled=None, source=PolicySource.NOT_CONFIGURED, settings=tuple(others))
    winner = applicable[0]
    return EffectivePolicy(
        enabled=winner.value,
        source=winner.source,
        settings=(*applicable, *others),
        mdm_wins=winner.source in (PolicySource.MDM_USER, PolicySource.MDM_DEVICE),
        conflict=len({s.value for s in applicable}) > 1,
    )


def _event_time(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        match = _PS_DATE.match(raw.replace("\\/", "/"))
        if match:
            moment = datetime.fromtimestamp(int(match.group(1)) / 1000, tz=timezone.utc)
            return moment.isoformat().replace("+00:00", "Z")
        return raw
    if isinstance(raw, Mapping) and "DateTime" in raw:  # PS 5.1 sometimes adds a DateTime note property
        return str(raw["DateTime"])
    return str(raw)


def recovery_events(value: Any) -> tuple[RecoveryKeyEvent, ...]:
    """Recovery-key events from ``Get-WinEvent``, newest first, as the host returned them.

    Raises:
        ParseError: when an event has no numeric ``Id``.
    """
    events: list[RecoveryKeyEvent] = []
    for item in as_list(value):
        event = _mapping(item, "event")
        event_id = event.get("Id")
        if isinstance(event_id, bool) or not isinstance(event_id, int):
            raise ParseError(f"event without a numeric Id: {event_id!r}")
        if event_id not in RECOVERY_EVENT_IDS:
            continue
        sid = event.get("UserId")
        if isinstance(sid, Mapping):  # a SecurityIdentifier serialised with its properties
            sid = sid.get("Value")
        events.append(
            RecoveryKeyEvent(
                event_id=event_id,
                user_sid=str(sid).upper() if sid else None,
                time_created=_event_time(event.get("TimeCreated")),
                message=str(event.get("Message") or ""),
            )
        )
    return tuple(events)


def interactive_users(owner_sids: Any, owners: Any) -> list[tuple[str, str | None]]:
    """Signed-in users from the owners of explorer.exe processes, one entry per SID.

    Both lists come from ``Get-CimInstance Win32_Process -Filter "Name = 'explorer.exe'" | Invoke-CimMethod``;
    ``Invoke-CimMethod`` answers in the order of its input, so entries at the same index belong together when
    both lists have the same length (otherwise names are left out: SIDs are the key, names only decorate).

    Args:
        owner_sids: ``GetOwnerSid`` results (``Sid``, ``ReturnValue``).
        owners: ``GetOwner`` results (``Domain``, ``User``, ``ReturnValue``).

    Returns:
        ``(sid, "DOMAIN\\user" or None)`` per distinct valid SID, in process order.

    Raises:
        ParseError: when an entry is not an object.
    """
    sids = as_list(owner_sids)
    names = as_list(owners)
    aligned = len(names) == len(sids)
    users: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for index, entry in enumerate(sids):
        owner_sid = _mapping(entry, "GetOwnerSid")
        if owner_sid.get("ReturnValue", 0) != 0:
            continue  # the process ended between the calls, or access was denied
        sid = str(owner_sid.get("Sid") or "").upper()
        if not SID_PATTERN.fullmatch(sid) or sid in seen:
            continue
        seen.add(sid)
        name: str | None = None
        if aligned:
            owner = _mapping(names[index], "GetOwner")
            if owner.get("ReturnValue", 0) == 0 and owner.get("User"):
                name = f"{owner.get('Domain') or ''}\\{owner['User']}".lstrip("\\")
        users.append((sid, name))
    return users


@attrs.define
class Answers:
    """The values of one multi-statement invocation, sorted by what they are."""

    os: list[Any] = attrs.Factory(list)
    dsreg_lines: list[str] = attrs.Factory(list)
    owner_sids: list[Any] = attrs.Factory(list)
    owners: list[Any] = attrs.Factory(list)
    registry_keys: list[Any] = attrs.Factory(list)
    item_properties: list[Any] = attrs.Factory(list)
    events: list[Any] = attrs.Factory(list)


def _kind(item: Mapping[str, Any]) -> str:
    if "BuildNumber" in item or "OSArchitecture" in item:
        return "os"
    if "Sid" in item and "ReturnValue" in item:
        return "owner_sids"
    if "ReturnValue" in item and ("User" in item or "Domain" in item):
        return "owners"
    if "PSPath" in item:
        return "item_properties"
    if "Name" in item and "Property" in item:
        return "registry_keys"
    if "Id" in item and ("TimeCreated" in item or "UserId" in item or "Message" in item):
        return "events"
    raise ParseError(f"unexpected object in the answer (properties {', '.join(sorted(item)) or 'none'})")


def sort_answers(values: Iterable[Any]) -> Answers:
    """Sort the JSON values of several statements by their shape (a statement with no output writes nothing).

    Raises:
        ParseError: for a value of no known shape.
    """
    answers = Answers()
    for value in values:
        items = as_list(value)
        if items and all(isinstance(item, str) for item in items):
            answers.dsreg_lines.extend(items)
            continue
        for item in items:
            getattr(answers, _kind(_mapping(item, "answer"))).append(item)
    return answers


def item_properties_by_key(items: Any) -> dict[str, Mapping[str, Any]]:
    """``Get-ItemProperty`` objects keyed by their registry key (``HKLM:\\...``, lower case).

    Raises:
        ParseError: when an object has no readable ``PSPath``.
    """
    found: dict[str, Mapping[str, Any]] = {}
    for item in as_list(items):
        properties = _mapping(item, "Get-ItemProperty")
        path = str(properties.get("PSPath") or "")
        key = path.split("::", 1)[-1]
        if key.upper().startswith("HKEY_LOCAL_MACHINE"):
            key = "HKLM:" + key[len("HKEY_LOCAL_MACHINE") :]
        if not key.upper().startswith("HKLM:"):
            raise ParseError(f"Get-ItemProperty object without a registry PSPath: {path!r}")
        found[key.lower()] = properties
    return found


def newest_event_for(events: Sequence[RecoveryKeyEvent], sid: str) -> RecoveryKeyEvent | None:
    """The newest recovery-key event about ``sid`` (events are newest first), or ``None`` (unknown)."""
    return next((e for e in events if e.user_sid == sid.upper()), None)
