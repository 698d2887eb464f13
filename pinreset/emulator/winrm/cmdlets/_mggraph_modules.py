"""``Get-Module``: the PowerShell modules a host has (the admin host's Microsoft Graph SDK modules and versions).

``-ListAvailable`` lists what is installed (``host.modules``; device hosts have no Graph modules); without it,
the modules already used in the runspace pool (PowerShell auto-imports a module when one of its commands runs).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, register
from pinreset.emulator.winrm._objects import PSObj

__all__: list[str] = []


def _module_object(name: str, version: str) -> PSObj:
    base = f"C:\\Program Files\\PowerShell\\Modules\\{name}\\{version}"
    props = {
        "Name": name,
        "Version": version,
        "ModuleType": "Script",
        "Path": f"{base}\\{name}.psd1",
        "ModuleBase": base,
        "Description": f"Microsoft Graph PowerShell Cmdlets ({name})",
    }
    return PSObj(type_names=["System.Management.Automation.PSModuleInfo", "System.Object"], props=props, text=name)


def _get_module(inv: Invocation) -> Iterator[Any]:
    modules: Mapping[str, str] = getattr(inv.host, "modules", {})
    if not inv.args.get("ListAvailable"):
        loaded = inv.session.get("modules.imported", set())
        modules = {k: v for k, v in modules.items() if k in loaded}
    patterns = inv.args.get("Name") or ["*"]
    for name, version in sorted(modules.items()):
        if any(fnmatch.fnmatchcase(name.lower(), str(p).lower()) for p in patterns):
            yield _module_object(name, version)


register(
    CmdletSpec(
        name="Get-Module",
        type_name="Microsoft.PowerShell.Commands.GetModuleCommand",
        params=(
            Param("Name", "strings", position=0),
            Param("ListAvailable", "switch"),
            Param("All", "switch"),
            Param("FullyQualifiedName", "objects"),
        ),
        run=_get_module,
        aliases=("gmo",),
    )
)
