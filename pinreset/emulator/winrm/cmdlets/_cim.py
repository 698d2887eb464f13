"""``Get-CimInstance`` (Win32_OperatingSystem, Win32_ComputerSystem, Win32_Process) and ``Invoke-CimMethod``.

Only the WQL filter a client uses to find interactive sessions is understood (``Name = 'explorer.exe'``, quotes
either way); any other filter matches by exact process name or is rejected as invalid, like WMI's "Invalid query".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, PSError, register
from pinreset.emulator.winrm._objects import PSObj, cim_object

__all__: list[str] = []

_FILTER = re.compile(r"""^\s*Name\s*=\s*(['"])(?P<name>[^'"]*)\1\s*$""", re.IGNORECASE)
_CIM_EXC = ("Microsoft.Management.Infrastructure.CimException",)


def _cim_error(message: str, fqid: str, category: str, target: Any = None) -> PSError:
    return PSError(message, fqid=fqid, category=category, exception_types=_CIM_EXC, target=target)


def _processes(inv: Invocation, wql_filter: str | None) -> Iterator[PSObj]:
    processes = [("explorer.exe", user.explorer_pid, user.session_id) for user in inv.host.users()]
    processes.append(("winlogon.exe", 612, 1))
    processes.append(("svchost.exe", 1044, 0))
    wanted: str | None = None
    if wql_filter:
        match = _FILTER.match(wql_filter)
        if not match:
            raise _cim_error(
                "Invalid query ",
                "HRESULT 0x80041017,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
                "InvalidArgument",
                wql_filter,
            )
        wanted = match.group("name").lower()
    for name, pid, session in processes:
        if wanted is None or name == wanted:
            yield cim_object(
                "Win32_Process",
                {
                    "ProcessId": pid,
                    "SessionId": session,
                    "Name": name,
                    "Handle": str(pid),
                    "CSName": inv.host.device_name,
                },
            )


def _get_cim_instance(inv: Invocation) -> Iterator[PSObj]:
    class_name = str(inv.args.get("ClassName") or "")
    host = inv.host
    lowered = class_name.lower()
    if lowered == "win32_operatingsystem":
        version = host.os_version()
        build = version.rsplit(".", 1)[-1]
        caption = "Microsoft Windows 11 Enterprise" if int(build or 0) >= 22000 else "Microsoft Windows 10 Enterprise"
        yield cim_object(
            "Win32_OperatingSystem",
            {
                "Caption": caption,
                "Version": version,
                "BuildNumber": build,
                "OSArchitecture": "64-bit",
                "CSName": host.device_name,
            },
        )
    elif lowered == "win32_computersystem":
        user = host.user()
        domain = host.machine_domain()
        yield cim_object(
            "Win32_ComputerSystem",
            {
                "Name": host.device_name,
                "Domain": domain,
                "PartOfDomain": domain != "WORKGROUP",
                "UserName": f"{user.domain}\\{user.name}" if user else None,
            },
        )
    elif lowered == "win32_process":
        yield from _processes(inv, inv.args.get("Filter"))
    else:
        raise _cim_error(
            "Invalid class ",
            "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
            "MetadataError",
            class_name,
        )


register(
    CmdletSpec(
        name="Get-CimInstance",
        type_name="Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
        params=(
            Param("ClassName", "string", position=0, aliases=("Class",)),
            Param("Filter", "string"),
            Param("Namespace", "string"),
            Param("Property", "strings"),
            Param("ComputerName", "strings"),
            Param("OperationTimeoutSec", "int"),
            Param("Query", "string"),
        ),
        run=_get_cim_instance,
        module="CimCmdlets",
        aliases=("gcim",),
    )
)


def _invoke_cim_method(inv: Invocation) -> Iterator[PSObj]:
    method = str(inv.args.get("MethodName") or "")
    targets = list(inv.args.get("InputObject") or []) + list(inv.input)
    owners = {user.explorer_pid: user for user in inv.host.users()}
    for target in targets:
        if not isinstance(target, PSObj) or "Win32_Process" not in (target.text or ""):
            inv.error(
                _cim_error(
                    "The specified method is not supported on this object.",
                    "HRESULT 0x8004100c,Microsoft.Management.Infrastructure.CimCmdlets.InvokeCimMethodCommand",
                    "NotImplemented",
                    target,
                )
            )
            continue
        owner = owners.get(target.get("ProcessId")) if target.get("Name") == "explorer.exe" else None
        if method.lower() == "getownersid":
            sid = owner.sid if owner else "S-1-5-18"
            yield PSObj(
                type_names=[
                    "Microsoft.Management.Infrastructure.CimMethodResult#Win32_Process#GetOwnerSid",
                    "Microsoft.Management.Infrastructure.CimMethodResult",
                    "System.Object",
                ],
                props={"Sid": sid, "ReturnValue": 0, "PSComputerName": None},
            )
        elif method.lower() == "getowner":
            domain, name = (owner.domain, owner.name) if owner else ("NT AUTHORITY", "SYSTEM")
            yield PSObj(
                type_names=[
                    "Microsoft.Management.Infrastructure.CimMethodResult#Win32_Process#GetOwner",
                    "Microsoft.Management.Infrastructure.CimMethodResult",
                    "System.Object",
                ],
                props={"Domain": domain, "User": name, "ReturnValue": 0, "PSComputerName": None},
            )
        else:
            inv.error(
                _cim_error(
                    "Method not found ",
                    "HRESULT 0x80041055,Microsoft.Management.Infrastructure.CimCmdlets.InvokeCimMethodCommand",
                    "MetadataError",
                    method,
                )
            )


register(
    CmdletSpec(
        name="Invoke-CimMethod",
        type_name="Microsoft.Management.Infrastructure.CimCmdlets.InvokeCimMethodCommand",
        params=(
            Param("MethodName", "string", mandatory=True, position=1, aliases=("Name",)),
            Param("InputObject", "objects", aliases=("CimInstance",)),
            Param("Arguments", "hashtable"),
            Param("ClassName", "string"),
        ),
        run=_invoke_cim_method,
        module="CimCmdlets",
        takes_input=True,
        should_process=True,
    )
)
