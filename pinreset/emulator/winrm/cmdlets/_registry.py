"""``Get-ItemProperty`` and ``Get-ChildItem`` over the registry (and ``Get-ChildItem`` over the file system).

Registry paths are accepted in the spellings PowerShell accepts: ``HKLM:\\...``, ``Registry::HKEY_LOCAL_MACHINE\\...``
and the provider-qualified ``Microsoft.PowerShell.Core\\Registry::...``. A missing key is a non-terminating
``ItemNotFoundException``, so ``-ErrorAction SilentlyContinue`` silences it as on Windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, register
from pinreset.emulator.winrm._objects import PSObj, custom_object
from pinreset.emulator.winrm.cmdlets._errors import path_not_found

__all__ = ["registry_key"]

_PROVIDER = "Microsoft.PowerShell.Core\\Registry::"
_HIVES = {"hklm": "HKEY_LOCAL_MACHINE", "hkcu": "HKEY_CURRENT_USER"}


def registry_key(path: str) -> str | None:
    """``HKEY_LOCAL_MACHINE\\...`` for a registry path in any PowerShell spelling, else ``None``."""
    text = path.strip()
    lowered = text.lower()
    for prefix in ("microsoft.powershell.core\\registry::", "registry::"):
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            lowered = text.lower()
            break
    else:
        drive, sep, rest = text.partition(":")
        if not sep or drive.lower() not in _HIVES:
            return None
        text = _HIVES[drive.lower()] + "\\" + rest.lstrip("\\")
        lowered = text.lower()
    for short, long in _HIVES.items():
        if lowered.startswith(short + "\\") or lowered == short:
            text = long + text[len(short) :]
    return text.rstrip("\\")


def _find(keys: dict[str, dict[str, Any]], key: str) -> str | None:
    lowered = key.lower()
    return next((k for k in keys if k.lower() == lowered), None)


def _item_property(inv: Invocation) -> Iterator[PSObj]:
    keys = inv.host.registry()
    for path in inv.args.get("Path") or inv.args.get("LiteralPath") or []:
        key = registry_key(path)
        found = _find(keys, key) if key else None
        if found is None:
            inv.error(path_not_found(path, "Microsoft.PowerShell.Commands.GetItemPropertyCommand", "Get-ItemProperty"))
            continue
        values = keys[found]
        wanted = inv.args.get("Name")
        if wanted:
            values = {k: v for k, v in values.items() if k.lower() in {w.lower() for w in wanted}}
        parent, _, child = found.rpartition("\\")
        props = dict(values)
        props.update(
            {
                "PSPath": _PROVIDER + found,
                "PSParentPath": _PROVIDER + parent,
                "PSChildName": child,
                "PSDrive": "HKLM",
                "PSProvider": "Microsoft.PowerShell.Core\\Registry",
            }
        )
        yield custom_object(props)


register(
    CmdletSpec(
        name="Get-ItemProperty",
        type_name="Microsoft.PowerShell.Commands.GetItemPropertyCommand",
        params=(
            Param("Path", "strings", position=0),
            Param("LiteralPath", "strings", aliases=("PSPath", "LP")),
            Param("Name", "strings", position=1),
        ),
        run=_item_property,
        aliases=("gp",),
    )
)


def _registry_children(inv: Invocation, path: str, key: str, recurse: bool) -> Iterator[PSObj]:
    keys = inv.host.registry()
    found = _find(keys, key)
    if found is None:
        inv.error(path_not_found(path, "Microsoft.PowerShell.Commands.GetChildItemCommand", "Get-ChildItem"))
        return
    prefix = found.lower() + "\\"
    for name in sorted(keys):
        if not name.lower().startswith(prefix):
            continue
        depth = name[len(prefix) :].count("\\")
        if depth and not recurse:
            continue
        values = keys[name]
        subkeys = sum(1 for k in keys if k.lower().startswith(name.lower() + "\\") and "\\" not in k[len(name) + 1 :])
        yield PSObj(
            type_names=["Microsoft.Win32.RegistryKey", "System.MarshalByRefObject", "System.Object"],
            props={
                "Name": name,
                "PSChildName": name.rsplit("\\", 1)[-1],
                "PSPath": _PROVIDER + name,
                "Property": list(values),
                "SubKeyCount": subkeys,
                "ValueCount": len(values),
            },
            text=name,
        )


def _file_children(inv: Invocation, path: str, recurse: bool) -> Iterator[PSObj]:
    host = inv.host
    norm = host._norm(path)
    if host.exists(path) != "directory":
        inv.error(path_not_found(path, "Microsoft.PowerShell.Commands.GetChildItemCommand", "Get-ChildItem"))
        return
    prefix = norm + "\\"
    with host.lock:
        entries = [(d, True) for d in host.directories if d.startswith(prefix)]
        entries += [(k, False) for k in host.files if k.startswith(prefix)]
    for entry, is_dir in sorted(entries):
        if not recurse and "\\" in entry[len(prefix) :]:
            continue
        shown = host.files[entry][0] if not is_dir and entry in host.files else entry
        yield PSObj(
            type_names=[
                "System.IO.DirectoryInfo" if is_dir else "System.IO.FileInfo",
                "System.IO.FileSystemInfo",
                "System.Object",
            ],
            props={
                "FullName": shown,
                "Name": shown.rsplit("\\", 1)[-1],
                "Length": None if is_dir else len(host.read_file(entry) or ""),
            },
            text=shown,
        )


def _child_item(inv: Invocation) -> Iterator[PSObj]:
    recurse = bool(inv.args.get("Recurse"))
    for path in inv.args.get("Path") or inv.args.get("LiteralPath") or ["C:\\"]:
        key = registry_key(path)
        if key is not None:
            yield from _registry_children(inv, path, key, recurse)
        else:
            yield from _file_children(inv, path, recurse)


register(
    CmdletSpec(
        name="Get-ChildItem",
        type_name="Microsoft.PowerShell.Commands.GetChildItemCommand",
        params=(
            Param("Path", "strings", position=0),
            Param("LiteralPath", "strings", aliases=("PSPath", "LP")),
            Param("Recurse", "switch", aliases=("s",)),
            Param("Depth", "int"),
            Param("Force", "switch"),
            Param("Name", "switch"),
            Param("Filter", "string", position=1),
        ),
        run=_child_item,
        aliases=("gci", "dir", "ls"),
    )
)
