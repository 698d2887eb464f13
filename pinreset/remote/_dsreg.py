"""The one place where remote checks read ``dsregcmd /status`` text into ``name -> value`` fields."""

from __future__ import annotations

import re

from pinreset.exceptions import DsregParseError

__all__ = ["read_dsreg"]

_FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ]*?)\s*:\s?(.*?)\s*$")
_BANNER = re.compile(r"^\s*\|\s*(.+?)\s*\|\s*$")
# Fields whose first occurrence in the whole output is the one that matters.
_NEEDED = (
    "AzureAdJoined",
    "DomainJoined",
    "WorkplaceJoined",
    "NgcSet",
    "CanReset",
    "TenantId",
    "DeviceId",
    "DeviceName",
)


def read_dsreg(text: str) -> dict[str, str]:
    """Fields of ``dsregcmd /status`` output that a remote check reports.

    Args:
        text: the whole output.

    Returns:
        The first value of each field in ``_NEEDED`` that appears.

    Raises:
        DsregParseError: when the text has no Device State join flags (garbage, or cut short).
    """
    fields: dict[str, str] = {}
    sections = 0
    for line in text.splitlines():
        if _BANNER.match(line):
            sections += 1
            continue
        match = _FIELD.match(line)
        if match is None:
            continue
        name, value = match.group(1).replace(" ", ""), match.group(2)
        if name in _NEEDED and name not in fields:
            fields[name] = value
    if "AzureAdJoined" not in fields or "DomainJoined" not in fields:
        raise DsregParseError("not dsregcmd /status output: no Device State join flags")
    if sections and "WorkplaceJoined" not in fields:
        raise DsregParseError("dsregcmd /status output is cut short: no User State section")
    return fields
