"""``Get-WinEvent -FilterHashtable`` over the simulated HelloForBusiness/Operational log.

Windows PowerShell matches the hashtable's ``LogName`` and ``Id`` (a number or an array); no match is the
non-terminating "No events were found that match the specified selection criteria." (``NoMatchingEventsFound``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, PSError, register
from pinreset.emulator.winrm._objects import PSObj

__all__: list[str] = []

_LOG = "Microsoft-Windows-HelloForBusiness/Operational"
_TYPE = "Microsoft.PowerShell.Commands.GetWinEventCommand"


def _no_events() -> PSError:
    return PSError(
        "No events were found that match the specified selection criteria.",
        fqid=f"NoMatchingEventsFound,{_TYPE}",
        category="ObjectNotFound",
        exception_types=("System.Exception",),
        command="Get-WinEvent",
    )


def _get(table: dict[str, Any], key: str) -> Any:
    return next((v for k, v in table.items() if str(k).lower() == key.lower()), None)


def _get_win_event(inv: Invocation) -> Iterator[PSObj]:
    tables: list[dict[str, Any]] = inv.args.get("FilterHashtable") or []
    log_names: list[str] = inv.args.get("LogName") or []
    limit = inv.args.get("MaxEvents")
    matched: list[dict[str, Any]] = []
    events = inv.host.hello_events()
    for table in tables or [{"LogName": n} for n in log_names]:
        logs = _get(table, "LogName")
        logs = [str(x) for x in (logs if isinstance(logs, list) else [logs])] if logs is not None else []
        if logs and not any(log.lower() == _LOG.lower() for log in logs):
            continue
        ids = _get(table, "Id")
        wanted = {int(i) for i in (ids if isinstance(ids, list) else [ids])} if ids is not None else None
        matched.extend(e for e in events if wanted is None or e["Id"] in wanted)
    if not matched:
        inv.error(_no_events())
        return
    matched.sort(key=lambda e: e["TimeCreated"], reverse=True)
    for event in matched[: limit if limit else None]:
        yield PSObj(
            type_names=[
                "System.Diagnostics.Eventing.Reader.EventLogRecord",
                "System.Diagnostics.Eventing.Reader.EventRecord",
                "System.Object",
            ],
            props={
                "Id": event["Id"],
                "TimeCreated": event["TimeCreated"],
                "Message": event["Message"],
                "UserId": event["UserId"],
                "LogName": _LOG,
                "ProviderName": "Microsoft-Windows-HelloForBusiness",
                "MachineName": inv.host.device_name,
            },
            text="System.Diagnostics.Eventing.Reader.EventLogRecord",
        )


register(
    CmdletSpec(
        name="Get-WinEvent",
        type_name=_TYPE,
        params=(
            Param("FilterHashtable", "hashtables"),
            Param("LogName", "strings", position=0),
            Param("MaxEvents", "long"),
            Param("Oldest", "switch"),
            Param("ComputerName", "string"),
        ),
        run=_get_win_event,
    )
)
