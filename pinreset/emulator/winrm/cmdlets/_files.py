"""File-system cmdlets over the host's tiny in-memory disk.

``New-Item``, ``Get-Content``, ``Remove-Item`` and ``Test-Path``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, PSError, register
from pinreset.emulator.winrm._objects import PSObj
from pinreset.emulator.winrm.cmdlets._errors import path_not_found

__all__: list[str] = []


def _directory(path: str) -> PSObj:
    return PSObj(
        type_names=["System.IO.DirectoryInfo", "System.IO.FileSystemInfo", "System.Object"],
        props={
            "FullName": path,
            "Name": path.rstrip("\\").rsplit("\\", 1)[-1],
            "PSPath": f"Microsoft.PowerShell.Core\\FileSystem::{path}",
        },
        text=path,
    )


def _new_item(inv: Invocation) -> Iterator[PSObj]:
    kind = str(inv.args.get("ItemType") or "File").lower()
    for path in inv.args["Path"]:
        if kind == "directory":
            created = inv.host.make_directory(path)
            if not created and not inv.args.get("Force"):
                inv.error(
                    PSError(
                        f"An item with the specified name {path} already exists.",
                        fqid="DirectoryExist,Microsoft.PowerShell.Commands.NewItemCommand",
                        category="ResourceExists",
                        exception_types=("System.IO.IOException",),
                        target=path,
                        command="New-Item",
                    )
                )
                continue
            yield _directory(path)
        else:
            value = inv.args.get("Value")
            if inv.host.exists(path) and not inv.args.get("Force"):
                inv.error(
                    PSError(
                        f"The file '{path}' already exists.",
                        fqid="NewItemIOError,Microsoft.PowerShell.Commands.NewItemCommand",
                        category="WriteError",
                        exception_types=("System.IO.IOException",),
                        target=path,
                        command="New-Item",
                    )
                )
                continue
            if not inv.host.write_file(path, "" if value is None else str(value)):
                inv.error(path_not_found(path, "Microsoft.PowerShell.Commands.NewItemCommand", "New-Item"))
                continue
            yield PSObj(
                type_names=["System.IO.FileInfo", "System.IO.FileSystemInfo", "System.Object"],
                props={"FullName": path, "Name": path.rsplit("\\", 1)[-1]},
                text=path,
            )


register(
    CmdletSpec(
        name="New-Item",
        type_name="Microsoft.PowerShell.Commands.NewItemCommand",
        params=(
            Param("Path", "strings", mandatory=True, position=0),
            Param("ItemType", "string", aliases=("Type",)),
            Param("Name", "string"),
            Param("Value", "object"),
            Param("Force", "switch"),
        ),
        run=_new_item,
        should_process=True,
        aliases=("ni",),
    )
)


def _paths(inv: Invocation) -> list[str]:
    return list(inv.args.get("LiteralPath") or inv.args.get("Path") or [])


def _get_content(inv: Invocation) -> Iterator[str]:
    for path in _paths(inv):
        text = inv.host.read_file(path)
        if text is None:
            inv.error(path_not_found(path, "Microsoft.PowerShell.Commands.GetContentCommand", "Get-Content"))
            continue
        if inv.args.get("Raw"):
            yield text
        else:
            yield from text.replace("\r\n", "\n").splitlines()


register(
    CmdletSpec(
        name="Get-Content",
        type_name="Microsoft.PowerShell.Commands.GetContentCommand",
        params=(
            Param("Path", "strings", position=0),
            Param("LiteralPath", "strings", aliases=("PSPath", "LP")),
            Param("Raw", "switch"),
            Param("Encoding", "string"),
            Param("TotalCount", "long", aliases=("First", "Head")),
        ),
        run=_get_content,
        aliases=("gc", "cat", "type"),
    )
)


def _remove_item(inv: Invocation) -> Iterator[PSObj]:
    for path in _paths(inv):
        if not inv.host.remove(path):
            inv.error(path_not_found(path, "Microsoft.PowerShell.Commands.RemoveItemCommand", "Remove-Item"))
    return iter(())


register(
    CmdletSpec(
        name="Remove-Item",
        type_name="Microsoft.PowerShell.Commands.RemoveItemCommand",
        params=(
            Param("Path", "strings", position=0),
            Param("LiteralPath", "strings", aliases=("PSPath", "LP")),
            Param("Force", "switch"),
            Param("Recurse", "switch"),
        ),
        run=_remove_item,
        should_process=True,
        aliases=("ri", "rm", "del"),
    )
)


def _test_path(inv: Invocation) -> Iterator[bool]:
    for path in _paths(inv):
        yield inv.host.exists(path) is not None


register(
    CmdletSpec(
        name="Test-Path",
        type_name="Microsoft.PowerShell.Commands.TestPathCommand",
        params=(
            Param("Path", "strings", position=0),
            Param("LiteralPath", "strings", aliases=("PSPath", "LP")),
            Param("PathType", "string", choices=("Any", "Container", "Leaf")),
        ),
        run=_test_path,
    )
)
